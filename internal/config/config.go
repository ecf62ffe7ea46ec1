// Package config reads surveyd's configuration from SURVEYD_* environment variables, their
// _FILE variants and command-line flags, and validates every value once at start.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
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

	RateLimit float64 // SURVEYD_RATE_LIMIT, public POSTs per second per client IP; 0 turns it off
	LogLevel  string  // SURVEYD_LOG_LEVEL: debug, info, warn, error
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
	{"SURVEYD_RATE_LIMIT", "rate-limit", "10", "public POST requests per second per client IP (0: off)"},
	{"SURVEYD_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
}

// Settings lists the environment variables with their defaults and meaning, for help output.
func Settings() [][3]string {
	out := make([][3]string, len(settings))
	for i, s := range settings {
		out[i] = [3]string{s.env, s.def, s.usage}
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

// linkKeyFile holds the generated link-signing key of an install that configured none.
const linkKeyFile = "link-signing.key"

// EnsureLinkKeys fills in LinkKeys on the embedded default: the key generated on the first
// start is read from the data dir, or made now and written there with mode 0600.
func (c *Config) EnsureLinkKeys() error {
	if len(c.LinkKeys) > 0 {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("config: data dir: %w", err)
	}
	path := c.DataDir + string(os.PathSeparator) + linkKeyFile
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := LinkKey{ID: "k1", Secret: make([]byte, MinLinkKeyBytes)}
		if _, err := rand.Read(k.Secret); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("config: write %s: %w", path, err)
		}
		if _, err := f.WriteString(FormatLinkKey(k) + "\n"); err != nil {
			f.Close()
			return fmt.Errorf("config: write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("config: write %s: %w", path, err)
		}
		c.LinkKeys, c.LinkKeyID = []LinkKey{k}, k.ID
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: read %s: %w", path, err)
	}
	k, err := ParseLinkKey(string(b))
	if err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	c.LinkKeys, c.LinkKeyID = []LinkKey{k}, k.ID
	return nil
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
