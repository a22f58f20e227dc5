package netflow

import (
	"net/netip"
	"time"
)

// maxOps bounds the compiled form of one template. Fields the decoder ignores merge into one
// skip, so only templates with dozens of variable-length fields come near it; such templates
// are refused as malformed.
const maxOps = 128

// maxSamplers bounds the sampler IDs remembered per domain.
const maxSamplers = 16

type op struct {
	kind   fieldKind
	length uint16
}

// tkey names a template: exporter, source ID or observation domain, template ID. IPFIX and v9
// templates live apart even when their numbers collide.
type tkey struct {
	exporter netip.Addr
	domain   uint32
	id       uint16
	ipfix    bool
}

type dkey struct {
	exporter netip.Addr
	domain   uint32
	ipfix    bool
}

// template is a compiled template: the fields to read with their lengths, ignored fields
// merged. Templates are linked in two lists ordered by last refresh, one global and one per
// exporter, for expiry and eviction in constant time.
type template struct {
	key     tkey
	options bool
	nops    int
	minLen  int // record length with every variable-length field empty
	seen    uint64
	ops     [maxOps]op

	updated      time.Time
	prev, next   *template
	eprev, enext *template
	exp          *exporterState
	dom          *domain
}

// reset starts compiling a new template into t.
func (t *template) reset(options bool) {
	t.options = options
	t.nops = 0
	t.minLen = 0
	t.seen = 0
}

// add appends one field; it reports false when the template has too many distinct parts.
func (t *template) add(k fieldKind, length int) bool {
	if k == kVarLen {
		t.minLen++
	} else {
		t.minLen += length
	}
	if k > kVarLen {
		if t.seen&(1<<k) != 0 {
			k = kSkip // a repeated field: keep the first
		}
		t.seen |= 1 << k
	}
	if k == kSkip {
		if length == 0 {
			return true
		}
		if t.nops > 0 {
			if last := &t.ops[t.nops-1]; last.kind == kSkip && int(last.length)+length <= 0xffff {
				last.length += uint16(length)
				return true
			}
		}
	}
	if t.nops == maxOps {
		return false
	}
	t.ops[t.nops] = op{kind: k, length: uint16(length)}
	t.nops++
	return true
}

// sameAs reports whether t compiles to the same record layout as u.
func (t *template) sameAs(u *template) bool {
	if t.options != u.options || t.nops != u.nops || t.minLen != u.minLen {
		return false
	}
	for i := range t.ops[:t.nops] {
		if t.ops[i] != u.ops[i] {
			return false
		}
	}
	return true
}

type exporterState struct {
	count      int
	head, tail *template
}

type samplerRate struct {
	id   uint64
	rate uint64
}

// domain is the state shared by the templates of one exporter domain: sampling rates learned
// from options records and the system init time. It lives while the domain has templates.
type domain struct {
	refs       int
	rates      [maxSamplers]samplerRate
	nrates     int
	nextSlot   int
	lastRate   uint64
	sysInitMs  uint64
	hasSysInit bool
}

func (d *domain) setRate(id, rate uint64) {
	d.lastRate = rate
	for i := range d.rates[:d.nrates] {
		if d.rates[i].id == id {
			d.rates[i].rate = rate
			return
		}
	}
	if d.nrates < maxSamplers {
		d.rates[d.nrates] = samplerRate{id, rate}
		d.nrates++
		return
	}
	d.rates[d.nextSlot] = samplerRate{id, rate}
	d.nextSlot = (d.nextSlot + 1) % maxSamplers
}

// rateFor returns the rate of sampler id, else the last rate announced in the domain.
func (d *domain) rateFor(id uint64, hasID bool) uint64 {
	if hasID {
		for _, s := range d.rates[:d.nrates] {
			if s.id == id {
				return s.rate
			}
		}
	}
	return d.lastRate
}

// cache holds the templates of every exporter with bounded memory.
type cache struct {
	ttl            time.Duration
	maxPerExporter int
	maxTotal       int

	templates  map[tkey]*template
	exporters  map[netip.Addr]*exporterState
	domains    map[dkey]*domain
	head, tail *template // most and least recently refreshed
	n          int
	spare      *template // last removed template, reused by the next insert

	evicted, expired, withdrawn uint64
}

func (c *cache) init(ttl time.Duration, perExporter, total int) {
	c.ttl = ttl
	c.maxPerExporter = perExporter
	c.maxTotal = total
	c.templates = make(map[tkey]*template)
	c.exporters = make(map[netip.Addr]*exporterState)
	c.domains = make(map[dkey]*domain)
}

func (c *cache) stale(t *template, now time.Time) bool { return now.Sub(t.updated) > c.ttl }

// get returns the live template for k, or nil.
func (c *cache) get(k tkey, now time.Time) *template {
	t := c.templates[k]
	if t == nil {
		return nil
	}
	if c.stale(t, now) {
		c.remove(t)
		c.expired++
		return nil
	}
	return t
}

// expire drops the templates not refreshed within the TTL, oldest first.
func (c *cache) expire(now time.Time) {
	for c.tail != nil && c.stale(c.tail, now) {
		c.remove(c.tail)
		c.expired++
	}
}

// put stores the compiled template src under k, refreshing it when it exists.
func (c *cache) put(k tkey, src *template, now time.Time) {
	if t := c.templates[k]; t != nil {
		if !t.sameAs(src) {
			t.copyLayout(src)
		}
		t.updated = now
		c.touch(t)
		return
	}
	if e := c.exporters[k.exporter]; e != nil && e.count >= c.maxPerExporter {
		c.remove(e.tail)
		c.evicted++
	} else if c.n >= c.maxTotal {
		c.remove(c.tail)
		c.evicted++
	}
	t := c.spare
	c.spare = nil
	if t == nil {
		t = new(template)
	}
	*t = template{key: k, updated: now}
	t.copyLayout(src)

	e := c.exporters[k.exporter]
	if e == nil {
		e = new(exporterState)
		c.exporters[k.exporter] = e
	}
	dk := dkey{k.exporter, k.domain, k.ipfix}
	dom := c.domains[dk]
	if dom == nil {
		dom = new(domain)
		c.domains[dk] = dom
	}
	dom.refs++
	e.count++
	t.exp = e
	t.dom = dom
	c.templates[k] = t
	c.n++
	c.pushFront(t)
}

func (t *template) copyLayout(src *template) {
	t.options = src.options
	t.nops = src.nops
	t.minLen = src.minLen
	t.seen = src.seen
	copy(t.ops[:src.nops], src.ops[:src.nops])
}

// withdraw removes the template k if it exists.
func (c *cache) withdraw(k tkey) {
	if t := c.templates[k]; t != nil {
		c.remove(t)
		c.withdrawn++
	}
}

// withdrawAll removes every template of a domain, of data or options kind.
func (c *cache) withdrawAll(dk dkey, options bool) {
	e := c.exporters[dk.exporter]
	if e == nil {
		return
	}
	for t := e.head; t != nil; {
		next := t.enext
		if t.key.domain == dk.domain && t.key.ipfix == dk.ipfix && t.options == options {
			c.remove(t)
			c.withdrawn++
		}
		t = next
	}
}

func (c *cache) pushFront(t *template) {
	t.prev, t.next = nil, c.head
	if c.head != nil {
		c.head.prev = t
	}
	c.head = t
	if c.tail == nil {
		c.tail = t
	}
	e := t.exp
	t.eprev, t.enext = nil, e.head
	if e.head != nil {
		e.head.eprev = t
	}
	e.head = t
	if e.tail == nil {
		e.tail = t
	}
}

func (c *cache) unlink(t *template) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		c.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		c.tail = t.prev
	}
	e := t.exp
	if t.eprev != nil {
		t.eprev.enext = t.enext
	} else {
		e.head = t.enext
	}
	if t.enext != nil {
		t.enext.eprev = t.eprev
	} else {
		e.tail = t.eprev
	}
	t.prev, t.next, t.eprev, t.enext = nil, nil, nil, nil
}

func (c *cache) touch(t *template) {
	if c.head == t {
		return
	}
	c.unlink(t)
	c.pushFront(t)
}

func (c *cache) remove(t *template) {
	c.unlink(t)
	delete(c.templates, t.key)
	c.n--
	if t.exp.count--; t.exp.count == 0 {
		delete(c.exporters, t.key.exporter)
	}
	if t.dom.refs--; t.dom.refs == 0 {
		delete(c.domains, dkey{t.key.exporter, t.key.domain, t.key.ipfix})
	}
	t.exp, t.dom = nil, nil
	c.spare = t
}
