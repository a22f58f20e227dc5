package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/itsgow/itsgow/"

type pkg struct {
	dir     string // relative to the module root
	docs    int
	imports map[string][]string // import path -> files
	files   map[string]*ast.File
}

func load(t *testing.T) map[string]*pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.ImportsOnly)
		if err != nil {
			return err
		}
		p := pkgs[rel]
		if p == nil {
			p = &pkg{dir: rel, imports: map[string][]string{}, files: map[string]*ast.File{}}
			pkgs[rel] = p
		}
		if f.Doc != nil {
			p.docs++
		}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			p.imports[ip] = append(p.imports[ip], filepath.Base(path))
		}
		p.files[path] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestEveryPackageHasExactlyOnePackageDoc(t *testing.T) {
	for _, p := range load(t) {
		if p.docs != 1 {
			t.Errorf("%s: %d package doc comments, want exactly 1", p.dir, p.docs)
		}
	}
}

// Domain packages hold the rules; they never do I/O themselves.
var domain = []string{"internal/account", "internal/notify", "internal/jobs", "internal/policy", "internal/netguard",
	"internal/netguard/detect", "internal/netguard/mitigation", "internal/netguard/netflow", "internal/netguard/sflow", "internal/fleet", "internal/clock",
	"internal/errs", "internal/logkey", "internal/catalog", "internal/order", "internal/billing", "internal/ops",
	"internal/security", "internal/abuse", "internal/support"}

var ioLibraries = []string{"net/http", "database/sql", "net/smtp", "github.com/jackc/pgx", "modernc.org/sqlite",
	"github.com/osrg/gobgp", "github.com/google/nftables", "github.com/chromedp"}

func TestDomainPackagesDoNoIO(t *testing.T) {
	pkgs := load(t)
	for _, d := range domain {
		p := pkgs[d]
		if p == nil {
			continue
		}
		for ip, files := range p.imports {
			for _, bad := range ioLibraries {
				if ip == bad || strings.HasPrefix(ip, bad+"/") {
					t.Errorf("%s imports %s (%v): domain packages define interfaces, adapters do I/O", d, ip, files)
				}
			}
			for _, a := range []string{"internal/store", "internal/api", "internal/web", "internal/httpserver", "internal/app"} {
				if ip == module+a || strings.HasPrefix(ip, module+a+"/") {
					t.Errorf("%s imports the adapter %s", d, ip)
				}
			}
		}
	}
}

func TestAdaptersDoNotImportEachOther(t *testing.T) {
	pkgs := load(t)
	forbidden := map[string][]string{
		"internal/api":        {"internal/store", "internal/web", "internal/app"},
		"internal/web":        {"internal/store", "internal/api", "internal/app"},
		"internal/store":      {"internal/api", "internal/web", "internal/httpserver", "internal/app"},
		"internal/httpserver": {"internal/store", "internal/api", "internal/web", "internal/app"},
	}
	for d, bad := range forbidden {
		p := pkgs[d]
		if p == nil {
			continue
		}
		for ip := range p.imports {
			for _, b := range bad {
				if ip == module+b || strings.HasPrefix(ip, module+b+"/") {
					t.Errorf("%s imports %s", d, ip)
				}
			}
		}
	}
}

// Time is read only through clock.Clock (STYLE.md section 8); wall-clock uses outside clock and
// cmd carry a //nolint:forbidigo comment saying why.
func TestTimeOnlyThroughClock(t *testing.T) {
	root, _ := filepath.Abs("../..")
	banned := []string{"time.Now()", "time.Sleep(", "time.After(", "time.NewTimer(", "time.Tick(", "time.Since("}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasPrefix(rel, "internal/clock/") || strings.HasPrefix(rel, "cmd/") || strings.Contains(rel, "testdata") ||
			strings.Contains(rel, "test/") || strings.HasSuffix(filepath.Dir(rel), "test") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "\npackage main\n") {
			return nil // commands (benchmark drivers) measure wall-clock time by nature
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "nolint:forbidigo") || strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, bad := range banned {
				if strings.Contains(line, bad) {
					t.Errorf("%s:%d uses %s: use clock.Clock", rel, i+1, strings.TrimSuffix(bad, "("))
				}
			}
		}
		return nil
	})
}
