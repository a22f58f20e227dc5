package ipmi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/command/app"
	"github.com/bougou/go-ipmi/pkg/command/transport"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Compile-time guards: serial over LAN consoles.
var (
	_ fleet.ConsoleOpener = (*Driver)(nil)
	_ fleet.ConsoleCloser = (*Driver)(nil)
)

// thisChannel is the IPMI "current channel" (0Eh): the LAN channel the driver talks on, which is
// the one the customer's console credential needs.
const thisChannel = 0x0e

// noAccess is the "no access" privilege limit (0Fh) of Set User Access.
const noAccess = 0x0f

// errNoSOL is a BMC without serial over LAN.
var errNoSOL = errors.New("serial over LAN is not supported by this BMC")

// OpenConsole hands out a serial-over-LAN console: when the BMC offers the SOL payload, the
// driver fills a free user slot (from ID 3) with a short-lived Operator user allowed on the LAN
// channel; the customer runs `ipmitool -I lanplus -H HOST -p PORT -U USER -P PASSWORD sol
// activate`. CloseConsole disables it and ends the SOL session. A BMC without SOL answers
// fleet.ErrUnsupported. The driver does not enforce ttl: the platform closes the console.
func (d *Driver) OpenConsole(ctx context.Context, _ time.Duration) (fleet.Console, error) {
	user, pw := newCredential()
	var id uint8
	err := d.session(ctx, "console open", func(c *client.Client) error {
		st, err := c.GetPayloadActivationStatus(ctx, types.PayloadTypeSOL)
		if r, ok := types.IsResponseError(err); ok && r.CompletionCode() == types.CodeInvalidCommand || err == nil && st.InstanceCapacity == 0 {
			return errNoSOL
		}
		if err != nil {
			return err
		}
		if id, err = freeUser(ctx, c); err != nil {
			return err
		}
		return fillUser(ctx, c, id, user, pw)
	})
	if errors.Is(err, errNoSOL) {
		return fleet.Console{}, fmt.Errorf("ipmi console %s: %w", d.host, fleet.Unsupported(errNoSOL.Error()))
	}
	if err != nil {
		return fleet.Console{}, err
	}
	return fleet.Console{Kind: fleet.ConsoleSerial, ConnectTypes: []string{"IPMI"}, URL: "ipmi://" + net.JoinHostPort(d.host, strconv.Itoa(d.port)),
		Username: user, Password: fleet.Secret(pw), Ref: strconv.Itoa(int(id)) + "|" + user}, nil
}

// userSlots is what filling a user slot needs of a go-ipmi client (a test fails one step).
type userSlots interface {
	SetUsername(ctx context.Context, userID uint8, username string) (*app.SetUsernameResponse, error)
	SetUserPassword(ctx context.Context, userID uint8, password string, stored20 bool) (*app.SetUserPasswordResponse, error)
	SetUserAccess(ctx context.Context, request *app.SetUserAccessRequest) (*app.SetUserAccessResponse, error)
	EnableUser(ctx context.Context, userID uint8) error
	DisableUser(ctx context.Context, userID uint8) error
}

var _ userSlots = (*client.Client)(nil)

// fillUser names slot id user, sets its password and Operator access on the LAN channel, and
// enables it. When a step after the name fails, nothing records the slot (the console did not
// open), so it is taken back at once, best effort: disabled, its password scrambled, its access
// and name cleared; otherwise each failure would hold a slot until the BMC has none free.
func fillUser(ctx context.Context, c userSlots, id uint8, user, pw string) error {
	if _, err := c.SetUsername(ctx, id, user); err != nil {
		return err
	}
	err := func() error {
		if _, err := c.SetUserPassword(ctx, id, pw, false); err != nil {
			return err
		}
		if _, err := c.SetUserAccess(ctx, &app.SetUserAccessRequest{EnableChanging: true, EnableIPMIMessaging: true,
			ChannelNumber: thisChannel, UserID: id, MaxPrivLevel: uint8(types.PrivilegeLevelOperator)}); err != nil {
			return err
		}
		return c.EnableUser(ctx, id)
	}()
	if err != nil {
		clearUser(context.WithoutCancel(ctx), c, id) // each request is bounded by the client's timeout
	}
	return err
}

// clearUser empties slot id, best effort: every step is tried whatever the previous one said,
// and their errors are dropped (the step that failed before is the error to report).
func clearUser(ctx context.Context, c userSlots, id uint8) {
	_ = c.DisableUser(ctx, id)
	scrambled, _ := newCredential()
	_, _ = c.SetUserPassword(ctx, id, scrambled+"x", false)
	_, _ = c.SetUserAccess(ctx, &app.SetUserAccessRequest{EnableChanging: true, ChannelNumber: thisChannel, UserID: id, MaxPrivLevel: noAccess})
	_, _ = c.SetUsername(ctx, id, "")
}

// freeUser returns the first user ID from 3 (1 is the anonymous user, 2 the administrator on
// most BMCs) without a name.
func freeUser(ctx context.Context, c *client.Client) (uint8, error) {
	acc, err := c.GetUserAccess(ctx, thisChannel, 1)
	if err != nil {
		return 0, err
	}
	for id := uint8(3); id <= acc.MaxUsersIDCount && id != 0; id++ {
		name, err := c.GetUsername(ctx, id)
		if r, ok := types.IsResponseError(err); ok && r.CompletionCode() == types.CodeRequestDataFieldInvalid {
			return id, nil // an unset slot on some BMCs
		}
		if err != nil {
			return 0, err
		}
		if strings.Trim(name.Username, "\x00 ") == "" {
			return id, nil
		}
	}
	return 0, &fleet.BMCError{Op: "ipmi console open", Msg: "no free user slot for a console credential"}
}

// CloseConsole ends the console: the user is disabled, its password scrambled, its access and
// name cleared, and the active SOL session deactivated. A slot that holds another user now is
// left alone.
func (d *Driver) CloseConsole(ctx context.Context, ref string) error {
	sid, user, ok := strings.Cut(ref, "|")
	n, err := strconv.Atoi(sid)
	if !ok || err != nil || n < 3 || n > 255 || user == "" {
		return &fleet.BMCError{Op: "ipmi console close", Msg: fmt.Sprintf("bad console reference %q", ref)}
	}
	id := uint8(n)
	return d.session(ctx, "console close", func(c *client.Client) error {
		name, err := c.GetUsername(ctx, id)
		if err != nil {
			return err
		}
		if strings.Trim(name.Username, "\x00 ") != user {
			return nil // revoked already
		}
		if err := c.DisableUser(ctx, id); err != nil {
			return err
		}
		scrambled, _ := newCredential()
		if _, err := c.SetUserPassword(ctx, id, scrambled+"x", false); err != nil {
			return err
		}
		if _, err := c.SetUserAccess(ctx, &app.SetUserAccessRequest{EnableChanging: true, ChannelNumber: thisChannel, UserID: id,
			MaxPrivLevel: noAccess}); err != nil {
			return err
		}
		if _, err := c.SetUsername(ctx, id, ""); err != nil {
			return err
		}
		st, err := c.GetPayloadActivationStatus(ctx, types.PayloadTypeSOL)
		if err != nil || !st.Instance01Activated {
			return nil //nolint:nilerr // no SOL session to end (or no SOL at all): the user is gone, which is what matters
		}
		_, err = c.DeactivatePayload(ctx, &transport.DeactivatePayloadRequest{PayloadType: types.PayloadTypeSOL, PayloadInstance: 1})
		if r, ok := types.IsResponseError(err); ok && r.CompletionCode() == 0x80 { // payload already deactivated
			return nil
		}
		return err
	})
}

// newCredential makes a user name ("itsc" and 8 hex digits, within IPMI's 16 bytes) and a
// 15-character password (IPMI's limit is 16 bytes, or 20 with a 20-byte store).
func newCredential() (user, password string) {
	const hexdigits = "0123456789abcdef"
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	u := []byte("itsc")
	for _, x := range b[:4] {
		u = append(u, hexdigits[x>>4], hexdigits[x&15])
	}
	p := make([]byte, 15)
	for i, x := range b[4:19] {
		p[i] = alphabet[int(x)%len(alphabet)]
	}
	return string(u), string(p)
}
