package main

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

// flowgen sends each format to a UDP listener, and the datagrams decode into the scenario's
// flows toward the target, with the background traffic beside them.
func TestFlowgenSends(t *testing.T) {
	t.Parallel()
	for _, format := range flowgen.Formats() {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"flowgen", "--to", pc.LocalAddr().String(), "--format", string(format),
				"--scenario", "syn-flood", "--target", "198.18.0.10", "--pps", "20000", "--sampling", "100",
				"--background-pps", "5000", "--active-timeout", "100ms", "--duration", "300ms", "--exporter-id", "7"}, &out, &errOut, nil)
			if code != 0 {
				t.Fatalf("flowgen exited %d: %s", code, errOut.String())
			}
			if !strings.Contains(out.String(), "syn-flood -> 198.18.0.10/32") || !strings.Contains(out.String(), "0 write errors") {
				t.Errorf("summary:\n%s", out.String())
			}
			var flows []netguard.Flow
			emit := func(f *netguard.Flow) { flows = append(flows, *f) }
			nf, sf := netflow.NewDecoder(netflow.Config{}), sflow.NewDecoder(sflow.Config{})
			buf := make([]byte, 65536)
			_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
			for {
				n, from, err := pc.ReadFromUDPAddrPort(buf)
				if err != nil {
					break // every datagram was sent before run returned
				}
				if format == flowgen.SFlow {
					err = sf.Decode(from.Addr(), buf[:n], time.Now(), emit)
				} else {
					err = nf.Decode(from.Addr(), buf[:n], time.Now(), emit)
				}
				if err != nil {
					t.Fatalf("datagram %d: %v", n, err)
				}
				_ = pc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			}
			var syn, benign int
			for _, f := range flows {
				if f.Dst != netip.MustParseAddr("198.18.0.10") || f.SamplingRate != 100 {
					t.Fatalf("flow %+v, want 198.18.0.10 sampled 1-in-100", f)
				}
				if f.Proto == netguard.ProtoTCP && f.TCPFlags == netguard.TCPSyn {
					syn++
				} else {
					benign++
				}
			}
			if syn == 0 || benign == 0 {
				t.Errorf("%d SYN flood and %d benign flows, want both", syn, benign)
			}
		})
	}
}

// flowgen refuses destinations outside loopback and 198.18.0.0/15, unbounded runs and bad
// flags, before sending anything.
func TestFlowgenRefuses(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--to", "192.0.2.1:2055"},
		{"--to", "10.0.0.1:2055"},
		{"--to", "8.8.8.8:2055"},
		{"--to", "[2001:db8::1]:2055"},
		{"--to", "example.com:2055"},
		{"--to", "127.0.0.1"},
		{"--duration", "0s"},
		{"--duration", "48h"},
		{"--format", "netflow7"},
		{"--scenario", "ping-of-death"},
		{"--target", "nowhere"},
		{"--sampling", "0"},
		{"--format", "netflow5", "--target", "2001:db8::10"},
		{"stray"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append([]string{"flowgen"}, args...), &out, &errOut, nil); code != 2 {
			t.Errorf("flowgen %v exited %d, want 2 (usage): %s", args, code, errOut.String())
		}
	}
	for _, to := range []string{"127.0.0.1:2055", "localhost:2055", "[::1]:2055", "198.18.0.1:2055", "198.19.255.254:2055"} {
		if _, err := parseDestination(to); err != nil {
			t.Errorf("parseDestination(%s) = %v", to, err)
		}
	}
}
