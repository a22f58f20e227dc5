// Package detect finds inbound DDoS attacks in flow records. For every tracked destination IP
// it keeps per-second packet, bit and flow counters over a 64-second window, in total, per
// protocol class (TCP, TCP SYN, UDP, ICMP, fragments) and per UDP amplification vector; each
// record is spread over the seconds it covers. Tick compares the completed seconds with the
// thresholds of the IP's Profile, raised by a learned baseline, and reports an attack (Event)
// once a class stays above its threshold for Config.TriggerDelay, with its vectors, peak, top
// sources and severity. Carpet bombing is found on per-prefix aggregates. The mitigation layer
// consumes the Events and LastAboveThreshold.
//
// It is pure: it may import only internal/netguard, internal/clock and the standard library; it
// does no I/O, starts no goroutine, does not log and never reads the wall clock (every method
// that needs the time takes an explicit now).
//
// Concurrency: a Detector is safe for concurrent use. Its state is split into 16 shards by
// destination prefix, each behind its own mutex, so collector goroutines call Add in parallel
// without a global lock; AddBatch counts a receive batch 256 records at a time, taking each
// shard lock three times per 256 records (two passes that load the memory the records will
// write, one that counts), one lock at a time. Tick is serialised with itself and locks one
// shard at a time; Track, Untrack and the queries lock only the shard of their IP.
package detect
