package redfish

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Compile-time guards: the console capabilities.
var (
	_ fleet.ConsoleOpener = (*Driver)(nil)
	_ fleet.ConsoleCloser = (*Driver)(nil)
)

// consoleRole is the Redfish role of a console credential: Operator may use the consoles and
// power the system, not manage the BMC's accounts or network (DSP8011 standard roles).
const consoleRole = "Operator"

// OpenConsole reads the consoles the Manager offers (GraphicalConsole, else SerialConsole, with
// their ConnectTypesSupported) and creates a short-lived BMC account for the customer in the
// AccountService: POST to the Accounts collection, or, on BMCs with fixed account slots that
// refuse it (iDRAC), a PATCH of the first empty slot. CloseConsole removes it. The URL is the
// BMC's web interface for KVM over IP, ssh:// or ipmi:// for a serial console. A Manager without
// an enabled console, or a BMC without an AccountService, is fleet.ErrUnsupported.
//
// The driver does not enforce ttl: the platform revokes the account when the session ends.
func (d *Driver) OpenConsole(ctx context.Context, _ time.Duration) (fleet.Console, error) {
	c, err := d.openConsole(ctx)
	if err != nil {
		return fleet.Console{}, fmt.Errorf("redfish console %s: %w", d.base.Host, err)
	}
	return c, nil
}

func (d *Driver) openConsole(ctx context.Context) (fleet.Console, error) {
	sys, _, _, err := d.getSystem(ctx)
	if err != nil {
		return fleet.Console{}, err
	}
	mgr, err := d.managerPath(ctx, sys)
	if err != nil {
		return fleet.Console{}, err
	}
	if mgr == "" {
		return fleet.Console{}, fleet.Unsupported("the management controller lists no Manager, hence no console")
	}
	var m manager
	if _, err := d.getJSON(ctx, mgr, &m); err != nil {
		return fleet.Console{}, err
	}
	kind, types := m.console()
	if kind == "" {
		return fleet.Console{}, fleet.Unsupported("the management controller offers no enabled graphical or serial console")
	}
	user, pw := newCredential()
	ref, err := d.createAccount(ctx, user, pw)
	if err != nil {
		return fleet.Console{}, err
	}
	c := fleet.Console{Kind: kind, ConnectTypes: types, Username: user, Password: fleet.Secret(pw), Ref: ref}
	switch {
	case kind == fleet.ConsoleGraphical:
		c.URL = d.base.String() + "/"
	case slices.Contains(types, "SSH"):
		c.URL = "ssh://" + user + "@" + d.base.Hostname()
	case slices.Contains(types, "IPMI"):
		c.URL = "ipmi://" + d.base.Hostname()
	default:
		c.URL = d.base.String() + "/"
	}
	return c, nil
}

// console picks the console to hand out: KVM over IP first, then serial.
func (m manager) console() (fleet.ConsoleKind, []string) {
	if g := m.GraphicalConsole; g != nil && g.ServiceEnabled && len(g.ConnectTypesSupported) > 0 {
		return fleet.ConsoleGraphical, g.ConnectTypesSupported
	}
	if s := m.SerialConsole; s != nil && s.ServiceEnabled && len(s.ConnectTypesSupported) > 0 {
		return fleet.ConsoleSerial, s.ConnectTypesSupported
	}
	return "", nil
}

// A console reference is "post|USER|PATH" (an account the driver created, deleted on close) or
// "slot|USER|PATH" (a fixed slot it filled, emptied on close).
const (
	refPost = "post"
	refSlot = "slot"
)

func (d *Driver) accountsPath(ctx context.Context) (string, error) {
	root, err := d.serviceRoot(ctx)
	if err != nil {
		return "", err
	}
	if root.AccountService.ID == "" {
		return "", fleet.Unsupported("the management controller has no AccountService to make a console credential")
	}
	var as accountService
	if _, err := d.getJSON(ctx, root.AccountService.ID, &as); err != nil {
		return "", err
	}
	if as.Accounts.ID == "" {
		return "", &fleet.BMCError{Op: "GET " + root.AccountService.ID, Msg: "the AccountService lists no Accounts collection"}
	}
	return as.Accounts.ID, nil
}

func (d *Driver) createAccount(ctx context.Context, user, pw string) (string, error) {
	coll, err := d.accountsPath(ctx)
	if err != nil {
		return "", err
	}
	body := map[string]any{"UserName": user, "Password": pw, "RoleId": consoleRole, "Enabled": true}
	resp, err := d.do(ctx, request{method: http.MethodPost, path: coll, body: body})
	var be *fleet.BMCError
	switch {
	case err == nil:
		p := resp.header.Get("Location")
		if p == "" {
			var created odataID
			if json.Unmarshal(resp.body, &created) == nil {
				p = created.ID
			}
		}
		if p == "" {
			return "", &fleet.BMCError{Op: "POST " + coll, Status: resp.status, Msg: "the new account has no Location nor @odata.id"}
		}
		return refPost + "|" + user + "|" + p, nil
	case errors.As(err, &be) && (be.Status == http.StatusMethodNotAllowed || be.Status == http.StatusNotImplemented):
		return d.fillSlot(ctx, coll, body)
	default:
		return "", err
	}
}

// fillSlot writes the account into the first empty slot (no user name, not the reserved slot
// 1) of a BMC with fixed account slots.
func (d *Driver) fillSlot(ctx context.Context, coll string, body map[string]any) (string, error) {
	var c collection
	if _, err := d.getJSON(ctx, coll, &c); err != nil {
		return "", err
	}
	for _, member := range c.Members {
		var a account
		etag, err := d.getJSON(ctx, member.ID, &a)
		if err != nil {
			return "", err
		}
		if a.UserName != "" || a.ID == "1" {
			continue
		}
		if _, err := d.do(ctx, request{method: http.MethodPatch, path: member.ID, body: body, ifMatch: etag}); err != nil {
			return "", err
		}
		return refSlot + "|" + body["UserName"].(string) + "|" + member.ID, nil
	}
	return "", &fleet.BMCError{Op: "GET " + coll, Msg: "no free account slot for a console credential"}
}

// CloseConsole removes the console account and ends the sessions it opened. An account that is
// gone already (404, or a slot holding another user now) counts as removed.
func (d *Driver) CloseConsole(ctx context.Context, ref string) error {
	if err := d.closeConsole(ctx, ref); err != nil {
		return fmt.Errorf("redfish console close %s: %w", d.base.Host, err)
	}
	return nil
}

func (d *Driver) closeConsole(ctx context.Context, ref string) error {
	parts := strings.SplitN(ref, "|", 3)
	if len(parts) != 3 || parts[1] == "" {
		return &fleet.BMCError{Op: "console close", Msg: fmt.Sprintf("bad console reference %q", ref)}
	}
	kind, user, p := parts[0], parts[1], parts[2]
	var be *fleet.BMCError
	switch kind {
	case refPost:
		_, err := d.do(ctx, request{method: http.MethodDelete, path: p})
		if err != nil && !(errors.As(err, &be) && be.Status == http.StatusNotFound) {
			return err
		}
	case refSlot:
		var a account
		etag, err := d.getJSON(ctx, p, &a)
		if err != nil && !(errors.As(err, &be) && be.Status == http.StatusNotFound) {
			return err
		}
		if err == nil && a.UserName == user {
			_, err := d.do(ctx, request{method: http.MethodPatch, path: p, ifMatch: etag,
				body: map[string]any{"UserName": "", "Enabled": false, "RoleId": "None"}})
			if err != nil {
				return err
			}
		}
	default:
		return &fleet.BMCError{Op: "console close", Msg: fmt.Sprintf("bad console reference %q", ref)}
	}
	return d.endSessionsOf(ctx, user)
}

// endSessionsOf deletes the Redfish sessions the user opened (a console opened in the web
// interface is one of them).
func (d *Driver) endSessionsOf(ctx context.Context, user string) error {
	sessions, err := d.sessionsPath(ctx)
	if err != nil {
		return err
	}
	var c collection
	if _, err := d.getJSON(ctx, sessions, &c); err != nil {
		return err
	}
	var be *fleet.BMCError
	for _, member := range c.Members {
		var s struct {
			UserName string `json:"UserName"`
		}
		if _, err := d.getJSON(ctx, member.ID, &s); err != nil {
			if errors.As(err, &be) && be.Status == http.StatusNotFound {
				continue
			}
			return err
		}
		if s.UserName != user {
			continue
		}
		if _, err := d.do(ctx, request{method: http.MethodDelete, path: member.ID}); err != nil && !(errors.As(err, &be) && be.Status == http.StatusNotFound) {
			return err
		}
	}
	return nil
}

// newCredential makes a console user name ("itsc" and 8 hex digits: 12 characters, within every
// BMC's limit of 16) and a 16-character password with upper and lower case letters and digits.
func newCredential() (user, password string) {
	const hexdigits = "0123456789abcdef"
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	u := []byte("itsc")
	for _, x := range b[:4] {
		u = append(u, hexdigits[x>>4], hexdigits[x&15])
	}
	p := make([]byte, 16)
	for i, x := range b[8:] {
		p[i] = alphabet[int(x)%len(alphabet)]
	}
	p[0] = "ABCDEFGHJKLMNPQRSTUVWXYZ"[int(b[4])%24]
	p[1] = "abcdefghijkmnopqrstuvwxyz"[int(b[5])%25]
	p[2] = "23456789"[int(b[6])%8]
	return string(u), string(p)
}
