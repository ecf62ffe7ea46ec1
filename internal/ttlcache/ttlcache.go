// Package ttlcache is the one in-memory cache surveyd keeps of documents it reads often and
// changes rarely: surveys and workspaces for the respondent pages, benchmark sets and targets
// for reports. Entries live a fixed time: a change made through another instance shows on
// this one within that time; this instance's own changes invalidate at once (Forget).
//
// It imports nothing of surveyd. Callers pass the time of each call, so tests drive it with a
// fake clock.
package ttlcache

import (
	"sync"
	"time"
)

// MaxEntries bounds a cache: past it the cache empties itself.
const MaxEntries = 10000

// Cache keeps values by key for ttl. It is safe for concurrent use; the values it hands out
// are shared, so callers only read them.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[K]entry[V]
}

type entry[V any] struct {
	val     *V
	expires time.Time
}

// New makes an empty cache whose entries live ttl.
func New[K comparable, V any](ttl time.Duration) *Cache[K, V] {
	return &Cache[K, V]{ttl: ttl, entries: map[K]entry[V]{}}
}

// Get returns k's value if it was put less than ttl before now.
func (c *Cache[K, V]) Get(k K, now time.Time) (*V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e.val, true
}

// Put keeps v as k's value from now.
func (c *Cache[K, V]) Put(k K, v *V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= MaxEntries {
		clear(c.entries) // crude, but bounded; refilling costs one read per entry
	}
	c.entries[k] = entry[V]{val: v, expires: now.Add(c.ttl)}
}

// Through returns k's value from the cache when it is there and fits, or else loads it and
// keeps it. A load's error is returned and nothing is kept.
func (c *Cache[K, V]) Through(k K, now time.Time, fits func(*V) bool, load func() (*V, error)) (*V, error) {
	if v, ok := c.Get(k, now); ok && fits(v) {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	c.Put(k, v, now)
	return v, nil
}

// Forget drops k's value, as a change to it through this instance must.
func (c *Cache[K, V]) Forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// Always fits any value: Through's fits for a value that needs no check.
func Always[V any](*V) bool { return true }
