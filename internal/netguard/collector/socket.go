package collector

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// socket is one bound UDP socket.
type socket struct {
	conn  *net.UDPConn
	raw   syscall.RawConn
	local netip.AddrPort
	// rcvbuf is the receive buffer the kernel granted, in bytes of payload (SO_RCVBUF / 2).
	rcvbuf int
	capped bool
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
		raw, err := conn.SyscallConn()
		if err != nil {
			_ = conn.Close()
			closeAll(out)
			return nil, fmt.Errorf("collector listen %s: %w", ap, err)
		}
		s.raw = raw
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

// message is one datagram of a batch: its payload in buf[:n], the sender, the kernel's flags
// (MSG_TRUNC) and its control data in oob[:nn].
type message struct {
	buf   []byte
	n     int
	oob   []byte
	nn    int
	flags int
	src   netip.Addr
}

// mmsghdr is struct mmsghdr of linux/amd64 and arm64: a msghdr and the length received.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// batch is the memory of recvmmsg for one worker, set up once: the kernel writes the
// datagrams, their senders and control data straight into it, and nothing is allocated per
// call (x/net's ReadBatch allocates a net.UDPAddr per datagram and packs the headers anew on
// every call).
type batch struct {
	msgs  []message
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
}

func newBatch(n, size, oob int) *batch {
	b := &batch{msgs: make([]message, n), hdrs: make([]mmsghdr, n), iovs: make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n)}
	for i := range n {
		b.msgs[i].buf = make([]byte, size)
		b.msgs[i].oob = make([]byte, oob)
		b.iovs[i].Base = &b.msgs[i].buf[0]
		b.iovs[i].SetLen(size)
		h := &b.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		h.Control = &b.msgs[i].oob[0]
	}
	return b
}

// read receives up to len(b.msgs) datagrams, waiting (in the netpoller) for the first.
func (s *socket) read(b *batch) (int, error) {
	for i := range b.hdrs {
		h := &b.hdrs[i].hdr
		h.Namelen = uint32(unsafe.Sizeof(b.names[i]))
		h.SetControllen(len(b.msgs[i].oob))
		h.Flags = 0
	}
	var n int
	var errno syscall.Errno
	err := s.raw.Read(func(fd uintptr) bool {
		// A raw call: the socket does not block, and a call that keeps its P saves the
		// scheduler's hand-off of a P stuck in a long system call.
		for {
			r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)),
				unix.MSG_DONTWAIT, 0, 0)
			n, errno = int(r), e
			if errno != unix.EINTR {
				break
			}
		}
		return errno != unix.EAGAIN && errno != unix.EWOULDBLOCK
	})
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", errno)
	}
	for i := range n {
		h := &b.hdrs[i]
		m := &b.msgs[i]
		m.n, m.nn, m.flags = int(h.n), int(h.hdr.Controllen), int(h.hdr.Flags)
		m.src = sockaddrAddr(&b.names[i], h.hdr.Namelen)
	}
	return n, nil
}

// sockaddrAddr returns the address of a sockaddr_in or sockaddr_in6 the kernel wrote (IPv4
// unmapped), or the zero Addr.
func sockaddrAddr(sa *unix.RawSockaddrInet6, n uint32) netip.Addr {
	switch sa.Family {
	case unix.AF_INET:
		if n < unix.SizeofSockaddrInet4 {
			return netip.Addr{}
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrFrom4(sa4.Addr)
	case unix.AF_INET6:
		if n < unix.SizeofSockaddrInet6 {
			return netip.Addr{}
		}
		return netip.AddrFrom16(sa.Addr).Unmap()
	}
	return netip.Addr{}
}
