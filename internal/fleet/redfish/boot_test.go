package redfish_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

func TestSetBootDevice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		vendor     string
		sys        string
		dev        fleet.BootDevice
		persistent bool
		wantBody   string
		wantIfMat  string // "" when the ETag comes from the GET header
	}{
		{name: "dell pxe once", vendor: redfishtest.Dell, sys: dellSys, dev: fleet.BootPXE,
			wantBody: `{"Boot":{"BootSourceOverrideEnabled":"Once","BootSourceOverrideTarget":"Pxe"}}`},
		{name: "dell disk persistent", vendor: redfishtest.Dell, sys: dellSys, dev: fleet.BootDisk, persistent: true,
			wantBody: `{"Boot":{"BootSourceOverrideEnabled":"Continuous","BootSourceOverrideTarget":"Hdd"}}`},
		{name: "hpe cdrom once, etag from the body", vendor: redfishtest.HPE, sys: hpeSys, dev: fleet.BootCDROM,
			wantBody: `{"Boot":{"BootSourceOverrideEnabled":"Once","BootSourceOverrideTarget":"Cd"}}`, wantIfMat: `W/"8A1D33E2"`},
		{name: "supermicro bios once", vendor: redfishtest.Supermicro, sys: smcSys, dev: fleet.BootBIOS,
			wantBody: `{"Boot":{"BootSourceOverrideEnabled":"Once","BootSourceOverrideTarget":"BiosSetup"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, tt.vendor, redfishtest.Options{})
			d := newDriver(t, srv, nil)
			if err := d.SetBootDevice(t.Context(), tt.dev, tt.persistent); err != nil {
				t.Fatal(err)
			}
			calls := srv.Calls()
			if diff := cmp.Diff([]req{{"PATCH", tt.sys, tt.wantBody}}, writes(calls)); diff != "" {
				t.Fatalf("writes (-want +got):\n%s", diff)
			}
			patch := calls[len(calls)-1]
			want := tt.wantIfMat
			if want == "" {
				want = `W/"E7A90001"` // the first version of the resource, as its GET announced
			}
			if got := patch.Header.Get("If-Match"); got != want {
				t.Errorf("If-Match = %q, want %q", got, want)
			}
		})
	}
}

// PXE once: the override is used by the next boot and then cleared by the BMC.
func TestPXEOnceThenPowerOn(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	d := newDriver(t, srv, nil)
	ctx := t.Context()
	if err := d.SetBootDevice(ctx, fleet.BootPXE, false); err != nil {
		t.Fatal(err)
	}
	if err := d.SetPower(ctx, fleet.PowerOn); err != nil {
		t.Fatal(err)
	}
	if err := d.SetPower(ctx, fleet.PowerReset); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Pxe", "None"}, srv.Boots()); diff != "" {
		t.Errorf("boots (-want +got):\n%s", diff)
	}
	want := []req{
		{"PATCH", dellSys, `{"Boot":{"BootSourceOverrideEnabled":"Once","BootSourceOverrideTarget":"Pxe"}}`},
		{"POST", dellPost, `{"ResetType":"On"}`},
		{"POST", dellPost, `{"ResetType":"ForceRestart"}`},
	}
	if diff := cmp.Diff(want, writes(srv.Calls())); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

func TestSetBootDeviceNotAllowed(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	srv.Set(dellSys, "Boot", map[string]any{
		"BootSourceOverrideEnabled":                        "Disabled",
		"BootSourceOverrideTarget":                         "None",
		"BootSourceOverrideTarget@Redfish.AllowableValues": []string{"None", "Pxe", "Hdd"},
	})
	err := newDriver(t, srv, nil).SetBootDevice(t.Context(), fleet.BootCDROM, false)
	if !errors.Is(err, fleet.ErrUnsupported) {
		t.Fatalf("SetBootDevice(cdrom) = %v, want ErrUnsupported", err)
	}
	if w := writes(srv.Calls()); len(w) != 0 {
		t.Errorf("writes = %v, want none", w)
	}
}

// A 412 (the system changed between GET and PATCH) is retried once with the new ETag.
func TestSetBootDeviceRetriesStaleETag(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	var patches atomic.Int32
	srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPatch || patches.Add(1) > 1 {
			return false
		}
		srv.Set(dellSys, "IndicatorLED", "Blinking") // someone else changed it
		w.WriteHeader(http.StatusPreconditionFailed)
		_, _ = w.Write([]byte(redfishtest.ErrorBody("Base.1.8.PreconditionFailed", "The ETag supplied did not match.")))
		return true
	})
	if err := newDriver(t, srv, nil).SetBootDevice(t.Context(), fleet.BootPXE, false); err != nil {
		t.Fatal(err)
	}
	var ifMatch []string
	for _, c := range srv.Calls() {
		if c.Method == http.MethodPatch {
			ifMatch = append(ifMatch, c.Header.Get("If-Match"))
		}
	}
	if diff := cmp.Diff([]string{`W/"E7A90001"`, `W/"E7A90002"`}, ifMatch); diff != "" {
		t.Errorf("If-Match of the PATCHes (-want +got):\n%s", diff)
	}
}
