package fetch

import (
	"net/netip"
	"strings"
)

// nonPublic lists IPv4 ranges that are not reachable on the public Internet beyond what the
// netip predicates already cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking (RFC 2544)
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("100::/64"),        // discard-only (RFC 6666)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("2001::/32"),       // Teredo: tunnels to an embedded IPv4 address
	netip.MustParsePrefix("2002::/16"),       // 6to4: tunnels to an embedded IPv4 address
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its last 32 bits are an IPv4 address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Public reports whether a is a public unicast address: not loopback, private (RFC 1918,
// RFC 4193), link-local (which holds the 169.254.169.254 cloud metadata service), unspecified,
// multicast, carrier-grade NAT, reserved or documentation space. IPv4-mapped, IPv4-compatible
// and NAT64 IPv6 forms are judged by the IPv4 address they carry.
func Public(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		b := a.As16()
		if nat64.Contains(a) || isCompat(b) {
			return Public(netip.AddrFrom4([4]byte(b[12:])))
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// isCompat reports whether b is a deprecated IPv4-compatible IPv6 address (::a.b.c.d), other
// than :: and ::1.
func isCompat(b [16]byte) bool {
	for _, x := range b[:12] {
		if x != 0 {
			return false
		}
	}
	return b[12]|b[13] != 0 || b[14] != 0 || b[15] > 1
}

// allowList holds AllowHosts entries: host names, "*.suffix" wildcards, addresses and CIDR
// prefixes.
type allowList struct {
	hosts    map[string]bool
	suffixes []string
	prefixes []netip.Prefix
}

func newAllowList(entries []string) allowList {
	var l allowList
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(e), "."))
		switch {
		case e == "":
		case strings.HasPrefix(e, "*."):
			l.suffixes = append(l.suffixes, e[1:])
		default:
			if p, err := netip.ParsePrefix(e); err == nil {
				l.prefixes = append(l.prefixes, p.Masked())
				continue
			}
			if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				l.prefixes = append(l.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			if l.hosts == nil {
				l.hosts = make(map[string]bool)
			}
			l.hosts[e] = true
		}
	}
	return l
}

// host reports whether the host name itself is allowed.
func (l *allowList) host(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if l.hosts[h] {
		return true
	}
	for _, s := range l.suffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}

// addr reports whether the address is in an allowed prefix.
func (l *allowList) addr(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
