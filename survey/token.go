package survey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/config"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A survey link token is base64url(version | len(kid) | kid | invitation id | expiry | tag),
// where tag is HMAC-SHA256 over everything before it under the key named kid. Everything a
// verifier needs is in the token, so a forged, truncated or expired link is rejected without
// touching the database. The version byte also says what the token is for, so a survey link
// cannot be replayed as an unsubscribe link or the reverse.
const (
	tokenVersion       = 1 // survey link
	unsubscribeVersion = 2 // unsubscribe link for the invitation's address
	tagLen             = sha256.Size
	maxKeyIDLen        = 16
	// maxTokenLen bounds the work done on hostile input before any decoding.
	maxTokenLen = (2+maxKeyIDLen+12+8+tagLen)*4/3 + 4
)

// Signer signs survey links with one key and verifies them with any configured key, which is
// how keys rotate: add the new key, make it the signer, drop the old one after links expire.
type Signer struct {
	keys   map[string][]byte
	signer string
}

// NewSigner uses keys to verify and the key named active to sign.
func NewSigner(keys []config.LinkKey, active string) (*Signer, error) {
	s := &Signer{keys: make(map[string][]byte, len(keys)), signer: active}
	for _, k := range keys {
		if len(k.ID) == 0 || len(k.ID) > maxKeyIDLen {
			return nil, fmt.Errorf("survey: link key id %q must be 1-%d bytes", k.ID, maxKeyIDLen)
		}
		s.keys[k.ID] = k.Secret
	}
	if _, ok := s.keys[active]; !ok {
		return nil, fmt.Errorf("survey: signing key %q is not among the link keys", active)
	}
	return s, nil
}

// Claims is what a valid token says.
type Claims struct {
	KeyID        string
	InvitationID bson.ObjectID
	ExpiresAt    time.Time
}

// Sign returns the token for an invitation's survey link.
func (s *Signer) Sign(invitation bson.ObjectID, expires time.Time) string {
	return s.sign(tokenVersion, invitation, expires)
}

// Verify checks a survey link token's form, signature (in constant time) and expiry at now. It
// returns ErrTokenInvalid for anything not signed by a configured key and ErrTokenExpired for a
// genuine token past its expiry.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	return s.verify(tokenVersion, token, now)
}

// SignUnsubscribe returns the token of an invitation's unsubscribe link.
func (s *Signer) SignUnsubscribe(invitation bson.ObjectID, expires time.Time) string {
	return s.sign(unsubscribeVersion, invitation, expires)
}

// VerifyUnsubscribe is Verify for unsubscribe tokens.
func (s *Signer) VerifyUnsubscribe(token string, now time.Time) (Claims, error) {
	return s.verify(unsubscribeVersion, token, now)
}

func (s *Signer) sign(version byte, invitation bson.ObjectID, expires time.Time) string {
	kid := s.signer
	b := make([]byte, 0, 2+len(kid)+12+8+tagLen)
	b = append(b, version, byte(len(kid)))
	b = append(b, kid...)
	b = append(b, invitation[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	b = append(b, tag(s.keys[kid], b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Signer) verify(version byte, token string, now time.Time) (Claims, error) {
	if len(token) == 0 || len(token) > maxTokenLen {
		return Claims{}, ErrTokenInvalid
	}
	// Strict: a token has one spelling, so its last character's unused bits cannot be
	// varied into other strings that decode to the same signed bytes.
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) < 2 || b[0] != version {
		return Claims{}, ErrTokenInvalid
	}
	kidLen := int(b[1])
	if kidLen == 0 || len(b) != 2+kidLen+12+8+tagLen {
		return Claims{}, ErrTokenInvalid
	}
	kid := string(b[2 : 2+kidLen])
	key, ok := s.keys[kid]
	if !ok {
		return Claims{}, ErrTokenInvalid
	}
	body, got := b[:len(b)-tagLen], b[len(b)-tagLen:]
	if !hmac.Equal(got, tag(key, body)) {
		return Claims{}, ErrTokenInvalid
	}
	var c Claims
	c.KeyID = kid
	copy(c.InvitationID[:], body[2+kidLen:])
	c.ExpiresAt = time.Unix(int64(binary.BigEndian.Uint64(body[2+kidLen+12:])), 0).UTC()
	if !now.Before(c.ExpiresAt) {
		return c, ErrTokenExpired
	}
	return c, nil
}

// tag is HMAC-SHA256(key, msg).
func tag(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
