package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/golden"
)

func TestConfigDumpDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dumpConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "config-defaults.yaml", b)
	// the dump is itself a valid configuration that loads to the same values
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := loadConfig(path, nil)
	if err != nil {
		t.Fatalf("reloading the dump: %v", err)
	}
	b2, _ := dumpConfig(again)
	if string(b) != string(b2) {
		t.Fatal("dump does not round-trip")
	}
}

func write(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "itsgow.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigLayers(t *testing.T) {
	t.Parallel()
	path := write(t, `
data: /var/lib/itsgow
http:
  addr: 0.0.0.0:8443
  public_url: https://manager.itsgow.example
database:
  url: postgres://itsgow:s3cret@db.internal/itsgow
policy:
  mitigation_min_duration: 26h
  delivery_deadline: 7d
  spam_block_ladder: [1h, 24h, 7d]
`)
	env := []string{"ITSGOW_HTTP_ADDR=127.0.0.1:9000", "ITSGOW_POLICY_DELIVERY_DEADLINE=10d", "ITSGOW_ROLES=api,worker",
		"ITSGOW_URL=http://ignored", "ITSGOW_TOKEN=ignored", "ITSGOW_TEST_POSTGRES_URL=ignored", "HOME=/root"}
	var pf platformFlags
	pf.config, pf.httpAddr = path, "127.0.0.1:9999"
	cfg, err := pf.load(env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Data != "/var/lib/itsgow" || cfg.HTTP.Addr != "127.0.0.1:9999" || cfg.Policy.DeliveryDeadline != 10*24*time.Hour ||
		cfg.Policy.MitigationMinDuration != 26*time.Hour || strings.Join(cfg.Roles, ",") != "api,worker" ||
		cfg.Policy.SpamBlockLadder[2] != 7*24*time.Hour {
		t.Fatalf("layers not applied in order: %+v", cfg)
	}
	b, err := dumpConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), "url: REDACTED") {
		t.Fatalf("secret not redacted:\n%s", b)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown top key", "htp:\n  addr: x\n", "unknown key htp"},
		{"unknown nested key", "http:\n  adress: 127.0.0.1:1\n", "unknown key http.adress (line 2)"},
		{"unknown policy key", "policy:\n  mitigation_minimum: 1h\n", "unknown key policy.mitigation_minimum"},
		{"bad duration", "policy:\n  delivery_deadline: soon\n", "policy.delivery_deadline"},
		{"bad int", "jobs:\n  workers: many\n", "jobs.workers"},
		{"list expected", "roles: api\n", "roles: must be a list"},
		{"mapping expected", "http: 5\n", "http: must be a mapping"},
		{"invalid yaml", "http: [\n", "yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(write(t, tc.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, env, want string }{
		{"bad env duration", "ITSGOW_POLICY_MITIGATION_MIN_DURATION=abc", "ITSGOW_POLICY_MITIGATION_MIN_DURATION"},
		{"bad env bool", "ITSGOW_HTTP_ACCESS_LOG=maybe", "ITSGOW_HTTP_ACCESS_LOG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig("", []string{tc.env})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// validation of values
	var pf platformFlags
	pf.config = write(t, "roles: [api, dns]\npolicy:\n  spam_block_ladder: [24h, 1h]\n")
	_, err := pf.load(nil)
	if err == nil || !strings.Contains(err.Error(), `unknown role "dns"`) || !strings.Contains(err.Error(), "policy.spam_block_ladder") {
		t.Fatalf("validation: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"7d": 168 * time.Hour, "26h": 26 * time.Hour, "1d12h": 36 * time.Hour, "90s": 90 * time.Second} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
		if back, err := parseDuration(formatDuration(want)); err != nil || back != want {
			t.Errorf("format/parse %v = %v %v", want, back, err)
		}
	}
	for _, bad := range []string{"", "d", "-1d", "7days", "x1h"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzConfigYAML(f *testing.F) {
	f.Add([]byte("http:\n  addr: 127.0.0.1:8080\npolicy:\n  delivery_deadline: 7d\n"))
	f.Add([]byte("roles: [api]\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("policy: {spam_block_ladder: [1h, {x: 1}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, _ := loadConfig("", nil)
		_ = applyYAML(&cfg, b) // must not panic
	})
}
