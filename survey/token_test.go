package survey

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/config"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func newTestSigner(t testing.TB, active string, keys ...config.LinkKey) *Signer {
	t.Helper()
	s, err := NewSigner(keys, active)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenVerify(t *testing.T) {
	k1 := config.LinkKey{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}
	k2 := config.LinkKey{ID: "k2", Secret: bytes.Repeat([]byte{2}, 32)}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	inv := bson.NewObjectID()
	s := newTestSigner(t, "k1", k1)
	good := s.Sign(inv, now.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}

	tests := map[string]struct {
		token string
		at    time.Time
		want  error
	}{
		"valid":                  {good, now, nil},
		"expired":                {good, now.Add(time.Hour), ErrTokenExpired},
		"empty":                  {"", now, ErrTokenInvalid},
		"truncated":              {good[:len(good)-5], now, ErrTokenInvalid},
		"extended":               {good + "AA", now, ErrTokenInvalid},
		"padding bits varied":    {good[:len(good)-1] + string(good[len(good)-1]^1), now, ErrTokenInvalid},
		"not base64":             {strings.Repeat("!", 40), now, ErrTokenInvalid},
		"oversized":              {strings.Repeat("A", 4096), now, ErrTokenInvalid},
		"tampered invitation id": {flip(5), now, ErrTokenInvalid},
		"tampered expiry":        {flip(len(raw) - tagLen - 1), now, ErrTokenInvalid},
		"tampered tag":           {flip(len(raw) - 1), now, ErrTokenInvalid},
		"wrong version":          {flip(0), now, ErrTokenInvalid},
		"unknown key id":         {newTestSigner(t, "k2", k2).Sign(inv, now.Add(time.Hour)), now, ErrTokenInvalid},
		// A forger who knows the format but not the secret cannot extend an expiry.
		"re-signed with a guessed key": {newTestSigner(t, "k1", config.LinkKey{ID: "k1", Secret: bytes.Repeat([]byte{9}, 32)}).Sign(inv, now.Add(24*time.Hour)), now, ErrTokenInvalid},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := s.Verify(tc.token, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if tc.want == nil && (c.InvitationID != inv || !c.ExpiresAt.Equal(now.Add(time.Hour)) || c.KeyID != "k1") {
				t.Fatalf("claims = %+v", c)
			}
		})
	}
}

// Rotation: add k2, sign with it, keep verifying k1's links until they expire, then drop k1.
func TestTokenKeyRotation(t *testing.T) {
	k1 := config.LinkKey{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}
	k2 := config.LinkKey{ID: "k2", Secret: bytes.Repeat([]byte{2}, 32)}
	now := time.Now()
	inv := bson.NewObjectID()
	old := newTestSigner(t, "k1", k1).Sign(inv, now.Add(time.Hour))

	during := newTestSigner(t, "k2", k1, k2)
	fresh := during.Sign(inv, now.Add(time.Hour))
	for name, tok := range map[string]string{"old link": old, "new link": fresh} {
		if _, err := during.Verify(tok, now); err != nil {
			t.Errorf("during rotation, %s: %v", name, err)
		}
	}
	if c, _ := during.Verify(fresh, now); c.KeyID != "k2" {
		t.Errorf("new links must be signed by k2, got %q", c.KeyID)
	}

	after := newTestSigner(t, "k2", k2)
	if _, err := after.Verify(old, now); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("after k1 is dropped its links must fail, got %v", err)
	}
	if _, err := after.Verify(fresh, now); err != nil {
		t.Errorf("after rotation, new link: %v", err)
	}
}

func TestNewSignerRejectsUnknownActiveKey(t *testing.T) {
	if _, err := NewSigner([]config.LinkKey{{ID: "a", Secret: make([]byte, 32)}}, "b"); err == nil {
		t.Fatal("want an error when the signing key is not configured")
	}
}

func FuzzTokenVerify(f *testing.F) {
	s := newTestSigner(f, "k1", config.LinkKey{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)})
	now := time.Now()
	f.Add(s.Sign(bson.NewObjectID(), now.Add(time.Hour)))
	f.Add("")
	f.Add("AQJrMQ")
	f.Add(strings.Repeat("A", 90))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token, now)
		if err == nil {
			// Anything accepted must be exactly what the signer would produce for its claims.
			if s.Sign(c.InvitationID, c.ExpiresAt) != token {
				t.Fatalf("accepted a token the signer did not make: %q", token)
			}
		} else if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
