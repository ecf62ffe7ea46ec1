package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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

// Key is a stored key: only the SHA-256 of the secret is kept, so a leaked database does not
// leak working keys. Keys are 192 random bits, so a fast hash is enough; no password stretching.
type Key struct {
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

// Collection holds the keys.
const Collection = "api_keys"

// Store keeps the API keys of every workspace.
type Store struct {
	keys *mongo.Collection
	now  func() time.Time
}

// NewStore binds the key store to db.
func NewStore(db *mongo.Database) *Store {
	return &Store{keys: db.Collection(Collection), now: func() time.Time { return time.Now().UTC() }}
}

// Create makes a key for the workspace and returns it with its secret, which is shown this
// once and never stored.
func (s *Store) Create(ctx context.Context, ws bson.ObjectID, name string, scope Scope) (*Key, string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	secret := keyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	k := &Key{
		ID: bson.NewObjectID(), WorkspaceID: ws, Name: name, Prefix: secret[:len(keyPrefix)+6],
		Hash: hashKey(secret), Scope: scope, CreatedAt: s.now(),
	}
	if _, err := s.keys.InsertOne(ctx, k); err != nil {
		return nil, "", fmt.Errorf("apikey: create: %w", err)
	}
	return k, secret, nil
}

// List lists a workspace's keys, newest first, revoked ones included.
func (s *Store) List(ctx context.Context, ws bson.ObjectID) ([]Key, error) {
	cur, err := s.keys.Find(ctx, bson.D{{Key: "workspace_id", Value: ws}}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("apikey: list: %w", err)
	}
	var keys []Key
	if err := cur.All(ctx, &keys); err != nil {
		return nil, fmt.Errorf("apikey: list: %w", err)
	}
	return keys, nil
}

// Revoke stops a key working at once. The key is named by id or by its prefix.
func (s *Store) Revoke(ctx context.Context, ws bson.ObjectID, idOrPrefix string) error {
	filter := bson.D{{Key: "workspace_id", Value: ws}, {Key: "revoked_at", Value: nil}}
	if id, err := bson.ObjectIDFromHex(idOrPrefix); err == nil {
		filter = append(filter, bson.E{Key: "_id", Value: id})
	} else {
		filter = append(filter, bson.E{Key: "prefix", Value: idOrPrefix})
	}
	res, err := s.keys.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("apikey: revoke: %w", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("apikey: key %s: %w", idOrPrefix, ErrNotFound)
	}
	return nil
}

// RevokeNamed revokes every live key of the workspace with the given name.
func (s *Store) RevokeNamed(ctx context.Context, ws bson.ObjectID, name string) error {
	_, err := s.keys.UpdateMany(ctx,
		bson.D{{Key: "workspace_id", Value: ws}, {Key: "name", Value: name}, {Key: "revoked_at", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("apikey: revoke keys named %q: %w", name, err)
	}
	return nil
}

// Find finds the live key for a presented secret; any other secret is ErrUnauthorized.
func (s *Store) Find(ctx context.Context, secret string) (*Key, error) {
	if !strings.HasPrefix(secret, keyPrefix) || len(secret) > 64 {
		return nil, ErrUnauthorized
	}
	h := hashKey(secret)
	var k Key
	err := s.keys.FindOne(ctx, bson.D{{Key: "hash", Value: h}}).Decode(&k)
	if store.IsNotFound(err) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: authenticate: %w", err)
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
