package survey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Scope is what an API key may do; each scope includes the ones below it.
type Scope string

const (
	ScopeRead  Scope = "read"  // read surveys, invitations, responses and reports
	ScopeWrite Scope = "write" // also create and change surveys and invitations
	ScopeAdmin Scope = "admin" // also change workspace settings
)

var scopeRank = map[Scope]int{ScopeRead: 1, ScopeWrite: 2, ScopeAdmin: 3}

// ParseScope accepts read, write or admin.
func ParseScope(s string) (Scope, error) {
	if _, ok := scopeRank[Scope(s)]; !ok {
		return "", fmt.Errorf("scope must be read, write or admin, got %q", s)
	}
	return Scope(s), nil
}

// Allows reports whether a key with scope s may act at need.
func (s Scope) Allows(need Scope) bool { return scopeRank[s] >= scopeRank[need] }

// APIKey is a stored key: only the SHA-256 of the secret is kept, so a leaked database does not
// leak working keys. Keys are 192 random bits, so a fast hash is enough; no password stretching.
type APIKey struct {
	ID          bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id" json:"-"`
	Name        string        `bson:"name" json:"name"`
	Prefix      string        `bson:"prefix" json:"prefix"`
	Hash        []byte        `bson:"hash" json:"-"`
	Scope       Scope         `bson:"scope" json:"scope"`
	CreatedAt   time.Time     `bson:"created_at" json:"created_at"`
	RevokedAt   *time.Time    `bson:"revoked_at,omitempty" json:"revoked_at,omitempty"`
}

const keyPrefix = "sd_"

// CreateAPIKey makes a key for the workspace and returns it with its secret, which is shown
// this once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, ws bson.ObjectID, name string, scope Scope) (*APIKey, string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	secret := keyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	k := &APIKey{
		ID: bson.NewObjectID(), WorkspaceID: ws, Name: name, Prefix: secret[:len(keyPrefix)+6],
		Hash: hashKey(secret), Scope: scope, CreatedAt: s.now(),
	}
	if _, err := s.apiKeys.InsertOne(ctx, k); err != nil {
		return nil, "", fmt.Errorf("survey: create api key: %w", err)
	}
	return k, secret, nil
}

// ListAPIKeys lists a workspace's keys, newest first, revoked ones included.
func (s *Service) ListAPIKeys(ctx context.Context, ws bson.ObjectID) ([]APIKey, error) {
	cur, err := s.apiKeys.Find(ctx, bson.D{{Key: "workspace_id", Value: ws}}, sortNewest())
	if err != nil {
		return nil, fmt.Errorf("survey: list api keys: %w", err)
	}
	var keys []APIKey
	if err := cur.All(ctx, &keys); err != nil {
		return nil, fmt.Errorf("survey: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey stops a key working at once. The key is named by id or by its prefix.
func (s *Service) RevokeAPIKey(ctx context.Context, ws bson.ObjectID, idOrPrefix string) error {
	filter := bson.D{{Key: "workspace_id", Value: ws}, {Key: "revoked_at", Value: nil}}
	if id, err := bson.ObjectIDFromHex(idOrPrefix); err == nil {
		filter = append(filter, bson.E{Key: "_id", Value: id})
	} else {
		filter = append(filter, bson.E{Key: "prefix", Value: idOrPrefix})
	}
	res, err := s.apiKeys.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("survey: revoke api key: %w", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("survey: api key %s: %w", idOrPrefix, ErrNotFound)
	}
	return nil
}

// Authenticate finds the live key for a presented secret.
func (s *Service) Authenticate(ctx context.Context, secret string) (*APIKey, error) {
	if !strings.HasPrefix(secret, keyPrefix) || len(secret) > 64 {
		return nil, ErrUnauthorized
	}
	h := hashKey(secret)
	var k APIKey
	err := s.apiKeys.FindOne(ctx, bson.D{{Key: "hash", Value: h}}).Decode(&k)
	if store.IsNotFound(err) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("survey: authenticate: %w", err)
	}
	// The lookup already matched on the hash; comparing again in constant time keeps the
	// decision itself free of timing differences whatever the database does.
	if subtle.ConstantTimeCompare(k.Hash, h) != 1 || k.RevokedAt != nil {
		return nil, ErrUnauthorized
	}
	return &k, nil
}

func hashKey(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// hashIP stands in for a respondent's IP address: stable within an install (so repeats can be
// spotted) but not reversible without the install's salt.
func (s *Service) hashIP(ip string) string {
	m := hmac.New(sha256.New, s.ipSalt)
	m.Write([]byte(ip))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// RevokeAPIKeysNamed revokes every live key of the workspace with the given name.
func (s *Service) RevokeAPIKeysNamed(ctx context.Context, ws bson.ObjectID, name string) error {
	_, err := s.apiKeys.UpdateMany(ctx,
		bson.D{{Key: "workspace_id", Value: ws}, {Key: "name", Value: name}, {Key: "revoked_at", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("survey: revoke keys named %q: %w", name, err)
	}
	return nil
}
