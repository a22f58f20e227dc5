package fleet_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/fleet"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-calvin"
	bmc := fleet.BMC{Address: "198.19.1.11", Username: "root", Password: password, Driver: "redfish"}
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("bmc", "bmc", bmc, "password", bmc.Password, "any", struct{ B fleet.BMC }{bmc})
	marshalled, err := json.Marshal(bmc)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", bmc),
		"%+v":  fmt.Sprintf("%+v", bmc),
		"%#v":  fmt.Sprintf("%#v", bmc),
		"%s":   fmt.Sprintf("%s", bmc.Password),
		"%q":   fmt.Sprintf("%q", bmc.Password),
		"%x":   fmt.Sprintf("%x", bmc.Password),
		"json": string(marshalled),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, password) || strings.Contains(out, fmt.Sprintf("%x", password)) {
			t.Errorf("%s leaks the password: %s", name, out)
		}
	}
	if !strings.Contains(logged.String(), `"address":"198.19.1.11"`) {
		t.Errorf("slog lost the address: %s", logged.String())
	}
	if string(bmc.Password) != password {
		t.Error("the explicit conversion must give the value back")
	}
}

func TestBMCErrorTemporary(t *testing.T) {
	t.Parallel()
	timeout := timeoutError{}
	tests := []struct {
		err  *fleet.BMCError
		want bool
		text string
	}{
		{&fleet.BMCError{Op: "GET /redfish/v1", Status: 500, Msg: "internal error"}, true, "GET /redfish/v1: status 500: internal error"},
		{&fleet.BMCError{Op: "GET /", Status: 503}, true, "GET /: status 503"},
		{&fleet.BMCError{Op: "GET /", Status: 429}, true, "GET /: status 429"},
		{&fleet.BMCError{Op: "GET /", Status: 401, Msg: "authentication refused"}, false, "GET /: status 401: authentication refused"},
		{&fleet.BMCError{Op: "GET /", Status: 404}, false, "GET /: status 404"},
		{&fleet.BMCError{Op: "GET /", Status: 200, Msg: "invalid JSON answer"}, false, "GET /: status 200: invalid JSON answer"},
		{&fleet.BMCError{Op: "GET /", Msg: "timed out", Err: fmt.Errorf("dial: %w", timeout)}, true, "GET /: timed out: dial: i/o timeout"},
		{&fleet.BMCError{Op: "GET /", Err: fmt.Errorf("refused")}, false, "GET /: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Temporary(); got != tt.want {
				t.Errorf("Temporary() = %v, want %v", got, tt.want)
			}
			if got := fleet.Temporary(fmt.Errorf("redfish power on: %w", tt.err)); got != tt.want {
				t.Errorf("fleet.Temporary(wrapped) = %v, want %v", got, tt.want)
			}
			if got := tt.err.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
		})
	}
	if fleet.Temporary(fmt.Errorf("plain")) || fleet.Temporary(nil) {
		t.Error("an error that is not a *BMCError is not temporary")
	}
}

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }

func TestValid(t *testing.T) {
	t.Parallel()
	for _, a := range fleet.PowerActions() {
		if !a.Valid() {
			t.Errorf("%s not valid", a)
		}
	}
	for _, d := range []fleet.BootDevice{fleet.BootPXE, fleet.BootDisk, fleet.BootCDROM, fleet.BootBIOS} {
		if !d.Valid() {
			t.Errorf("%s not valid", d)
		}
	}
	if fleet.PowerAction("explode").Valid() || fleet.BootDevice("floppy").Valid() || fleet.PowerAction("").Valid() {
		t.Error("unknown values are valid")
	}
}
