package redfish_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

const (
	iso1 = "https://images.itsgow.example/debian-13-amd64.iso"
	iso2 = "https://images.itsgow.example/rescue-2026.1.iso"
)

func TestInsertMediaExactRequests(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	d := newDriver(t, srv, nil)
	if err := d.InsertMedia(t.Context(), iso1); err != nil {
		t.Fatal(err)
	}
	const vm = "/redfish/v1/Managers/iDRAC.Embedded.1/VirtualMedia"
	want := []req{
		get("/redfish/v1"),
		get("/redfish/v1/Systems"),
		get(dellSys),
		get("/redfish/v1/Managers/iDRAC.Embedded.1"),
		get(vm),
		get(vm + "/RemovableDisk"),
		get(vm + "/CD"),
		get(vm + "/CD"),
		{"POST", vm + "/CD/Actions/VirtualMedia.InsertMedia", `{"Image":"` + iso1 + `","Inserted":true,"WriteProtected":true}`},
	}
	if diff := cmp.Diff(want, requests(srv.Calls())); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	cd := srv.Resource(vm + "/CD")
	if cd["Image"] != iso1 || cd["Inserted"] != true {
		t.Errorf("CD = %v, want %s inserted", cd, iso1)
	}
}

func TestVirtualMedia(t *testing.T) {
	t.Parallel()
	type step struct {
		insert string // "" ejects
		want   []req  // the requests that are not GETs
	}
	const (
		dellCD = "/redfish/v1/Managers/iDRAC.Embedded.1/VirtualMedia/CD"
		hpeCD  = "/redfish/v1/Managers/1/VirtualMedia/2/"
		smcCD  = "/redfish/v1/Managers/1/VirtualMedia/CD1"
	)
	ins := func(image string) string {
		return `{"Image":"` + image + `","Inserted":true,"WriteProtected":true}`
	}
	tests := []struct {
		name   string
		vendor string
		cd     string
		steps  []step
	}{
		{name: "dell actions", vendor: redfishtest.Dell, cd: dellCD, steps: []step{
			{insert: iso1, want: []req{{"POST", dellCD + "/Actions/VirtualMedia.InsertMedia", ins(iso1)}}},
			{insert: iso1},
			{insert: iso2, want: []req{
				{"POST", dellCD + "/Actions/VirtualMedia.EjectMedia", `{}`},
				{"POST", dellCD + "/Actions/VirtualMedia.InsertMedia", ins(iso2)},
			}},
			{want: []req{{"POST", dellCD + "/Actions/VirtualMedia.EjectMedia", `{}`}}},
			{},
		}},
		{name: "hpe patch fallback", vendor: redfishtest.HPE, cd: hpeCD, steps: []step{
			{insert: iso1, want: []req{{"PATCH", hpeCD, ins(iso1)}}},
			{insert: iso1},
			{insert: iso2, want: []req{
				{"PATCH", hpeCD, `{"Image":null,"Inserted":false}`},
				{"PATCH", hpeCD, ins(iso2)},
			}},
			{want: []req{{"PATCH", hpeCD, `{"Image":null,"Inserted":false}`}}},
			{},
		}},
		{name: "supermicro CD1", vendor: redfishtest.Supermicro, cd: smcCD, steps: []step{
			{insert: iso1, want: []req{{"POST", smcCD + "/Actions/VirtualMedia.InsertMedia", ins(iso1)}}},
			{want: []req{{"POST", smcCD + "/Actions/VirtualMedia.EjectMedia", `{}`}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, tt.vendor, redfishtest.Options{})
			d := newDriver(t, srv, nil)
			for i, st := range tt.steps {
				srv.ResetCalls()
				var err error
				if st.insert != "" {
					err = d.InsertMedia(t.Context(), st.insert)
				} else {
					err = d.EjectMedia(t.Context())
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if diff := cmp.Diff(st.want, writes(srv.Calls())); diff != "" {
					t.Errorf("step %d writes (-want +got):\n%s", i, diff)
				}
				cd := srv.Resource(tt.cd)
				inserted := st.insert != ""
				if cd["Inserted"] != inserted || (inserted && cd["Image"] != st.insert) {
					t.Errorf("step %d: CD Image=%v Inserted=%v, want %q inserted=%v", i, cd["Image"], cd["Inserted"], st.insert, inserted)
				}
			}
		})
	}
}

// HPE's PATCH carries the VirtualMedia's @odata.etag, which changes after each PATCH.
func TestInsertMediaIfMatch(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.HPE, redfishtest.Options{})
	d := newDriver(t, srv, nil)
	if err := d.InsertMedia(t.Context(), iso1); err != nil {
		t.Fatal(err)
	}
	if err := d.InsertMedia(t.Context(), iso2); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range srv.Calls() {
		if c.Method == "PATCH" {
			got = append(got, c.Header.Get("If-Match"))
		}
	}
	want := []string{`W/"AFF3D1B1"`, `W/"E7A90002"`, `W/"E7A90003"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("If-Match (-want +got):\n%s", diff)
	}
}

func TestInsertMediaBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "debian.iso", "ftp://images.example/debian.iso", "https:///debian.iso", "::"} {
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
			err := newDriver(t, srv, nil).InsertMedia(t.Context(), u)
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("InsertMedia(%q) = %v, want an Invalid error", u, err)
			}
			if n := len(srv.Calls()); n != 0 {
				t.Errorf("%d requests sent for a bad URL", n)
			}
		})
	}
}

func TestNoVirtualMedia(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	srv.Set("/redfish/v1/Managers/iDRAC.Embedded.1", "VirtualMedia", nil)
	err := newDriver(t, srv, nil).InsertMedia(t.Context(), iso1)
	if !errors.Is(err, fleet.ErrUnsupported) {
		t.Fatalf("InsertMedia = %v, want ErrUnsupported", err)
	}
}
