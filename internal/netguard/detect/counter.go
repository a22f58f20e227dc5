package detect

import "github.com/itsgow/itsgow/internal/netguard"

// Counter indexes. The protocol classes TCP, UDP, ICMP and other are disjoint and sum to the
// total, which is not stored but computed when a second is judged. SYN is part of TCP, the
// amplification vectors are parts of UDP, fragments overlap the protocol classes.
const (
	cTCP = iota
	cUDP
	cICMP
	cOther
	cSYN
	cFrag
	cAmp0 // first amplification vector

	// maxEval bounds the counters plus the total, so that a set of them fits in a uint32.
	maxEval     = 32
	maxCounters = maxEval - 1
)

// layout maps counters to vectors and source ports to amplification counters.
type layout struct {
	amps   []netguard.Vector
	n      int   // stored counters: cAmp0 + len(amps)
	total  int   // index of the computed total (n)
	order  []int // counters in netguard.Vectors order, for reports
	vector [maxEval]netguard.Vector
	hot    [maxCounters]int8 // cell slot of a counter; -1: rings only
	port   [1 << 16]uint8    // counter of a UDP source port; 0: none
}

func newLayout() *layout {
	l := &layout{}
	for _, a := range netguard.Amplifications() {
		i := cAmp0 + len(l.amps)
		if i >= maxCounters {
			break // more vectors than counters: the rest count as plain UDP
		}
		l.amps = append(l.amps, a.Vector)
		l.port[a.Port] = uint8(i)
		l.vector[i] = a.Vector
	}
	l.n = cAmp0 + len(l.amps)
	l.total = l.n
	l.hot = hotSlots(l.n)
	l.vector[cTCP] = netguard.VectorTCPFlood
	l.vector[cUDP] = netguard.VectorUDPFlood
	l.vector[cICMP] = netguard.VectorICMPFlood
	l.vector[cSYN] = netguard.VectorSYNFlood
	l.vector[cFrag] = netguard.VectorFragments
	l.vector[l.total] = netguard.VectorIPFlood
	for _, v := range netguard.Vectors() {
		if i := l.index(v); i >= 0 {
			l.order = append(l.order, i)
		}
	}
	return l
}

// index returns the counter of v (the total for ip-flood), or -1.
func (l *layout) index(v netguard.Vector) int {
	if v == "" {
		return -1
	}
	for i := 0; i <= l.total; i++ {
		if l.vector[i] == v {
			return i
		}
	}
	return -1
}

// classes are the counters one flow record adds to (at most a protocol class, SYN or an
// amplification vector, and fragments).
type classes struct {
	c [3]uint8
	n int
}

func (l *layout) classify(f *netguard.Flow) classes {
	var cl classes
	add := func(c uint8) { cl.c[cl.n] = c; cl.n++ }
	switch f.Proto {
	case netguard.ProtoTCP:
		add(cTCP)
		if f.TCPFlags&(netguard.TCPSyn|netguard.TCPAck) == netguard.TCPSyn {
			add(cSYN)
		}
	case netguard.ProtoUDP:
		add(cUDP)
		if c := l.port[f.SrcPort]; c != 0 {
			add(c)
		}
	case netguard.ProtoICMP, netguard.ProtoICMPv6:
		add(cICMP)
	default:
		add(cOther)
	}
	if f.Fragment {
		add(cFrag)
	}
	return cl
}
