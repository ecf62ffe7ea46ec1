package webhook

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surveyd/surveyd/mailer/internal/mailtest"
	"github.com/surveyd/surveyd/mailer/outbox"
	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/net/dns/dnsmessage"
)

// refusedWebhookURLs point, by address or by a name that can only mean one, at this machine,
// a private network or a cloud metadata service. None is ever connected to in these tests.
var refusedWebhookURLs = []string{
	"https://169.254.169.254/latest/meta-data/",
	"https://169.254.0.1/",
	"https://10.0.0.1/",
	"https://172.16.0.1/",
	"https://172.31.255.254/",
	"https://192.168.1.1:8443/h",
	"https://127.0.0.1/",
	"https://127.1.2.3/",
	"http://127.0.0.1:9/hook",
	"https://0.0.0.0/",
	"https://0.1.2.3/",
	"https://100.64.0.1/",
	"https://100.100.100.200/latest/meta-data/",
	"https://224.0.0.1/",
	"https://239.255.255.250/",
	"https://255.255.255.255/",
	"https://240.0.0.1/",
	"https://[::1]/",
	"http://[::1]:9/",
	"https://[::]/",
	"https://[fd00::1]/",
	"https://[fc00::1]/",
	"https://[fd00:ec2::254]/latest/meta-data/",
	"https://[fe80::1]/",
	"https://[fe80::1%25eth0]/",
	"https://[ff02::1]/",
	"https://[::ffff:127.0.0.1]/",
	"https://[::ffff:7f00:1]/",
	"https://[::ffff:a9fe:a9fe]/",
	"https://[::ffff:10.0.0.1]/",
	"https://[::127.0.0.1]/",
	"https://[0:0:0:0:0:ffff:192.168.0.1]/",
	"https://[64:ff9b::a9fe:a9fe]/",
	"https://[64:ff9b::10.1.2.3]/",
	"https://2130706433/",
	"https://0x7f.1/",
	"https://0x7f000001/",
	"https://0177.0.0.1/",
	"https://017700000001/",
	"https://127.1/",
	"https://10.1/",
	"https://1.2.3.4.5/",
	"https://localhost/",
	"https://LOCALHOST./",
	"http://localhost:8080/x",
	"https://api.localhost/",
	"https://metadata.google.internal/computeMetadata/v1/",
	"https://Metadata.Google.Internal./",
	"https://crm.corp.internal/",
	"https://:443/h",
}

// Every URL that points inside is refused when an endpoint is made or changed, naming url,
// and the endpoint stays as it was.
func TestWebhookEndpointRefusesPrivateAddresses(t *testing.T) {
	en := newWebhookEnv(t, nil)
	ep := en.createEndpoint(en.key, `{"url":"https://crm.example.com/h"}`)
	one := "/api/v1/webhook-endpoints/" + ep.ID
	var scenarios []whScenario
	for _, u := range refusedWebhookURLs {
		body := map[string]string{"url": u}
		scenarios = append(scenarios,
			whScenario{"create " + u, "POST", "/api/v1/webhook-endpoints", en.key, body, http.StatusUnprocessableEntity, []string{`"field":"url"`}, []string{`"id"`}},
			whScenario{"patch " + u, "PATCH", one, en.key, body, http.StatusUnprocessableEntity, []string{`"field":"url"`}, nil},
		)
	}
	scenarios = append(scenarios,
		whScenario{"unchanged", "GET", one, en.key, nil, 200, []string{`"url":"https://crm.example.com/h"`}, nil},
		whScenario{"public address literal", "POST", "/api/v1/webhook-endpoints", en.key, map[string]string{"url": "https://8.8.8.8/h"}, 201, nil, nil},
		whScenario{"public IPv6 literal", "POST", "/api/v1/webhook-endpoints", en.key, map[string]string{"url": "https://[2001:4860:4860::8888]/h"}, 201, nil, nil},
		whScenario{"name that merely contains localhost", "POST", "/api/v1/webhook-endpoints", en.key, map[string]string{"url": "https://localhost.example.com/h"}, 201, nil, nil},
	)
	en.run(t, scenarios)
	if n, err := en.db.Collection(EndpointsCollection).CountDocuments(t.Context(), map[string]any{}); err != nil || n != 4 {
		t.Errorf("%d endpoints stored (%v), want the first and the three public ones", n, err)
	}
}

// listenCounting accepts TCP connections on addr ("127.0.0.1:0", "[::1]:0") and closes them,
// counting them, so a test can tell that nothing ever connected.
func listenCounting(t *testing.T, addr string) (port string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s here: %v", addr, err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			_ = c.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, conns
}

// fakeDNS is a resolver whose every question is answered by a DNS server on loopback that
// says each name is at addr, as a rebinding attacker's server would. Nothing leaves the machine.
func fakeDNS(t *testing.T, addr netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if msg, err := dnsAnswer(buf[:n], addr); err == nil {
				_, _ = pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// dnsAnswer answers the query: an A record for an IPv4 addr, an AAAA for IPv6, and no
// record for the other type.
func dnsAnswer(query []byte, addr netip.Addr) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET}
	switch {
	case q.Type == dnsmessage.TypeA && addr.Is4():
		err = b.AResource(rh, dnsmessage.AResource{A: addr.As4()})
	case q.Type == dnsmessage.TypeAAAA && addr.Is6():
		err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: addr.As16()})
	}
	if err != nil {
		return nil, err
	}
	return b.Finish()
}

type testResult struct {
	StatusCode int    `json:"status_code"`
	OK         bool   `json:"ok"`
	Error      string `json:"error"`
}

// refusedBySurveyd reports whether an error says surveyd itself refused the address, as
// opposed to the CRM's machine refusing a connection.
func refusedBySurveyd(msg string) bool {
	return strings.Contains(msg, "refused:") && strings.Contains(msg, "public address")
}

// DNS rebinding: a name that passed validation resolves, at delivery, to this machine. The
// connection is refused at dial time, after resolution, for good and with the reason; the
// test button says the same; nothing connects.
func TestWebhookDeliveryRefusedWhenTheNameResolvesInside(t *testing.T) {
	for name, tc := range map[string]struct{ listen, resolves string }{
		"IPv4 loopback": {"127.0.0.1:0", "127.0.0.1"},
		"IPv6 loopback": {"[::1]:0", "::1"},
	} {
		t.Run(name, func(t *testing.T) {
			port, conns := listenCounting(t, tc.listen)
			en := newWebhookEnv(t, nil)
			en.wh.dialer.Resolver = fakeDNS(t, netip.MustParseAddr(tc.resolves))
			ep := en.createEndpoint(en.key, `{"url":"https://crm.rebind.example:`+port+`/hook"}`)

			err := en.wh.Deliver(context.Background(), en.message(ep.ID))
			t.Logf("Deliver: %v", err)
			if err == nil || !outbox.IsPermanent(err) || !refusedBySurveyd(err.Error()) {
				t.Errorf("Deliver = %v (permanent %v), want a permanent refusal naming the reason", err, outbox.IsPermanent(err))
			}
			rec := en.do("POST", "/api/v1/webhook-endpoints/"+ep.ID+"/test", en.key, nil)
			var res testResult
			mailtest.DecodeJSON(t, rec.Body.Bytes(), &res)
			t.Logf("test button: %d %s", rec.Code, rec.Body)
			if rec.Code != http.StatusOK || res.OK || res.StatusCode != 0 || !refusedBySurveyd(res.Error) {
				t.Errorf("test button = %d %s, want ok false, status 0 and the refusal", rec.Code, rec.Body)
			}
			if strings.Contains(res.Error, tc.resolves) {
				t.Errorf("test button tells the workspace what the name resolves to: %s", res.Error)
			}

			// Through the outbox: one attempt, recorded as failed with the reason.
			if err := en.wh.Notify(t.Context(), en.ws.ID, ResponseCreated{}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); en.wh.outbox.Work(ctx, outbox.KindWebhook, en.wh, 20*time.Millisecond, nil) }()
			defer func() { cancel(); <-done }()
			var failed []*outbox.Message
			mailtest.Eventually(t, "the event marked failed", func() bool {
				failed, err = en.wh.outbox.Failed(t.Context(), en.ws.ID, 10)
				return err == nil && len(failed) == 1
			})
			if m := failed[0]; m.Status != outbox.StatusFailed || m.Attempts != 1 || !refusedBySurveyd(m.LastError) {
				t.Errorf("failed event: status %s, %d attempts, last error %q", m.Status, m.Attempts, m.LastError)
			}
			if n := conns.Load(); n != 0 {
				t.Errorf("%d connections reached the address the name resolved to, want none", n)
			}
		})
	}
}

// An endpoint stored before the rules (or before the operator narrowed them) is checked
// again when it is used: neither a delivery nor the test button connects to it.
func TestWebhookStoredPrivateEndpointIsNotCalled(t *testing.T) {
	port, conns := listenCounting(t, "127.0.0.1:0")
	en := newWebhookEnv(t, nil)
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	e := &Endpoint{ID: bson.NewObjectID(), WorkspaceID: en.ws.ID, URL: "http://127.0.0.1:" + port + "/hook",
		Events: []string{}, Enabled: true, SecretVersion: 1, CreatedAt: now, UpdatedAt: now}
	if _, err := en.db.Collection(EndpointsCollection).InsertOne(context.Background(), e); err != nil {
		t.Fatal(err)
	}

	err := en.wh.Deliver(context.Background(), en.message(e.ID.Hex()))
	t.Logf("Deliver: %v", err)
	if err == nil || !outbox.IsPermanent(err) || !refusedBySurveyd(err.Error()) {
		t.Errorf("Deliver = %v (permanent %v), want a permanent refusal", err, outbox.IsPermanent(err))
	}
	rec := en.do("POST", "/api/v1/webhook-endpoints/"+e.ID.Hex()+"/test", en.key, nil)
	var res testResult
	mailtest.DecodeJSON(t, rec.Body.Bytes(), &res)
	t.Logf("test button: %d %s", rec.Code, rec.Body)
	if rec.Code != http.StatusOK || res.OK || res.StatusCode != 0 || !refusedBySurveyd(res.Error) {
		t.Errorf("test button = %d %s, want ok false, status 0 and the refusal", rec.Code, rec.Body)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections to the stored private address, want none", n)
	}
}

func TestBlockedAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"8.8.8.8":                   "",
		"1.1.1.1":                   "",
		"100.63.255.255":            "",
		"100.128.0.0":               "",
		"172.15.255.255":            "",
		"172.32.0.0":                "",
		"169.253.255.255":           "",
		"223.255.255.255":           "",
		"2001:4860:4860::8888":      "",
		"2606:4700:4700::1111":      "",
		"::ffff:8.8.8.8":            "",
		"64:ff9b::808:808":          "",
		"0.0.0.0":                   "the unspecified address",
		"0.255.255.255":             `a "this network" address`,
		"10.0.0.1":                  "a private address",
		"10.255.255.255":            "a private address",
		"172.16.0.0":                "a private address",
		"172.31.255.255":            "a private address",
		"192.168.0.1":               "a private address",
		"100.64.0.0":                "a carrier-grade NAT address",
		"100.127.255.255":           "a carrier-grade NAT address",
		"127.0.0.1":                 "a loopback address",
		"127.255.255.254":           "a loopback address",
		"169.254.169.254":           "a link-local address (where cloud metadata services answer)",
		"192.0.0.8":                 "an IETF protocol address",
		"198.18.0.1":                "a benchmarking address",
		"224.0.0.251":               "a multicast address",
		"239.255.255.255":           "a multicast address",
		"240.0.0.1":                 "a reserved address",
		"255.255.255.255":           "the broadcast address",
		"::":                        "the unspecified address",
		"::1":                       "a loopback address",
		"::127.0.0.1":               "an IPv4-compatible address (deprecated)",
		"fc00::1":                   "a unique local (private) address",
		"fdff:ffff::1":              "a unique local (private) address",
		"fd00:ec2::254":             "a unique local (private) address",
		"fe80::1":                   "a link-local address",
		"fe80::1%eth0":              "a link-local address",
		"febf::1":                   "a link-local address",
		"fec0::1":                   "a site-local address",
		"ff02::1":                   "a multicast address",
		"64:ff9b:1::1":              "a local NAT64 address",
		"::ffff:127.0.0.1":          "a loopback address",
		"::ffff:169.254.169.254":    "a link-local address (where cloud metadata services answer)",
		"::ffff:10.1.2.3":           "a private address",
		"::ffff:0.0.0.0":            "the unspecified address",
		"::ffff:255.255.255.255":    "the broadcast address",
		"64:ff9b::7f00:1":           "a loopback address",
		"64:ff9b::169.254.169.254":  "a link-local address (where cloud metadata services answer)",
		"64:ff9b::192.168.1.1":      "a private address",
		"0:0:0:0:0:ffff:100.64.0.1": "a carrier-grade NAT address",
	} {
		if got := blockedAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("blockedAddress(%s) = %q, want %q", addr, got, want)
		}
	}
}

// The operator's allowance opens exactly its ranges, by address and by name, and the dialer's
// check applies the same rules to the address being connected to.
func TestAddressGuardAllowance(t *testing.T) {
	corp := addressGuard{allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd12::/16")}}
	meta := addressGuard{allow: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")}}
	none := addressGuard{}
	for _, tc := range []struct {
		guard addressGuard
		url   string
		ok    bool
	}{
		{corp, "https://10.1.2.3/h", true},
		{corp, "https://[::ffff:10.1.2.3]/h", true},
		{corp, "https://[fd12::7]/h", true},
		{corp, "https://crm.corp.internal/h", true},
		{corp, "https://192.168.1.1/h", false},
		{corp, "https://[fd13::7]/h", false},
		{corp, "https://127.0.0.1/h", false},
		{corp, "https://localhost/h", false},
		{corp, "http://10.1.2.3/h", false}, // https still required off this machine
		{corp, "https://metadata.google.internal/", false},
		{corp, "https://169.254.169.254/", false},
		{corp, "https://0x0a.1/", false},
		{meta, "https://metadata.google.internal/", true},
		{meta, "https://169.254.169.254/", true},
		{meta, "https://169.254.169.253/", false},
		{meta, "https://crm.corp.internal/", true},
		{none, "https://crm.corp.internal/", false},
		{none, "https://crm.example.com:8443/h", true},
		{addressGuard{allow: allowLoopback}, "https://localhost/", true},
		{addressGuard{allow: allowLoopback}, "https://api.localhost/", true},
		{addressGuard{allow: allowLoopback}, "http://[::1]:8080/", true},
		{addressGuard{allow: allowLoopback}, "https://10.0.0.1/", false},
	} {
		if msg := tc.guard.checkURL(tc.url); (msg == "") != tc.ok {
			t.Errorf("allow %v: checkURL(%s) = %q, want ok %v", tc.guard.allow, tc.url, msg, tc.ok)
		}
	}
	for url, want := range map[string]string{
		"https://10.0.0.1/":        "must point to a public address: 10.0.0.1 is a private address (an operator can allow private ranges with SURVEYD_WEBHOOK_ALLOW_PRIVATE)",
		"https://[::ffff:7f00:1]/": "must point to a public address: ::ffff:7f00:1 is a loopback address (an operator",
		"https://localhost./":      "must point to a public address: localhost is this machine (an operator",
		"https://2130706433/":      "must name a host, or give an IP address in full (four decimal numbers, or IPv6 in brackets)",
		"https://:443/":            "must be an absolute http(s) URL",
	} {
		if msg := none.checkURL(url); !strings.HasPrefix(msg, want) {
			t.Errorf("checkURL(%s) = %q, want %q", url, msg, want)
		}
	}

	for _, tc := range []struct {
		guard   addressGuard
		address string
		ok      bool
	}{
		{none, "93.184.215.14:443", true},
		{none, "[2606:4700::1]:443", true},
		{none, "127.0.0.1:443", false},
		{none, "[::ffff:127.0.0.1]:443", false},
		{none, "[fe80::1%eth0]:443", false},
		{none, "169.254.169.254:80", false},
		{none, "not-an-address:443", false},
		{corp, "10.9.9.9:8443", true},
		{corp, "[64:ff9b::10.9.9.9]:8443", true},
		{corp, "172.16.0.1:443", false},
		{addressGuard{allow: allowLoopback}, "127.0.0.1:8080", true},
		{addressGuard{allow: allowLoopback}, "[::1]:8080", true},
	} {
		err := tc.guard.control("tcp", tc.address, nil)
		if (err == nil) != tc.ok {
			t.Errorf("allow %v: control(%s) = %v, want ok %v", tc.guard.allow, tc.address, err, tc.ok)
		}
	}
}

// With the operator's allowance, the same name resolving to loopback is connected to.
func TestWebhookAllowanceAppliesAfterResolution(t *testing.T) {
	port, conns := listenCounting(t, "127.0.0.1:0")
	en := newWebhookEnv(t, nil, allowLoopback...)
	en.wh.dialer.Resolver = fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	ep := en.createEndpoint(en.key, `{"url":"https://crm.rebind.example:`+port+`/hook"}`)
	err := en.wh.Deliver(context.Background(), en.message(ep.ID))
	t.Logf("Deliver: %v", err)
	if err == nil || refusedBySurveyd(err.Error()) || conns.Load() == 0 {
		t.Errorf("Deliver = %v after %d connections, want a connection (which the listener closes)", err, conns.Load())
	}
}
