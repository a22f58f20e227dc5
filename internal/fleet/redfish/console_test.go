package redfish_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

var managers = map[string]string{
	redfishtest.Dell:       "/redfish/v1/Managers/iDRAC.Embedded.1",
	redfishtest.HPE:        "/redfish/v1/Managers/1/",
	redfishtest.Supermicro: "/redfish/v1/Managers/1",
}

// A console is a short-lived Operator account: created by POST on HPE and Supermicro, in a
// free fixed slot on iDRAC; it logs in; closing it removes the account and ends its sessions;
// closing twice is fine.
func TestConsole(t *testing.T) {
	t.Parallel()
	for _, vendor := range redfishtest.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv := redfishtest.New(t, vendor, redfishtest.Options{})
			d := newDriver(t, srv, nil)
			c, err := d.OpenConsole(ctx, 15*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != fleet.ConsoleGraphical || !slices.Equal(c.ConnectTypes, []string{"KVMIP"}) || c.URL != srv.URL+"/" ||
				len(c.Username) != 12 || len(string(c.Password)) != 16 || c.Ref == "" {
				t.Fatalf("console %+v", c)
			}
			if got := srv.Accounts(); !slices.Equal(got, []string{c.Username}) {
				t.Fatalf("BMC accounts %v, want %s", got, c.Username)
			}
			if vendor == redfishtest.Dell {
				slot := srv.Resource("/redfish/v1/AccountService/Accounts/3")
				if slot["UserName"] != c.Username || slot["RoleId"] != "Operator" || slot["Enabled"] != true || slot["Password"] != nil {
					t.Fatalf("iDRAC slot 3 %v", slot)
				}
			}
			// the customer's credential works, in a session of its own
			bmc := fleet.BMC{Address: srv.URL, Username: c.Username, Password: c.Password}
			cust, err := redfish.New(bmc, sessionConfig())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cust.PowerState(ctx); err != nil {
				t.Fatalf("the console credential does not log in: %v", err)
			}
			if srv.SessionsOf(c.Username) != 1 {
				t.Fatalf("%d sessions of %s", srv.SessionsOf(c.Username), c.Username)
			}
			if err := d.CloseConsole(ctx, c.Ref); err != nil {
				t.Fatal(err)
			}
			if got := srv.Accounts(); len(got) != 0 || srv.SessionsOf(c.Username) != 0 {
				t.Fatalf("after close: accounts %v, %d sessions", got, srv.SessionsOf(c.Username))
			}
			late, _ := redfish.New(bmc, redfish.DefaultConfig())
			var be *fleet.BMCError
			if _, err := late.PowerState(ctx); !errors.As(err, &be) || be.Status != http.StatusUnauthorized {
				t.Fatalf("the revoked credential still works: %v", err)
			}
			if err := d.CloseConsole(ctx, c.Ref); err != nil {
				t.Fatalf("second close: %v", err)
			}
		})
	}
}

func sessionConfig() redfish.Config {
	cfg := redfish.DefaultConfig()
	cfg.Auth = redfish.AuthSession
	return cfg
}

// Without KVM the console is serial (SSH first); without any console, or without an
// AccountService, the BMC does not support it; an AccountService answering garbage is a clear
// BMC error.
func TestConsoleKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redfishtest.New(t, redfishtest.Supermicro, redfishtest.Options{})
	srv.Set(managers[redfishtest.Supermicro], "GraphicalConsole", map[string]any{"ServiceEnabled": false, "ConnectTypesSupported": []any{"KVMIP"}})
	c, err := newDriver(t, srv, nil).OpenConsole(ctx, time.Minute)
	if err != nil || c.Kind != fleet.ConsoleSerial || c.URL != "ssh://"+c.Username+"@127.0.0.1" {
		t.Fatalf("serial console %+v %v", c, err)
	}
	srv.Set(managers[redfishtest.Supermicro], "SerialConsole", map[string]any{"ServiceEnabled": false})
	if _, err := newDriver(t, srv, nil).OpenConsole(ctx, time.Minute); !errors.Is(err, fleet.ErrUnsupported) {
		t.Fatalf("no console: %v", err)
	}

	hpe := redfishtest.New(t, redfishtest.HPE, redfishtest.Options{})
	hpe.Set("/redfish/v1/", "AccountService", nil)
	if _, err := newDriver(t, hpe, nil).OpenConsole(ctx, time.Minute); !errors.Is(err, fleet.ErrUnsupported) || !strings.Contains(errs.Public(err), "AccountService") {
		t.Fatalf("no AccountService: %v", err)
	}

	dell := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	dell.Intercept(redfishtest.Respond("GET", "/redfish/v1/AccountService", http.StatusOK, "application/json", "<html>busy</html>"))
	_, err = newDriver(t, dell, nil).OpenConsole(ctx, time.Minute)
	var be *fleet.BMCError
	if !errors.As(err, &be) || fleet.Temporary(err) {
		t.Fatalf("garbage AccountService: %v", err)
	}
	if got := dell.Accounts(); len(got) != 0 {
		t.Fatalf("accounts left after a failed open: %v", got)
	}
	if err := newDriver(t, dell, nil).CloseConsole(ctx, "nonsense"); err == nil {
		t.Fatal("a bad reference closes")
	}
}
