package mailer

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/mailer/outbox"
	gomail "github.com/wneessen/go-mail"
)

// newTestSMTP is the sender cmd/surveyd builds, pointed at url and trusting the CA in caFile.
func newTestSMTP(t testing.TB, url, caFile string, reuse bool) *SMTP {
	t.Helper()
	cfg, err := config.ParseSMTPURL(url)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in the CA file")
	}
	s, err := NewSMTP(cfg, SMTPOptions{PerSecond: 1e6, TLSConfig: &tls.Config{RootCAs: roots, ServerName: cfg.Host, MinVersion: tls.VersionTLS12}, NoReuse: !reuse})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// tcpRelay sits between the sender and the SMTP server: it counts the connections made
// through it and, while down, hangs up on each one before the greeting, as a server that is
// down or restarting does.
type tcpRelay struct {
	Addr   string
	target string
	ln     net.Listener
	down   atomic.Bool
	conns  atomic.Int64

	mu   sync.Mutex
	open []net.Conn
}

func startRelay(t testing.TB, target string) *tcpRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &tcpRelay{Addr: ln.Addr().String(), target: target, ln: ln}
	go r.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, c := range r.open {
			_ = c.Close()
		}
	})
	return r
}

// URL is the SMTP URL of the server behind the relay.
func (r *tcpRelay) URL() string {
	return "smtp://" + smtptest.Username + ":" + smtptest.Password + "@" + r.Addr + "?tls=starttls"
}

// Connections counts the connections the relay passed on to the server.
func (r *tcpRelay) Connections() int { return int(r.conns.Load()) }

func (r *tcpRelay) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		if r.down.Load() {
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", r.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		r.conns.Add(1)
		r.mu.Lock()
		r.open = append(r.open, c, s)
		r.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
		go func() { _, _ = io.Copy(c, s); _ = c.Close() }()
	}
}

func testMail(t testing.TB, to string) *gomail.Msg {
	t.Helper()
	m := gomail.NewMsg()
	if err := m.From("surveys@surveyd.test"); err != nil {
		t.Fatal(err)
	}
	if err := m.To(to); err != nil {
		t.Fatal(err)
	}
	m.Subject("How was your recent experience with Acme?")
	m.SetMessageID()
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, "Tell us: http://surveyd.test/s/token")
	return m
}

// SMTP replies are classified: a 4xx is retried, a 5xx is not, and either way the next
// message goes through.
func TestSMTPSendClassifiesReplies(t *testing.T) {
	tests := map[string]struct {
		faults      []int
		wantErr     bool
		permanent   bool
		connections int // for the failed message and the next one
	}{
		"accepted":                {nil, false, false, 1},
		"451 local error":         {[]int{451}, true, false, 2},
		"452 insufficient space":  {[]int{452}, true, false, 2},
		"550 mailbox unavailable": {[]int{550}, true, true, 1},
		"554 transaction failed":  {[]int{554}, true, true, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := smtptest.Start(t)
			relay := startRelay(t, srv.Addr)
			s := newTestSMTP(t, relay.URL(), srv.CAFile, true)
			srv.FailNext(tc.faults...)
			err := s.Send(t.Context(), testMail(t, "first@example.com"))
			if (err != nil) != tc.wantErr || outbox.IsPermanent(err) != tc.permanent {
				t.Fatalf("Send = %v (permanent %v), want error %v, permanent %v", err, outbox.IsPermanent(err), tc.wantErr, tc.permanent)
			}
			if err := s.Send(t.Context(), testMail(t, "next@example.com")); err != nil {
				t.Fatalf("the next message: %v", err)
			}
			msgs := srv.Messages()
			want := []string{"first@example.com", "next@example.com"}
			if tc.wantErr {
				want = want[1:]
			}
			if len(msgs) != len(want) {
				t.Fatalf("server accepted %d messages, want %d", len(msgs), len(want))
			}
			for i, m := range msgs {
				if m.To != want[i] || m.From != "surveys@surveyd.test" || m.Header.Get("Subject") == "" {
					t.Errorf("message %d: %s → %s, %v", i, m.From, m.To, m.Header)
				}
			}
			// A refused message leaves the connection usable; anything else redials.
			if got := relay.Connections(); got != tc.connections {
				t.Errorf("%d SMTP connections, want %d", got, tc.connections)
			}
		})
	}
}

func TestSMTPServerDownIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	srv := smtptest.Start(t)
	s := newTestSMTP(t, "smtp://"+smtptest.Username+":"+smtptest.Password+"@"+addr+"?tls=starttls", srv.CAFile, true)
	err = s.Send(t.Context(), testMail(t, "lan@example.com"))
	if err == nil || outbox.IsPermanent(err) {
		t.Fatalf("Send to a closed port = %v (permanent %v), want a retryable error", err, outbox.IsPermanent(err))
	}
}

func TestSMTPConnectionReuse(t *testing.T) {
	tests := map[string]struct {
		reuse       bool
		connections int
	}{
		"reuse":       {true, 1},
		"per message": {false, 20},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := smtptest.Start(t)
			relay := startRelay(t, srv.Addr)
			s := newTestSMTP(t, relay.URL(), srv.CAFile, tc.reuse)
			for i := range 20 {
				if err := s.Send(t.Context(), testMail(t, "c"+strconv.Itoa(i)+"@example.com")); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			if n := len(srv.Messages()); n != 20 {
				t.Fatalf("server accepted %d messages, want 20", n)
			}
			if got := relay.Connections(); got != tc.connections {
				t.Fatalf("20 messages used %d SMTP connections, want %d", got, tc.connections)
			}
		})
	}
}

// smtptest's Sessions is documented as the number of SMTP connections.
func TestSMTPTestServerCountsConnections(t *testing.T) {
	srv := smtptest.Start(t)
	relay := startRelay(t, srv.Addr)
	s := newTestSMTP(t, relay.URL(), srv.CAFile, false)
	for i := range 3 {
		if err := s.Send(t.Context(), testMail(t, "c"+strconv.Itoa(i)+"@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Sessions() != relay.Connections() {
		t.Fatalf("Sessions() = %d after %d connections", srv.Sessions(), relay.Connections())
	}
}

// BenchmarkSMTPSend measures what connection reuse buys: STARTTLS and AUTH per message
// against once.
func BenchmarkSMTPSend(b *testing.B) {
	for _, bc := range []struct {
		name  string
		reuse bool
	}{{"reuse", true}, {"per-message", false}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := smtptest.Start(b)
			relay := startRelay(b, srv.Addr)
			s := newTestSMTP(b, relay.URL(), srv.CAFile, bc.reuse)
			msgs := make([]*gomail.Msg, b.N)
			for i := range msgs {
				msgs[i] = testMail(b, fmt.Sprintf("c%d@example.com", i))
			}
			b.ResetTimer()
			for i := range b.N {
				if err := s.Send(b.Context(), msgs[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
			b.ReportMetric(float64(relay.Connections()), "connections")
		})
	}
}
