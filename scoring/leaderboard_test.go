package scoring_test

import (
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

// In every metric a group with one perfect answer ranks below a group of 200 whose raw
// score is slightly lower, and a group without answers is not ranked.
func TestRank(t *testing.T) {
	tests := map[string]struct {
		estimate func(scoring.Histogram) scoring.Estimate
		groups   []scoring.Histogram // one answer, 200 slightly lower, then others
		method   string
	}{
		"csat": {
			estimate: scoring.CSAT,
			groups: []scoring.Histogram{
				{5: 1}, {5: 194, 2: 6}, {5: 170, 2: 30}, {4: 150, 1: 50}, {5: 2, 1: 1}, {},
			},
			method: scoring.ShrinkBetaBinomial,
		},
		"ces": {
			estimate: func(h scoring.Histogram) scoring.Estimate { return scoring.CES(h, 7) },
			groups: []scoring.Histogram{
				{7: 1}, {7: 180, 6: 20}, {6: 120, 5: 80}, {5: 100, 3: 100}, {7: 2, 2: 1}, {},
			},
			method: scoring.ShrinkBayesianAverage,
		},
		"nps": {
			estimate: scoring.NPS,
			groups: []scoring.Histogram{
				{10: 1}, {10: 190, 8: 6, 3: 4}, {9: 120, 7: 50, 2: 30}, {9: 60, 8: 80, 0: 60}, {9: 1, 1: 2}, {},
			},
			method: scoring.ShrinkBayesianAverage,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var groups []scoring.Estimate
			var all scoring.Histogram
			for _, h := range tc.groups {
				groups = append(groups, tc.estimate(h))
				all.Merge(h)
			}
			sh, standings := scoring.Rank(groups, tc.estimate(all))
			t.Logf("%+v", sh)
			if sh.Method != tc.method || !(sh.PseudoCount > 0) {
				t.Errorf("shrinkage %+v", sh)
			}
			one, big := standings[0], standings[1]
			if one == nil || big == nil {
				t.Fatalf("standings %v", standings)
			}
			if !(one.Score > big.Score) || one.N != 1 || big.N != 200 {
				t.Fatalf("raw scores %v (n %v) and %v (n %v) do not set up the test", one.Score, one.N, big.Score, big.N)
			}
			if big.Rank != 1 || !(one.Rank > big.Rank) || !(one.Shrunken < big.Shrunken) {
				t.Errorf("one answer: rank %d at %.2f; 200 answers: rank %d at %.2f", one.Rank, one.Shrunken, big.Rank, big.Shrunken)
			}
			if standings[5] != nil {
				t.Errorf("a group without answers is ranked: %+v", standings[5])
			}
			seen := map[int]bool{}
			for i, s := range standings[:5] {
				if s == nil || s.Rank < 1 || s.Rank > 5 || seen[s.Rank] {
					t.Fatalf("group %d: standing %+v", i, s)
				}
				seen[s.Rank] = true
				// A shrunken score lies between the raw score and the centre.
				if lo, hi := min(s.Score, sh.Center), max(s.Score, sh.Center); s.Shrunken < lo-1e-9 || s.Shrunken > hi+1e-9 {
					t.Errorf("group %d: shrunken %v outside [%v, %v]", i, s.Shrunken, lo, hi)
				}
			}
			for _, s := range standings[:5] {
				for _, o := range standings[:5] {
					if s.Rank < o.Rank && s.Shrunken < o.Shrunken {
						t.Errorf("rank %d at %v above rank %d at %v", s.Rank, s.Shrunken, o.Rank, o.Shrunken)
					}
				}
			}
		})
	}
}

// Groups that all shrink to the same score rank by sample size, then in their order.
func TestRankTies(t *testing.T) {
	same := scoring.CSAT(scoring.Histogram{5: 8, 1: 2})
	bigger := scoring.CSAT(scoring.Histogram{5: 80, 1: 20})
	// All at 80%: the fit fails and the prior is Beta(8, 2), which keeps every score at 80%.
	sh, standings := scoring.Rank([]scoring.Estimate{same, same, bigger}, scoring.CSAT(scoring.Histogram{5: 96, 1: 24}))
	for i, want := range []int{2, 3, 1} {
		if standings[i].Rank != want {
			t.Errorf("group %d: rank %d, want %d (%+v under %+v)", i, standings[i].Rank, want, standings[i], sh.Prior)
		}
	}
}
