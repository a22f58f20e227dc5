package redfish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Compile-time guards: the capabilities a Redfish BMC offers.
var (
	_ fleet.PowerGetter          = (*Driver)(nil)
	_ fleet.PowerSetter          = (*Driver)(nil)
	_ fleet.BootDeviceSetter     = (*Driver)(nil)
	_ fleet.VirtualMediaInserter = (*Driver)(nil)
	_ fleet.InventoryGetter      = (*Driver)(nil)
)

// Driver talks to one BMC. Build it with New; it does no I/O until the first call.
type Driver struct {
	cfg       Config
	bmc       fleet.BMC
	base      *url.URL // scheme://host[:port]
	hc        *http.Client
	transport *http.Transport

	discoverMu sync.Mutex // serialises discovery; taken before loginMu, never after
	loginMu    sync.Mutex // serialises logins
	mu         sync.Mutex // guards the fields below; never held during I/O
	sessions   string     // SessionService sessions collection, from the service root
	system     string     // the ComputerSystem discovery picked
	media      string     // the CD/DVD VirtualMedia discovery picked
	token      string     // X-Auth-Token of the session, AuthSession only
	session    string     // the session's URI, deleted by Close
}

// New returns a driver for bmc. It validates cfg and the address; it does not connect.
func New(bmc fleet.BMC, cfg Config) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, err := parseAddress(bmc.Address)
	if err != nil {
		return nil, fmt.Errorf("redfish bmc address %q: %w", bmc.Address, err)
	}
	tlsConf := &tls.Config{InsecureSkipVerify: cfg.Insecure} //nolint:gosec // operators opt in for self-signed BMCs
	if cfg.CACert != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM([]byte(cfg.CACert))
		tlsConf.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // BMCs sit on the management network, never behind a web proxy
	tr.TLSClientConfig = tlsConf
	tr.MaxIdleConnsPerHost = 2
	d := &Driver{cfg: cfg, bmc: bmc, base: base, transport: tr}
	d.hc = &http.Client{Transport: tr, CheckRedirect: d.checkRedirect}
	return d, nil
}

// Close ends the Redfish session, if any, and releases idle connections.
func (d *Driver) Close() error {
	d.mu.Lock()
	session, token := d.session, d.token
	d.session, d.token = "", ""
	d.mu.Unlock()
	defer d.transport.CloseIdleConnections()
	if session == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Timeout)
	defer cancel()
	_, err := d.send(ctx, request{method: http.MethodDelete, path: session, token: token})
	if err != nil {
		return fmt.Errorf("redfish logout %s: %w", d.base.Host, err)
	}
	return nil
}

func parseAddress(addr string) (*url.URL, error) {
	if addr == "" {
		return nil, errors.New("empty address")
	}
	if !strings.Contains(addr, "://") {
		addr = "https://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scheme %q, want https or http", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad port %q", p)
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// checkRedirect follows at most MaxRedirects redirects, and only on the BMC's own host so that
// credentials never travel elsewhere.
func (d *Driver) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > d.cfg.MaxRedirects {
		return fmt.Errorf("stopped after %d redirects (redirect loop?)", d.cfg.MaxRedirects)
	}
	if req.URL.Host != d.base.Host {
		return fmt.Errorf("refused redirect to another host %q", req.URL.Host)
	}
	return nil
}
