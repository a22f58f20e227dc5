package ipmi_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/command/transport"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/ipmi"
)

// serialPort is the server's serial line behind ipmi_sim's SOL: a TCP listener that greets.
func serialPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("debian login: "))
		}
	}()
	return ln.Addr().String()
}

func ready(t *testing.T, d *ipmi.Driver) {
	t.Helper()
	var err error
	for range 20 { // ipmi_sim binds its port shortly after it starts
		if _, err = d.PowerState(context.Background()); err == nil {
			return
		}
		tm := time.NewTimer(100 * time.Millisecond)
		<-tm.C
	}
	t.Fatalf("ipmi_sim does not answer: %v", err)
}

func lanplus(t *testing.T, addr, user, pass string) *client.Client {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	c, err := client.NewClient(host, p, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	c.WithInterface(client.InterfaceLanplus).WithTimeout(300 * time.Millisecond).WithRetry(0)
	return c
}

// Against ipmi_sim with serial over LAN: the console is a user of its own that logs in and
// activates SOL; closing it ends the SOL session and the user no longer logs in.
func TestConsoleSOL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bmc, _ := startSimWith(t, fmt.Sprintf(`  sol "tcp:%s" 115200`, serialPort(t)))
	d := newDriver(t, bmc)
	ready(t, d)
	c, err := d.OpenConsole(ctx, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != fleet.ConsoleSerial || c.URL != "ipmi://"+bmc.Address || !strings.HasPrefix(c.Username, "itsc") || len(string(c.Password)) != 15 {
		t.Fatalf("console %+v", c)
	}
	cust := lanplus(t, bmc.Address, c.Username, string(c.Password))
	if err := cust.Connect(ctx); err != nil {
		t.Fatalf("the console user does not log in: %v", err)
	}
	if _, err := cust.ActivatePayload(ctx, &transport.ActivatePayloadRequest{PayloadType: types.PayloadTypeSOL, PayloadInstance: 1}); err != nil {
		t.Fatalf("SOL activate: %v", err)
	}
	admin := lanplus(t, bmc.Address, bmc.Username, string(bmc.Password))
	if err := admin.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx) //nolint:errcheck // test teardown
	if st, err := admin.GetPayloadActivationStatus(ctx, types.PayloadTypeSOL); err != nil || !st.Instance01Activated {
		t.Fatalf("SOL not active: %+v %v", st, err)
	}

	if err := d.CloseConsole(ctx, c.Ref); err != nil {
		t.Fatal(err)
	}
	if st, err := admin.GetPayloadActivationStatus(ctx, types.PayloadTypeSOL); err != nil || st.Instance01Activated {
		t.Fatalf("SOL still active after close: %+v %v", st, err)
	}
	if err := d.CloseConsole(ctx, c.Ref); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := d.CloseConsole(ctx, "x"); err == nil {
		t.Fatal("a bad reference closes")
	}
	// last: ipmi_sim does not survive every cipher suite go-ipmi tries for an unknown user
	if err := lanplus(t, bmc.Address, c.Username, string(c.Password)).Connect(ctx); err == nil {
		t.Fatal("the revoked console user still logs in")
	}
}

// A BMC without serial over LAN says so: not supported, no user created.
func TestConsoleWithoutSOL(t *testing.T) {
	t.Parallel()
	bmc, _ := startSim(t)
	d := newDriver(t, bmc)
	ready(t, d)
	_, err := d.OpenConsole(context.Background(), 15*time.Minute)
	if !errors.Is(err, fleet.ErrUnsupported) || errs.Public(err) != "serial over LAN is not supported by this BMC" || errs.KindOf(err) != errs.Invalid {
		t.Fatalf("open without SOL: %v (public %q)", err, errs.Public(err))
	}
}
