package bgp_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gobgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// router is a second GoBGP server acting as the edge router that receives our routes.
type router struct {
	srv *server.BgpServer
}

func startRouter(tb testing.TB, port uint16) *router {
	tb.Helper()
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelWarn)
	srv := server.NewBgpServer(server.LoggerOption(testLogger(tb, slog.LevelWarn).With("speaker", "router"), lv))
	go srv.Serve()
	err := srv.StartBgp(context.Background(), &api.StartBgpRequest{Global: &api.Global{Asn: 65030, RouterId: routerAddr.String(),
		ListenPort: int32(port), ListenAddresses: []string{routerAddr.String()}}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Stop)
	return &router{srv: srv}
}

// addPeer configures our speaker as the router's neighbor. Call it once our speaker has started:
// see gobgpStarted.
func (r *router) addPeer(tb testing.TB, ourPort uint16) {
	tb.Helper()
	peer := &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: ourAddr.String(), PeerAsn: 65010},
		Transport: &api.Transport{RemotePort: uint32(ourPort), LocalAddress: routerAddr.String()},
		Timers:    &api.Timers{Config: &api.TimersConfig{ConnectRetry: 1, IdleHoldTimeAfterReset: 1, HoldTime: 9, KeepaliveInterval: 3}},
	}
	for _, f := range []gobgp.Family{gobgp.RF_FS_IPv4_UC, gobgp.RF_FS_IPv6_UC, gobgp.RF_IPv4_UC, gobgp.RF_IPv6_UC} {
		peer.AfiSafis = append(peer.AfiSafis, &api.AfiSafi{Config: &api.AfiSafiConfig{
			Family: apiutil.ToApiFamily(f.Afi(), f.Safi()), Enabled: true}})
	}
	if err := r.srv.AddPeer(context.Background(), &api.AddPeerRequest{Peer: peer}); err != nil {
		tb.Fatal(err)
	}
}

// received returns the rules the router holds from us.
func (r *router) received() (edge.RuleSet, error) {
	var out edge.RuleSet
	var problems []error
	for _, fam := range []gobgp.Family{gobgp.RF_FS_IPv4_UC, gobgp.RF_FS_IPv6_UC, gobgp.RF_IPv4_UC, gobgp.RF_IPv6_UC} {
		err := r.srv.ListPath(apiutil.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL, Family: fam},
			func(_ gobgp.NLRI, paths []*apiutil.Path) {
				for _, p := range paths {
					rule, err := bgp.ParsePath(p)
					if err != nil {
						problems = append(problems, err)
						continue
					}
					out = append(out, rule)
				}
			})
		if err != nil {
			problems = append(problems, err)
		}
	}
	out.Sort()
	return out, errors.Join(problems...)
}

// holds is a waitFor condition: the router holds exactly the rules of want, as routes carry them.
func (r *router) holds(want edge.RuleSet) func() (bool, string) {
	var exp edge.RuleSet
	for _, w := range want {
		exp = append(exp, onWire(w))
	}
	exp.Sort()
	return func() (bool, string) {
		got, err := r.received()
		if err != nil {
			return false, err.Error()
		}
		return got.String() == exp.String(), "got:\n" + got.String() + "want:\n" + exp.String()
	}
}

// TestFlapAndGarbage: a router that resets the session again and again, and a peer that sends
// garbage, do not take the speaker down; each time the session comes back, the router has the
// whole set again without any call to Apply.
//
// Not parallel: see gobgpStarted.
func TestFlapAndGarbage(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (about 15 s): not with -short")
	}
	routerPort, ourPort, roguePort := freePort(t, routerAddr), freePort(t, ourAddr), freePort(t, rogueAddr)
	rt := startRouter(t, routerPort)
	sp := speaker(t, bgp.Config{ASN: 65010, RouterID: ourAddr, Listen: netip.AddrPortFrom(ourAddr, ourPort).String(),
		Peers: []bgp.PeerConfig{
			{Address: routerAddr, Port: routerPort, ASN: 65030},
			{Address: rogueAddr, Port: roguePort, ASN: 65040, Families: []bgp.PeerFamily{bgp.IPv4Unicast}},
		}})
	gobgpStarted(t, sp)
	rt.addPeer(t, ourPort)
	rules := compile(t, level3())
	apply(t, sp, rules, nil)
	waitFor(t, 15*time.Second, "routes at the router", rt.holds(rules))

	// A stranger sends garbage: the connection is refused.
	sendGarbage(t, netip.MustParseAddr("127.0.0.41"), ourPort, false)
	// A configured peer opens a session, then sends a malformed UPDATE.
	rogueSession(t, ourPort)
	// The same peer sends garbage instead of an OPEN.
	sendGarbage(t, rogueAddr, ourPort, true)

	for i := range 2 {
		if err := rt.srv.ResetPeer(context.Background(), &api.ResetPeerRequest{Address: ourAddr.String(), Communication: "flap " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "routes gone after reset", rt.holds(nil))
		waitFor(t, 15*time.Second, "routes back after reset", rt.holds(rules))
	}
	st := sp.Status()
	if len(st) != 2 || !st[0].Up || st[0].Flaps != 2 || st[0].Sent != len(rules) {
		t.Errorf("router status %+v, want up with 2 flaps and %d routes sent", st[0], len(rules))
	}
	if st[1].Up {
		t.Errorf("rogue status %+v, want down", st[1])
	}
	// The speaker still works: a change reaches the router.
	add, remove := edge.Diff(rules, compile(t, level1()))
	apply(t, sp, add, remove)
	waitFor(t, 5*time.Second, "level 1 at the router", rt.holds(compile(t, level1())))
}

// sendGarbage connects from src to our speaker and writes random bytes and a BGP header with
// an absurd length. When the peer is configured, GoBGP answers with a NOTIFICATION or closes.
func sendGarbage(tb testing.TB, src netip.Addr, port uint16, configured bool) {
	tb.Helper()
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 2 * time.Second}
	conn, err := d.Dial("tcp", netip.AddrPortFrom(ourAddr, port).String())
	if err != nil {
		tb.Logf("garbage from %s: %v (refused is fine)", src, err)
		return
	}
	defer conn.Close()
	rng := rand.New(rand.NewPCG(uint64(src.As4()[3]), 7))
	junk := make([]byte, 512)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	header := append(bytesOf(0xff, 16), 0xff, 0xff, 0x09) // length 65535, type 9
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	_, _ = conn.Write(append(header, junk...))
	// Wait for the speaker to close the connection (EOF, a reset or a NOTIFICATION then EOF).
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Errorf("garbage from %s (configured %v): connection still open after 3 s", src, configured)
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// rogueSession establishes a BGP session from the rogue peer by hand, then sends a malformed
// UPDATE, and checks the speaker ends the session.
func rogueSession(tb testing.TB, port uint16) {
	tb.Helper()
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(rogueAddr, 0)), Timeout: 2 * time.Second}
	var conn net.Conn
	// Our speaker may be in its idle hold for this peer: retry for a few seconds.
	waitFor(tb, 10*time.Second, "rogue session", func() (bool, string) {
		c, err := d.Dial("tcp", netip.AddrPortFrom(ourAddr, port).String())
		if err != nil {
			return false, err.Error()
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		open, _ := gobgp.NewBGPOpenMessage(65040, 90, rogueAddr, []gobgp.OptionParameterInterface{
			gobgp.NewOptionParameterCapability([]gobgp.ParameterCapabilityInterface{gobgp.NewCapMultiProtocol(gobgp.RF_IPv4_UC)})})
		b, _ := open.Serialize()
		if _, err := c.Write(b); err != nil {
			c.Close()
			return false, err.Error()
		}
		msg, err := readMessage(c)
		if err != nil || msg.Header.Type != gobgp.BGP_MSG_OPEN {
			c.Close()
			return false, "no OPEN from the speaker"
		}
		conn = c
		return true, ""
	})
	defer conn.Close()
	ka, _ := gobgp.NewBGPKeepAliveMessage().Serialize()
	if _, err := conn.Write(ka); err != nil {
		tb.Fatal(err)
	}
	// An UPDATE whose path attribute length runs past the message.
	body := []byte{0, 0, 0xff, 0xf0, 0x40, 0x01, 0x01, 0x00}
	upd := append(bytesOf(0xff, 16), 0, 0, gobgp.BGP_MSG_UPDATE)
	binary.BigEndian.PutUint16(upd[16:], uint16(19+len(body)))
	if _, err := conn.Write(append(upd, body...)); err != nil {
		tb.Fatal(err)
	}
	// The speaker ends the session: a NOTIFICATION (update error), then the connection closes.
	notified := false
	for {
		typ, err := readType(conn)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				tb.Error("the speaker kept the rogue session open after a malformed UPDATE")
			}
			break
		}
		notified = notified || typ == gobgp.BGP_MSG_NOTIFICATION
	}
	tb.Logf("rogue session closed by the speaker (NOTIFICATION read: %v)", notified)
}

// readType reads one BGP message and returns its type.
func readType(c net.Conn) (uint8, error) {
	h := make([]byte, 19)
	if _, err := io.ReadFull(c, h); err != nil {
		return 0, err
	}
	n := int(binary.BigEndian.Uint16(h[16:18]))
	if n < 19 {
		return 0, errors.New("short message")
	}
	if _, err := io.CopyN(io.Discard, c, int64(n-19)); err != nil {
		return 0, err
	}
	return h[18], nil
}

func readMessage(c net.Conn) (*gobgp.BGPMessage, error) {
	h := make([]byte, 19)
	if _, err := io.ReadFull(c, h); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[16:18]))
	if n < 19 {
		return nil, errors.New("short message")
	}
	buf := make([]byte, n)
	copy(buf, h)
	if _, err := io.ReadFull(c, buf[19:]); err != nil {
		return nil, err
	}
	return gobgp.ParseBGPMessage(buf)
}
