// Package config reads surveyd's configuration from SURVEYD_* environment variables, their
// _FILE variants and command-line flags, and validates every value once at start.
package config

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Config is surveyd's whole configuration, parsed and validated.
type Config struct {
	Addr     string // SURVEYD_ADDR, where the HTTP server listens
	BaseURL  string // SURVEYD_BASE_URL, public origin used in survey links, without trailing slash
	DataDir  string // SURVEYD_DATA_DIR, embedded store and generated keys
	MongoURI string // SURVEYD_MONGODB_URI; empty means the embedded store
	Database string // SURVEYD_MONGODB_DATABASE

	// LinkKeys verify survey links; LinkKeyID names the one that signs new links.
	// Empty on the embedded default: a key is generated once in DataDir.
	LinkKeys  []LinkKey
	LinkKeyID string

	// SecretKey derives the integration and webhook signing secrets, so none is stored.
	// Empty on the embedded default: a key is generated once in DataDir.
	SecretKey []byte

	SMTPURL    string  // SURVEYD_SMTP_URL; empty writes mail as .eml files under DataDir/mail
	SMTPCAFile string  // SURVEYD_SMTP_CA_FILE, CA certificates (PEM) to trust for the SMTP server
	SMTPRate   float64 // SURVEYD_SMTP_RATE, messages per second at most
	MailFrom   string  // SURVEYD_MAIL_FROM, the sender when a workspace sets none
	// OutboxLease is how long a message stays with the instance delivering it: after a crash,
	// another instance takes it over once this has passed.
	OutboxLease time.Duration

	RateLimit float64 // SURVEYD_RATE_LIMIT, public POSTs per second per client IP; 0 turns it off
	// TrustedProxies are the load balancers whose X-Forwarded-For names the client; without
	// them the client is the peer address.
	TrustedProxies []*net.IPNet
	// WebhookAllowPrivate (SURVEYD_WEBHOOK_ALLOW_PRIVATE) are the ranges outgoing webhooks
	// may reach although they are not public: loopback, private networks, link-local.
	// Empty, webhooks go only to public addresses.
	WebhookAllowPrivate []netip.Prefix
	LogLevel            string // SURVEYD_LOG_LEVEL: debug, info, warn, error
}

// LinkKey is one HMAC key for signing survey links, named by a short id so links signed with
// an older key keep working during rotation.
type LinkKey struct {
	ID     string
	Secret []byte
}

// MinLinkKeyBytes is the shortest link-signing secret accepted: the HMAC-SHA256 key length.
const MinLinkKeyBytes = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

// Error lists every bad setting found, so one start-up tells the operator all of them.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "; ")
}

// setting describes one configuration value: its environment variable, flag and default.
type setting struct {
	env, flag, def, usage string
}

var settings = []setting{
	{"SURVEYD_ADDR", "addr", ":8080", "listen address"},
	{"SURVEYD_BASE_URL", "base-url", "http://localhost:8080", "public base URL used in survey links"},
	{"SURVEYD_DATA_DIR", "data-dir", "./data", "directory for the embedded store and generated keys"},
	{"SURVEYD_MONGODB_URI", "mongodb-uri", "", "MongoDB connection string; empty runs the embedded store"},
	{"SURVEYD_MONGODB_DATABASE", "mongodb-database", "surveyd", "database name"},
	{"SURVEYD_LINK_KEYS", "link-keys", "", "link-signing keys: id:base64secret[,id:base64secret...]"},
	{"SURVEYD_LINK_KEY_ID", "link-key-id", "", "id of the key that signs new links (default: the first)"},
	{"SURVEYD_SECRET_KEY", "secret-key", "", "base64 key (32+ bytes) from which integration and webhook secrets are derived"},
	{"SURVEYD_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:587?tls=starttls|tls|none; empty writes .eml files"},
	{"SURVEYD_SMTP_CA_FILE", "smtp-ca-file", "", "PEM file of CA certificates to trust for the SMTP server (a relay with a private CA)"},
	{"SURVEYD_SMTP_RATE", "smtp-rate", "20", "emails per second at most"},
	{"SURVEYD_MAIL_FROM", "mail-from", "", "default sender, e.g. \"Acme Support <cx@acme.example>\""},
	{"SURVEYD_OUTBOX_LEASE", "outbox-lease", "2m", "how long before a crashed instance's message is taken over by another"},
	{"SURVEYD_RATE_LIMIT", "rate-limit", "10", "public POST requests per second per client IP (0: off)"},
	{"SURVEYD_TRUSTED_PROXIES", "trusted-proxies", "", "CIDRs of load balancers whose X-Forwarded-For names the client, e.g. 10.0.0.0/8"},
	{"SURVEYD_WEBHOOK_ALLOW_PRIVATE", "webhook-allow-private", "", "CIDRs of private networks outgoing webhooks may reach, e.g. 10.20.0.0/16 (default: public addresses only)"},
	{"SURVEYD_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
}

// Setting is one setting as help shows it: its environment variable, flag, default and meaning.
type Setting struct{ Env, Flag, Default, Usage string }

// Settings lists every setting, for help output.
func Settings() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		out[i] = Setting{s.env, s.flag, s.def, s.usage}
	}
	return out
}

// Load reads the environment (through getenv), then lets flags in args override it.
// A variable NAME may instead be given as NAME_FILE, the path of a file holding the value,
// which is how container secrets are passed.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	var problems []string
	values := make(map[string]*string, len(settings))
	for _, s := range settings {
		v, err := lookup(s.env, getenv)
		if err != nil {
			problems = append(problems, err.Error())
		}
		if v == "" {
			v = s.def
		}
		values[s.env] = fs.String(s.flag, v, s.usage+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, &Error{problems}
	}
	get := func(env string) string { return strings.TrimSpace(*values[env]) }

	c := &Config{
		Addr:      get("SURVEYD_ADDR"),
		BaseURL:   strings.TrimRight(get("SURVEYD_BASE_URL"), "/"),
		DataDir:   get("SURVEYD_DATA_DIR"),
		MongoURI:  get("SURVEYD_MONGODB_URI"),
		Database:  get("SURVEYD_MONGODB_DATABASE"),
		LinkKeyID: get("SURVEYD_LINK_KEY_ID"),
		LogLevel:  strings.ToLower(get("SURVEYD_LOG_LEVEL")),
	}
	bad := func(env, format string, a ...any) {
		problems = append(problems, env+": "+fmt.Sprintf(format, a...))
	}

	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("SURVEYD_ADDR", "must be host:port or :port, got %q", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("SURVEYD_ADDR", "port must be a number 0-65535, got %q", port)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("SURVEYD_BASE_URL", "must be an absolute http(s) URL without query, got %q", c.BaseURL)
	}
	if c.DataDir == "" {
		bad("SURVEYD_DATA_DIR", "must not be empty")
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		bad("SURVEYD_MONGODB_URI", "must start with mongodb:// or mongodb+srv://")
	}
	if c.Database == "" || strings.ContainsAny(c.Database, `/\. "$`) {
		bad("SURVEYD_MONGODB_DATABASE", "must be a plain database name, got %q", c.Database)
	}
	keys, err := parseLinkKeys(get("SURVEYD_LINK_KEYS"))
	if err != nil {
		bad("SURVEYD_LINK_KEYS", "%v", err)
	}
	c.LinkKeys = keys
	switch {
	case c.LinkKeyID == "" && len(keys) > 0:
		c.LinkKeyID = keys[0].ID
	case c.LinkKeyID != "" && err == nil && !hasKey(keys, c.LinkKeyID):
		bad("SURVEYD_LINK_KEY_ID", "%q is not one of the ids in SURVEYD_LINK_KEYS", c.LinkKeyID)
	}
	if c.MongoURI != "" && len(keys) == 0 && err == nil {
		bad("SURVEYD_LINK_KEYS", "required with SURVEYD_MONGODB_URI, so that every instance signs and verifies links with the same keys")
	}
	if v := get("SURVEYD_SECRET_KEY"); v != "" {
		if c.SecretKey, err = parseSecretKey(v); err != nil {
			bad("SURVEYD_SECRET_KEY", "%v", err)
		}
	} else if c.MongoURI != "" {
		bad("SURVEYD_SECRET_KEY", "required with SURVEYD_MONGODB_URI, so that every instance derives the same signing secrets")
	}
	c.SMTPURL, c.SMTPCAFile = get("SURVEYD_SMTP_URL"), get("SURVEYD_SMTP_CA_FILE")
	if c.SMTPCAFile != "" {
		if b, err := os.ReadFile(c.SMTPCAFile); err != nil || !x509.NewCertPool().AppendCertsFromPEM(b) {
			bad("SURVEYD_SMTP_CA_FILE", "must be a readable PEM file of certificates")
		}
	}
	if c.SMTPURL != "" {
		if _, err := ParseSMTPURL(c.SMTPURL); err != nil {
			bad("SURVEYD_SMTP_URL", "%v", err)
		}
	}
	if c.SMTPRate, err = strconv.ParseFloat(get("SURVEYD_SMTP_RATE"), 64); err != nil || c.SMTPRate <= 0 {
		bad("SURVEYD_SMTP_RATE", "must be a number > 0, got %q", get("SURVEYD_SMTP_RATE"))
	}
	if c.OutboxLease, err = time.ParseDuration(get("SURVEYD_OUTBOX_LEASE")); err != nil || c.OutboxLease < time.Second {
		bad("SURVEYD_OUTBOX_LEASE", "must be a duration of at least 1s such as 2m, got %q", get("SURVEYD_OUTBOX_LEASE"))
	}
	c.MailFrom = get("SURVEYD_MAIL_FROM")
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			bad("SURVEYD_MAIL_FROM", "must be an address such as \"Acme <cx@acme.example>\": %v", err)
		}
	}
	if v := get("SURVEYD_TRUSTED_PROXIES"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			_, n, err := net.ParseCIDR(strings.TrimSpace(part))
			if err != nil {
				bad("SURVEYD_TRUSTED_PROXIES", "%q is not a CIDR such as 10.0.0.0/8", strings.TrimSpace(part))
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
	}
	if v := get("SURVEYD_WEBHOOK_ALLOW_PRIVATE"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			p, err := parsePrefix(strings.TrimSpace(part))
			if err != nil {
				bad("SURVEYD_WEBHOOK_ALLOW_PRIVATE", "%v; it is a list of CIDRs such as 10.20.0.0/16,fd00::/8", err)
				continue
			}
			c.WebhookAllowPrivate = append(c.WebhookAllowPrivate, p)
		}
	}
	rate, perr := strconv.ParseFloat(get("SURVEYD_RATE_LIMIT"), 64)
	if perr != nil || rate < 0 {
		bad("SURVEYD_RATE_LIMIT", "must be a number ≥ 0, got %q", get("SURVEYD_RATE_LIMIT"))
	}
	c.RateLimit = rate
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("SURVEYD_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}

	if len(problems) > 0 {
		return nil, &Error{problems}
	}
	return c, nil
}

// parsePrefix reads a CIDR, or one address as a range of its own.
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR or an IP address", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped range: write it as IPv4", s)
	}
	return p.Masked(), nil
}

// lookup returns NAME's value, or the contents of the file named by NAME_FILE.
func lookup(name string, getenv func(string) string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set; use one", name, name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %v", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ParseLinkKey parses one "id:base64secret" pair.
func ParseLinkKey(s string) (LinkKey, error) {
	id, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return LinkKey{}, errors.New(`each key must be "id:base64secret"`)
	}
	if !keyIDPattern.MatchString(id) {
		return LinkKey{}, fmt.Errorf("key id %q must be 1-16 letters, digits, - or _", id)
	}
	b, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(secret); err != nil {
			return LinkKey{}, fmt.Errorf("key %q: secret is not base64", id)
		}
	}
	if len(b) < MinLinkKeyBytes {
		return LinkKey{}, fmt.Errorf("key %q: secret must be at least %d bytes, got %d", id, MinLinkKeyBytes, len(b))
	}
	return LinkKey{ID: id, Secret: b}, nil
}

// FormatLinkKey is the inverse of ParseLinkKey.
func FormatLinkKey(k LinkKey) string {
	return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret)
}

func parseLinkKeys(s string) ([]LinkKey, error) {
	if s == "" {
		return nil, nil
	}
	var keys []LinkKey
	for part := range strings.SplitSeq(s, ",") {
		k, err := ParseLinkKey(part)
		if err != nil {
			return nil, err
		}
		if hasKey(keys, k.ID) {
			return nil, fmt.Errorf("key id %q appears twice", k.ID)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func hasKey(keys []LinkKey, id string) bool {
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// Files holding the keys generated for an install that configured none.
const (
	linkKeyFile   = "link-signing.key"
	secretKeyFile = "secret.key"
)

// EnsureKeys fills in the keys left unconfigured on the embedded default: each is read from
// the data dir where the first start generated it, or generated now and written there with
// mode 0600.
func (c *Config) EnsureKeys() error {
	if len(c.LinkKeys) == 0 {
		s, err := c.readOrCreate(linkKeyFile, func(b []byte) string { return FormatLinkKey(LinkKey{ID: "k1", Secret: b}) })
		if err != nil {
			return err
		}
		k, err := ParseLinkKey(s)
		if err != nil {
			return fmt.Errorf("config: %s: %w", linkKeyFile, err)
		}
		c.LinkKeys, c.LinkKeyID = []LinkKey{k}, k.ID
	}
	if c.SecretKey == nil {
		s, err := c.readOrCreate(secretKeyFile, base64.StdEncoding.EncodeToString)
		if err != nil {
			return err
		}
		if c.SecretKey, err = parseSecretKey(s); err != nil {
			return fmt.Errorf("config: %s: %w", secretKeyFile, err)
		}
	}
	return nil
}

// readOrCreate returns the contents of a key file in the data dir, creating it from 32 fresh
// random bytes, formatted by format, when it does not exist.
func (c *Config) readOrCreate(name string, format func([]byte) string) (string, error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("config: data dir: %w", err)
	}
	path := filepath.Join(c.DataDir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("config: read %s: %w", path, err)
	}
	secret := make([]byte, MinLinkKeyBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	s := format(secret)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("config: write %s: %w", path, err)
	}
	_, werr := f.WriteString(s + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("config: write %s: %w", path, err)
	}
	return s, nil
}

func parseSecretKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("must be base64")
	}
	if len(b) < MinLinkKeyBytes {
		return nil, fmt.Errorf("must be at least %d bytes, got %d", MinLinkKeyBytes, len(b))
	}
	return b, nil
}

// TuneRuntime trades memory for CPU unless the operator set GOGC or GOMEMLIMIT: the garbage
// collector runs at 4× the live heap instead of 2×, under a 1 GiB soft limit. On the embedded
// store, where the database shares the process, that is a fifth more answers a second.
func TuneRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

// SMTP is a parsed SURVEYD_SMTP_URL.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string // starttls, tls or none
}

// ParseSMTPURL reads smtp://[user[:password]@]host[:port][?tls=starttls|tls|none]. smtps://
// means implicit TLS. The port defaults to 587 for STARTTLS, 465 for TLS and 25 without.
func ParseSMTPURL(s string) (SMTP, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return SMTP{}, errors.New("must look like smtp://user:password@host:587?tls=starttls")
	}
	c := SMTP{Host: u.Hostname(), TLS: "starttls"}
	if u.Scheme == "smtps" {
		c.TLS = "tls"
	}
	if t := u.Query().Get("tls"); t != "" {
		if t != "starttls" && t != "tls" && t != "none" {
			return SMTP{}, fmt.Errorf("tls must be starttls, tls or none, got %q", t)
		}
		c.TLS = t
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	switch p := u.Port(); {
	case p != "":
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return SMTP{}, fmt.Errorf("port %q is not a port number", p)
		}
	case c.TLS == "tls":
		c.Port = 465
	case c.TLS == "none":
		c.Port = 25
	default:
		c.Port = 587
	}
	return c, nil
}
