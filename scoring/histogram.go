package scoring

import (
	"errors"
	"fmt"
	"math"
)

// MaxScore is the highest answer on any scale (NPS's 0–10). CSAT (1–5) and CES (1–5 or 1–7)
// use part of the same range, so one histogram shape serves every metric.
const MaxScore = 10

var (
	// ErrScore reports an answer outside 0..MaxScore.
	ErrScore = errors.New("scoring: score outside 0..10")
	// ErrWeight reports a weight that is not positive and finite.
	ErrWeight = errors.New("scoring: weight must be positive and finite")
)

// Histogram counts answers by score: h[s] is the number of answers equal to s. It is what
// rollups store, so every estimate is computed from one and a report's cost does not grow
// with its number of responses.
type Histogram [MaxScore + 1]int64

// Add counts one answer.
func (h *Histogram) Add(score int) error {
	if score < 0 || score > MaxScore {
		return fmt.Errorf("%w: %d", ErrScore, score)
	}
	h[score]++
	return nil
}

// Merge adds o's counts to h, e.g. to roll period buckets up into a report.
func (h *Histogram) Merge(o Histogram) {
	for s := range h {
		h[s] += o[s]
	}
}

// N is the number of answers counted.
func (h Histogram) N() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// WeightedHistogram is the weighted counterpart of Histogram: per score, the number of
// answers, the sum of their weights and the sum of their squared weights. The squares are
// kept because Kish's effective sample size, which replaces n in every weighted interval,
// needs Σw² and cannot be recovered from Σw.
type WeightedHistogram struct {
	Count [MaxScore + 1]int64   `json:"count"`
	Sum   [MaxScore + 1]float64 `json:"sum"`
	SumSq [MaxScore + 1]float64 `json:"sum_sq"`
}

// Add counts one answer with weight w (see PostStratify and RepeatWeight). A response that
// should not count is left out rather than added with weight zero.
func (h *WeightedHistogram) Add(score int, w float64) error {
	if score < 0 || score > MaxScore {
		return fmt.Errorf("%w: %d", ErrScore, score)
	}
	if !(w > 0) || math.IsInf(w, 1) {
		return fmt.Errorf("%w: %v", ErrWeight, w)
	}
	h.Count[score]++
	h.Sum[score] += w
	h.SumSq[score] += w * w
	return nil
}

// Merge adds o into h.
func (h *WeightedHistogram) Merge(o WeightedHistogram) {
	for s := range h.Count {
		h.Count[s] += o.Count[s]
		h.Sum[s] += o.Sum[s]
		h.SumSq[s] += o.SumSq[s]
	}
}

// N is the number of answers counted, whatever their weights.
func (h WeightedHistogram) N() int64 {
	var n int64
	for _, c := range h.Count {
		n += c
	}
	return n
}

// NEff is Kish's effective sample size of all answers counted.
func (h WeightedHistogram) NEff() float64 {
	var sum, sumSq float64
	for s := range h.Sum {
		sum += h.Sum[s]
		sumSq += h.SumSq[s]
	}
	return KishNEff(sum, sumSq)
}
