package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

//go:embed templates
var templateFS embed.FS

// views are the parsed page templates, the message catalogue and the static assets. They are
// read-only once built, so one value serves every request.
type views struct {
	pages  map[string]*template.Template
	cat    catalog
	assets assets
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"join": func(ss []account.Scope) string { return account.JoinScopes(ss) },
		// dict passes several values to a partial: dict "Page" . "Rows" .Data.Rows.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		// domID turns a value such as "account:read" into something usable in an id attribute.
		"domID": func(s string) string {
			return strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
					return r
				}
				return '-'
			}, s)
		},
	}
}

// newViews parses every template once: the layout and partials, then each page on a clone of
// them. A template that does not parse is a programmer error, hence template.Must.
func newViews() (*views, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	base := template.Must(template.New("").Funcs(templateFuncs()).ParseFS(templateFS,
		"templates/layout/*.html", "templates/partials/*.html"))
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("page templates: %w", err)
	}
	v := &views{pages: map[string]*template.Template{}, cat: cat, assets: as}
	for _, n := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
		v.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return v, nil
}

// render writes page name with the layout.
func (v *views) render(w io.Writer, name string, p *page) error {
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	p.cat, p.assets = v.cat, v.assets
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	return nil
}

// page is what every template receives: the layout's data, and the page's own in Data.
type page struct {
	Lang      string
	Nav       string           // active navigation item
	User      *account.Account // nil when nobody is logged in
	Pending   bool             // logged in, waiting for the second factor
	CSRF      string           // token of the session's forms
	Here      string           // where the language switch comes back to
	Flash     string           // catalogue key of a success message
	Alert     string           // error message shown at the top of the page
	Fields    map[string]string
	RequestID string
	Data      any

	cat    catalog
	assets assets
}

// T translates key.
func (p *page) T(key string, args ...any) string { return p.cat.text(p.Lang, key, args...) }

// Asset is the content-hash URL of a static file.
func (p *page) Asset(name string) string { return p.assets.url(name) }

// Time formats an instant in UTC; the zero time shows as a dash.
func (p *page) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if p.Lang == "fr" {
		return t.UTC().Format("02/01/2006 15:04 UTC")
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// Field is the error message of an input field ("" when it is valid).
func (p *page) Field(name string) string { return p.Fields[name] }

// Staff reports whether a staff member is logged in.
func (p *page) Staff() bool { return p.User != nil && p.User.Kind == account.KindStaff }

// HasRole reports whether the logged-in staff member holds role.
func (p *page) HasRole(role string) bool { return p.User != nil && p.User.HasRole(account.Role(role)) }

// Languages lists the languages of the switch.
func (p *page) Languages() []string { return languages }
