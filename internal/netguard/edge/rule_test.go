package edge_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

func keys(rs []edge.Rule) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

func mitigation(level int, vectors ...netguard.Vector) edge.Input {
	return edge.Input{InfrastructureThreatened: true, Mitigations: []edge.Mitigation{
		{ID: "m1", IP: netip.MustParseAddr("198.18.0.10"), Level: level, Vectors: vectors},
	}}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	compile := func(in edge.Input) edge.RuleSet {
		rs, _ := edge.Compile(in, edge.Guard{})
		return rs
	}
	dns := netguard.VectorDNSAmplification
	l1, l2, l3 := compile(mitigation(1, dns)), compile(mitigation(2, dns)), compile(mitigation(3, dns))
	rate := mitigation(2, dns)
	rate.RateLimit = 1000
	l2slow := compile(rate)
	tests := []struct {
		name         string
		old, new     edge.RuleSet
		add, remove  []string
		addN, removN int
	}{
		{name: "empty to empty"},
		{name: "start", new: l1, addN: 1},
		{name: "end", old: l3, removN: 3},
		{name: "same", old: l2, new: l2},
		{name: "raise 1 to 3", old: l1, new: l3, add: []string{
			"flow4 dst 198.18.0.10/32 then rate-limit 125000000B/s prio 60 from mitigation m1 level 2 (rate-limit)",
			"rtbh 198.18.0.10/32 via default communities 65535:666,65535:65281 prio 100 from mitigation m1 level 3 (rtbh)",
		}},
		{name: "lower 3 to 1", old: l3, new: l1, remove: []string{
			"flow4 dst 198.18.0.10/32 then rate-limit 125000000B/s prio 60 from mitigation m1 level 2 (rate-limit)",
			"rtbh 198.18.0.10/32 via default communities 65535:666,65535:65281 prio 100 from mitigation m1 level 3 (rtbh)",
		}},
		{name: "rate change replaces", old: l2, new: l2slow,
			add:    []string{"flow4 dst 198.18.0.10/32 then rate-limit 1000B/s prio 60 from mitigation m1 level 2 (rate-limit)"},
			remove: []string{"flow4 dst 198.18.0.10/32 then rate-limit 125000000B/s prio 60 from mitigation m1 level 2 (rate-limit)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			add, remove := edge.Diff(tt.old, tt.new)
			if tt.add != nil || tt.remove != nil {
				if diff := cmp.Diff(tt.add, keys(add)); tt.add != nil && diff != "" {
					t.Errorf("add (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.remove, keys(remove)); tt.remove != nil && diff != "" {
					t.Errorf("remove (-want +got):\n%s", diff)
				}
			}
			if tt.add == nil && len(add) != tt.addN {
				t.Errorf("add %v, want %d rules", keys(add), tt.addN)
			}
			if tt.remove == nil && len(remove) != tt.removN {
				t.Errorf("remove %v, want %d rules", keys(remove), tt.removN)
			}
			// Applying the difference to old gives new.
			held := map[string]edge.Rule{}
			for _, r := range tt.old {
				held[r.Key()] = r
			}
			for _, r := range remove {
				delete(held, r.Key())
			}
			for _, r := range add {
				held[r.Key()] = r
			}
			var got edge.RuleSet
			for _, r := range held {
				got = append(got, r)
			}
			got.Sort()
			if diff := cmp.Diff(tt.new.String(), got.String()); diff != "" {
				t.Errorf("old+diff != new (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogDriver(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	d := edge.NewLogDriver(slog.New(slog.NewTextHandler(&buf, nil)))
	ctx := context.Background()
	l1, _ := edge.Compile(mitigation(1, netguard.VectorSYNFlood), edge.Guard{})
	l3, _ := edge.Compile(mitigation(3, netguard.VectorSYNFlood), edge.Guard{})
	if err := d.Resync(ctx, l1); err != nil {
		t.Fatal(err)
	}
	add, remove := edge.Diff(d.Rules(), l3)
	if err := d.Apply(ctx, add, remove); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l3.String(), d.Rules().String()); diff != "" {
		t.Errorf("held set (-want +got):\n%s", diff)
	}
	if st := d.Status(); len(st) != 1 || st[0].Sent != 3 || !st[0].Up {
		t.Errorf("status %+v, want one peer with 3 rules", st)
	}
	if err := d.Resync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(d.Rules()) != 0 {
		t.Errorf("rules after resync to nothing: %v", d.Rules())
	}
	out := buf.String()
	for _, want := range []string{`msg="edge rule added"`, `msg="edge rule removed"`, "component=netguard/edge",
		`rule="rtbh 198.18.0.10/32`, `msg="edge rules resynced"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "edge rule added"); n != 3 {
		t.Errorf("%d additions logged, want 3", n)
	}
	if n := strings.Count(out, "edge rule removed"); n != 3 {
		t.Errorf("%d removals logged, want 3", n)
	}
}

func TestNormalizeRanges(t *testing.T) {
	t.Parallel()
	got := netguard.NormalizeRanges([]netguard.EdgeRange{{From: 80, To: 80}, {From: 2000, To: 1000}, {From: 443, To: 443}, {From: 81, To: 90}, {From: 1500, To: 2500}, {From: 79, To: 79}})
	want := []netguard.EdgeRange{{From: 79, To: 90}, {From: 443, To: 443}, {From: 1000, To: 2500}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if netguard.NormalizeRanges(nil) != nil {
		t.Error("empty ranges should normalize to nil")
	}
	if got := netguard.NormalizeRanges([]netguard.EdgeRange{{From: 0, To: 65535}, {From: 65535, To: 65535}}); len(got) != 1 {
		t.Errorf("full range: %v", got)
	}
}
