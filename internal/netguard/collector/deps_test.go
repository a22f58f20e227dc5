package collector_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The collector is an adapter: its domain, the codecs, clock, logkey, Prometheus and the x/net
// and x/sys socket packages; never another adapter nor the detector (it only sees a Sink).
func TestImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	allowed := []string{
		mod + "netguard", mod + "netguard/netflow", mod + "netguard/sflow", mod + "clock", mod + "logkey",
		"github.com/prometheus/client_golang/prometheus", "golang.org/x/net/ipv4", "golang.org/x/net/ipv6", "golang.org/x/sys/unix",
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
