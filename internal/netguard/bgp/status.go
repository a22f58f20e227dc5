package bgp

import (
	"context"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gobgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"

	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// stateName returns the FSM state as RFC 4271 names it, in lower case.
func stateName(s gobgp.FSMState) string {
	switch s {
	case gobgp.BGP_FSM_IDLE:
		return "idle"
	case gobgp.BGP_FSM_CONNECT:
		return "connect"
	case gobgp.BGP_FSM_ACTIVE:
		return "active"
	case gobgp.BGP_FSM_OPENSENT:
		return "opensent"
	case gobgp.BGP_FSM_OPENCONFIRM:
		return "openconfirm"
	case gobgp.BGP_FSM_ESTABLISHED:
		return "established"
	}
	return "state-" + strconv.Itoa(int(s))
}

// onPeer records a session state change reported by GoBGP, and logs the ones an operator cares
// about: a session coming up (Info) and going down (Warn).
func (s *Speaker) onPeer(ev *apiutil.WatchEventMessage_PeerEvent, _ time.Time) {
	if ev.Type != apiutil.PEER_EVENT_STATE {
		return
	}
	addr := ev.Peer.State.NeighborAddress
	if !addr.IsValid() {
		addr = ev.Peer.Conf.NeighborAddress
	}
	st := ev.Peer.State.SessionState
	now := s.clock.Now()
	s.pmu.Lock()
	p, ok := s.peers[addr]
	if !ok || p.state == st {
		s.pmu.Unlock()
		return
	}
	prev := p.state
	p.state, p.since = st, now
	reason := ""
	if prev == gobgp.BGP_FSM_ESTABLISHED {
		p.flaps++
		reason = disconnectReason(ev.Peer.State)
		p.lastErr = reason
	}
	s.pmu.Unlock()
	attrs := []slog.Attr{slog.String(keyPeer, addr.String()), slog.String(keyState, stateName(st))}
	switch {
	case st == gobgp.BGP_FSM_ESTABLISHED:
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "bgp peer up", attrs...)
	case prev == gobgp.BGP_FSM_ESTABLISHED:
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "bgp peer down", append(attrs, slog.String(keyReason, reason))...)
	default:
		s.log.LogAttrs(context.Background(), slog.LevelDebug, "bgp peer state", attrs...)
	}
}

func disconnectReason(st apiutil.PeerState) string {
	r := strings.ToLower(strings.TrimPrefix(st.DisconnectReason.String(), "DISCONNECT_REASON_"))
	if st.DisconnectReason == api.PeerState_DISCONNECT_REASON_UNSPECIFIED {
		r = "unknown"
	}
	if st.DisconnectMessage != "" {
		r += ": " + st.DisconnectMessage
	}
	return r
}

// Status reports each configured peer, in configuration order: session state, since when,
// uptime, flaps, and the number of routes advertised to it.
func (s *Speaker) Status() []edge.PeerStatus {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	sent := map[netip.Addr]int{}
	if srv != nil {
		_ = srv.ListPeer(context.Background(), &api.ListPeerRequest{EnableAdvertised: true}, func(p *api.Peer) {
			if p.Conf == nil {
				return
			}
			a, err := netip.ParseAddr(p.Conf.NeighborAddress)
			if err != nil {
				return
			}
			for _, af := range p.AfiSafis {
				if af.State != nil {
					sent[a] += int(af.State.Advertised)
				}
			}
		})
	}
	now := s.clock.Now()
	s.pmu.Lock()
	defer s.pmu.Unlock()
	out := make([]edge.PeerStatus, 0, len(s.cfg.Peers))
	for _, c := range s.cfg.Peers {
		p := s.peers[c.Address]
		st := edge.PeerStatus{
			Peer:      netip.AddrPortFrom(c.Address, c.port()).String(),
			ASN:       c.ASN,
			State:     stateName(p.state),
			Up:        p.state == gobgp.BGP_FSM_ESTABLISHED,
			Since:     p.since,
			Flaps:     p.flaps,
			Sent:      sent[c.Address],
			LastError: p.lastErr,
		}
		if st.Up {
			st.Uptime = now.Sub(p.since)
		}
		out = append(out, st)
	}
	return out
}

// levelHandler drops GoBGP's records below a level, whatever the wrapped handler accepts.
type levelHandler struct {
	h     slog.Handler
	level slog.Leveler
}

func (l *levelHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.level.Level() && l.h.Enabled(ctx, lv)
}

func (l *levelHandler) Handle(ctx context.Context, r slog.Record) error { return l.h.Handle(ctx, r) }

func (l *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelHandler{h: l.h.WithAttrs(as), level: l.level}
}

func (l *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{h: l.h.WithGroup(name), level: l.level}
}
