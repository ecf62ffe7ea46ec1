package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(env map[string]string, args ...string) (*Config, error) {
	return Load(flag.NewFlagSet("test", flag.ContinueOnError), args, func(k string) string { return env[k] })
}

const goodKey = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" // 32 zero bytes

func TestLoadDefaults(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.BaseURL != "http://localhost:8080" || c.DataDir != "./data" || c.MongoURI != "" || c.RateLimit != 10 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoadFlagsOverrideEnv(t *testing.T) {
	c, err := load(map[string]string{"SURVEYD_ADDR": ":9000"}, "--addr", ":9100", "--base-url", "https://cx.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9100" || c.BaseURL != "https://cx.example.com" {
		t.Fatalf("got %q %q", c.Addr, c.BaseURL)
	}
}

func TestLoadAcceptsListenAddresses(t *testing.T) {
	for _, addr := range []string{":8080", "127.0.0.1:0", "[::1]:65535", "localhost:80"} {
		if c, err := load(map[string]string{"SURVEYD_ADDR": addr}); err != nil || c.Addr != addr {
			t.Errorf("SURVEYD_ADDR=%s: %v", addr, err)
		}
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want []string
	}{
		"addr without port":      {map[string]string{"SURVEYD_ADDR": "localhost"}, []string{"SURVEYD_ADDR"}},
		"addr port too big":      {map[string]string{"SURVEYD_ADDR": "127.0.0.1:99999"}, []string{"SURVEYD_ADDR", "0-65535", "99999"}},
		"addr port negative":     {map[string]string{"SURVEYD_ADDR": ":-1"}, []string{"SURVEYD_ADDR", "0-65535"}},
		"addr port not a number": {map[string]string{"SURVEYD_ADDR": "localhost:web"}, []string{"SURVEYD_ADDR", "0-65535"}},
		"addr unclosed bracket":  {map[string]string{"SURVEYD_ADDR": "[::1:8080"}, []string{"SURVEYD_ADDR"}},
		"relative base url":      {map[string]string{"SURVEYD_BASE_URL": "example.com"}, []string{"SURVEYD_BASE_URL"}},
		"base url with query":    {map[string]string{"SURVEYD_BASE_URL": "https://x.com/?a=1"}, []string{"SURVEYD_BASE_URL"}},
		"mongodb uri scheme":     {map[string]string{"SURVEYD_MONGODB_URI": "postgres://x", "SURVEYD_LINK_KEYS": goodKey}, []string{"SURVEYD_MONGODB_URI"}},
		"mongodb without keys":   {map[string]string{"SURVEYD_MONGODB_URI": "mongodb://db:27017"}, []string{"SURVEYD_LINK_KEYS", "SURVEYD_SECRET_KEY", "required"}},
		"short secret key":       {map[string]string{"SURVEYD_SECRET_KEY": "c2hvcnQ="}, []string{"SURVEYD_SECRET_KEY", "at least 32 bytes"}},
		"smtp url scheme":        {map[string]string{"SURVEYD_SMTP_URL": "http://mail:25"}, []string{"SURVEYD_SMTP_URL"}},
		"smtp tls mode":          {map[string]string{"SURVEYD_SMTP_URL": "smtp://mail?tls=maybe"}, []string{"SURVEYD_SMTP_URL", "starttls"}},
		"smtp port":              {map[string]string{"SURVEYD_SMTP_URL": "smtp://mail:99999"}, []string{"SURVEYD_SMTP_URL"}},
		"smtp rate":              {map[string]string{"SURVEYD_SMTP_RATE": "0"}, []string{"SURVEYD_SMTP_RATE"}},
		"mail from":              {map[string]string{"SURVEYD_MAIL_FROM": "not an address"}, []string{"SURVEYD_MAIL_FROM"}},
		"short link key":         {map[string]string{"SURVEYD_LINK_KEYS": "k1:c2hvcnQ="}, []string{"SURVEYD_LINK_KEYS", "at least 32 bytes"}},
		"link key not base64":    {map[string]string{"SURVEYD_LINK_KEYS": "k1:%%%"}, []string{"not base64"}},
		"link key without id":    {map[string]string{"SURVEYD_LINK_KEYS": "AAAA"}, []string{"id:base64secret"}},
		"duplicate key id":       {map[string]string{"SURVEYD_LINK_KEYS": goodKey + "," + goodKey}, []string{"appears twice"}},
		"unknown signing key":    {map[string]string{"SURVEYD_LINK_KEYS": goodKey, "SURVEYD_LINK_KEY_ID": "k9"}, []string{"SURVEYD_LINK_KEY_ID"}},
		"negative rate limit":    {map[string]string{"SURVEYD_RATE_LIMIT": "-1"}, []string{"SURVEYD_RATE_LIMIT"}},
		"rate limit not number":  {map[string]string{"SURVEYD_RATE_LIMIT": "ten"}, []string{"SURVEYD_RATE_LIMIT"}},
		"log level":              {map[string]string{"SURVEYD_LOG_LEVEL": "loud"}, []string{"SURVEYD_LOG_LEVEL"}},
		"trusted proxies":        {map[string]string{"SURVEYD_TRUSTED_PROXIES": "10.0.0.0/8, lb.example"}, []string{"SURVEYD_TRUSTED_PROXIES", "lb.example"}},
		"webhook allowance name": {map[string]string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE": "10.0.0.0/8,crm.internal"}, []string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE", `"crm.internal" is not a CIDR`}},
		"webhook allowance bits": {map[string]string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE": "10.0.0.0/33"}, []string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE", "10.0.0.0/33"}},
		"webhook allowance bool": {map[string]string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE": "true"}, []string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE", "list of CIDRs"}},
		"webhook allow mapped":   {map[string]string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE": "::ffff:10.0.0.0/104"}, []string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE", "as IPv4"}},
		"webhook allow empty":    {map[string]string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE": "10.0.0.0/8,,"}, []string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE"}},
		"database name":          {map[string]string{"SURVEYD_MONGODB_DATABASE": "a/b"}, []string{"SURVEYD_MONGODB_DATABASE"}},
		"value and file":         {map[string]string{"SURVEYD_LINK_KEYS": goodKey, "SURVEYD_LINK_KEYS_FILE": "/x"}, []string{"both set"}},
		"missing file":           {map[string]string{"SURVEYD_LINK_KEYS_FILE": "/nonexistent/keys"}, []string{"SURVEYD_LINK_KEYS_FILE"}},
		"every problem together": {map[string]string{"SURVEYD_ADDR": "x", "SURVEYD_LOG_LEVEL": "y"}, []string{"SURVEYD_ADDR", "SURVEYD_LOG_LEVEL"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := load(tc.env)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadWebhookAllowPrivate(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookAllowPrivate) != 0 {
		t.Errorf("default allowance %v, want none", c.WebhookAllowPrivate)
	}
	c, err = load(map[string]string{"SURVEYD_WEBHOOK_ALLOW_PRIVATE": " 10.20.0.0/16, fd00::/8 ,192.168.1.7,127.0.0.1/8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.20.0.0/16", "fd00::/8", "192.168.1.7/32", "127.0.0.0/8"}
	if len(c.WebhookAllowPrivate) != len(want) {
		t.Fatalf("allowance %v, want %v", c.WebhookAllowPrivate, want)
	}
	for i, p := range c.WebhookAllowPrivate {
		if p.String() != want[i] {
			t.Errorf("allowance[%d] = %s, want %s", i, p, want[i])
		}
	}
}

func TestLoadSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte(goodKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(map[string]string{"SURVEYD_LINK_KEYS_FILE": path, "SURVEYD_MONGODB_URI": "mongodb://db",
		"SURVEYD_SECRET_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LinkKeys) != 1 || c.LinkKeyID != "k1" || len(c.LinkKeys[0].Secret) != 32 {
		t.Fatalf("keys = %+v", c.LinkKeys)
	}
}

func TestEnsureKeysGeneratesOnceWithPrivateMode(t *testing.T) {
	dir := t.TempDir()
	c := &Config{DataDir: dir}
	if err := c.EnsureKeys(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{linkKeyFile, secretKeyFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v, want 0600", name, info.Mode().Perm())
		}
	}
	again := &Config{DataDir: dir}
	if err := again.EnsureKeys(); err != nil {
		t.Fatal(err)
	}
	if string(again.LinkKeys[0].Secret) != string(c.LinkKeys[0].Secret) || again.LinkKeyID != c.LinkKeyID ||
		string(again.SecretKey) != string(c.SecretKey) || len(c.SecretKey) != 32 {
		t.Fatal("a restart must reuse the generated keys, or every link and secret handed out so far breaks")
	}
	configured := &Config{DataDir: t.TempDir(), LinkKeys: []LinkKey{{ID: "x", Secret: make([]byte, 32)}}, LinkKeyID: "x", SecretKey: []byte("configured")}
	if err := configured.EnsureKeys(); err != nil || configured.LinkKeyID != "x" || string(configured.SecretKey) != "configured" {
		t.Fatal("configured keys must be left alone")
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := map[string]SMTP{
		"smtp://mail.example.com":                    {Host: "mail.example.com", Port: 587, TLS: "starttls"},
		"smtps://u:p%40ss@mail.example.com":          {Host: "mail.example.com", Port: 465, TLS: "tls", Username: "u", Password: "p@ss"},
		"smtp://mailpit:1025?tls=none":               {Host: "mailpit", Port: 1025, TLS: "none"},
		"smtp://apikey:secret@smtp.example.com:2525": {Host: "smtp.example.com", Port: 2525, TLS: "starttls", Username: "apikey", Password: "secret"},
	}
	for in, want := range tests {
		got, err := ParseSMTPURL(in)
		if err != nil || got != want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}
