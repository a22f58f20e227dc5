package netguard

// Vector names the kind of traffic an inbound attack is made of. The detector classifies attacks
// by vector, mitigation drops an attack's vectors at level 1, and the edge compiler turns a
// vector into a filter with Match.
type Vector string

// Protocol vectors. A wider vector (ip-flood, tcp-flood, udp-flood) names the traffic that its
// narrower vectors (syn-flood; the amplification vectors and fragments) do not explain.
const (
	VectorIPFlood   Vector = "ip-flood"   // every protocol: a volumetric mix, or GRE, ESP...
	VectorTCPFlood  Vector = "tcp-flood"  // TCP other than SYN without ACK
	VectorSYNFlood  Vector = "syn-flood"  // TCP SYN without ACK
	VectorUDPFlood  Vector = "udp-flood"  // UDP from no amplification source port
	VectorICMPFlood Vector = "icmp-flood" // ICMP and ICMPv6
	VectorFragments Vector = "fragments"  // IP fragments of any protocol
)

// UDP amplification (reflection) vectors, named after the source port of the reflectors.
const (
	VectorQOTDAmplification         Vector = "qotd-amplification"
	VectorChargenAmplification      Vector = "chargen-amplification"
	VectorDNSAmplification          Vector = "dns-amplification"
	VectorTFTPAmplification         Vector = "tftp-amplification"
	VectorPortmapAmplification      Vector = "portmap-amplification"
	VectorNTPAmplification          Vector = "ntp-amplification"
	VectorNetBIOSAmplification      Vector = "netbios-amplification"
	VectorSNMPAmplification         Vector = "snmp-amplification"
	VectorCLDAPAmplification        Vector = "cldap-amplification"
	VectorRIPv1Amplification        Vector = "ripv1-amplification"
	VectorMSSQLAmplification        Vector = "mssql-amplification"
	VectorSSDPAmplification         Vector = "ssdp-amplification"
	VectorARMSAmplification         Vector = "arms-amplification"
	VectorWSDiscoveryAmplification  Vector = "ws-discovery-amplification"
	VectorMDNSAmplification         Vector = "mdns-amplification"
	VectorCoAPAmplification         Vector = "coap-amplification"
	VectorUbiquitiAmplification     Vector = "ubiquiti-amplification"
	VectorMemcachedAmplification    Vector = "memcached-amplification"
	VectorDHCPDiscoverAmplification Vector = "dhcpdiscover-amplification"
)

// Amplification is a UDP reflection vector and the well-known source port of its reflectors.
type Amplification struct {
	Vector Vector
	Port   uint16
}

// Amplifications lists the amplification vectors by port, in a fixed order.
func Amplifications() []Amplification {
	return []Amplification{
		{VectorQOTDAmplification, 17},
		{VectorChargenAmplification, 19},
		{VectorDNSAmplification, 53},
		{VectorTFTPAmplification, 69},
		{VectorPortmapAmplification, 111},
		{VectorNTPAmplification, 123},
		{VectorNetBIOSAmplification, 137},
		{VectorSNMPAmplification, 161},
		{VectorCLDAPAmplification, 389},
		{VectorRIPv1Amplification, 520},
		{VectorMSSQLAmplification, 1434},
		{VectorSSDPAmplification, 1900},
		{VectorARMSAmplification, 3283},
		{VectorWSDiscoveryAmplification, 3702},
		{VectorMDNSAmplification, 5353},
		{VectorCoAPAmplification, 5683},
		{VectorUbiquitiAmplification, 10001},
		{VectorMemcachedAmplification, 11211},
		{VectorDHCPDiscoverAmplification, 37810},
	}
}

// Vectors lists every vector: the protocol vectors, then the amplification vectors by port.
func Vectors() []Vector {
	vs := []Vector{VectorIPFlood, VectorTCPFlood, VectorSYNFlood, VectorUDPFlood, VectorICMPFlood, VectorFragments}
	for _, a := range Amplifications() {
		vs = append(vs, a.Vector)
	}
	return vs
}

// VectorMatch says which packets make a vector, for filters. Zero fields match anything.
type VectorMatch struct {
	// Proto is the IP protocol; ProtoICMP stands for ICMPv6 on IPv6.
	Proto uint8
	// SrcPort is the UDP source port of an amplification vector.
	SrcPort uint16
	// SYN selects TCP packets with SYN set and ACK clear.
	SYN bool
	// Fragment selects IP fragments.
	Fragment bool
}

// Match returns what identifies v's packets, and false for an unknown vector. ip-flood matches
// every packet.
func (v Vector) Match() (VectorMatch, bool) {
	switch v {
	case VectorIPFlood:
		return VectorMatch{}, true
	case VectorTCPFlood:
		return VectorMatch{Proto: ProtoTCP}, true
	case VectorSYNFlood:
		return VectorMatch{Proto: ProtoTCP, SYN: true}, true
	case VectorUDPFlood:
		return VectorMatch{Proto: ProtoUDP}, true
	case VectorICMPFlood:
		return VectorMatch{Proto: ProtoICMP}, true
	case VectorFragments:
		return VectorMatch{Fragment: true}, true
	}
	for _, a := range Amplifications() {
		if a.Vector == v {
			return VectorMatch{Proto: ProtoUDP, SrcPort: a.Port}, true
		}
	}
	return VectorMatch{}, false
}
