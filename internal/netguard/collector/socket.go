package collector

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// socket is one bound UDP socket.
type socket struct {
	conn   *net.UDPConn
	reader batchReader
	local  netip.AddrPort
	// rcvbuf is the receive buffer the kernel granted, in bytes of payload (SO_RCVBUF / 2).
	rcvbuf int
	capped bool
}

// batchReader is ipv4.PacketConn or ipv6.PacketConn: recvmmsg on Linux.
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

// listenGroup binds n sockets to ap with SO_REUSEPORT (when n > 1), SO_RXQ_OVFL and a receive
// buffer of rcvbuf bytes. Port 0 picks a free port for the first socket; the others join it.
func listenGroup(ctx context.Context, ap netip.AddrPort, n, rcvbuf int) ([]*socket, error) {
	network, host := "udp", ""
	if ap.Addr().IsValid() {
		host = ap.Addr().String()
		network = "udp6"
		if ap.Addr().Is4() {
			network = "udp4"
		}
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if n > 1 {
				if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
					serr = fmt.Errorf("SO_REUSEPORT: %w", serr)
					return
				}
			}
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); serr != nil {
				serr = fmt.Errorf("SO_RXQ_OVFL: %w", serr)
			}
		})
		return errors.Join(err, serr)
	}}
	var out []*socket
	port := ap.Port()
	for range n {
		pc, err := lc.ListenPacket(ctx, network, net.JoinHostPort(host, fmt.Sprint(port)))
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("collector listen %s: %w", ap, err)
		}
		conn := pc.(*net.UDPConn)
		s := &socket{conn: conn, local: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
		s.local = netip.AddrPortFrom(s.local.Addr().Unmap(), s.local.Port())
		port = s.local.Port()
		if s.local.Addr().Is4() {
			s.reader = ipv4.NewPacketConn(conn)
		} else {
			s.reader = ipv6.NewPacketConn(conn)
		}
		if err := s.setBuffer(rcvbuf); err != nil {
			_ = conn.Close()
			closeAll(out)
			return nil, fmt.Errorf("collector listen %s: %w", ap, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func closeAll(ss []*socket) {
	for _, s := range ss {
		_ = s.conn.Close()
	}
}

// setBuffer asks for want bytes of receive buffer with SetReadBuffer, and when net.core.rmem_max
// caps it, with SO_RCVBUFFORCE (allowed with CAP_NET_ADMIN). It records what was granted.
func (s *socket) setBuffer(want int) error {
	if err := s.conn.SetReadBuffer(want); err != nil {
		return fmt.Errorf("set receive buffer: %w", err)
	}
	raw, err := s.conn.SyscallConn()
	if err != nil {
		return err
	}
	var got int
	var gerr error
	read := func() {
		_ = raw.Control(func(fd uintptr) {
			var v int
			v, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
			got = v / 2 // the kernel doubles the request to account for its overhead
		})
	}
	read()
	if gerr == nil && got < want {
		_ = raw.Control(func(fd uintptr) {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, want) // fails without CAP_NET_ADMIN
		})
		read()
	}
	if gerr != nil {
		return fmt.Errorf("read receive buffer: %w", gerr)
	}
	s.rcvbuf, s.capped = got, got < want
	return nil
}

// overflow returns the SO_RXQ_OVFL count in a message's control data: how many datagrams the
// socket dropped since it was opened (the kernel sends it once the count is not zero).
func overflow(oob []byte) (uint32, bool) {
	hdr := unix.SizeofCmsghdr
	for len(oob) >= hdr {
		var n uint64
		if hdr == 16 {
			n = binary.NativeEndian.Uint64(oob)
		} else {
			n = uint64(binary.NativeEndian.Uint32(oob))
		}
		level := int32(binary.NativeEndian.Uint32(oob[hdr-8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[hdr-4:]))
		if n < uint64(hdr) || n > uint64(len(oob)) {
			return 0, false
		}
		data := unix.CmsgLen(0)
		if level == unix.SOL_SOCKET && typ == unix.SO_RXQ_OVFL && n >= uint64(data+4) {
			return binary.NativeEndian.Uint32(oob[data:]), true
		}
		next := unix.CmsgSpace(int(n) - data)
		if next > len(oob) {
			return 0, false
		}
		oob = oob[next:]
	}
	return 0, false
}
