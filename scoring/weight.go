package scoring

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxWeight caps post-stratification weights: 5× the mean weight, which is 1 before
// trimming because Σ w_h·n_h = n.
const MaxWeight = 5

var (
	// ErrNegativeCount reports a stratum with a negative count.
	ErrNegativeCount = errors.New("scoring: negative count")
	// ErrDuplicateStratum reports two strata with the same key.
	ErrDuplicateStratum = errors.New("scoring: duplicate stratum")
)

// Stratum is one cell of the non-response weighting (reports use channel × team) with its
// invitations N_h that reached customers (Delivered: delivered emails and links made
// without email) and counted (filtered) responses n_h.
type Stratum struct {
	Key       string `json:"key"`
	Delivered int64  `json:"delivered"`
	Responded int64  `json:"responded"`
}

// StratumWeight is the weight each response of a stratum carries in the weighted score.
type StratumWeight struct {
	Key    string  `json:"key"`
	Weight float64 `json:"weight"`
	// MergedInto is the stratum an empty stratum was merged with, if any.
	MergedInto string `json:"merged_into,omitempty"`
	// Trimmed is set when the weight was capped at MaxWeight.
	Trimmed bool `json:"trimmed,omitempty"`
}

// PostStratify computes post-stratification weights w_h = (N_h/N)/(n_h/n), returned in key
// order.
//
// A stratum with no responses is merged with its nearest neighbour: among the closest
// strata with responses before and after it in key order, the one sharing the longer key
// prefix, or the one after it on a tie. With composite keys such as "email|team-a" an empty
// team thus joins another team of its channel. The neighbour's weight then uses the pair's
// combined deliveries.
//
// Weights above MaxWeight are trimmed to it and not renormalised: every weighted score is a
// ratio Σw·x/Σw and n_eff is scale-free, so rescaling would change no number shown.
//
// A stratum with responses but no deliveries in its cell (a public link) is outside the
// delivered population and keeps weight 1 rather than 0, so its answers are not silently
// dropped; n then counts the other strata only. When no stratum has both, there is nothing
// to weight to and every weight is 1.
func PostStratify(strata []Stratum) ([]StratumWeight, error) {
	sorted := slices.Clone(strata)
	slices.SortStableFunc(sorted, func(a, b Stratum) int { return strings.Compare(a.Key, b.Key) })
	for i, s := range sorted {
		if s.Delivered < 0 || s.Responded < 0 {
			return nil, fmt.Errorf("scoring: stratum %q: %w", s.Key, ErrNegativeCount)
		}
		if i > 0 && sorted[i-1].Key == s.Key {
			return nil, fmt.Errorf("scoring: stratum %q: %w", s.Key, ErrDuplicateStratum)
		}
	}

	cell := mergeEmpty(sorted)
	cellDelivered := make([]int64, len(sorted))
	var delivered, responded int64
	for i, s := range sorted {
		delivered += s.Delivered
		if cell[i] >= 0 {
			cellDelivered[cell[i]] += s.Delivered
		}
	}
	for i, s := range sorted {
		if s.Responded > 0 && cellDelivered[i] > 0 {
			responded += s.Responded
		}
	}

	out := make([]StratumWeight, len(sorted))
	for i, s := range sorted {
		w := StratumWeight{Key: s.Key, Weight: 1}
		c := cell[i]
		if c >= 0 && c != i {
			w.MergedInto = sorted[c].Key
		}
		if c >= 0 && cellDelivered[c] > 0 {
			w.Weight = float64(cellDelivered[c]) * float64(responded) /
				(float64(delivered) * float64(sorted[c].Responded))
		}
		if w.Weight > MaxWeight {
			w.Weight = MaxWeight
			w.Trimmed = true
		}
		out[i] = w
	}
	return out, nil
}

// mergeEmpty maps each stratum to the index of the stratum whose cell it belongs to: itself
// when it has responses, its nearest neighbour with responses otherwise, −1 when none has.
func mergeEmpty(sorted []Stratum) []int {
	n := len(sorted)
	prev, next := make([]int, n), make([]int, n)
	last := -1
	for i := range n {
		prev[i] = last
		if sorted[i].Responded > 0 {
			last = i
		}
	}
	last = -1
	for i := n - 1; i >= 0; i-- {
		next[i] = last
		if sorted[i].Responded > 0 {
			last = i
		}
	}

	cell := make([]int, n)
	for i, s := range sorted {
		switch {
		case s.Responded > 0:
			cell[i] = i
		case prev[i] < 0:
			cell[i] = next[i]
		case next[i] < 0:
			cell[i] = prev[i]
		case commonPrefix(s.Key, sorted[prev[i]].Key) > commonPrefix(s.Key, sorted[next[i]].Key):
			cell[i] = prev[i]
		default:
			cell[i] = next[i]
		}
	}
	return cell
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// RepeatWeight is the weight of each answer of a customer who answered k times in the
// report period: 1/k, so the customer counts once. It multiplies the stratum weight:
// w = w_h · RepeatWeight(k). k ≤ 1 means a single answer.
func RepeatWeight(k int64) float64 {
	if k <= 1 {
		return 1
	}
	return 1 / float64(k)
}
