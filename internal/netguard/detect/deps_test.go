package detect_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The detector is pure: the standard library, netguard and clock only, and no I/O package.
func TestImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	allowed := []string{mod + "netguard", mod + "clock"}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		std := !strings.Contains(strings.Split(imp, "/")[0], ".")
		if !std && !slices.Contains(allowed, imp) {
			t.Errorf("detect imports %s", imp)
		}
		if imp == "net" || imp == "os" || imp == "net/http" || imp == "log/slog" || imp == "io" {
			t.Errorf("detect imports %s: it does no I/O", imp)
		}
	}
}
