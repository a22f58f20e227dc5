package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gobgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

var _ edge.Driver = (*Speaker)(nil)

// Errors of Run.
var (
	ErrRunning = errors.New("bgp speaker already running")
	ErrClosed  = errors.New("bgp speaker closed")
)

// Log attribute keys of this package that logkey does not have yet.
const (
	keyPeer   = "peer"
	keyState  = "state"
	keyReason = "reason"
	keyCount  = "count"
)

// Deps are the speaker's dependencies.
type Deps struct {
	Logger *slog.Logger
	Clock  clock.Clock
	// Passwords holds the content of each peer's password_file, by peer address.
	Passwords map[netip.Addr]string
	// GoBGPLogLevel is the least level of GoBGP's own log lines that reach Logger (a
	// *slog.LevelVar can change it at run time); nil means slog.LevelWarn. The speaker logs
	// session changes itself.
	GoBGPLogLevel slog.Leveler
}

// Speaker is an embedded GoBGP speaker that announces the edge rule set to the configured
// peers: FlowSpec routes for the flow rules, unicast routes tagged BLACKHOLE for the RTBH
// routes. It keeps the desired set in memory and in GoBGP's RIB, so that a peer whose session
// comes back receives the whole set again without any call to Apply; a caller that restarts
// itsgow calls Resync with the set compiled from the store.
//
// New is inert. Run starts the speaker and blocks; Apply and Resync may be called before, during
// and after Run (rules applied while stopped are announced when Run starts). A Speaker is safe
// for concurrent use.
type Speaker struct {
	cfg        Config
	log        *slog.Logger
	gobgpLog   *slog.Logger
	gobgpLevel *slog.LevelVar
	clock      clock.Clock
	passwords  map[netip.Addr]string
	listenAddr netip.Addr // invalid when not listening
	listenPort int32      // -1 when not listening

	mu      sync.Mutex // guards the fields below, and orders calls into srv
	rules   map[string]edge.Rule
	srv     *server.BgpServer // set while running
	running bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}

	pmu   sync.Mutex // guards peers
	peers map[netip.Addr]*peerState
}

type peerState struct {
	cfg     PeerConfig
	state   gobgp.FSMState
	since   time.Time
	flaps   int
	lastErr string
}

// New validates cfg and returns an inert speaker; nothing listens or dials before Run.
func New(cfg Config, deps Deps) (*Speaker, error) {
	if !cfg.Enabled() {
		return nil, errors.New("netguard.bgp config: disabled (no asn, listen or peers)")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil || deps.Clock == nil {
		return nil, errors.New("bgp: Deps.Logger and Deps.Clock are required")
	}
	for _, p := range cfg.Peers {
		if p.PasswordFile != "" && deps.Passwords[p.Address] == "" {
			return nil, fmt.Errorf("bgp: peer %s: empty password for password_file", p.Address)
		}
	}
	log := deps.Logger.With(logkey.Component, "netguard/bgp")
	var gobgpLevel slog.Leveler = slog.LevelWarn
	if deps.GoBGPLogLevel != nil {
		gobgpLevel = deps.GoBGPLogLevel
	}
	level := new(slog.LevelVar) // given to GoBGP, whose SetLogLevel API we do not expose
	level.Set(gobgpLevel.Level())
	s := &Speaker{
		cfg:        cfg,
		log:        log,
		gobgpLevel: level,
		gobgpLog:   slog.New(&levelHandler{h: log.With("lib", "gobgp").Handler(), level: gobgpLevel}),
		clock:      deps.Clock,
		passwords:  deps.Passwords,
		listenPort: -1,
		rules:      map[string]edge.Rule{},
		peers:      map[netip.Addr]*peerState{},
	}
	if cfg.Listen != "" {
		a, port, _ := splitListen(cfg.Listen) // cannot fail after Validate
		s.listenAddr, s.listenPort = a, int32(port)
	}
	for _, p := range cfg.Peers {
		s.peers[p.Address] = &peerState{cfg: p}
	}
	return s, nil
}

// Run starts the BGP speaker, announces the current rules, and blocks until ctx is done or
// Close is called. It returns an error when the speaker cannot start (the listen address is
// taken); once started, peer failures are logged and reported by Status, never returned.
func (s *Speaker) Run(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.running:
		s.mu.Unlock()
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.running, s.cancel, s.done = true, cancel, done
	s.mu.Unlock()
	defer close(done)
	defer cancel()

	srv := server.NewBgpServer(server.LoggerOption(s.gobgpLog, s.gobgpLevel))
	go srv.Serve()
	err := s.start(ctx, srv)
	if err == nil {
		s.log.LogAttrs(ctx, slog.LevelInfo, "bgp speaker started", slog.String(logkey.Addr, s.cfg.Listen),
			slog.Int(keyCount, len(s.cfg.Peers)))
		<-ctx.Done()
	}
	s.mu.Lock()
	s.srv, s.running = nil, false
	s.mu.Unlock()
	srv.Stop()
	s.pmu.Lock()
	for _, p := range s.peers {
		p.state, p.since = gobgp.BGP_FSM_IDLE, s.clock.Now()
	}
	s.pmu.Unlock()
	if err != nil {
		return fmt.Errorf("bgp speaker: %w", err)
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "bgp speaker stopped")
	return nil
}

func (s *Speaker) start(ctx context.Context, srv *server.BgpServer) error {
	global := &api.Global{Asn: s.cfg.ASN, RouterId: s.cfg.RouterID.String(), ListenPort: s.listenPort}
	if s.listenAddr.IsValid() {
		global.ListenAddresses = []string{s.listenAddr.String()}
	}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: global}); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if err := srv.WatchEvent(ctx, server.WatchEventMessageCallbacks{OnPeerUpdate: s.onPeer}, server.WatchPeer()); err != nil {
		return fmt.Errorf("watch peers: %w", err)
	}
	// Rules first, so that each session's first updates carry the whole set.
	s.mu.Lock()
	s.srv = srv
	var paths []*apiutil.Path
	for _, r := range s.sorted() {
		p, err := NewPath(r, s.cfg.ASN, s.cfg.NextHop)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("rule %s: %w", r, err)
		}
		paths = append(paths, p)
	}
	err := s.addPaths(paths)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, p := range s.cfg.Peers {
		if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: s.apiPeer(p)}); err != nil {
			return fmt.Errorf("add peer %s: %w", p.Address, err)
		}
	}
	return nil
}

func (s *Speaker) apiPeer(p PeerConfig) *api.Peer {
	hold := uint64(s.cfg.HoldTime / time.Second)
	if hold == 0 {
		hold = 90
	}
	retry := uint64(s.cfg.ConnectRetry / time.Second)
	if retry == 0 {
		retry = 5
	}
	ap := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: p.Address.String(), PeerAsn: p.ASN, AuthPassword: s.passwords[p.Address]},
		Transport: &api.Transport{
			RemotePort:  uint32(p.port()),
			PassiveMode: false,
		},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime: hold, KeepaliveInterval: max(hold/3, 1), ConnectRetry: retry, IdleHoldTimeAfterReset: retry,
		}},
	}
	if s.listenAddr.IsValid() && s.listenAddr.Is4() == p.Address.Unmap().Is4() {
		ap.Transport.LocalAddress = s.listenAddr.String()
	}
	if p.Multihop > 0 {
		ap.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: uint32(p.Multihop)}
	}
	for _, f := range p.families() {
		fam := familyOf(f)
		ap.AfiSafis = append(ap.AfiSafis, &api.AfiSafi{Config: &api.AfiSafiConfig{
			Family: apiutil.ToApiFamily(fam.Afi(), fam.Safi()), Enabled: true,
		}})
	}
	return ap
}

func familyOf(f PeerFamily) gobgp.Family {
	switch f {
	case IPv6FlowSpec:
		return gobgp.RF_FS_IPv6_UC
	case IPv4Unicast:
		return gobgp.RF_IPv4_UC
	case IPv6Unicast:
		return gobgp.RF_IPv6_UC
	}
	return gobgp.RF_FS_IPv4_UC
}

// Close stops a running speaker, withdrawing its routes by closing the sessions, and makes
// further Runs fail. It waits for Run to return.
func (s *Speaker) Close() error {
	s.mu.Lock()
	s.closed = true
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// Apply withdraws the removed rules and announces the added ones, each in one batch. A rule
// removed and added with the same Key is replaced by the new announcement, without a withdraw
// in between. Removing a rule the speaker does not hold is a no-op. Invalid rules are skipped
// and reported in the error; the others are applied.
func (s *Speaker) Apply(ctx context.Context, add, remove []edge.Rule) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apply(add, remove)
}

func (s *Speaker) apply(add, remove []edge.Rule) error {
	var problems []error
	adding := make(map[string]bool, len(add))
	var addPaths []*apiutil.Path
	var added []edge.Rule
	for _, r := range add {
		p, err := NewPath(r, s.cfg.ASN, s.cfg.NextHop)
		if err != nil {
			problems = append(problems, fmt.Errorf("rule %s: %w", r, err))
			continue
		}
		adding[r.Key()] = true
		addPaths = append(addPaths, p)
		added = append(added, r)
	}
	var delPaths []*apiutil.Path
	for _, r := range remove {
		k := r.Key()
		cur, ok := s.rules[k]
		if !ok || adding[k] {
			continue
		}
		delete(s.rules, k)
		if p, err := NewPath(cur, s.cfg.ASN, s.cfg.NextHop); err == nil {
			delPaths = append(delPaths, p)
		}
	}
	for _, r := range added {
		s.rules[r.Key()] = r
	}
	if s.srv != nil {
		if len(delPaths) > 0 {
			if err := s.srv.DeletePath(apiutil.DeletePathRequest{Paths: delPaths}); err != nil {
				problems = append(problems, fmt.Errorf("withdraw %d routes: %w", len(delPaths), err))
			}
		}
		if err := s.addPaths(addPaths); err != nil {
			problems = append(problems, err)
		}
	}
	if len(added) > 0 || len(delPaths) > 0 {
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "bgp routes updated",
			slog.Int("announced", len(added)), slog.Int("withdrawn", len(delPaths)), slog.Int(keyCount, len(s.rules)),
			slog.Bool("running", s.srv != nil))
	}
	return errors.Join(problems...)
}

// addPaths announces paths in one batch; s.mu is held and s.srv is set.
func (s *Speaker) addPaths(paths []*apiutil.Path) error {
	if len(paths) == 0 || s.srv == nil {
		return nil
	}
	resps, err := s.srv.AddPath(apiutil.AddPathRequest{Paths: paths})
	if err == nil {
		return nil
	}
	var problems []error
	for i, r := range resps {
		if r.Error != nil {
			problems = append(problems, fmt.Errorf("announce %s: %w", paths[i].Nlri, r.Error))
		}
	}
	if len(problems) == 0 {
		problems = append(problems, fmt.Errorf("announce %d routes: %w", len(paths), err))
	}
	return errors.Join(problems...)
}

// Resync makes the speaker announce exactly full: it withdraws what full lacks and announces
// what is new or changed.
func (s *Speaker) Resync(ctx context.Context, full edge.RuleSet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	add, remove := edge.Diff(s.sorted(), full)
	return s.apply(add, remove)
}

// Rules returns the rules the speaker holds (announced while it runs), sorted.
func (s *Speaker) Rules() edge.RuleSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sorted()
}

func (s *Speaker) sorted() edge.RuleSet {
	rs := edge.RuleSet(slices.Collect(maps.Values(s.rules)))
	rs.Sort()
	return rs
}

// Announced reads the routes of GoBGP's RIB back into rules (without origins and priorities),
// sorted; it fails when the speaker is not running.
func (s *Speaker) Announced() (edge.RuleSet, error) {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil, errors.New("bgp speaker not running")
	}
	var out edge.RuleSet
	var problems []error
	for _, fam := range []gobgp.Family{gobgp.RF_FS_IPv4_UC, gobgp.RF_FS_IPv6_UC, gobgp.RF_IPv4_UC, gobgp.RF_IPv6_UC} {
		err := srv.ListPath(apiutil.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL, Family: fam},
			func(_ gobgp.NLRI, paths []*apiutil.Path) {
				for _, p := range paths {
					r, err := ParsePath(p)
					if err != nil {
						problems = append(problems, err)
						continue
					}
					out = append(out, r)
				}
			})
		if err != nil {
			problems = append(problems, err)
		}
	}
	out.Sort()
	return out, errors.Join(problems...)
}
