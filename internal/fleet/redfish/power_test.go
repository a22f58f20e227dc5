package redfish_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

const (
	dellSys  = "/redfish/v1/Systems/System.Embedded.1"
	hpeSys   = "/redfish/v1/Systems/1/"
	smcSys   = "/redfish/v1/Systems/1"
	dellPost = dellSys + "/Actions/ComputerSystem.Reset"
)

func TestSetPowerExactRequests(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	d := newDriver(t, srv, nil)
	if err := d.SetPower(t.Context(), fleet.PowerOn); err != nil {
		t.Fatal(err)
	}
	want := []req{
		get("/redfish/v1"),
		get("/redfish/v1/Systems"),
		get(dellSys),
		{"POST", dellPost, `{"ResetType":"On"}`},
	}
	calls := srv.Calls()
	if diff := cmp.Diff(want, requests(calls)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	post := calls[len(calls)-1].Header
	for h, v := range map[string]string{
		"Authorization": "Basic cm9vdDpjYWx2aW4=", // root:calvin
		"Content-Type":  "application/json",
		"Accept":        "application/json",
		"Odata-Version": "4.0",
	} {
		if got := post.Get(h); got != v {
			t.Errorf("header %s = %q, want %q", h, got, v)
		}
	}
	if diff := cmp.Diff([]string{"None"}, srv.Boots()); diff != "" {
		t.Errorf("boots (-want +got):\n%s", diff)
	}
	// Discovery is cached: the next call reads the system only.
	srv.ResetCalls()
	state, err := d.PowerState(t.Context())
	if err != nil || state != fleet.PowerStateOn {
		t.Fatalf("PowerState = %v, %v; want on", state, err)
	}
	if diff := cmp.Diff([]req{get(dellSys)}, requests(srv.Calls())); diff != "" {
		t.Errorf("cached requests (-want +got):\n%s", diff)
	}
}

func TestSetPower(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		vendor    string
		sys       string
		initial   string // PowerState before
		action    fleet.PowerAction
		want      []req // requests that are not GETs
		wantGET   string
		wantState fleet.PowerState
		wantErr   error
	}{
		{name: "dell on", vendor: redfishtest.Dell, sys: dellSys, initial: "Off", action: fleet.PowerOn,
			want: []req{{"POST", dellPost, `{"ResetType":"On"}`}}, wantState: fleet.PowerStateOn},
		{name: "dell on when on does nothing", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: fleet.PowerOn,
			wantState: fleet.PowerStateOn},
		{name: "dell off is graceful", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: fleet.PowerOff,
			want: []req{{"POST", dellPost, `{"ResetType":"GracefulShutdown"}`}}, wantState: fleet.PowerStateOff},
		{name: "dell off when off does nothing", vendor: redfishtest.Dell, sys: dellSys, initial: "Off", action: fleet.PowerOff,
			wantState: fleet.PowerStateOff},
		{name: "dell force-off", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: fleet.PowerForceOff,
			want: []req{{"POST", dellPost, `{"ResetType":"ForceOff"}`}}, wantState: fleet.PowerStateOff},
		{name: "dell reset is hard", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: fleet.PowerReset,
			want: []req{{"POST", dellPost, `{"ResetType":"ForceRestart"}`}}, wantState: fleet.PowerStateOn},
		{name: "dell reset when off powers on", vendor: redfishtest.Dell, sys: dellSys, initial: "Off", action: fleet.PowerReset,
			want: []req{{"POST", dellPost, `{"ResetType":"On"}`}}, wantState: fleet.PowerStateOn},
		{name: "dell cycle", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: fleet.PowerCycle,
			want: []req{{"POST", dellPost, `{"ResetType":"PowerCycle"}`}}, wantState: fleet.PowerStateOn},
		{name: "dell soft", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: fleet.PowerSoft,
			want: []req{{"POST", dellPost, `{"ResetType":"GracefulRestart"}`}}, wantState: fleet.PowerStateOn},
		{name: "dell powering on counts as on", vendor: redfishtest.Dell, sys: dellSys, initial: "PoweringOn", action: fleet.PowerOn,
			wantState: fleet.PowerStateOn},
		{name: "dell unknown action", vendor: redfishtest.Dell, sys: dellSys, initial: "On", action: "explode",
			wantErr: fleet.ErrUnsupported, wantState: fleet.PowerStateOn},
		{name: "hpe reset keeps the trailing slash", vendor: redfishtest.HPE, sys: hpeSys, initial: "On", action: fleet.PowerReset,
			want:      []req{{"POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset/", `{"ResetType":"ForceRestart"}`}},
			wantState: fleet.PowerStateOn},
		{name: "hpe has no power cycle", vendor: redfishtest.HPE, sys: hpeSys, initial: "On", action: fleet.PowerCycle,
			wantErr: fleet.ErrUnsupported, wantState: fleet.PowerStateOn},
		{name: "supermicro force-off checks the action info", vendor: redfishtest.Supermicro, sys: smcSys, initial: "On",
			action: fleet.PowerForceOff, wantGET: "/redfish/v1/Systems/1/ResetActionInfo",
			want:      []req{{"POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", `{"ResetType":"ForceOff"}`}},
			wantState: fleet.PowerStateOff},
		{name: "supermicro action info has no power cycle", vendor: redfishtest.Supermicro, sys: smcSys, initial: "On",
			action: fleet.PowerCycle, wantGET: "/redfish/v1/Systems/1/ResetActionInfo",
			wantErr: fleet.ErrUnsupported, wantState: fleet.PowerStateOn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, tt.vendor, redfishtest.Options{})
			srv.Set(tt.sys, "PowerState", tt.initial)
			d := newDriver(t, srv, nil)
			err := d.SetPower(t.Context(), tt.action)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetPower(%s) = %v, want %v", tt.action, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, writes(srv.Calls())); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if tt.wantGET != "" {
				found := false
				for _, c := range srv.Calls() {
					found = found || (c.Method == "GET" && c.Path == tt.wantGET)
				}
				if !found {
					t.Errorf("no GET %s in %v", tt.wantGET, requests(srv.Calls()))
				}
			}
			got, err := d.PowerState(t.Context())
			if err != nil || got != tt.wantState {
				t.Errorf("PowerState = %v, %v; want %v", got, err, tt.wantState)
			}
		})
	}
}

func TestPowerStateUnknown(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	srv.Set(dellSys, "PowerState", "Paused")
	got, err := newDriver(t, srv, nil).PowerState(context.Background())
	if err != nil || got != fleet.PowerStateUnknown {
		t.Fatalf("PowerState = %v, %v; want unknown", got, err)
	}
}
