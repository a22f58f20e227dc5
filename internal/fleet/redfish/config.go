package redfish

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Auth modes.
const (
	AuthBasic   = "basic"   // HTTP basic authentication on every request
	AuthSession = "session" // one SessionService login, then X-Auth-Token
)

// Config tunes the Redfish driver. It is shared by every BMC the driver talks to.
type Config struct {
	// Timeout bounds each HTTP request; a shorter deadline on the caller's context wins.
	Timeout time.Duration `yaml:"timeout"`
	// Insecure skips TLS certificate verification (BMCs often have self-signed certificates).
	Insecure bool `yaml:"insecure"`
	// CACert is a PEM bundle of the authorities that sign BMC certificates, added to the
	// system pool. cmd/itsgow loads it from ca_cert_file.
	CACert string `yaml:"-"`
	// Auth is AuthBasic (default) or AuthSession.
	Auth string `yaml:"auth"`
	// SystemID picks the ComputerSystem by Id or @odata.id; empty takes the first member.
	SystemID string `yaml:"system_id"`
	// ManagerID picks the Manager by Id or @odata.id; empty takes the system's ManagedBy link,
	// then the first member.
	ManagerID string `yaml:"manager_id"`
	// MaxRedirects is how many redirects one request may follow (same host only).
	MaxRedirects int `yaml:"max_redirects"`
	// MaxBodyBytes caps the size of any answer read.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// DefaultConfig returns the defaults: 30 s per request, basic auth, TLS verified, 3 redirects,
// 4 MiB answers.
func DefaultConfig() Config {
	return Config{Timeout: 30 * time.Second, Auth: AuthBasic, MaxRedirects: 3, MaxBodyBytes: 4 << 20}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errList []error
	if c.Timeout <= 0 {
		errList = append(errList, fmt.Errorf("timeout must be positive, got %s", c.Timeout))
	}
	if c.Auth != AuthBasic && c.Auth != AuthSession {
		errList = append(errList, fmt.Errorf("auth must be %q or %q, got %q", AuthBasic, AuthSession, c.Auth))
	}
	if c.MaxRedirects < 0 {
		errList = append(errList, fmt.Errorf("max_redirects must not be negative, got %d", c.MaxRedirects))
	}
	if c.MaxBodyBytes <= 0 {
		errList = append(errList, fmt.Errorf("max_body_bytes must be positive, got %d", c.MaxBodyBytes))
	}
	if c.CACert != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CACert)) {
		errList = append(errList, errors.New("ca_cert holds no PEM certificate"))
	}
	if err := errors.Join(errList...); err != nil {
		return fmt.Errorf("redfish config: %w", err)
	}
	return nil
}
