package smtp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/notify/smtp"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		modify  func(c *smtp.Config)
		wantErr []string // substrings of the error; none when valid
	}{
		{"default", func(*smtp.Config) {}, nil},
		{"submission with auth", func(c *smtp.Config) {
			c.Addr, c.StartTLS = "relay.itsgow.example:587", smtp.StartTLSAlways
			c.Username, c.PasswordFile = "itsgow@itsgow.example", "/run/secrets/smtp"
		}, nil},
		{"ipv6 relay", func(c *smtp.Config) { c.Addr, c.StartTLS = "[::1]:25", smtp.StartTLSNever }, nil},
		{"addr without port", func(c *smtp.Config) { c.Addr = "relay.example" }, []string{"addr"}},
		{"addr empty", func(c *smtp.Config) { c.Addr = "" }, []string{"addr"}},
		{"addr without host", func(c *smtp.Config) { c.Addr = ":25" }, []string{"missing host"}},
		{"port zero", func(c *smtp.Config) { c.Addr = "relay.example:0" }, []string{"port"}},
		{"port too big", func(c *smtp.Config) { c.Addr = "relay.example:70000" }, []string{"port"}},
		{"port name", func(c *smtp.Config) { c.Addr = "relay.example:smtp" }, []string{"port"}},
		{"starttls empty", func(c *smtp.Config) { c.StartTLS = "" }, []string{"starttls"}},
		{"starttls unknown", func(c *smtp.Config) { c.StartTLS = "yes" }, []string{"starttls"}},
		{"helo empty", func(c *smtp.Config) { c.HeloName = "" }, []string{"helo"}},
		{"helo with space", func(c *smtp.Config) { c.HeloName = "mail itsgow" }, []string{"helo"}},
		{"helo with newline", func(c *smtp.Config) { c.HeloName = "a\r\nRSET" }, []string{"helo"}},
		{"timeout zero", func(c *smtp.Config) { c.Timeout = 0 }, []string{"timeout"}},
		{"timeout negative", func(c *smtp.Config) { c.Timeout = -time.Second }, []string{"timeout"}},
		{"username without password file", func(c *smtp.Config) { c.Username = "itsgow" }, []string{"password_file: required"}},
		{"password file without username", func(c *smtp.Config) { c.PasswordFile = "/run/secrets/smtp" }, []string{"password_file: set without"}},
		{"username with space", func(c *smtp.Config) {
			c.Username, c.PasswordFile = "its gow", "/run/secrets/smtp"
		}, []string{"username"}},
		{"every problem reported", func(c *smtp.Config) { *c = smtp.Config{} }, []string{"addr", "starttls", "helo", "timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := smtp.DefaultConfig()
			tt.modify(&cfg)
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v, want errors about %q", cfg, tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate = %v, want it to mention %q", err, want)
				}
			}
		})
	}
}
