package rollup

import (
	"context"
	"sync"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Reader reads the rollup documents of one report once each: the report covers its periods
// with pieces (Cover), loads every piece's document in one go (Load), then sums each
// period's pieces (Cells).
type Reader struct {
	r      *Engine
	ws, sv bson.ObjectID
	gen    rollupGen
	sealed time.Time

	buckets map[string][]scoring.Bucket // by document; shared with the cache, only read
}

// Reader starts a report's read of a survey's rollups, from the generation that serves now.
func (e *Engine) Reader(ctx context.Context, ws, sv bson.ObjectID) (*Reader, error) {
	meta, err := e.meta(ctx, ws, sv)
	if err != nil {
		return nil, err
	}
	return &Reader{r: e, ws: ws, sv: sv, gen: rollupGen{meta.Gen, meta.location()},
		sealed: e.now().Add(-sealAfter), buckets: map[string][]scoring.Bucket{}}, nil
}

// Cover is the pieces of the rollups that make up [from, to): sealed months and days in
// the rollups' time zone, hours and quarters (scoring.Cover).
func (rd *Reader) Cover(from, to time.Time) ([]scoring.Piece, error) {
	return scoring.Cover(from, to, rd.gen.loc, rd.sealed)
}

// pieceKey is the document holding a piece: a quarter lives in its hour's.
func (rd *Reader) pieceKey(p scoring.Piece) string {
	gran := p.Gran
	if gran == scoring.Quarter {
		gran = scoring.Hour
	}
	return bucketKey(rd.sv, rd.gen, gran, p.Start)
}

// Load reads every document the covers need. Months not sealed yet are sealed first.
func (rd *Reader) Load(ctx context.Context, covers [][]scoring.Piece) error {
	var keys []string
	seen := map[string]bool{}
	months := map[string]time.Time{}
	for _, cover := range covers {
		for _, p := range cover {
			k := rd.pieceKey(p)
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
			if p.Gran == scoring.Month {
				months[k] = p.Start
			}
		}
	}
	found, err := rd.fetch(ctx, keys)
	if err != nil {
		return err
	}
	var unsealed []string
	for k, start := range months {
		if !found[k] {
			if err := rd.r.seal(ctx, rd.ws, rd.sv, rd.gen, start); err != nil {
				return err
			}
			unsealed = append(unsealed, k)
		}
	}
	_, err = rd.fetch(ctx, unsealed)
	return err
}

// fetch reads documents by _id, a few at a time, and says which exist.
func (rd *Reader) fetch(ctx context.Context, keys []string) (map[string]bool, error) {
	const readers = 4
	found := map[string]bool{}
	var mu sync.Mutex
	var firstErr error
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(readers, len(keys)) {
		wg.Go(func() {
			for k := range next {
				buckets, ok, err := rd.r.readBuckets(ctx, k)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				found[k] = ok
				rd.buckets[k] = buckets
				mu.Unlock()
			}
		})
	}
	for _, k := range keys {
		next <- k
	}
	close(next)
	wg.Wait()
	return found, firstErr
}

// Cells sums a cover's buckets, as loaded.
func (rd *Reader) Cells(cover []scoring.Piece) scoring.Bucket {
	sum := scoring.Bucket{}
	for _, p := range cover {
		buckets := rd.buckets[rd.pieceKey(p)]
		if p.Gran == scoring.Quarter {
			if q := p.Start.UTC().Minute() / 15; q < len(buckets) {
				sum.Merge(buckets[q])
			}
			continue
		}
		for _, b := range buckets {
			sum.Merge(b)
		}
	}
	return sum
}
