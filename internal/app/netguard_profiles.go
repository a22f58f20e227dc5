package app

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// NetguardProfile sets the detection thresholds of one profile (netguard.detect.profiles):
// a new profile, or new values for a built-in one (default, strict, gaming, web, carpet).
//
//	netguard:
//	  detect:
//	    profiles:
//	      - name: default                       # changes the built-in profile
//	        udp: {pps: 80000, bps: 800000000}
//	        vectors: [{vector: dns-amplification, pps: 30000}]
//	      - name: voip                          # a new profile, from "strict"
//	        base: strict
//	        udp: {pps: 120000}
//	    customer_profiles: [default, gaming, strict, web, voip]
//
// It starts from its base: the built-in profile of the same name, else Base (a built-in
// profile or one listed before it), else "default". Each class written replaces the base's
// limit for that class; a class left out, or written with only zeros, keeps the base's.
type NetguardProfile struct {
	Name string `yaml:"name"`
	Base string `yaml:"base"`
	// The limits: more than pps packets, bps bits or fps flow records in one second is above
	// (0: not checked, when another field of the class is set).
	Total         detect.Limit `yaml:"total"`
	TCP           detect.Limit `yaml:"tcp"`
	SYN           detect.Limit `yaml:"syn"`
	UDP           detect.Limit `yaml:"udp"`
	ICMP          detect.Limit `yaml:"icmp"`
	Fragments     detect.Limit `yaml:"fragments"`
	Amplification detect.Limit `yaml:"amplification"`
	// Vectors sets the limit of single amplification vectors (dns-amplification,
	// ntp-amplification...), which otherwise take Amplification.
	Vectors []NetguardVectorLimit `yaml:"vectors"`
	// BaselineFactor and BaselineCap (0: the base's) raise the limits of a busy IP to its
	// learned baseline times the factor, at most the limits times the cap; NoBaseline turns
	// learning off.
	BaselineFactor float64 `yaml:"baseline_factor"`
	BaselineCap    float64 `yaml:"baseline_cap"`
	NoBaseline     bool    `yaml:"no_baseline"`
}

// NetguardVectorLimit is the limit of one amplification vector in a profile.
type NetguardVectorLimit struct {
	Vector netguard.Vector `yaml:"vector"`
	PPS    uint64          `yaml:"pps"`
	BPS    uint64          `yaml:"bps"`
	FPS    uint64          `yaml:"fps"`
}

// DefaultCustomerProfiles are the profiles a customer may choose, the default first.
func DefaultCustomerProfiles() []string {
	return []string{detect.ProfileDefault, detect.ProfileGaming, detect.ProfileStrict, detect.ProfileWeb}
}

// profiles returns the detector's profiles (built-in ones changed and new ones added by
// Profiles) and the errors, each naming its key.
func (c NetguardDetectConfig) profiles() (map[string]detect.Profile, error) {
	builtin := detect.DefaultProfiles()
	out := maps.Clone(builtin)
	var list []error
	seen := map[string]bool{}
	for i, p := range c.Profiles {
		key := fmt.Sprintf("netguard.detect.profiles[%d]", i)
		bad := func(field, msg string, args ...any) {
			list = append(list, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(msg, args...)))
		}
		if p.Name == "" {
			bad("name", "must not be empty")
			continue
		}
		if seen[p.Name] {
			bad("name", "%q is listed twice", p.Name)
			continue
		}
		seen[p.Name] = true
		base, ok := builtin[p.Name]
		switch {
		case ok && p.Base != "" && p.Base != p.Name:
			bad("base", "%q is a built-in profile: it starts from itself", p.Name)
		case !ok && p.Base != "":
			if base, ok = out[p.Base]; !ok { // the built-in ones and those listed before
				bad("base", "unknown profile %q (a built-in profile or one listed before)", p.Base)
			}
		case !ok:
			base = builtin[detect.ProfileDefault]
		}
		prof := base
		prof.Vectors = maps.Clone(base.Vectors)
		for _, l := range []struct {
			dst *detect.Limit
			src detect.Limit
		}{{&prof.Total, p.Total}, {&prof.TCP, p.TCP}, {&prof.SYN, p.SYN}, {&prof.UDP, p.UDP}, {&prof.ICMP, p.ICMP},
			{&prof.Fragments, p.Fragments}, {&prof.Amplification, p.Amplification}} {
			if l.src != (detect.Limit{}) {
				*l.dst = l.src
			}
		}
		amps := map[netguard.Vector]bool{}
		for _, a := range netguard.Amplifications() {
			amps[a.Vector] = true
		}
		for j, v := range p.Vectors {
			if !amps[v.Vector] {
				bad(fmt.Sprintf("vectors[%d].vector", j), "%q is not an amplification vector (%s)", v.Vector, ampNames())
				continue
			}
			if prof.Vectors == nil {
				prof.Vectors = map[netguard.Vector]detect.Limit{}
			}
			prof.Vectors[v.Vector] = detect.Limit{PPS: v.PPS, BPS: v.BPS, FPS: v.FPS}
		}
		if p.BaselineFactor != 0 {
			prof.BaselineFactor = p.BaselineFactor
		}
		if p.BaselineCap != 0 {
			prof.BaselineCap = p.BaselineCap
		}
		if p.NoBaseline {
			prof.BaselineFactor, prof.BaselineCap = 0, 0
		}
		if prof.BaselineFactor < 0 || prof.BaselineFactor > 100 {
			bad("baseline_factor", "%g is outside [0, 100]", prof.BaselineFactor)
		} else if prof.BaselineFactor > 0 && (prof.BaselineCap < 1 || prof.BaselineCap > 100) {
			bad("baseline_cap", "%g is outside [1, 100]", prof.BaselineCap)
		}
		if err := prof.Validate(); err != nil && len(list) == 0 {
			list = append(list, fmt.Errorf("%s: %w", key, err))
		}
		out[p.Name] = prof
	}
	if err := c.assignment(out); err != nil {
		list = append(list, err)
	}
	return out, errors.Join(list...)
}

// assignment checks which profiles customers may choose and the infrastructure's.
func (c NetguardDetectConfig) assignment(profiles map[string]detect.Profile) error {
	var list []error
	if len(c.CustomerProfiles) == 0 || c.CustomerProfiles[0] != detect.ProfileDefault {
		list = append(list, fmt.Errorf("netguard.detect.customer_profiles: must list %q first (the profile of an IP that chose none)", detect.ProfileDefault))
	}
	for i, name := range c.CustomerProfiles {
		switch _, ok := profiles[name]; {
		case !ok:
			list = append(list, fmt.Errorf("netguard.detect.customer_profiles[%d]: unknown profile %q", i, name))
		case name == detect.ProfileCarpet:
			list = append(list, fmt.Errorf("netguard.detect.customer_profiles[%d]: %q applies to whole prefixes, not to one IP", i, name))
		case slices.Index(c.CustomerProfiles, name) != i:
			list = append(list, fmt.Errorf("netguard.detect.customer_profiles[%d]: %q is listed twice", i, name))
		}
	}
	if _, ok := profiles[c.InfrastructureProfile]; !ok {
		list = append(list, fmt.Errorf("netguard.detect.infrastructure_profile: unknown profile %q", c.InfrastructureProfile))
	}
	if _, err := parseInfrastructure(c.Infrastructure); err != nil {
		list = append(list, fmt.Errorf("netguard.detect.infrastructure: %w", err))
	}
	return errors.Join(list...)
}

func ampNames() string {
	var s string
	for i, a := range netguard.Amplifications() {
		if i > 0 {
			s += ", "
		}
		s += string(a.Vector)
	}
	return s
}

// parseInfrastructure reads the host's own IPs that detection watches ("PREFIX" items, at most
// 1024 addresses each) and lists them.
func parseInfrastructure(ss []string) ([]netip.Addr, error) {
	ps, err := parsePrefixes(ss)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for i, p := range ps {
		if p.Addr().BitLen()-p.Bits() > 10 {
			return nil, fmt.Errorf("%q: at most 1024 addresses", ss[i])
		}
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			out = append(out, a)
		}
	}
	return out, nil
}
