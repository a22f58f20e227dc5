package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/web"
)

// NetguardConfig configures network protection (CGU art. 9): the flow collector, detection,
// mitigation, and the edge (BGP FlowSpec/RTBH speaker, or a log of the rules for dry runs).
//
//	netguard:
//	  collector:
//	    netflow: 127.0.0.1:2055     # NetFlow v5 and v9
//	    ipfix: 127.0.0.1:4739
//	    sflow: 127.0.0.1:6343
//	    exporters: [127.0.0.1]      # allow-list
//	  bgp:
//	    asn: 65010
//	    router_id: 127.0.0.10
//	    listen: 127.0.0.10:10179    # empty: do not listen, only dial out
//	    peers:
//	      - {address: 127.0.0.20, port: 11179, asn: 65020, families: [ipv4-flowspec, ipv6-flowspec, ipv4-unicast]}
type NetguardConfig struct {
	Collector  collector.Config     `yaml:"collector"`
	BGP        bgp.Config           `yaml:"bgp"`
	Detect     NetguardDetectConfig `yaml:"detect"`
	Mitigation mitigation.Config    `yaml:"mitigation"`
	// Networks is the host's address space watched for carpet bombing ("PREFIX" items); empty:
	// the fleet's IP pools and the customer prefixes below.
	Networks []string `yaml:"networks"`
	// Customers lists customer IPs the fleet does not know (yet): "PREFIX=EMAIL" items, at most
	// 1024 addresses each.
	Customers []string `yaml:"customers"`
	// Tick is the period of the detection loop (collector role; 250ms: the detector judges a
	// second as soon as it ends and again as its late records arrive); EdgeEvery the period of the
	// edge loop (edge role) that ends due mitigations and applies the rule set; Refresh how
	// often the tracked IPs are read again from the fleet.
	Tick      time.Duration `yaml:"tick"`
	EdgeEvery time.Duration `yaml:"edge_every"`
	Refresh   time.Duration `yaml:"refresh"`
	// PruneEvery is the period of the retention job (worker role).
	PruneEvery time.Duration `yaml:"prune_every"`
}

// NetguardDetectConfig tunes the detector (netguard/detect): its thresholds come from the
// profiles built into it, changed and completed by Profiles.
type NetguardDetectConfig struct {
	// Profiles changes built-in profiles and adds new ones (NetguardProfile).
	Profiles []NetguardProfile `yaml:"profiles"`
	// CustomerProfiles are the profiles a customer may choose for an IP (pro use), "default"
	// first: the profile of every customer IP that chose none.
	CustomerProfiles []string `yaml:"customer_profiles"`
	// Infrastructure lists the host's own IPs that detection watches besides the customers'
	// ("PREFIX" items, at most 1024 addresses each: routers, resolvers, panels), judged with
	// InfrastructureProfile. Attacks on them are reported on the staff dashboard; no edge rule
	// ever touches them (they join netguard.mitigation.infrastructure).
	Infrastructure        []string `yaml:"infrastructure"`
	InfrastructureProfile string   `yaml:"infrastructure_profile"`
	// TriggerDelay is how long traffic must stay above a threshold before the detector reports
	// it (1s): the mitigation service then acts at once on heavy attacks and waits for policy
	// attack_trigger_delay (1s) on light ones.
	TriggerDelay time.Duration `yaml:"trigger_delay"`
	// ExportDelay is how long after a second ends it is judged (0: at once, and again as late
	// records arrive).
	ExportDelay time.Duration `yaml:"export_delay"`
	// EndAfter closes an attack report once the IP has been quiet this long (0: policy
	// mitigation_quiet_period).
	EndAfter         time.Duration `yaml:"end_after"`
	BaselineHalfLife time.Duration `yaml:"baseline_half_life"`
	BaselineDelay    time.Duration `yaml:"baseline_delay"`
	TopSources       int           `yaml:"top_sources"`
	CarpetBitsV4     int           `yaml:"carpet_bits_v4"`
	CarpetBitsV6     int           `yaml:"carpet_bits_v6"`
}

// DefaultNetguardConfig returns its defaults: loopback listeners, the log driver, detection
// reported after 1 second.
func DefaultNetguardConfig() NetguardConfig {
	d := detect.DefaultConfig()
	return NetguardConfig{Collector: collector.DefaultConfig(), BGP: bgp.DefaultConfig(), Mitigation: mitigation.DefaultConfig(),
		Detect: NetguardDetectConfig{Profiles: []NetguardProfile{}, CustomerProfiles: DefaultCustomerProfiles(),
			Infrastructure: []string{}, InfrastructureProfile: detect.ProfileDefault, TriggerDelay: time.Second, BaselineHalfLife: d.BaselineHalfLife, BaselineDelay: d.BaselineDelay,
			TopSources: d.TopSources, CarpetBitsV4: d.CarpetBitsV4, CarpetBitsV6: d.CarpetBitsV6},
		Networks: []string{}, Customers: []string{},
		Tick: 250 * time.Millisecond, EdgeEvery: time.Second, Refresh: time.Minute, PruneEvery: time.Hour}
}

// Validate checks it.
func (c NetguardConfig) Validate() error {
	list := []error{c.Collector.Validate(), c.BGP.Validate(), c.Mitigation.Validate()}
	if _, err := c.Detect.profiles(); err != nil {
		list = append(list, err)
	} else if err := c.detectConfig(nil, 15*time.Minute).Validate(); err != nil {
		list = append(list, fmt.Errorf("netguard.detect: %w", err))
	}
	if _, err := parsePrefixes(c.Networks); err != nil {
		list = append(list, fmt.Errorf("netguard.networks: %w", err))
	}
	if _, err := parseCustomers(c.Customers); err != nil {
		list = append(list, fmt.Errorf("netguard.customers: %w", err))
	}
	if c.Tick < 10*time.Millisecond || c.Tick > time.Second {
		list = append(list, errors.New("netguard.tick: between 10ms and 1s"))
	}
	if c.EdgeEvery < 10*time.Millisecond || c.EdgeEvery > time.Minute {
		list = append(list, errors.New("netguard.edge_every: between 10ms and 1m"))
	}
	if c.Refresh < time.Second || c.PruneEvery < time.Minute {
		list = append(list, errors.New("netguard.refresh: at least 1s; netguard.prune_every: at least 1m"))
	}
	return errors.Join(list...)
}

func (c NetguardConfig) detectConfig(networks []netip.Prefix, quiet time.Duration) detect.Config {
	d := c.Detect
	end := d.EndAfter
	if end == 0 {
		end = quiet
	}
	profiles, _ := d.profiles()
	return detect.Config{Networks: networks, Profiles: profiles, TriggerDelay: d.TriggerDelay, ExportDelay: d.ExportDelay, EndAfter: end,
		BaselineHalfLife: d.BaselineHalfLife, BaselineDelay: d.BaselineDelay, TopSources: d.TopSources,
		CarpetBitsV4: d.CarpetBitsV4, CarpetBitsV6: d.CarpetBitsV6}
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		s, _, _ = strings.Cut(strings.TrimSpace(s), "@") // fleet pools name their datacenter
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a prefix", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

type customerPrefix struct {
	prefix netip.Prefix
	email  string
}

func parseCustomers(ss []string) ([]customerPrefix, error) {
	var out []customerPrefix
	for _, s := range ss {
		pfx, email, ok := strings.Cut(s, "=")
		if !ok || !strings.Contains(email, "@") {
			return nil, fmt.Errorf("%q is not PREFIX=EMAIL", s)
		}
		ps, err := parsePrefixes([]string{pfx})
		if err != nil {
			return nil, err
		}
		p := ps[0]
		if p.Addr().BitLen()-p.Bits() > 10 {
			return nil, fmt.Errorf("%q: at most 1024 addresses", s)
		}
		out = append(out, customerPrefix{p, strings.TrimSpace(email)})
	}
	return out, nil
}

// NetguardParts holds the services and loops of network protection.
type NetguardParts struct {
	Service  *mitigation.Service
	Detector *detect.Detector
	Series   *mitigation.Series
	// Watch feeds the detector and the traffic series and acts on attacks (collector role).
	Watch *mitigation.Watch
	// Collector receives the flows; nil unless this process runs the collector role.
	Collector *collector.Collector
	// Edge applies the rule set through Driver: the BGP Speaker when netguard.bgp is
	// configured, else a log of the rules.
	Edge    *mitigation.EdgeSync
	Driver  edge.Driver
	Speaker *bgp.Speaker

	// publishMu serialises NetguardPublish: a report read earlier never overwrites a later one.
	publishMu sync.Mutex
}

// wireNetguard builds network protection: the directory of customer IPs (the fleet, plus the
// configured prefixes), the detector, the mitigation service, the edge driver and loop, the
// collector (collector role) and the retention job.
func (a *App) wireNetguard(ctx context.Context) error {
	cfg := a.Cfg.Netguard
	p := &a.Netguard
	customers, _ := parseCustomers(cfg.Customers)
	dir := &ipDirectory{accounts: a.Accounts, config: customers}
	if a.Fleet.Service != nil {
		dir.fleet = FleetDirectory{A: a}
	}
	networks, _ := parsePrefixes(cfg.Networks)
	if len(networks) == 0 {
		networks, _ = parsePrefixes(append(slices.Clone(a.Cfg.Fleet.IPv4Pools), a.Cfg.Fleet.IPv6Pools...))
		for _, c := range customers {
			networks = append(networks, c.prefix)
		}
	}
	var err error
	p.Detector, err = detect.New(cfg.detectConfig(networks, a.Cfg.Policy.MitigationQuietPeriod))
	if err != nil {
		return fmt.Errorf("netguard.detect: %w", err)
	}
	profiles := slices.Clone(cfg.Detect.CustomerProfiles) // "default" first
	infra, _ := parseInfrastructure(cfg.Detect.Infrastructure)
	mcfg := cfg.Mitigation // the infrastructure watched by detection is out of the edge's reach too
	mcfg.Infrastructure = append(slices.Clone(mcfg.Infrastructure), cfg.Detect.Infrastructure...)
	p.Series = mitigation.NewSeries(cfg.Mitigation.TrafficDelay)
	metrics := newNetguardMetrics(a)
	p.Service, err = mitigation.New(mcfg, mitigation.Deps{Logger: a.Log, Clock: a.Clock, Store: a.DB.Netguard(),
		Notify: a.Notify, Policy: a.Cfg.Policy, Directory: dir, Profiles: profiles,
		Track:   func(ip netip.Addr, profile string) { p.Watch.Track(ip, profile) },
		Wake:    func() { p.Edge.Wake() },
		Changed: metrics.observe})
	if err != nil {
		return err
	}
	detProfiles, _ := cfg.Detect.profiles()
	p.Watch = mitigation.NewWatch(p.Service, p.Detector, p.Series, mitigation.WatchConfig{Refresh: cfg.Refresh, Every: cfg.Tick,
		Infrastructure: infra, InfrastructureProfile: cfg.Detect.InfrastructureProfile, Profiles: detProfiles})
	if cfg.BGP.Enabled() && a.Cfg.Has("edge") {
		passwords := map[netip.Addr]string{}
		for _, peer := range cfg.BGP.Peers {
			if peer.PasswordFile == "" {
				continue
			}
			b, err := os.ReadFile(peer.PasswordFile)
			if err != nil {
				return fmt.Errorf("netguard.bgp.peers %s password_file: %w", peer.Address, err)
			}
			passwords[peer.Address] = strings.TrimSpace(string(b))
		}
		p.Speaker, err = bgp.New(cfg.BGP, bgp.Deps{Logger: a.Log, Clock: a.Clock, Passwords: passwords, GoBGPLogLevel: slog.LevelWarn})
		if err != nil {
			return err
		}
		p.Driver = p.Speaker
	} else {
		p.Driver = edge.NewLogDriver(a.Log)
	}
	p.Edge = mitigation.NewEdgeSync(p.Service, p.Driver, cfg.EdgeEvery)
	if a.Cfg.Has("collector") {
		p.Collector, err = collector.New(cfg.Collector, collector.Deps{Logger: a.Log, Clock: a.Clock, Registry: a.Registry, Sink: p.Watch})
		if err != nil {
			return err
		}
	}
	if err := a.Registry.Register(metrics); err != nil {
		return fmt.Errorf("netguard metrics: %w", err)
	}
	a.Runner.Handle(mitigation.JobPrune, p.Service.HandlePrune)
	a.Runner.Periodic(mitigation.JobPrune, cfg.PruneEvery)
	return nil
}

// seedNetguard gives the demo IP (the demo server's main address, 198.18.0.10) the pro-use
// option, so that the demo shows permanent mitigation and the profiles; README shows the
// flowgen command that attacks it.
func (a *App) seedNetguard(ctx context.Context, c *DemoCredentials) error {
	ip := netip.MustParseAddr(DemoMainIP)
	v, err := a.Netguard.Service.IP(ctx, 0, ip)
	if err != nil {
		return err
	}
	if v.Owner.Customer == 0 {
		return nil // no demo server (fleet.simlab off)
	}
	_, err = a.Netguard.Service.SetProUse(ctx, account.Actor{Kind: "system", Label: "demo seed"}, ip, true)
	a.Netguard.Watch.Refresh() // track the demo server's IP now, not at the next refresh
	return err
}

// netguardAPI gives the API its services of this capability.
func (a *App) netguardAPI() api.NetguardDeps {
	// Profile tests read the attacks' per-class seconds from the store in any process, and the
	// last minute from the detector where this process runs the collector (a process without
	// it tracks no IP: its detector holds nothing).
	return api.NetguardDeps{Mitigation: a.Netguard.Service, Edge: a.netguardEdgeState(), Exporters: a.netguardExporters(),
		Traffic: a.netguardTraffic(), ProfileTest: a.Netguard.Watch.TestProfile}
}

// netguardWeb gives the web interface its services of this capability.
func (a *App) netguardWeb() web.NetguardDeps {
	// Profile tests read the attacks' per-class seconds from the store in any process, and the
	// last minute from the detector where this process runs the collector (a process without
	// it tracks no IP: its detector holds nothing).
	return web.NetguardDeps{Mitigation: a.Netguard.Service, Edge: a.netguardEdgeState(), Exporters: a.netguardExporters(),
		Traffic: a.netguardTraffic(), ProfileTest: a.Netguard.Watch.TestProfile}
}

// netguardLoops are the long-running loops of this capability for the roles in a.Cfg.Roles:
// the collector's sockets and the detection loop (collector), the BGP speaker and the edge loop
// (edge), and for either role the publication of its runtime status (netguard_runtime.go). The
// retention job runs in the worker's runner.
func (a *App) netguardLoops() []func(context.Context) error {
	p := &a.Netguard
	var out []func(context.Context) error
	if p.Collector != nil {
		c := p.Collector
		out = append(out, func(ctx context.Context) error {
			defer c.Close()
			return c.Run(ctx)
		}, p.Watch.Run)
	}
	if a.Cfg.Has("edge") {
		if s := p.Speaker; s != nil {
			out = append(out, func(ctx context.Context) error {
				err := s.Run(ctx)
				if err != nil && ctx.Err() == nil {
					a.Log.Error("bgp speaker stopped", logkey.Error, err)
				}
				return err
			})
		}
		out = append(out, p.Edge.Run)
	}
	if a.netguardPublishes() {
		out = append(out, a.netguardPublishLoop)
	}
	return out
}

// NetguardTick runs one iteration of the detection loop and one of the edge loop, whatever the
// roles (tests with a fake clock).
func (a *App) NetguardTick(ctx context.Context) error {
	return errors.Join(a.Netguard.Watch.Tick(ctx), a.Netguard.Edge.Tick(ctx))
}

// ipDirectory tells who holds an IP: the fleet's delivered servers (FleetDirectory), then the
// configured customer prefixes.
type ipDirectory struct {
	fleet    mitigation.Directory // nil without the fleet
	accounts *account.Service
	config   []customerPrefix
}

var _ mitigation.Directory = (*ipDirectory)(nil)

func (d *ipDirectory) Owner(ctx context.Context, ip netip.Addr) (mitigation.Owner, bool, error) {
	ip = ip.Unmap()
	if d.fleet != nil {
		if o, ok, err := d.fleet.Owner(ctx, ip); err != nil || ok {
			return o, ok, err
		}
	}
	for _, c := range d.config {
		if c.prefix.Contains(ip) {
			id, err := d.customer(ctx, c.email)
			if err != nil || id == 0 {
				return mitigation.Owner{}, false, err
			}
			return mitigation.Owner{IP: ip, Customer: id, Kind: "main"}, true, nil
		}
	}
	return mitigation.Owner{}, false, nil
}

func (d *ipDirectory) customer(ctx context.Context, email string) (account.ID, error) {
	accs, err := d.accounts.List(ctx, account.ListFilter{Kind: account.KindCustomer, Query: email, Limit: 5})
	if err != nil {
		return 0, err
	}
	for _, acc := range accs {
		if strings.EqualFold(acc.Email, email) {
			return acc.ID, nil
		}
	}
	return 0, nil
}

func (d *ipDirectory) IPs(ctx context.Context, customer account.ID) ([]mitigation.Owner, error) {
	var out []mitigation.Owner
	seen := map[netip.Addr]bool{}
	if d.fleet != nil {
		os, err := d.fleet.IPs(ctx, customer)
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			seen[o.IP] = true
		}
		out = append(out, os...)
	}
	for _, c := range d.config {
		id, err := d.customer(ctx, c.email)
		if err != nil {
			return nil, err
		}
		if id == 0 || (customer != 0 && id != customer) {
			continue
		}
		for a := c.prefix.Addr(); c.prefix.Contains(a); a = a.Next() {
			if !seen[a] {
				seen[a] = true
				out = append(out, mitigation.Owner{IP: a, Customer: id, Kind: "main"})
			}
		}
	}
	slices.SortFunc(out, func(x, y mitigation.Owner) int { return x.IP.Compare(y.IP) })
	return out, nil
}
