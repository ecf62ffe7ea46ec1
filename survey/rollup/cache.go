package rollup

import (
	"strings"
	"sync"

	"github.com/surveyd/surveyd/scoring"
)

// rollupCache keeps rollup documents this process has read or written, so a report reads
// from memory what it read before: the months and days of a year, the previous period a
// comparison asks for, a dashboard reloaded. It is only sound where this process is the one
// writer of the rollups — the embedded store, which one surveyd process serves (see
// store.Serve) — because a write from elsewhere would go unseen. Every write here passes
// through it, each document with its version, and a read never replaces a newer version,
// so a report that read a document just before a write cannot put the old one back.
//
// That a document does not exist is kept too (as version 0), since every write that
// creates one passes through here as well: a period with no data costs no read either.
//
// Documents are only ever removed from the store by a rebuild dropping the generations
// before its own (keys that are never used again) or by a survey's rollups being lost and
// started over at generation 1, which forget covers.
type rollupCache struct {
	mu      sync.Mutex
	max     int // bytes of parts kept at most
	size    int
	entries map[string]cachedParts
}

type cachedParts struct {
	v       int64 // 0: the document does not exist
	parts   [][]byte
	buckets []scoring.Bucket // the parts decoded, once a report has read them; only read
	size    int
}

// decodedSize is what decoded buckets are counted as, per encoded byte: maps of cells and
// histograms take about ten times the varints they are decoded from.
const decodedSize = 10

// rollupCacheBytes bounds the cache: a year of day and month documents of a few busy
// surveys. Past it the cache starts over, which costs one read per document.
const rollupCacheBytes = 256 << 20

func newRollupCache(maxBytes int) *rollupCache {
	return &rollupCache{max: maxBytes, entries: map[string]cachedParts{}}
}

// get says what is kept of a document, if ok: its version (0 if it does not exist) and parts.
func (c *rollupCache) get(key string) (v int64, parts [][]byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.v, e.parts, ok
}

// buckets says what is kept of a document, decoded, if ok: its version (0 if it does not
// exist) and buckets.
func (c *rollupCache) buckets(key string) (v int64, buckets []scoring.Bucket, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || (e.v > 0 && e.buckets == nil) {
		return 0, nil, false
	}
	return e.v, e.buckets, true
}

// keepBuckets keeps version v of a document decoded, if that version is the one kept.
func (c *rollupCache) keepBuckets(key string, v int64, buckets []scoring.Bucket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.v != v || e.buckets != nil {
		return
	}
	grow := (e.size - len(key)) * decodedSize
	if c.size+grow > c.max {
		return
	}
	e.buckets = buckets
	e.size += grow
	c.entries[key] = e
	c.size += grow
}

// put keeps version v of a document unless a newer one is kept; version 0 with no parts
// says it does not exist.
func (c *rollupCache) put(key string, v int64, parts [][]byte) {
	size := len(key)
	for _, p := range parts {
		size += len(p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.entries[key]
	if ok && old.v > v {
		return
	}
	if size > c.max { // too big to keep; the older version must go all the same
		delete(c.entries, key)
		c.size -= old.size
		return
	}
	if c.size-old.size+size > c.max {
		clear(c.entries)
		c.size, old = 0, cachedParts{}
	}
	c.entries[key] = cachedParts{v: v, parts: parts, size: size}
	c.size += size - old.size
}

// forget drops the documents whose keys start with prefix: a survey's, or one document.
func (c *rollupCache) forget(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if strings.HasPrefix(k, prefix) {
			delete(c.entries, k)
			c.size -= e.size
		}
	}
}

// soleWriter says this process writes the rollups alone (Options.SoleWriter): it caches them.
func (e *Engine) soleWriter() bool { return e.cache != nil }
