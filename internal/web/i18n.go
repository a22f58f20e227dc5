package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Languages the interface speaks; the first is the default.
var languages = []string{"fr", "en"}

const defaultLang = "fr"

// langCookie remembers the language of a visitor who is not logged in.
const langCookie = "itsgow_lang"

//go:embed i18n/*.json
var catalogFS embed.FS

// catalog holds the messages of every language: catalog[lang][key].
type catalog map[string]map[string]string

// loadCatalog reads i18n/<lang>.json for every language and checks that they hold the same keys.
func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, lang := range languages {
		// i18n/<lang>.json, then each capability's i18n/<capability>.<lang>.json
		files, err := fs.Glob(catalogFS, "i18n/*"+lang+".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, f := range files {
			if base := strings.TrimPrefix(f, "i18n/"); base != lang+".json" && !strings.HasSuffix(base, "."+lang+".json") {
				continue
			}
			b, err := catalogFS.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("message catalogue %s: %w", f, err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("message catalogue %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("message catalogue %s: key %q defined twice", f, k)
				}
				m[k] = v
			}
		}
		c[lang] = m
	}
	ref := c[defaultLang]
	for _, lang := range languages {
		for k, v := range c[lang] {
			if _, ok := ref[k]; !ok {
				return nil, fmt.Errorf("message catalogue: key %q is in %s but not in %s", k, lang, defaultLang)
			}
			if strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("message catalogue %s: key %q is empty", lang, k)
			}
		}
		for k := range ref {
			if _, ok := c[lang][k]; !ok {
				return nil, fmt.Errorf("message catalogue: key %q is missing in %s", k, lang)
			}
		}
	}
	return c, nil
}

// lookup returns the message of key in lang and whether it exists.
func (c catalog) lookup(lang, key string) (string, bool) {
	s, ok := c[lang][key]
	return s, ok
}

// text returns the message of key in lang, formatted with args; an unknown key shows as
// "[key]" so that it stands out in the golden files.
func (c catalog) text(lang, key string, args ...any) string {
	s, ok := c.lookup(lang, key)
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func validLang(s string) bool { return slices.Contains(languages, s) }

// requestLang picks the language of a request: the logged-in account's, else the lang cookie,
// else the best of Accept-Language, else French.
func requestLang(r *http.Request, accountLang string) string {
	if validLang(accountLang) {
		return accountLang
	}
	if c, err := r.Cookie(langCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	if l := acceptLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return defaultLang
}

// acceptLanguage returns the supported language the header prefers most ("" when none).
func acceptLanguage(h string) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if validLang(primary) && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}
