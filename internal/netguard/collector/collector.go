package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
)

// Sink receives the decoded flow records with their receive time. The detector
// (detect.Detector) is one. Add is called from several goroutines at once and must not keep f,
// which is reused for the next record.
type Sink interface {
	Add(f *netguard.Flow, now time.Time)
}

// BatchSink is a Sink that also takes several records received at the same time in one call
// (the detector does, taking each of its locks once per call). The collector then hands it the
// records of each receive batch at once, in the order decoded, instead of calling Add for each.
// AddBatch is called from several goroutines at once and must not keep flows, which is reused.
type BatchSink interface {
	Sink
	AddBatch(flows []netguard.Flow, now time.Time)
}

// LaneSink is a BatchSink that also takes the index of the goroutine handing the records over
// (the detector does, keeping the counts nearly every record writes apart per goroutine, so that
// they do not travel between the processors' caches). The collector then calls AddBatchLane
// with each socket's own lane instead of AddBatch.
type LaneSink interface {
	BatchSink
	AddBatchLane(lane int, flows []netguard.Flow, now time.Time)
}

// Deps are the collector's collaborators.
type Deps struct {
	Logger *slog.Logger
	Clock  clock.Clock
	// Registry receives the collector's metrics; New registers them and Close unregisters
	// them. Nil: a private registry.
	Registry *prometheus.Registry
	Sink     Sink
}

// Collector receives flow telemetry and feeds the Sink. Create it with New.
type Collector struct {
	cfg     compiled
	log     *slog.Logger
	clock   clock.Clock
	sink    Sink
	metrics *metrics

	mu       sync.Mutex
	bound    bool
	closed   bool
	workers  []*worker
	sockets  map[Listener][]*socket
	running  bool
	shutdown sync.Once
}

// New validates cfg and returns an inert Collector: no socket is opened before Listen or Run.
func New(cfg Config, deps Deps) (*Collector, error) {
	cc, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	if deps.Clock == nil || deps.Sink == nil {
		return nil, errors.New("collector needs a clock and a sink")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{
		cfg:     cc,
		log:     log.With(logkey.Component, "netguard/collector"),
		clock:   deps.Clock,
		sink:    deps.Sink,
		sockets: map[Listener][]*socket{},
	}
	reg := deps.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if c.metrics, err = newMetrics(reg, c); err != nil {
		return nil, fmt.Errorf("collector metrics: %w", err)
	}
	return c, nil
}

// Listen binds every configured socket, so that a busy port fails early and Addrs answers. Run
// calls it when it was not called; a second call does nothing.
func (c *Collector) Listen(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("collector is closed")
	}
	if c.bound {
		return nil
	}
	var all []*socket
	var workers []*worker
	for _, kind := range Listeners() {
		for _, ap := range c.cfg.listen[kind] {
			ss, err := listenGroup(ctx, ap, c.cfg.sockets, c.cfg.rcvbuf)
			if err != nil {
				closeAll(all)
				return err
			}
			all = append(all, ss...)
			c.sockets[kind] = append(c.sockets[kind], ss...)
			for _, s := range ss {
				workers = append(workers, newWorker(c, kind, s, len(workers)))
			}
			c.report(kind, ss)
		}
	}
	c.workers, c.bound = workers, true
	return nil
}

// report logs a listener and publishes its buffer size.
func (c *Collector) report(kind Listener, ss []*socket) {
	granted := ss[0].rcvbuf
	for _, s := range ss {
		granted = min(granted, s.rcvbuf)
	}
	c.metrics.rcvbuf.WithLabelValues(string(kind)).Set(float64(granted))
	c.log.Info("collector listening", "listener", string(kind), logkey.Addr, ss[0].local.String(),
		"sockets", len(ss), "socket_buffer_bytes", granted)
	if granted < c.cfg.rcvbuf {
		c.log.Warn("collector socket buffer capped by the kernel", "listener", string(kind), logkey.Addr, ss[0].local.String(),
			"requested_bytes", c.cfg.rcvbuf, "granted_bytes", granted,
			"hint", fmt.Sprintf("sysctl -w net.core.rmem_max=%d, or run with CAP_NET_ADMIN", c.cfg.rcvbuf))
	}
}

// Addrs returns the bound addresses of a listener (one per configured address), after Listen.
func (c *Collector) Addrs(kind Listener) []netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []netip.AddrPort
	for _, s := range c.sockets[kind] {
		if len(out) == 0 || out[len(out)-1] != s.local {
			out = append(out, s.local)
		}
	}
	return out
}

// Run receives until ctx ends, which is not an error, then closes the sockets. It returns an
// error when the sockets cannot be bound.
func (c *Collector) Run(ctx context.Context) error {
	if err := c.Listen(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	if c.running || c.closed {
		c.mu.Unlock()
		return errors.New("collector already running or closed")
	}
	c.running = true
	workers := c.workers
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(w.run)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-ctx.Done():
	case <-done:
	}
	c.closeSockets()
	<-done
	return nil
}

func (c *Collector) closeSockets() {
	c.shutdown.Do(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, ss := range c.sockets {
			closeAll(ss)
		}
	})
}

// Close releases the sockets and unregisters the metrics. Run returns once its sockets are
// closed.
func (c *Collector) Close() error {
	c.closeSockets()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.metrics.unregister()
	}
	return nil
}

// Stats are the collector's counters summed over its sockets.
type Stats struct {
	Datagrams        uint64 // datagrams received, from any source
	UnknownExporters uint64 // datagrams dropped for coming from outside the allow-list
	Flows            uint64 // records handed to the sink
	FlowsByFormat    map[string]uint64
	Malformed        uint64 // units the decoders rejected (see the malformed_total metric)
	UnknownTemplates uint64 // data sets skipped for lack of a template
	SamplingRejected uint64 // records dropped for an absurd sampling rate
	SocketDrops      uint64 // datagrams the kernel dropped on full receive buffers
	ReadErrors       uint64
	DecodeErrors     map[string]uint64 // datagrams by the kind of their first decode error
	Templates        int               // templates held now
}

// Stats returns the counters, up to the latest batch each socket processed.
func (c *Collector) Stats() Stats {
	st := Stats{FlowsByFormat: map[string]uint64{}, DecodeErrors: map[string]uint64{}}
	for _, w := range c.workerList() {
		w.mu.Lock()
		st.Datagrams += w.cnt[cDatagrams]
		st.UnknownExporters += w.cnt[cUnknownExporter]
		st.Malformed += w.cnt[cMalformed]
		st.UnknownTemplates += w.cnt[cUnknownTemplate]
		st.SamplingRejected += w.cnt[cSamplingRejected]
		st.SocketDrops += w.cnt[cSocketDrops]
		st.ReadErrors += w.cnt[cReadErrors]
		for k, f := range flowFormats {
			st.FlowsByFormat[f] += w.cnt[k]
			st.Flows += w.cnt[k]
		}
		for k, kind := range errorKinds {
			if w.cnt[k] > 0 {
				st.DecodeErrors[kind] += w.cnt[k]
			}
		}
		st.Templates += w.templates
		w.mu.Unlock()
	}
	return st
}

func (c *Collector) workerList() []*worker {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.workers
}
