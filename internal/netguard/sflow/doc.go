// Package sflow decodes sFlow version 5 datagrams into netguard.Flow values: flow samples and
// expanded flow samples carrying raw packet headers (Ethernet with up to two VLAN tags, or bare
// IPv4/IPv6; transport ports, TCP flags and fragments) or sampled_ipv4/sampled_ipv6 records.
// Each flow sample stands for SamplingRate packets: Packets is the rate and Bytes the frame
// length times the rate. Counter samples are counted and skipped.
//
// It is a pure codec: it imports internal/netguard and the standard library only, does no I/O
// and allocates nothing per datagram.
//
// A Decoder is not safe for concurrent use: give each receiving goroutine its own. The Flow
// passed to the emit callback is reused for the next sample; the callee copies what it keeps.
package sflow
