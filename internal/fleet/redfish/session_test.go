package redfish_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

func session(c *redfish.Config) { c.Auth = redfish.AuthSession }

func TestSessionAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vendor   string
		sessions string
		sys      string
		logout   string
	}{
		{redfishtest.Dell, "/redfish/v1/SessionService/Sessions", dellSys, "/redfish/v1/SessionService/Sessions/1"},
		// iLO answers Location as an absolute URL with a trailing slash.
		{redfishtest.HPE, "/redfish/v1/SessionService/Sessions/", hpeSys, "/redfish/v1/SessionService/Sessions/1/"},
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, tt.vendor, redfishtest.Options{})
			d := newDriver(t, srv, session)
			if _, err := d.PowerState(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			systems := "/redfish/v1/Systems"
			if tt.vendor == redfishtest.HPE {
				systems += "/"
			}
			want := []req{
				get("/redfish/v1"),
				{"POST", tt.sessions, `{"Password":"calvin","UserName":"root"}`},
				get(systems),
				get(tt.sys),
				{"DELETE", tt.logout, ""},
			}
			calls := srv.Calls()
			if diff := cmp.Diff(want, requests(calls)); diff != "" {
				t.Fatalf("requests (-want +got):\n%s", diff)
			}
			for i, c := range calls {
				token, basic := c.Header.Get("X-Auth-Token"), c.Header.Get("Authorization")
				wantToken := i >= 2
				if basic != "" || (token != "") != wantToken {
					t.Errorf("call %d %s %s: Authorization=%q X-Auth-Token=%q", i, c.Method, c.Path, basic, token)
				}
			}
			if n := srv.Sessions(); n != 0 {
				t.Errorf("%d sessions left open after Close", n)
			}
		})
	}
}

// An expired session (401) logs in again once and retries.
func TestSessionExpired(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	d := newDriver(t, srv, session)
	if _, err := d.PowerState(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.ExpireSessions()
	srv.ResetCalls()
	if err := d.SetPower(t.Context(), fleet.PowerOn); err != nil {
		t.Fatal(err)
	}
	want := []req{
		get(dellSys),
		{"POST", "/redfish/v1/SessionService/Sessions", `{"Password":"calvin","UserName":"root"}`},
		get(dellSys),
		{"POST", dellPost, `{"ResetType":"On"}`},
	}
	if diff := cmp.Diff(want, requests(srv.Calls())); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
