package main

import (
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/netguard"
)

// The detection profiles are configured in the file: built-in ones changed, new ones added,
// the profiles customers may choose and the infrastructure's; mistakes name their key.
func TestConfigNetguardProfiles(t *testing.T) {
	t.Parallel()
	var pf platformFlags
	pf.config = write(t, `
netguard:
  detect:
    profiles:
      - name: default
        udp: {pps: 80000, bps: 800000000}
        vectors: [{vector: dns-amplification, pps: 30000}]
      - name: voip
        base: strict
        udp: {pps: 120000}
        no_baseline: true
    customer_profiles: [default, gaming, strict, web, voip]
    infrastructure: [198.18.200.0/30]
    infrastructure_profile: voip
`)
	cfg, err := pf.load(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Netguard.Detect
	if len(d.Profiles) != 2 || d.Profiles[0].UDP.PPS != 80_000 || d.Profiles[0].Vectors[0].Vector != netguard.VectorDNSAmplification ||
		d.Profiles[1].Base != "strict" || !d.Profiles[1].NoBaseline || d.InfrastructureProfile != "voip" ||
		strings.Join(d.CustomerProfiles, ",") != "default,gaming,strict,web,voip" {
		t.Fatalf("netguard.detect %+v", d)
	}
	b, err := dumpConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"customer_profiles: [default, gaming, strict, web, voip]", "{name: voip, base: strict,",
		"vectors: [{vector: dns-amplification, pps: 30000, bps: 0, fps: 0}]", "infrastructure: [198.18.200.0/30]"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("dump lacks %q:\n%s", want, b)
		}
	}

	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key in a profile", "netguard:\n  detect:\n    profiles:\n      - {name: x, udpp: {pps: 1}}\n",
			"unknown key netguard.detect.profiles[0].udpp"},
		{"bad number", "netguard:\n  detect:\n    profiles:\n      - {name: x, udp: {pps: lots}}\n",
			"netguard.detect.profiles[0].udp.pps"},
		{"no name", "netguard:\n  detect:\n    profiles:\n      - {udp: {pps: 1}}\n", "netguard.detect.profiles[0].name: must not be empty"},
		{"twice", "netguard:\n  detect:\n    profiles:\n      - {name: x}\n      - {name: x}\n", `netguard.detect.profiles[1].name: "x" is listed twice`},
		{"unknown base", "netguard:\n  detect:\n    profiles:\n      - {name: x, base: y}\n      - {name: y}\n",
			`netguard.detect.profiles[0].base: unknown profile "y"`},
		{"built-in with a base", "netguard:\n  detect:\n    profiles:\n      - {name: web, base: strict}\n",
			`netguard.detect.profiles[0].base: "web" is a built-in profile`},
		{"not a vector", "netguard:\n  detect:\n    profiles:\n      - {name: x, vectors: [{vector: syn-flood, pps: 1}]}\n",
			`netguard.detect.profiles[0].vectors[0].vector: "syn-flood" is not an amplification vector`},
		{"baseline cap", "netguard:\n  detect:\n    profiles:\n      - {name: x, baseline_factor: 2, baseline_cap: 500}\n",
			"netguard.detect.profiles[0].baseline_cap: 500 is outside [1, 100]"},
		{"customer profile unknown", "netguard:\n  detect:\n    customer_profiles: [default, voip]\n",
			`netguard.detect.customer_profiles[1]: unknown profile "voip"`},
		{"default not first", "netguard:\n  detect:\n    customer_profiles: [web, default]\n",
			`netguard.detect.customer_profiles: must list "default" first`},
		{"carpet for a customer", "netguard:\n  detect:\n    customer_profiles: [default, carpet]\n",
			`netguard.detect.customer_profiles[1]: "carpet" applies to whole prefixes`},
		{"infrastructure profile", "netguard:\n  detect:\n    infrastructure_profile: routers\n",
			`netguard.detect.infrastructure_profile: unknown profile "routers"`},
		{"infrastructure too wide", "netguard:\n  detect:\n    infrastructure: [10.0.0.0/16]\n",
			`netguard.detect.infrastructure: "10.0.0.0/16": at most 1024 addresses`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var pf platformFlags
			pf.config = write(t, tc.yaml)
			_, err := pf.load(nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
