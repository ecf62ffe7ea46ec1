package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/wneessen/go-mail"
	"golang.org/x/time/rate"
)

// Sender hands one message to the mail system.
type Sender interface {
	Send(ctx context.Context, m *mail.Msg) error
}

var (
	_ Sender = (*SMTP)(nil)
	_ Sender = (*EMLDir)(nil)
)

// SMTP sends over one reused connection to the configured server, redialled when it fails or
// has idled, at no more than the configured rate. A 5xx reply is permanent; 4xx replies and
// connection trouble are retried by the outbox.
type SMTP struct {
	mu        sync.Mutex
	client    *mail.Client
	connected bool
	lastUse   time.Time
	reuse     bool
	limiter   *rate.Limiter
}

// smtpIdle is how long a connection may sit unused before it is closed rather than reused:
// servers drop idle clients after a minute or so.
const smtpIdle = 30 * time.Second

// SMTPOptions tune an SMTP sender.
type SMTPOptions struct {
	// PerSecond is the most messages sent per second (required, > 0).
	PerSecond float64
	// TLSConfig verifies the server (nil: the system roots).
	TLSConfig *tls.Config
	// NoReuse opens a connection per message instead of reusing one; it is only for
	// measuring what reuse buys.
	NoReuse bool
}

// NewSMTP makes a sender for cfg.
func NewSMTP(cfg config.SMTP, opts SMTPOptions) (*SMTP, error) {
	mopts := []mail.Option{mail.WithPort(cfg.Port), mail.WithTimeout(20 * time.Second)}
	switch cfg.TLS {
	case "tls":
		mopts = append(mopts, mail.WithSSL())
	case "starttls":
		mopts = append(mopts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		mopts = append(mopts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if opts.TLSConfig != nil {
		mopts = append(mopts, mail.WithTLSConfig(opts.TLSConfig))
	}
	if cfg.Username != "" {
		mopts = append(mopts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	c, err := mail.NewClient(cfg.Host, mopts...)
	if err != nil {
		return nil, fmt.Errorf("mailer: smtp client: %w", err)
	}
	return &SMTP{client: c, reuse: !opts.NoReuse, limiter: rate.NewLimiter(rate.Limit(opts.PerSecond), max(1, int(opts.PerSecond)))}, nil
}

// Send delivers m, dialling first when there is no live connection.
func (s *SMTP) Send(ctx context.Context, m *mail.Msg) error {
	if err := s.limiter.Wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connected && (!s.reuse || time.Since(s.lastUse) > smtpIdle) {
		s.closeLocked()
	}
	if !s.connected {
		if err := s.client.DialWithContext(ctx); err != nil {
			return fmt.Errorf("mailer: smtp dial: %w", err)
		}
		s.connected = true
	}
	err := s.client.Send(m)
	s.lastUse = time.Now()
	if err == nil {
		if !s.reuse {
			s.closeLocked()
		}
		return nil
	}
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		// The server refused this message for good; the connection itself is fine.
		return outbox.Permanent(fmt.Errorf("mailer: smtp: %w", err))
	}
	s.closeLocked() // whatever went wrong, start the next message on a fresh connection
	return fmt.Errorf("mailer: smtp: %w", err)
}

// Close ends the connection, if any.
func (s *SMTP) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *SMTP) closeLocked() {
	if s.connected {
		_ = s.client.Close()
		s.connected = false
	}
}

// EMLDir stands in for SMTP when none is configured: each message becomes an .eml file, so
// a new install shows the whole flow without a mail server.
type EMLDir struct {
	dir string
	log *slog.Logger
}

// NewEMLDir writes messages under dir, creating it.
func NewEMLDir(dir string, log *slog.Logger) (*EMLDir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailer: mail dir: %w", err)
	}
	return &EMLDir{dir: dir, log: log}, nil
}

// Send writes m to <dir>/<message id>.eml.
func (d *EMLDir) Send(_ context.Context, m *mail.Msg) error {
	id := m.GetGenHeader(mail.HeaderMessageID)
	name := time.Now().UTC().Format("20060102T150405.000000000") + ".eml"
	if len(id) > 0 {
		name = sanitizeFileName(id[0]) + ".eml"
	}
	path := filepath.Join(d.dir, name)
	if err := m.WriteToFile(path); err != nil {
		return fmt.Errorf("mailer: write %s: %w", path, err)
	}
	to := m.GetToString()
	d.log.Info("email written (no SMTP configured)", "to", to, "file", path)
	return nil
}

func sanitizeFileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}
