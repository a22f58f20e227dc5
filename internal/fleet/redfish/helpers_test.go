package redfish_test

import (
	"encoding/json"
	"testing"

	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

// newDriver returns a driver for srv with the default config changed by mod.
func newDriver(tb testing.TB, srv *redfishtest.Server, mod func(*redfish.Config)) *redfish.Driver {
	tb.Helper()
	cfg := redfish.DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	d, err := redfish.New(srv.BMC(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

// req is a recorded call without its headers.
type req struct{ Method, Path, Body string }

func requests(calls []redfishtest.Call) []req {
	out := make([]req, 0, len(calls))
	for _, c := range calls {
		out = append(out, req{c.Method, c.Path, c.Body})
	}
	return out
}

// writes keeps the calls that change something.
func writes(calls []redfishtest.Call) []req {
	var out []req
	for _, r := range requests(calls) {
		if r.Method != "GET" {
			out = append(out, r)
		}
	}
	return out
}

func get(p string) req { return req{"GET", p, ""} }

func jsonBody(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
