package smtp

import (
	"net"
	netsmtp "net/smtp"
	"testing"
)

func TestPlainAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tls      bool
		loopback bool
		wantErr  bool
	}{
		{"tls", true, false, false},
		{"loopback in clear", false, true, false},
		{"tls to loopback", true, true, false},
		{"remote in clear", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := plainAuth{username: "itsgow", password: "s3cret", loopback: tt.loopback}
			// The name and the advertised mechanisms are what a server may lie about: ignored.
			info := &netsmtp.ServerInfo{Name: "localhost", TLS: tt.tls, Auth: []string{"PLAIN"}}
			mech, resp, err := a.Start(info)
			if tt.wantErr {
				if err == nil || resp != nil {
					t.Fatalf("Start = %q, %q, %v; want a refusal and no credentials", mech, resp, err)
				}
				return
			}
			if err != nil || mech != "PLAIN" || string(resp) != "\x00itsgow\x00s3cret" {
				t.Fatalf("Start = %q, %q, %v", mech, resp, err)
			}
			if next, err := a.Next(nil, false); err != nil || next != nil {
				t.Errorf("Next(done) = %q, %v", next, err)
			}
			if _, err := a.Next([]byte("challenge"), true); err == nil {
				t.Error("Next(more) accepted a challenge")
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 25}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.8.9.10"), Port: 25}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 25}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 25}, true},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 25}, false},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 25}, false},
		{&net.UnixAddr{Name: "/run/smtp.sock", Net: "unix"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.addr.String(), func(t *testing.T) {
			t.Parallel()
			if got := isLoopback(tt.addr); got != tt.want {
				t.Errorf("isLoopback(%v) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
