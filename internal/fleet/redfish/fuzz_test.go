package redfish

import (
	"net/http"
	"testing"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

// FuzzSystem feeds arbitrary bytes to what the driver does with a ComputerSystem answer:
// decode, map the power state, the inventory, and the error mapping of the same bytes as an
// error body. None of it may panic, and a failure is always a *fleet.BMCError.
func FuzzSystem(f *testing.F) {
	for _, seed := range []struct{ vendor, path string }{
		{redfishtest.Dell, "/redfish/v1/Systems/System.Embedded.1"},
		{redfishtest.HPE, "/redfish/v1/Systems/1/"},
		{redfishtest.Supermicro, "/redfish/v1/Systems/1"},
	} {
		b, err := redfishtest.Fixture(seed.vendor, seed.path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(redfishtest.ErrorBody("Base.1.8.GeneralError", "boom")))
	f.Add([]byte(`<html><title>x</title></html>`))
	f.Add([]byte(`{"ProcessorSummary":{"Count":1e9},"MemorySummary":{"TotalSystemMemoryGiB":-1e308}}`))
	f.Add([]byte(`{"PowerState":null,"Boot":null,"Actions":{"#ComputerSystem.Reset":{"ResetType@Redfish.AllowableValues":[null]}}}`))
	f.Add([]byte("\xff\xfe{"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var sys system
		err := decode("GET /redfish/v1/Systems/1", &response{status: 200, body: body}, &sys)
		if err != nil {
			if _, ok := err.(*fleet.BMCError); !ok {
				t.Fatalf("decode error %T, want *fleet.BMCError", err)
			}
			return
		}
		_ = powerState(sys.PowerState)
		inv := systemInventory(sys)
		if len(inv.CPUs) > 64 || inv.MemoryGiB < 0 {
			t.Fatalf("implausible inventory %+v", inv)
		}
		e := answerError("GET /", &http.Response{StatusCode: 500, Header: http.Header{}}, body)
		if len(e.Msg) > 4*600 || len(e.Code) > 4*110 {
			t.Fatalf("unbounded message %d/%d bytes", len(e.Msg), len(e.Code))
		}
	})
}
