package smtp

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// The values of Config.StartTLS.
const (
	StartTLSAuto   = "auto"   // upgrade when the relay offers STARTTLS, else send in clear
	StartTLSAlways = "always" // fail unless the relay offers STARTTLS
	StartTLSNever  = "never"  // never upgrade (a relay on loopback, or tests)
)

// Config is the relay configuration, section "smtp" of the config file.
type Config struct {
	Addr         string        `yaml:"addr"`          // relay host:port
	Username     string        `yaml:"username"`      // AUTH PLAIN user; empty means no AUTH
	PasswordFile string        `yaml:"password_file"` // read by cmd/itsgow, passed to New
	StartTLS     string        `yaml:"starttls"`      // auto, always or never
	HeloName     string        `yaml:"helo"`          // name given in EHLO
	Timeout      time.Duration `yaml:"timeout"`       // bound on one whole delivery, dial to QUIT
}

// DefaultConfig returns a relay on localhost:25, opportunistic STARTTLS and no AUTH.
func DefaultConfig() Config {
	return Config{
		Addr:     "localhost:25",
		StartTLS: StartTLSAuto,
		HeloName: "localhost",
		Timeout:  30 * time.Second,
	}
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var problems []error
	if err := validateAddr(c.Addr); err != nil {
		problems = append(problems, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	switch c.StartTLS {
	case StartTLSAuto, StartTLSAlways, StartTLSNever:
	default:
		problems = append(problems, fmt.Errorf("starttls %q: want auto, always or never", c.StartTLS))
	}
	if c.HeloName == "" || len(c.HeloName) > 255 || strings.ContainsFunc(c.HeloName, notVisible) {
		problems = append(problems, fmt.Errorf("helo %q: want a host name of printable ASCII", c.HeloName))
	}
	if c.Timeout <= 0 {
		problems = append(problems, fmt.Errorf("timeout %v: must be positive", c.Timeout))
	}
	if strings.ContainsFunc(c.Username, notVisible) {
		problems = append(problems, fmt.Errorf("username %q: want printable ASCII", c.Username))
	}
	if c.Username != "" && c.PasswordFile == "" {
		problems = append(problems, errors.New("password_file: required with username"))
	}
	if c.Username == "" && c.PasswordFile != "" {
		problems = append(problems, errors.New("password_file: set without username"))
	}
	if len(problems) > 0 {
		return fmt.Errorf("smtp config: %w", errors.Join(problems...))
	}
	return nil
}

func validateAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("missing host")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return errors.New("port must be 1 to 65535")
	}
	return nil
}

// notVisible reports a rune outside printable ASCII, space included.
func notVisible(r rune) bool { return r <= ' ' || r > '~' }
