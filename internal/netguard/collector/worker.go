package collector

import (
	"encoding/binary"
	"errors"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

// maxDatagram is the receive buffer of one message: jumbo frames fit, larger datagrams are
// counted as oversize and dropped.
const maxDatagram = 9216

// maxPending bounds the records a worker holds for a BatchSink before handing them over.
const maxPending = 1024

// logEvery spaces the sampled log lines of one socket.
const logEvery = time.Minute

// worker reads one socket with its own decoder. Its goroutine owns everything; mu guards what
// Stats and Exporters read, and is taken once per batch.
type worker struct {
	c      *Collector
	kind   Listener
	sock   *socket
	batch  *batch
	nf     *netflow.Decoder
	sf     *sflow.Decoder
	emitFn func(*netguard.Flow)
	series [numCounters]prometheus.Counter

	batchSink BatchSink       // the sink, when it takes batches
	laneSink  LaneSink        // the sink, when it takes batches by lane
	lane      int             // this worker's lane: its index among the collector's workers
	pending   []netguard.Flow // records of the current batch for batchSink

	now      time.Time
	nowSec   int64 // now: unix seconds and nanoseconds
	nowNsec  int64
	cur      *exporterStat
	curAddr  netip.Addr
	n        uint64 // records of the current datagram
	lastOvfl uint32
	errRun   int // consecutive read errors

	mu        sync.Mutex
	cnt       [numCounters]uint64
	flushed   [numCounters]uint64
	templates int
	exporters map[netip.Addr]*exporterStat
	spill     exporterStat // exporters past maxExportersPerSocket
	lastLog   [2]time.Time // unknown exporter, read error
}

func newWorker(c *Collector, kind Listener, s *socket, lane int) *worker {
	w := &worker{c: c, kind: kind, sock: s, lane: lane, exporters: map[netip.Addr]*exporterStat{}}
	w.batch = newBatch(c.cfg.batch, maxDatagram, 64)
	if kind == ListenerSFlow {
		w.sf = sflow.NewDecoder(c.cfg.sflow)
	} else {
		w.nf = netflow.NewDecoder(c.cfg.netflow)
	}
	w.emitFn = w.emit
	if bs, ok := c.sink.(BatchSink); ok {
		w.batchSink = bs
		w.laneSink, _ = bs.(LaneSink)
		w.pending = make([]netguard.Flow, 0, maxPending)
	}
	w.series = c.metrics.series(kind)
	return w
}

// run reads until the socket is closed.
func (w *worker) run() {
	for {
		n, err := w.sock.read(w.batch)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			w.readError(err)
			continue
		}
		w.errRun = 0
		now := w.c.clock.Now()
		w.mu.Lock()
		w.now, w.nowSec, w.nowNsec = now, now.Unix(), int64(now.Nanosecond())
		for i := range n {
			w.datagram(&w.batch.msgs[i])
		}
		w.handOver()
		w.flush()
		w.mu.Unlock()
	}
}

// readError counts a failed receive, logs it at most once a minute and backs off when errors
// repeat, so that a broken socket does not spin.
func (w *worker) readError(err error) {
	now := w.c.clock.Now()
	w.mu.Lock()
	w.cnt[cReadErrors]++
	w.flush()
	logIt := now.Sub(w.lastLog[1]) >= logEvery
	if logIt {
		w.lastLog[1] = now
	}
	w.mu.Unlock()
	if logIt {
		w.c.log.Warn("collector read failed", "listener", string(w.kind), logkey.Addr, w.sock.local.String(), logkey.Error, err)
	}
	if w.errRun++; w.errRun > 10 {
		t := w.c.clock.NewTimer(100 * time.Millisecond)
		<-t.C()
	}
}

// datagram handles one received datagram.
func (w *worker) datagram(m *message) {
	w.cnt[cDatagrams]++
	if m.nn > 0 {
		if v, ok := overflow(m.oob[:m.nn]); ok {
			w.cnt[cSocketDrops] += uint64(v - w.lastOvfl) // cumulative per socket, wraps at 32 bits
			w.lastOvfl = v
		}
	}
	src := m.src
	if src != w.curAddr || w.cur == nil {
		if !w.c.allowed(src) {
			w.cnt[cUnknownExporter]++
			w.unknownExporter(src)
			return
		}
		w.cur, w.curAddr = w.exporter(src), src
	}
	if m.flags&unix.MSG_TRUNC != 0 {
		w.cnt[cErrOversize]++
		return
	}
	pkt := m.buf[:m.n]
	format, fc := "sflow", cFlowsSFlow
	if w.nf != nil {
		format, fc = "netflow", counter(-1)
		if len(pkt) >= 2 {
			switch binary.BigEndian.Uint16(pkt) {
			case 5:
				format, fc = "netflow5", cFlowsNetflow5
			case 9:
				format, fc = "netflow9", cFlowsNetflow9
			case 10:
				format, fc = "ipfix", cFlowsIPFIX
			}
		}
	}
	w.cur.seen(w.now, format)
	w.n = 0
	var err error
	if w.sf != nil {
		err = w.sf.Decode(src, pkt, w.now, w.emitFn)
	} else {
		err = w.nf.Decode(src, pkt, w.now, w.emitFn)
	}
	if err != nil {
		w.cnt[errorKind(err)]++
	}
	if w.n > 0 && fc >= 0 {
		w.cnt[fc] += w.n
		w.cur.counted(w.now, w.n)
	}
}

// emit hands one record to the sink (for a BatchSink, queues it until the end of the batch) and
// notes what it says of its exporter.
func (w *worker) emit(f *netguard.Flow) {
	w.n++
	e := w.cur
	e.rate = f.SamplingRate
	if w.sf == nil {
		// time.Time.Sub, twice per record, costs more than the seconds and nanoseconds.
		es, en := f.End.Unix(), int64(f.End.Nanosecond())
		if d := since(es, en, f.Start.Unix(), int64(f.Start.Nanosecond())); d > e.maxDur {
			e.maxDur = d
		}
		if lag := since(w.nowSec, w.nowNsec, es, en); lag > e.maxLag {
			e.maxLag = lag
		}
	}
	if w.batchSink == nil {
		w.c.sink.Add(f, w.now)
		return
	}
	w.pending = append(w.pending, *f)
	if len(w.pending) == maxPending {
		w.handOver()
	}
}

// since returns the time from b to a, given as unix seconds and nanoseconds, clamped to the
// range of time.Duration as time.Time.Sub does.
func since(aSec, aNsec, bSec, bNsec int64) time.Duration {
	const lim = math.MaxInt64/int64(time.Second) - 1
	switch ds := aSec - bSec; {
	case ds > lim:
		return math.MaxInt64
	case ds < -lim:
		return math.MinInt64
	default:
		return time.Duration(ds*1e9 + aNsec - bNsec)
	}
}

// handOver gives the pending records to the BatchSink.
func (w *worker) handOver() {
	if len(w.pending) == 0 {
		return
	}
	if w.laneSink != nil {
		w.laneSink.AddBatchLane(w.lane, w.pending, w.now)
	} else {
		w.batchSink.AddBatch(w.pending, w.now)
	}
	w.pending = w.pending[:0]
}

// exporter returns the state of an allow-listed exporter, made on first sight.
func (w *worker) exporter(a netip.Addr) *exporterStat {
	if e := w.exporters[a]; e != nil {
		return e
	}
	if len(w.exporters) >= maxExportersPerSocket {
		return &w.spill
	}
	e := &exporterStat{}
	w.exporters[a] = e
	return e
}

// unknownExporter logs, at most once a minute per socket, a datagram from outside the
// allow-list.
func (w *worker) unknownExporter(a netip.Addr) {
	if w.now.Sub(w.lastLog[0]) < logEvery {
		return
	}
	w.lastLog[0] = w.now
	w.c.log.Warn("collector dropped datagrams from an unknown exporter", "listener", string(w.kind),
		logkey.Exporter, a.String(), "dropped_total", w.cnt[cUnknownExporter])
}

// flush publishes the decoder's counters and adds what changed to the Prometheus series.
func (w *worker) flush() {
	if w.nf != nil {
		st := w.nf.Stats()
		w.cnt[cMalformed], w.cnt[cUnknownTemplate], w.cnt[cSamplingRejected] = st.Malformed, st.UnknownTemplate, st.SamplingRejected
		w.templates = st.Templates
	} else {
		st := w.sf.Stats()
		w.cnt[cMalformed], w.cnt[cSamplingRejected] = st.Malformed, st.SamplingRejected
	}
	for i := range w.cnt {
		if d := w.cnt[i] - w.flushed[i]; d != 0 {
			w.series[i].Add(float64(d))
			w.flushed[i] = w.cnt[i]
		}
	}
}

// allowed reports whether a is on the allow-list.
func (c *Collector) allowed(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range c.cfg.exporters {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
