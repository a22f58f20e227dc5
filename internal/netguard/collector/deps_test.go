package collector_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The collector is an adapter: its domain, the codecs, clock, logkey, Prometheus and the x/sys
// socket package; never another adapter nor the detector (it only sees a Sink).
func TestImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	allowed := []string{
		mod + "netguard", mod + "netguard/netflow", mod + "netguard/sflow", mod + "clock", mod + "logkey",
		"github.com/prometheus/client_golang/prometheus", "golang.org/x/sys/unix",
	}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		std := !strings.Contains(strings.Split(imp, "/")[0], ".")
		if !std && !slices.Contains(allowed, imp) {
			t.Errorf("collector imports %s", imp)
		}
	}
}
