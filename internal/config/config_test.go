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

func TestLoadRejectsBadValues(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want []string
	}{
		"addr without port":      {map[string]string{"SURVEYD_ADDR": "localhost"}, []string{"SURVEYD_ADDR"}},
		"relative base url":      {map[string]string{"SURVEYD_BASE_URL": "example.com"}, []string{"SURVEYD_BASE_URL"}},
		"base url with query":    {map[string]string{"SURVEYD_BASE_URL": "https://x.com/?a=1"}, []string{"SURVEYD_BASE_URL"}},
		"mongodb uri scheme":     {map[string]string{"SURVEYD_MONGODB_URI": "postgres://x", "SURVEYD_LINK_KEYS": goodKey}, []string{"SURVEYD_MONGODB_URI"}},
		"mongodb without keys":   {map[string]string{"SURVEYD_MONGODB_URI": "mongodb://db:27017"}, []string{"SURVEYD_LINK_KEYS", "required"}},
		"short link key":         {map[string]string{"SURVEYD_LINK_KEYS": "k1:c2hvcnQ="}, []string{"SURVEYD_LINK_KEYS", "at least 32 bytes"}},
		"link key not base64":    {map[string]string{"SURVEYD_LINK_KEYS": "k1:%%%"}, []string{"not base64"}},
		"link key without id":    {map[string]string{"SURVEYD_LINK_KEYS": "AAAA"}, []string{"id:base64secret"}},
		"duplicate key id":       {map[string]string{"SURVEYD_LINK_KEYS": goodKey + "," + goodKey}, []string{"appears twice"}},
		"unknown signing key":    {map[string]string{"SURVEYD_LINK_KEYS": goodKey, "SURVEYD_LINK_KEY_ID": "k9"}, []string{"SURVEYD_LINK_KEY_ID"}},
		"negative rate limit":    {map[string]string{"SURVEYD_RATE_LIMIT": "-1"}, []string{"SURVEYD_RATE_LIMIT"}},
		"rate limit not number":  {map[string]string{"SURVEYD_RATE_LIMIT": "ten"}, []string{"SURVEYD_RATE_LIMIT"}},
		"log level":              {map[string]string{"SURVEYD_LOG_LEVEL": "loud"}, []string{"SURVEYD_LOG_LEVEL"}},
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

func TestLoadSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte(goodKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(map[string]string{"SURVEYD_LINK_KEYS_FILE": path, "SURVEYD_MONGODB_URI": "mongodb://db"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LinkKeys) != 1 || c.LinkKeyID != "k1" || len(c.LinkKeys[0].Secret) != 32 {
		t.Fatalf("keys = %+v", c.LinkKeys)
	}
}

func TestEnsureLinkKeysGeneratesOnceWithPrivateMode(t *testing.T) {
	dir := t.TempDir()
	c := &Config{DataDir: dir}
	if err := c.EnsureLinkKeys(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, linkKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	again := &Config{DataDir: dir}
	if err := again.EnsureLinkKeys(); err != nil {
		t.Fatal(err)
	}
	if string(again.LinkKeys[0].Secret) != string(c.LinkKeys[0].Secret) || again.LinkKeyID != c.LinkKeyID {
		t.Fatal("a restart must reuse the generated key, or every link sent so far breaks")
	}
	configured := &Config{DataDir: t.TempDir(), LinkKeys: []LinkKey{{ID: "x", Secret: make([]byte, 32)}}, LinkKeyID: "x"}
	if err := configured.EnsureLinkKeys(); err != nil || configured.LinkKeyID != "x" {
		t.Fatal("configured keys must be left alone")
	}
}
