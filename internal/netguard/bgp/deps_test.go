package bgp_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The BGP adapter imports its domain, the edge compiler, tier 0 packages, GoBGP and the standard
// library: no other adapter.
func TestImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	allowed := []string{mod + "netguard", mod + "netguard/edge", mod + "clock", mod + "logkey"}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		std := !strings.Contains(strings.Split(imp, "/")[0], ".")
		if !std && !slices.Contains(allowed, imp) && !strings.HasPrefix(imp, "github.com/osrg/gobgp/v4/") {
			t.Errorf("imports %s", imp)
		}
	}
}
