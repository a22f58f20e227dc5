package netflow

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// checkCache verifies the maps, lists and counts agree.
func checkCache(t *testing.T, c *cache) {
	t.Helper()
	if len(c.templates) != c.n {
		t.Fatalf("%d templates in map, n = %d", len(c.templates), c.n)
	}
	if c.n > c.maxTotal {
		t.Fatalf("%d templates above the cap %d", c.n, c.maxTotal)
	}
	seen := 0
	var prev *template
	for x := c.head; x != nil; x = x.next {
		if x.prev != prev || c.templates[x.key] != x {
			t.Fatalf("global list broken at %+v", x.key)
		}
		prev = x
		seen++
	}
	if prev != c.tail || seen != c.n {
		t.Fatalf("global list has %d entries, n = %d", seen, c.n)
	}
	refs := map[*domain]int{}
	total := 0
	for addr, e := range c.exporters {
		n := 0
		var prev *template
		for x := e.head; x != nil; x = x.enext {
			if x.eprev != prev || x.key.exporter != addr || x.exp != e {
				t.Fatalf("exporter list of %s broken", addr)
			}
			refs[x.dom]++
			prev = x
			n++
		}
		if prev != e.tail || n != e.count || n == 0 || n > c.maxPerExporter {
			t.Fatalf("exporter %s: %d listed, count %d, cap %d", addr, n, e.count, c.maxPerExporter)
		}
		total += n
	}
	if total != c.n {
		t.Fatalf("exporters hold %d templates, n = %d", total, c.n)
	}
	if len(c.domains) != len(refs) {
		t.Fatalf("%d domains, %d referenced", len(c.domains), len(refs))
	}
	for _, d := range c.domains {
		if refs[d] != d.refs {
			t.Fatalf("domain refs %d, counted %d", d.refs, refs[d])
		}
	}
}

func TestCacheInvariants(t *testing.T) {
	t.Parallel()
	var c cache
	c.init(time.Minute, 5, 12)
	var src template
	src.reset(false)
	src.add(kInBytes, 4)
	rng := rand.New(rand.NewPCG(5, 6))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20000 {
		now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		k := tkey{
			exporter: netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(6))}),
			domain:   uint32(rng.IntN(3)),
			id:       uint16(256 + rng.IntN(8)),
			ipfix:    rng.IntN(2) == 0,
		}
		switch rng.IntN(10) {
		case 0:
			c.withdraw(k)
		case 1:
			c.withdrawAll(dkey{k.exporter, k.domain, k.ipfix}, false)
		case 2:
			c.expire(now)
		case 3:
			c.get(k, now)
		default:
			c.put(k, &src, now)
			if c.get(k, now) == nil {
				t.Fatalf("step %d: template just put is missing", i)
			}
		}
		checkCache(t, &c)
	}
}

func TestTemplateCompile(t *testing.T) {
	t.Parallel()
	var tp template
	tp.reset(false)
	for _, f := range []struct {
		k fieldKind
		n int
	}{{kSkip, 2}, {kSkip, 4}, {kInBytes, 8}, {kSkip, 0}, {kSkip, 1}, {kInBytes, 4}, {kVarLen, 0xffff}, {kSkip, 3}} {
		if !tp.add(f.k, f.n) {
			t.Fatal("add refused")
		}
	}
	// Skips merge, the repeated field becomes a skip, variable length counts one byte.
	want := []op{{kSkip, 6}, {kInBytes, 8}, {kSkip, 5}, {kVarLen, 0xffff}, {kSkip, 3}}
	if tp.nops != len(want) || tp.minLen != 2+4+8+1+4+1+3 {
		t.Fatalf("ops %v minLen %d", tp.ops[:tp.nops], tp.minLen)
	}
	for i, o := range want {
		if tp.ops[i] != o {
			t.Fatalf("op %d = %v, want %v", i, tp.ops[i], o)
		}
	}
	tp.reset(false)
	ok := true
	for range maxOps + 1 {
		ok = ok && tp.add(kVarLen, 0xffff)
	}
	if ok {
		t.Fatal("a template past maxOps was accepted")
	}
}
