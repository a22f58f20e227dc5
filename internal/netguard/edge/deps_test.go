package edge_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The compiler is pure: it imports its domain, logkey and the standard library, and no I/O
// package beyond log/slog for the LogDriver.
func TestImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	allowed := []string{mod + "netguard", mod + "logkey"}
	for _, dir := range []string{".", "edgetest"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			std := !strings.Contains(strings.Split(imp, "/")[0], ".")
			if !std && !slices.Contains(allowed, imp) && imp != mod+"netguard/edge" {
				t.Errorf("%s imports %s", dir, imp)
			}
			if slices.Contains([]string{"net", "os", "net/http", "database/sql"}, imp) {
				t.Errorf("%s imports %s: the compiler does no I/O", dir, imp)
			}
		}
	}
}
