package scoring_test

import (
	"fmt"
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
			if big.Rank != 1 || one.Rank != 0 || one.Unranked != scoring.UnrankedFewAnswers || !(one.Shrunken < big.Shrunken) {
				t.Errorf("one answer: rank %d (%q) at %.2f; 200 answers: rank %d at %.2f", one.Rank, one.Unranked, one.Shrunken, big.Rank, big.Shrunken)
			}
			if standings[5] != nil {
				t.Errorf("a group without answers is ranked: %+v", standings[5])
			}
			seen := map[int]bool{}
			for i, s := range standings[:5] {
				if s == nil {
					t.Fatalf("group %d: no standing", i)
				}
				// Groups 0 and 4 have 1 and 3 answers, under MinRankedN.
				if few := i == 0 || i == 4; few != (s.Rank == 0) || s.Rank > 3 || (s.Rank > 0 && seen[s.Rank]) {
					t.Fatalf("group %d: standing %+v", i, s)
				}
				seen[s.Rank] = true
				// A shrunken score lies between the raw score and the centre.
				if lo, hi := min(s.Score, sh.Center), max(s.Score, sh.Center); s.Shrunken < lo-1e-9 || s.Shrunken > hi+1e-9 {
					t.Errorf("group %d: shrunken %v outside [%v, %v]", i, s.Shrunken, lo, hi)
				}
			}
			for _, s := range standings[1:4] {
				for _, o := range standings[1:4] {
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

// The leaderboards of issue 12: on a CES scale the groups' spread fits a nearly flat prior
// (m ≈ 1.1 here), which left one perfect answer on top of groups of 62 and 101 with a slightly
// lower mean. Under MinRankedN answers a group is listed unranked, and the prior weighs at
// least MinPseudoCount answers.
func TestRankFlatFit(t *testing.T) {
	for _, points := range []int{5, 7} {
		t.Run(fmt.Sprint("ces ", points), func(t *testing.T) {
			hs := make([]scoring.Histogram, 5)
			hs[0][points] = 1
			hs[1][points], hs[1][points-1] = 52, 10
			hs[2][points], hs[2][points-1] = 80, 21
			hs[3][points-1], hs[3][points-2] = 4, 1
			hs[4][points], hs[4][points-2], hs[4][points-3] = 10, 6, 2
			var groups []scoring.Estimate
			var all scoring.Histogram
			for _, h := range hs {
				groups = append(groups, scoring.CES(h, points))
				all.Merge(h)
			}
			m, fitted := scoring.FitPseudoCount(groups)
			if !fitted || m > 2 {
				t.Fatalf("the fit is m = %v (fitted %v), not the flat one of the issue", m, fitted)
			}
			sh, standings := scoring.Rank(groups, scoring.CES(all, points))
			t.Logf("%+v", sh)
			if one, big := standings[0], standings[1]; one == nil || big == nil || one.Rank == 1 || big.Rank != 1 {
				t.Errorf("one answer: %+v; 62 answers: %+v", one, big)
			}
			// 62 answers of mean x̄ shrink with the floor's m = 10: (62·x̄ + 10·C)/72.
			c := scoring.CES(all, points).Value
			near(t, "62 answers shrunken", standings[1].Shrunken, (62*groups[1].Value+10*c)/72, 1e-9)
		})
	}
}

// Gelman's rat tumour prior, Beta(1.356149, 8.615058), weighs 9.97 answers: a leaderboard
// raises it to MinPseudoCount and keeps its mean, 13.6%.
func TestRankFloorsTheCSATPrior(t *testing.T) {
	groups := ratTumorGroups()
	var all scoring.Histogram
	for _, e := range ratTumors[:70] {
		all.Merge(scoring.Histogram{5: int64(e[0]), 1: int64(e[1] - e[0])})
	}
	sh, _ := scoring.Rank(groups, scoring.CSAT(all))
	if !sh.Fitted || !sh.Floored || sh.MinN != scoring.MinRankedN {
		t.Errorf("shrinkage %+v", sh)
	}
	near(t, "alpha", sh.Prior.Alpha, 10*1.356149/9.971207, 5e-6)
	near(t, "beta", sh.Prior.Beta, 10*8.615058/9.971207, 5e-6)
	near(t, "pseudo-count", sh.PseudoCount, scoring.MinPseudoCount, 1e-9)
	near(t, "centre", sh.Center, 100*1.356149/9.971207, 5e-5)
}
