package rollup

import (
	"bytes"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

// A read that started before a write cannot put the older version back; the bound starts the
// cache over; a survey's documents are forgotten by their prefix.
func TestRollupCache(t *testing.T) {
	c := newRollupCache(100)
	c.put("a|1|day|x", 2, [][]byte{[]byte("new")})
	c.put("a|1|day|x", 1, [][]byte{[]byte("old")}) // a report's read, finishing late
	if v, parts, ok := c.get("a|1|day|x"); !ok || v != 2 || !bytes.Equal(parts[0], []byte("new")) {
		t.Fatalf("got %q, version %d, %v; want the newer version kept", parts, v, ok)
	}
	// A document read as missing is kept as missing, until it is written.
	c.put("a|1|month|x", 0, nil)
	if v, _, ok := c.get("a|1|month|x"); !ok || v != 0 {
		t.Errorf("missing document: version %d, kept %v; want kept as missing", v, ok)
	}
	c.put("a|1|month|x", 1, [][]byte{[]byte("sealed")})
	if v, _, _ := c.get("a|1|month|x"); v != 1 {
		t.Error("a document written after it was read as missing still reads missing")
	}
	c.put("b|1|day|x", 1, [][]byte{[]byte("b")})
	c.forget("a|")
	if _, _, ok := c.get("a|1|day|x"); ok {
		t.Error("a forgotten survey's document is still kept")
	}
	if _, _, ok := c.get("b|1|day|x"); !ok {
		t.Error("another survey's document was forgotten")
	}
	c.put("c|1|day|x", 1, [][]byte{make([]byte, 85)})
	if _, _, ok := c.get("b|1|day|x"); ok || c.size > c.max {
		t.Errorf("past the bound the cache holds %d bytes of at most %d", c.size, c.max)
	}
	if _, _, ok := c.get("c|1|day|x"); !ok {
		t.Error("the document that started the cache over is not kept")
	}
	c.put("c|1|day|x", 2, [][]byte{make([]byte, 200)})
	if _, _, ok := c.get("c|1|day|x"); ok {
		t.Error("a version too big to keep left the older one in place")
	}
}

// Decoded buckets are kept for the version they were decoded from only, count against the
// bound, and go when a newer version is written.
func TestRollupCacheDecoded(t *testing.T) {
	c := newRollupCache(1000)
	c.put("a|1|day|x", 2, [][]byte{[]byte("0123456789")})
	if _, _, ok := c.buckets("a|1|day|x"); ok {
		t.Fatal("buckets kept before any were decoded")
	}
	decoded := []scoring.Bucket{{scoring.Tuple{Agent: "Lan"}: &scoring.Cell{}}}
	c.keepBuckets("a|1|day|x", 1, decoded) // decoded from an older read
	if _, _, ok := c.buckets("a|1|day|x"); ok {
		t.Error("buckets of an older version were kept")
	}
	before := c.size
	c.keepBuckets("a|1|day|x", 2, decoded)
	if v, got, ok := c.buckets("a|1|day|x"); !ok || v != 2 || len(got) != 1 {
		t.Errorf("buckets of the kept version: %v, version %d, kept %v", got, v, ok)
	}
	if c.size != before+10*decodedSize {
		t.Errorf("cache size %d after decoding 10 bytes, want %d", c.size, before+10*decodedSize)
	}
	c.put("a|1|day|x", 3, [][]byte{[]byte("new")})
	if _, _, ok := c.buckets("a|1|day|x"); ok {
		t.Error("buckets of version 2 outlived the write of version 3")
	}
	c.put("b|1|day|x", 1, [][]byte{make([]byte, 100)})
	c.keepBuckets("b|1|day|x", 1, decoded) // 1,000 bytes more: past the bound
	if _, _, ok := c.buckets("b|1|day|x"); ok || c.size > c.max {
		t.Errorf("buckets past the bound were kept: %d bytes of at most %d", c.size, c.max)
	}
	if _, _, ok := c.buckets("c|1|day|x"); ok {
		t.Error("a document never read is reported kept")
	}
}
