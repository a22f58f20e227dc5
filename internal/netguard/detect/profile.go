package detect

import (
	"errors"
	"fmt"
	"maps"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Limit is a threshold on one traffic class. Traffic is above it when a complete second carries
// strictly more than PPS packets, BPS bits or FPS flow records: a second exactly at the limit is
// not above it. A zero field is not checked.
//
// FPS counts the flow records (sFlow samples, NetFlow/IPFIX records) that cover the second, not
// scaled by sampling: set it with the exporters' sampling in mind, or leave it zero.
type Limit struct {
	PPS uint64 `yaml:"pps"`
	BPS uint64 `yaml:"bps"`
	FPS uint64 `yaml:"fps"`
}

// Profile holds the thresholds of one IP (or of a prefix aggregate, for carpet bombing).
//
// The classes overlap: TCP, UDP and ICMP are parts of Total; SYN (TCP SYN without ACK) is part
// of TCP; each amplification vector (UDP from a reflector's source port) is part of UDP;
// Fragments counts IP fragments of any protocol.
type Profile struct {
	Total     Limit `yaml:"total"`
	TCP       Limit `yaml:"tcp"`
	SYN       Limit `yaml:"syn"`
	UDP       Limit `yaml:"udp"`
	ICMP      Limit `yaml:"icmp"`
	Fragments Limit `yaml:"fragments"`
	// Amplification applies to every amplification vector not listed in Vectors.
	Amplification Limit `yaml:"amplification"`
	// Vectors overrides Amplification per amplification vector.
	Vectors map[netguard.Vector]Limit `yaml:"vectors"`
	// BaselineFactor and BaselineCap raise the thresholds of a busy IP: the effective limit is
	// its learned baseline times BaselineFactor, but never below the limit above nor beyond the
	// limit times BaselineCap. A zero BaselineFactor disables learning.
	BaselineFactor float64 `yaml:"baseline_factor"`
	BaselineCap    float64 `yaml:"baseline_cap"`
}

// Validate reports thresholds the detector cannot use.
func (p Profile) Validate() error {
	var errs []error
	for v := range p.Vectors {
		if _, ok := amplificationPort(v); !ok {
			errs = append(errs, fmt.Errorf("vector %q is not an amplification vector", v))
		}
	}
	if p.BaselineFactor < 0 || p.BaselineFactor > 100 {
		errs = append(errs, fmt.Errorf("baseline_factor %g outside [0, 100]", p.BaselineFactor))
	}
	if p.BaselineFactor > 0 && (p.BaselineCap < 1 || p.BaselineCap > 100) {
		errs = append(errs, fmt.Errorf("baseline_cap %g outside [1, 100]", p.BaselineCap))
	}
	return errors.Join(errs...)
}

func amplificationPort(v netguard.Vector) (uint16, bool) {
	for _, a := range netguard.Amplifications() {
		if a.Vector == v {
			return a.Port, true
		}
	}
	return 0, false
}

const (
	mbps = 1_000_000
	gbps = 1_000_000_000
)

// Names of the default profiles.
const (
	ProfileDefault = "default"
	ProfileStrict  = "strict"
	ProfileGaming  = "gaming"
	ProfileWeb     = "web"
	// ProfileCarpet holds the thresholds of the prefix aggregates (carpet bombing).
	ProfileCarpet = "carpet"
)

// DefaultProfiles returns the built-in profiles. "default" suits a dedicated server on a
// 1 Gbit/s port; "strict" halves it and learns no baseline; "gaming" accepts much more small UDP
// but little reflection; "web" accepts many new TCP connections and QUIC; "carpet" applies to
// the aggregate of a whole prefix (a /24 by default).
func DefaultProfiles() map[string]Profile {
	def := Profile{
		Total:          Limit{PPS: 100_000, BPS: 1 * gbps},
		TCP:            Limit{PPS: 80_000, BPS: 800 * mbps},
		SYN:            Limit{PPS: 10_000},
		UDP:            Limit{PPS: 50_000, BPS: 500 * mbps},
		ICMP:           Limit{PPS: 10_000, BPS: 100 * mbps},
		Fragments:      Limit{PPS: 5_000, BPS: 100 * mbps},
		Amplification:  Limit{PPS: 5_000, BPS: 100 * mbps},
		Vectors:        map[netguard.Vector]Limit{netguard.VectorDNSAmplification: {PPS: 20_000, BPS: 400 * mbps}},
		BaselineFactor: 2,
		BaselineCap:    3,
	}
	strict := Profile{
		Total:         Limit{PPS: 50_000, BPS: 500 * mbps},
		TCP:           Limit{PPS: 40_000, BPS: 400 * mbps},
		SYN:           Limit{PPS: 5_000},
		UDP:           Limit{PPS: 25_000, BPS: 250 * mbps},
		ICMP:          Limit{PPS: 5_000, BPS: 50 * mbps},
		Fragments:     Limit{PPS: 2_500, BPS: 50 * mbps},
		Amplification: Limit{PPS: 2_500, BPS: 50 * mbps},
		Vectors:       map[netguard.Vector]Limit{netguard.VectorDNSAmplification: {PPS: 10_000, BPS: 200 * mbps}},
	}
	gaming := Profile{
		Total:          Limit{PPS: 200_000, BPS: 1 * gbps},
		TCP:            Limit{PPS: 40_000, BPS: 400 * mbps},
		SYN:            Limit{PPS: 5_000},
		UDP:            Limit{PPS: 150_000, BPS: 800 * mbps},
		ICMP:           Limit{PPS: 5_000, BPS: 50 * mbps},
		Fragments:      Limit{PPS: 2_000, BPS: 50 * mbps},
		Amplification:  Limit{PPS: 2_000, BPS: 50 * mbps},
		Vectors:        map[netguard.Vector]Limit{netguard.VectorDNSAmplification: {PPS: 5_000, BPS: 100 * mbps}},
		BaselineFactor: 2,
		BaselineCap:    2,
	}
	web := Profile{
		Total:          Limit{PPS: 200_000, BPS: 2 * gbps},
		TCP:            Limit{PPS: 150_000, BPS: 1500 * mbps},
		SYN:            Limit{PPS: 30_000},
		UDP:            Limit{PPS: 30_000, BPS: 300 * mbps},
		ICMP:           Limit{PPS: 5_000, BPS: 50 * mbps},
		Fragments:      Limit{PPS: 2_000, BPS: 50 * mbps},
		Amplification:  Limit{PPS: 2_000, BPS: 50 * mbps},
		Vectors:        map[netguard.Vector]Limit{netguard.VectorDNSAmplification: {PPS: 10_000, BPS: 200 * mbps}},
		BaselineFactor: 2,
		BaselineCap:    3,
	}
	carpet := Profile{
		Total:          Limit{PPS: 500_000, BPS: 5 * gbps},
		TCP:            Limit{PPS: 400_000, BPS: 4 * gbps},
		SYN:            Limit{PPS: 50_000},
		UDP:            Limit{PPS: 250_000, BPS: 2500 * mbps},
		ICMP:           Limit{PPS: 50_000, BPS: 500 * mbps},
		Fragments:      Limit{PPS: 20_000, BPS: 250 * mbps},
		Amplification:  Limit{PPS: 20_000, BPS: 250 * mbps},
		Vectors:        map[netguard.Vector]Limit{netguard.VectorDNSAmplification: {PPS: 80_000, BPS: 1 * gbps}},
		BaselineFactor: 2,
		BaselineCap:    2,
	}
	return map[string]Profile{
		ProfileDefault: def, ProfileStrict: strict, ProfileGaming: gaming, ProfileWeb: web, ProfileCarpet: carpet,
	}
}

// metric indexes of a counter: packets, bits, flow records.
const (
	mPkts = iota
	mBits
	mFlows
	numMetrics
)

// profile is a Profile compiled to per-counter limits.
type profile struct {
	name   string
	lim    [maxEval][numMetrics]float64 // 0: not checked
	factor float64
	cap    float64
	// inv holds 1/lim (0: not checked), calmable that the baseline never lowers a limit, for
	// Tick's test of calm subjects.
	inv      [maxEval][numMetrics]float64
	calmable bool
}

func compileProfile(name string, p Profile, l *layout) profile {
	c := profile{name: name, factor: p.BaselineFactor, cap: p.BaselineCap}
	set := func(i int, l Limit) { c.lim[i] = [numMetrics]float64{float64(l.PPS), float64(l.BPS), float64(l.FPS)} }
	set(l.total, p.Total)
	set(cTCP, p.TCP)
	set(cSYN, p.SYN)
	set(cUDP, p.UDP)
	set(cICMP, p.ICMP)
	set(cFrag, p.Fragments)
	for i, v := range l.amps {
		lim, ok := p.Vectors[v]
		if !ok {
			lim = p.Amplification
		}
		set(cAmp0+i, lim)
	}
	for i := range c.lim {
		for mt, lim := range c.lim[i] {
			if lim > 0 {
				c.inv[i][mt] = 1 / lim
			}
		}
	}
	c.calmable = c.factor <= 0 || c.cap >= 1
	return c
}

func mergeProfiles(over map[string]Profile) map[string]Profile {
	all := DefaultProfiles()
	maps.Copy(all, over)
	return all
}
