package webhook

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Webhook URLs are chosen by any workspace with a write key, so a webhook must not become a
// way to reach what only surveyd's machine can: itself, the private network it runs in, or a
// cloud metadata service (169.254.169.254, fd00:ec2::254), whose answer the test button would
// hand back. The URL is checked when an endpoint is saved and again before each request, and
// the address actually connected to — after name resolution, so a name that resolves inside
// (DNS rebinding) gains nothing — is checked as each connection is made.

// blockedNets are the ranges that are not public unicast, first match wins. IPv4-mapped
// (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are judged by the IPv4 address they
// reach.
var blockedNets = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/32"), "the unspecified address"},
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (where cloud metadata services answer)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local (private) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// reached is the address a connection to a really goes to: the IPv4 address inside an
// IPv4-mapped or NAT64 one, without an IPv6 zone.
func reached(a netip.Addr) netip.Addr {
	a = a.WithZone("").Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[12:]))
	}
	return a
}

// blockedAddress says what kind of non-public address a is, or "" when it is public.
func blockedAddress(a netip.Addr) string {
	a = reached(a)
	for _, n := range blockedNets {
		if n.prefix.Contains(a) {
			return n.what
		}
	}
	return ""
}

// addressGuard applies the rules, with the operator's exceptions: the ranges of
// SURVEYD_WEBHOOK_ALLOW_PRIVATE, which webhooks may reach although they are not public.
type addressGuard struct{ allow []netip.Prefix }

// refused says why webhooks may not reach a, or "" when they may.
func (g addressGuard) refused(a netip.Addr) string {
	what := blockedAddress(a)
	if what == "" || g.allows(a) {
		return ""
	}
	return what
}

func (g addressGuard) allows(a netip.Addr) bool {
	a = reached(a)
	for _, p := range g.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// refusedAddressError is a connection the guard stopped before it was made. The address is
// kept for the log, not shown: the test button would otherwise tell a workspace what its
// names resolve to inside surveyd's network.
type refusedAddressError struct {
	addr netip.Addr
	what string
}

const allowHint = " (an operator can allow private ranges with SURVEYD_WEBHOOK_ALLOW_PRIVATE)"

func (e *refusedAddressError) Error() string {
	return "refused: the host resolves to " + e.what + ", and webhooks go only to public addresses" + allowHint
}

// control is the webhook dialer's Control: it runs for each address a connection is about to
// be made to, after name resolution, and stops any the guard refuses.
func (g addressGuard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused: %q is not an address the guard can check: %w", address, err)
	}
	if what := g.refused(ap.Addr()); what != "" {
		return &refusedAddressError{addr: ap.Addr(), what: what}
	}
	return nil
}

// checkURL says what is wrong with an endpoint URL, or "" when it is acceptable: absolute,
// https — or plain http to this machine only, so that a CRM running next to surveyd works
// while event data never crosses a network unencrypted — and not pointing inside (checkHost).
func (g addressGuard) checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "must be an absolute http(s) URL"
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "must be an absolute http(s) URL"
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		switch host {
		case "localhost", "127.0.0.1", "::1":
		default:
			return "must use https (plain http is allowed only for localhost and 127.0.0.1)"
		}
	default:
		return "must be an absolute http(s) URL"
	}
	if numericHost(host) {
		return "must name a host, or give an IP address in full (four decimal numbers, or IPv6 in brackets)"
	}
	if msg := g.checkHost(host); msg != "" {
		return msg + allowHint
	}
	return ""
}

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.MustParseAddr("::1")
	metadata  = netip.MustParseAddr("169.254.169.254")
)

// checkHost refuses an address the guard refuses, and the names that can only point inside:
// localhost and *.localhost (this machine), metadata.google.internal (the metadata service)
// and other *.internal names (a private network), unless the operator allowed where they
// point. Other names are not resolved here — they may resolve differently at delivery —
// but at each connection.
func (g addressGuard) checkHost(host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		if what := g.refused(a); what != "" {
			return "must point to a public address: " + host + " is " + what
		}
		return ""
	}
	switch {
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		if !g.allows(loopback4) && !g.allows(loopback6) {
			return "must point to a public address: " + host + " is this machine"
		}
	case host == "metadata.google.internal":
		if !g.allows(metadata) {
			return "must point to a public address: " + host + " is the cloud metadata service"
		}
	case host == "internal" || strings.HasSuffix(host, ".internal"):
		if len(g.allow) == 0 {
			return "must point to a public address: " + host + " is a private network's name"
		}
	}
	return ""
}

// numericHost reports whether host is not an IP address in standard form but would still be
// read as an IPv4 address by some resolver (inet_aton, the WHATWG URL parser): its last label
// is a number, as in 2130706433, 0x7f.1, 0177.0.0.1 or 127.1.
func numericHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	last := host[strings.LastIndexByte(host, '.')+1:]
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}
