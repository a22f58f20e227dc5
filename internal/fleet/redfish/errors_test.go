package redfish_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

// Every way a BMC can answer badly gives a *fleet.BMCError saying what went wrong.
func TestBadAnswers(t *testing.T) {
	t.Parallel()
	redirect := func(to string) redfishtest.Hook {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != dellSys {
				return false
			}
			http.Redirect(w, r, to, http.StatusFound)
			return true
		}
	}
	tests := []struct {
		name      string
		hook      func(*redfishtest.Server) redfishtest.Hook
		mod       func(*redfish.Config)
		bmc       func(fleet.BMC) fleet.BMC
		call      func(context.Context, *redfish.Driver) error
		status    int
		code      string
		msg       string // substring of the error text
		temporary bool
		is        error
	}{
		{
			name: "500 with ExtendedInfo",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("POST", dellPost, 500, "application/json",
					redfishtest.ErrorBody("IDRAC.2.8.SYS446", "Unable to perform the operation because an internal error occurred."))
			},
			call:   func(ctx context.Context, d *redfish.Driver) error { return d.SetPower(ctx, fleet.PowerOn) },
			status: 500, code: "IDRAC.2.8.SYS446", msg: "Unable to perform the operation because an internal error occurred.",
			temporary: true,
		},
		{
			name: "error.message without ExtendedInfo",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 503, "application/json",
					`{"error":{"code":"Base.1.8.ServiceTemporarilyUnavailable","message":"The service is temporarily unavailable."}}`)
			},
			status: 503, code: "Base.1.8.ServiceTemporarilyUnavailable", msg: "The service is temporarily unavailable.",
			temporary: true,
		},
		{
			name: "HTML login page instead of JSON",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 200, "text/html",
					"<!DOCTYPE html>\n<html><head><title>iDRAC9 - Login</title></head><body>...</body></html>")
			},
			status: 200, msg: `answered HTML instead of JSON ("iDRAC9 - Login")`,
		},
		{
			name: "HTML 502 from a proxy",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 502, "text/html",
					"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
			},
			status: 502, msg: `Bad Gateway: non-JSON answer ("502 Bad Gateway")`, temporary: true,
		},
		{
			name: "truncated JSON",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 200, "application/json", `{"PowerState": "On", "Boot": {`)
			},
			status: 200, msg: "invalid JSON answer: unexpected end of JSON input",
		},
		{
			name: "JSON of the wrong shape",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 200, "application/json", `{"PowerState": 1}`)
			},
			status: 200, msg: "invalid JSON answer: json: cannot unmarshal number",
		},
		{
			name: "empty answer",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 200, "application/json", "")
			},
			status: 200, msg: "empty answer, want JSON",
		},
		{
			name: "plain text error",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 400, "text/plain", "bad\x00 request\n\x1b[31m")
			},
			status: 400, msg: "Bad Request: non-Redfish answer (text/plain)",
		},
		{
			name:   "wrong password",
			bmc:    func(b fleet.BMC) fleet.BMC { b.Password = "wrong"; return b },
			status: 401, code: "Base.1.8.InsufficientPrivilege", msg: "authentication refused: There are insufficient privileges",
		},
		{
			name:   "wrong password, session login",
			bmc:    func(b fleet.BMC) fleet.BMC { b.Password = "wrong"; return b },
			mod:    session,
			status: 401, code: "Base.1.8.NoValidSession", msg: "authentication refused",
		},
		{
			name:   "configured system missing",
			mod:    func(c *redfish.Config) { c.SystemID = "System.Embedded.2" },
			status: 404, msg: `ComputerSystem "System.Embedded.2" not found among /redfish/v1/Systems/System.Embedded.1`,
		},
		{
			name: "404 on the system",
			hook: func(*redfishtest.Server) redfishtest.Hook {
				return redfishtest.Respond("GET", dellSys, 404, "application/json",
					redfishtest.ErrorBody("Base.1.8.ResourceMissingAtURI", "The resource at the URI "+dellSys+" was not found."))
			},
			status: 404, code: "Base.1.8.ResourceMissingAtURI", msg: "was not found",
		},
		{
			name: "redirect loop",
			hook: func(*redfishtest.Server) redfishtest.Hook { return redirect(dellSys) },
			msg:  "stopped after 3 redirects (redirect loop?)",
		},
		{
			name: "redirect to another host",
			hook: func(*redfishtest.Server) redfishtest.Hook { return redirect("http://198.18.0.99/redfish/v1/Systems/1") },
			msg:  `refused redirect to another host "198.18.0.99"`,
		},
		{
			name:   "answer too large",
			mod:    func(c *redfish.Config) { c.MaxBodyBytes = 512 },
			status: 200, msg: "answer larger than 512 bytes",
		},
		{
			name: "timeout from the context deadline",
			hook: func(s *redfishtest.Server) redfishtest.Hook { return s.Hang("GET", dellSys) },
			call: func(ctx context.Context, d *redfish.Driver) error {
				ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				_, err := d.PowerState(ctx)
				return err
			},
			msg: "timed out", temporary: true, is: context.DeadlineExceeded,
		},
		{
			name: "timeout from the config",
			hook: func(s *redfishtest.Server) redfishtest.Hook { return s.Hang("GET", dellSys) },
			mod:  func(c *redfish.Config) { c.Timeout = 50 * time.Millisecond },
			msg:  "timed out", temporary: true, is: context.DeadlineExceeded,
		},
		{
			name: "cancelled by the caller",
			call: func(ctx context.Context, d *redfish.Driver) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := d.PowerState(ctx)
				return err
			},
			is: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
			if tt.hook != nil {
				srv.Intercept(tt.hook(srv))
			}
			cfg := redfish.DefaultConfig()
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			bmc := srv.BMC()
			if tt.bmc != nil {
				bmc = tt.bmc(bmc)
			}
			d, err := redfish.New(bmc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			call := tt.call
			if call == nil {
				call = func(ctx context.Context, d *redfish.Driver) error { _, err := d.PowerState(ctx); return err }
			}
			err = call(t.Context(), d)
			var be *fleet.BMCError
			if !errors.As(err, &be) {
				t.Fatalf("error %v (%T), want a *fleet.BMCError", err, err)
			}
			if be.Status != tt.status || be.Code != tt.code {
				t.Errorf("status %d code %q, want %d %q", be.Status, be.Code, tt.status, tt.code)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if be.Temporary() != tt.temporary || fleet.Temporary(err) != tt.temporary {
				t.Errorf("Temporary() = %v, want %v", be.Temporary(), tt.temporary)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if strings.ContainsAny(err.Error(), "\x00\x1b\n") {
				t.Errorf("error text carries control characters: %q", err)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	bmc := srv.BMC()
	srv.Close()
	d, err := redfish.New(bmc, redfish.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.PowerState(t.Context())
	var be *fleet.BMCError
	if !errors.As(err, &be) || be.Status != 0 || !strings.Contains(err.Error(), "GET /redfish/v1") {
		t.Fatalf("PowerState on a closed server = %v, want a *fleet.BMCError without status", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		address string
		mod     func(*redfish.Config)
		wantErr string
	}{
		{name: "host", address: "198.18.7.1"},
		{name: "host and port", address: "bmc-rbx1-0001.mgmt.example:8443"},
		{name: "https URL", address: "https://198.18.7.1/"},
		{name: "IPv6", address: "[2001:db8::1]:443"},
		{name: "empty", address: "", wantErr: "empty address"},
		{name: "ftp", address: "ftp://198.18.7.1", wantErr: `scheme "ftp"`},
		{name: "no host", address: "https://:443", wantErr: "no host"},
		{name: "bad port", address: "198.18.7.1:99999", wantErr: `bad port "99999"`},
		{name: "bad auth", address: "198.18.7.1", mod: func(c *redfish.Config) { c.Auth = "digest" }, wantErr: `auth must be`},
		{name: "no timeout", address: "198.18.7.1", mod: func(c *redfish.Config) { c.Timeout = 0 }, wantErr: "timeout must be positive"},
		{name: "bad CA", address: "198.18.7.1", mod: func(c *redfish.Config) { c.CACert = "not a pem" }, wantErr: "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := redfish.DefaultConfig()
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			_, err := redfish.New(fleet.BMC{Address: tt.address, Username: "root", Password: "calvin"}, cfg)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New(%q) = %v, want error containing %q", tt.address, err, tt.wantErr)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mod     func(c *redfish.Config, ca string)
		wantErr string
	}{
		{name: "unknown authority", mod: func(*redfish.Config, string) {}, wantErr: "certificate"},
		{name: "configured CA", mod: func(c *redfish.Config, ca string) { c.CACert = ca }},
		{name: "insecure", mod: func(c *redfish.Config, _ string) { c.Insecure = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, redfishtest.Supermicro, redfishtest.Options{TLS: true})
			if !strings.HasPrefix(srv.URL, "https://") {
				t.Fatalf("URL %s is not https", srv.URL)
			}
			d := newDriver(t, srv, func(c *redfish.Config) { tt.mod(c, srv.CACert()) })
			_, err := d.PowerState(t.Context())
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("PowerState = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// One driver serves many goroutines; discovery runs once.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	d := newDriver(t, srv, session)
	errc := make(chan error, 16)
	for range 16 {
		go func() {
			_, err := d.PowerState(t.Context())
			errc <- err
		}()
	}
	for range 16 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	for _, c := range srv.Calls() {
		count[c.Method+" "+c.Path]++
	}
	if count["GET /redfish/v1/Systems"] != 1 || count["POST /redfish/v1/SessionService/Sessions"] != 1 || count["GET "+dellSys] != 16 {
		t.Errorf("requests %v: want one discovery, one login, 16 reads", count)
	}
}
