package edge_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/golden"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/edge/edgetest"
)

// render is the golden form of a compilation.
func render(rules edge.RuleSet, refusals []edge.Refusal) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# rules: %d\n", len(rules))
	b.WriteString(rules.String())
	fmt.Fprintf(&b, "# refusals: %d\n", len(refusals))
	for _, r := range refusals {
		b.WriteString(r.String() + "\n")
	}
	return []byte(b.String())
}

func TestCompileGolden(t *testing.T) {
	t.Parallel()
	for _, c := range edgetest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			rules, refusals := edge.Compile(c.Input, c.Guard)
			golden.Check(t, c.Name+".golden", render(rules, refusals))
			checkInvariants(t, rules, c.Guard)
		})
	}
}

// checkInvariants holds for every compilation: sorted, distinct keys, valid, within the ceiling,
// away from the infrastructure.
func checkInvariants(t *testing.T, rules edge.RuleSet, g edge.Guard) {
	t.Helper()
	if !slices.IsSortedFunc(rules, edge.Compare) {
		t.Error("rule set not sorted")
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.Key()] {
			t.Errorf("duplicate key %s", r.Key())
		}
		seen[r.Key()] = true
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", r, err)
		}
		for _, infra := range g.Infrastructure {
			for _, p := range []netip.Prefix{r.Flow.Destination, r.Flow.Source, r.Blackhole.Prefix} {
				if p.IsValid() && p.Overlaps(infra) {
					t.Errorf("%s touches infrastructure %s", r, infra)
				}
			}
		}
	}
	if ceiling := g.MaxRules; ceiling > 0 && len(rules) > ceiling {
		t.Errorf("%d rules, ceiling %d", len(rules), ceiling)
	}
}

// shuffled returns in with every list in another order.
func shuffled(in edge.Input, rng *rand.Rand) edge.Input {
	in.Mitigations = slices.Clone(in.Mitigations)
	for i := range in.Mitigations {
		in.Mitigations[i].Vectors = slices.Clone(in.Mitigations[i].Vectors)
		rng.Shuffle(len(in.Mitigations[i].Vectors), func(a, b int) {
			v := in.Mitigations[i].Vectors
			v[a], v[b] = v[b], v[a]
		})
	}
	shuffle(rng, in.Mitigations)
	in.Firewall = slices.Clone(in.Firewall)
	shuffle(rng, in.Firewall)
	in.SMTPBlocks = slices.Clone(in.SMTPBlocks)
	shuffle(rng, in.SMTPBlocks)
	in.Cutoffs = slices.Clone(in.Cutoffs)
	shuffle(rng, in.Cutoffs)
	in.Staff = slices.Clone(in.Staff)
	shuffle(rng, in.Staff)
	return in
}

func shuffle[T any](rng *rand.Rand, s []T) {
	rng.Shuffle(len(s), func(a, b int) { s[a], s[b] = s[b], s[a] })
}

func TestCompileDeterministicUnderPermutation(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range edgetest.Cases() {
		want := render(edge.Compile(c.Input, c.Guard))
		for range 20 {
			got := render(edge.Compile(shuffled(c.Input, rng), c.Guard))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Fatalf("%s: output depends on input order (-first +permuted):\n%s", c.Name, diff)
			}
		}
	}
}

func TestCompileDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	for _, c := range edgetest.Cases() {
		before := fmt.Sprintf("%+v", c.Input)
		edge.Compile(c.Input, c.Guard)
		if after := fmt.Sprintf("%+v", c.Input); after != before {
			t.Errorf("%s: Compile modified its input", c.Name)
		}
	}
}

func TestCompileLevels(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("198.18.0.10")
	count := func(level int, threatened bool) (flows, blackholes, refusals int) {
		rules, ref := edge.Compile(edge.Input{InfrastructureThreatened: threatened, Mitigations: []edge.Mitigation{
			{ID: "m", IP: ip, Level: level, Vectors: []netguard.Vector{netguard.VectorDNSAmplification, netguard.VectorSYNFlood}},
		}}, edge.Guard{})
		for _, r := range rules {
			if r.Kind == edge.KindBlackhole {
				blackholes++
			} else {
				flows++
			}
		}
		return flows, blackholes, len(ref)
	}
	tests := []struct {
		level      int
		threatened bool
		flows, bh  int
		refusals   int
	}{
		{0, true, 0, 0, 0},
		{1, true, 2, 0, 0},
		{2, true, 3, 0, 0},
		{3, true, 3, 1, 0},
		{3, false, 3, 0, 1},
	}
	for _, tt := range tests {
		f, b, r := count(tt.level, tt.threatened)
		if f != tt.flows || b != tt.bh || r != tt.refusals {
			t.Errorf("level %d threatened %v: %d flows %d blackholes %d refusals, want %d %d %d",
				tt.level, tt.threatened, f, b, r, tt.flows, tt.bh, tt.refusals)
		}
	}
}

func TestCompileCeilingKeepsHighestPriority(t *testing.T) {
	t.Parallel()
	in := edge.Input{InfrastructureThreatened: true}
	for i := range 50 {
		in.SMTPBlocks = append(in.SMTPBlocks, edge.SMTPBlock{ID: fmt.Sprint(i), IP: netip.AddrFrom4([4]byte{198, 18, 1, byte(i)})})
	}
	in.Mitigations = []edge.Mitigation{{ID: "m", IP: netip.MustParseAddr("198.18.0.1"), Level: 3,
		Vectors: []netguard.Vector{netguard.VectorSYNFlood}}}
	rules, refusals := edge.Compile(in, edge.Guard{MaxRules: 10})
	if len(rules) != 10 || len(refusals) != 43 {
		t.Fatalf("%d rules and %d refusals, want 10 and 43", len(rules), len(refusals))
	}
	kinds := map[netguard.OriginKind]int{}
	for _, r := range rules {
		kinds[r.Origin().Kind]++
	}
	if kinds[netguard.OriginMitigation] != 3 || kinds[netguard.OriginSMTPBlock] != 7 {
		t.Errorf("kept %v, want the 3 mitigation rules and 7 SMTP blocks", kinds)
	}
	for _, f := range refusals {
		if f.Reason != edge.ReasonCeiling || f.Origin.Kind != netguard.OriginSMTPBlock {
			t.Errorf("refusal %s, want only SMTP blocks over the ceiling", f)
		}
	}
}

func TestCompileDefaultCeiling(t *testing.T) {
	t.Parallel()
	var in edge.Input
	for i := range edge.DefaultMaxRules + 5 {
		in.SMTPBlocks = append(in.SMTPBlocks, edge.SMTPBlock{ID: fmt.Sprint(i), IP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})})
	}
	rules, refusals := edge.Compile(in, edge.Guard{})
	if len(rules) != edge.DefaultMaxRules || len(refusals) != 5 {
		t.Errorf("%d rules, %d refusals; want %d and 5", len(rules), len(refusals), edge.DefaultMaxRules)
	}
}
