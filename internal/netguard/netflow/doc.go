// Package netflow decodes NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export packets
// into netguard.Flow values, with IPv4 and IPv6 records and the sampling rate applied.
//
// NetFlow v9 and IPFIX are template based: the Decoder keeps the templates and options templates
// of each exporter (exporter address, source ID or observation domain, template ID), learns the
// sampling interval from options records, expires templates after Config.TemplateTTL of silence
// and caps how many templates one exporter and all exporters together may hold, so that a
// template flood costs bounded memory. Time is never read from a clock: every call takes an
// explicit now.
//
// It is a pure codec: it imports internal/netguard and the standard library only, and does no
// I/O. Decoding a packet allocates nothing once the templates are known.
//
// A Decoder is not safe for concurrent use: give each receiving goroutine its own. The Flow
// passed to the emit callback is reused for the next record; the callee copies what it keeps.
package netflow
