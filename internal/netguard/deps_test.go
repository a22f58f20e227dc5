package netguard_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The flow codecs are pure: they import the standard library and the packages below only.
func TestCodecImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	tests := []struct {
		dir     string
		allowed []string
	}{
		{".", []string{mod + "clock"}},
		{"netflow", []string{mod + "netguard"}},
		{"sflow", []string{mod + "netguard"}},
		{"flowgen", []string{mod + "netguard", mod + "clock"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			pkg, err := build.ImportDir(tt.dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range pkg.Imports {
				std := !strings.Contains(strings.Split(imp, "/")[0], ".")
				if !std && !slices.Contains(tt.allowed, imp) {
					t.Errorf("%s imports %s", tt.dir, imp)
				}
				if imp == "net" || imp == "os" || imp == "net/http" {
					t.Errorf("%s imports %s: codecs do no I/O", tt.dir, imp)
				}
			}
		})
	}
}
