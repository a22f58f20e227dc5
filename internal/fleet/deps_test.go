package fleet_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The fleet packages import what their package docs say, and nothing else.
func TestImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/itsgow/itsgow/internal/"
	tests := []struct {
		dir     string
		allowed []string
		noIO    bool
	}{
		{".", []string{mod + "clock", mod + "errs", mod + "account", mod + "jobs", mod + "logkey", mod + "notify", mod + "policy", "golang.org/x/crypto/ssh"}, true},
		{"ipmi", []string{mod + "fleet", "github.com/bougou/go-ipmi/pkg/client", "github.com/bougou/go-ipmi/pkg/command/app", "github.com/bougou/go-ipmi/pkg/command/chassis",
			"github.com/bougou/go-ipmi/pkg/command/transport", "github.com/bougou/go-ipmi/pkg/types"}, false},
		{"probe", []string{mod + "fleet", "golang.org/x/net/icmp", "golang.org/x/net/ipv4"}, false},
		{"redfish", []string{mod + "fleet", mod + "errs"}, false},
		{"redfish/redfishtest", []string{mod + "fleet"}, false},
		{"simlab", []string{mod + "fleet", mod + "clock", mod + "errs"}, true},
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
				if tt.noIO && (imp == "net" || imp == "os" || strings.HasPrefix(imp, "net/http") || imp == "database/sql") {
					t.Errorf("%s imports %s: it does no I/O", tt.dir, imp)
				}
				if tt.dir != "redfish/redfishtest" && (imp == "testing" || strings.HasSuffix(imp, "test")) {
					t.Errorf("%s imports the test package %s", tt.dir, imp)
				}
			}
		})
	}
}
