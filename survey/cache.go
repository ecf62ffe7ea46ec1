package survey

import (
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ttlCache keeps recently read surveys and workspaces for the respondent pages, the hot path,
// so an answer costs one invitation read instead of three. Entries live ttl: a change made
// through another instance shows on this one within that time; this instance's own changes
// invalidate at once.
type ttlCache[T any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[bson.ObjectID]cacheEntry[T]
}

type cacheEntry[T any] struct {
	val     *T
	expires time.Time
}

const maxCacheEntries = 10000

func newTTLCache[T any](ttl time.Duration) *ttlCache[T] {
	return &ttlCache[T]{ttl: ttl, entries: map[bson.ObjectID]cacheEntry[T]{}}
}

func (c *ttlCache[T]) get(id bson.ObjectID, now time.Time) (*T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e.val, true
}

func (c *ttlCache[T]) put(id bson.ObjectID, v *T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		clear(c.entries) // crude, but bounded; refilling costs one read per entry
	}
	c.entries[id] = cacheEntry[T]{val: v, expires: now.Add(c.ttl)}
}

// through returns id's value from the cache when it is there and fits, or else loads it and
// keeps it.
func (c *ttlCache[T]) through(id bson.ObjectID, now time.Time, fits func(*T) bool, load func() (*T, error)) (*T, error) {
	if v, ok := c.get(id, now); ok && fits(v) {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	c.put(id, v, now)
	return v, nil
}

// always fits any value.
func always[T any](*T) bool { return true }

func (c *ttlCache[T]) forget(id bson.ObjectID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
