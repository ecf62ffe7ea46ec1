package scoring_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

// simMetric is one metric of the leaderboard simulation: its estimate, its best answer, and
// the answer range a high but imperfect group draws its other answers from.
type simMetric struct {
	estimate func(scoring.Histogram) scoring.Estimate
	best     int
	lo, hi   int // the other answers, best excluded
}

var simMetrics = map[string]simMetric{
	"csat":  {estimate: scoring.CSAT, best: 5, lo: 1, hi: 4},
	"nps":   {estimate: scoring.NPS, best: 10, lo: 0, hi: 9},
	"ces 5": {estimate: func(h scoring.Histogram) scoring.Estimate { return scoring.CES(h, 5) }, best: 5, lo: 1, hi: 4},
	"ces 7": {estimate: func(h scoring.Histogram) scoring.Estimate { return scoring.CES(h, 7) }, best: 7, lo: 1, hi: 6},
}

// The promise of a leaderboard, tested on 2,000 random ones per metric, each with 2–5 groups
// of 1–3 answers that are all the best answer, 3–12 groups of 50–150 answers of which 70–99%
// are the best answer and the rest spread below it (a high but imperfect score), and 0–4
// groups of 5–30 answers of any mix:
//
//  1. a group with 3 answers or fewer is never ranked above a group with 50 or more,
//     whatever their raw scores (it is listed unranked, with the reason, since it has fewer
//     than scoring.MinRankedN answers), and every group of at least MinRankedN answers is
//     ranked;
//  2. every ranked group's shrunken score lies between its raw score and the centre, and
//     keeps at most n/(n + scoring.MinPseudoCount) of the raw score's distance from it: the
//     prior weighs at least as much as MinPseudoCount answers, however flat the fit.
func TestRankSimulation(t *testing.T) {
	for name, sm := range simMetrics {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(20261204, uint64(len(name))))
			fails := 0
			for board := range 2000 {
				hs := simBoard(rng, sm)
				var groups []scoring.Estimate
				var all scoring.Histogram
				for _, h := range hs {
					groups = append(groups, sm.estimate(h))
					all.Merge(h)
				}
				sh, standings := scoring.Rank(groups, sm.estimate(all))
				for _, msg := range simBroken(sh, groups, standings) {
					if fails++; fails <= 10 {
						t.Errorf("board %d (pseudo-count %.3f, fitted %v): %s", board, sh.PseudoCount, sh.Fitted, msg)
					}
				}
			}
			if fails > 10 {
				t.Errorf("… %d broken promises in all", fails)
			}
		})
	}
}

func simBoard(rng *rand.Rand, sm simMetric) []scoring.Histogram {
	var hs []scoring.Histogram
	for range 2 + rng.IntN(4) {
		var h scoring.Histogram
		h[sm.best] = int64(1 + rng.IntN(3))
		hs = append(hs, h)
	}
	for range 3 + rng.IntN(10) {
		n := 50 + rng.IntN(101)
		top := 0.70 + 0.29*rng.Float64()
		var h scoring.Histogram
		h[sm.lo+rng.IntN(sm.hi-sm.lo+1)]++ // imperfect
		for range n - 1 {
			if rng.Float64() < top {
				h[sm.best]++
			} else {
				// Mostly just below the best answer.
				h[sm.hi-min(rng.IntN(3), rng.IntN(sm.hi-sm.lo+1))]++
			}
		}
		hs = append(hs, h)
	}
	for range rng.IntN(5) {
		var h scoring.Histogram
		for range 5 + rng.IntN(26) {
			h[sm.lo+rng.IntN(sm.best-sm.lo+1)]++
		}
		hs = append(hs, h)
	}
	rng.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	return hs
}

// simBroken lists how a leaderboard breaks the promise of TestRankSimulation.
func simBroken(sh scoring.Shrinkage, groups []scoring.Estimate, standings []*scoring.Standing) []string {
	var out []string
	if sh.PseudoCount < scoring.MinPseudoCount-1e-9 {
		out = append(out, fmt.Sprintf("pseudo-count %v under the floor %v", sh.PseudoCount, scoring.MinPseudoCount))
	}
	for i, s := range standings {
		n := groups[i].N
		switch {
		case s == nil:
			out = append(out, fmt.Sprintf("group %d of %v answers has no standing", i, n))
			continue
		case n < scoring.MinRankedN && (s.Rank != 0 || s.Unranked != scoring.UnrankedFewAnswers):
			out = append(out, fmt.Sprintf("group %d of %v answers: rank %d, unranked %q", i, n, s.Rank, s.Unranked))
		case n >= scoring.MinRankedN && (s.Rank == 0 || s.Unranked != ""):
			out = append(out, fmt.Sprintf("group %d of %v answers is not ranked (%q)", i, n, s.Unranked))
		}
		if s.Rank != 0 {
			lo, hi := min(s.Score, sh.Center), max(s.Score, sh.Center)
			keep := n / (n + scoring.MinPseudoCount)
			if s.Shrunken < lo-1e-9 || s.Shrunken > hi+1e-9 || abs(s.Shrunken-sh.Center) > keep*abs(s.Score-sh.Center)+1e-9 {
				out = append(out, fmt.Sprintf("group %d of %v answers: raw %v shrinks to %v, centre %v", i, n, s.Score, s.Shrunken, sh.Center))
			}
		}
		for j, o := range standings {
			if n <= 3 && o != nil && groups[j].N >= 50 && s.Rank != 0 && (o.Rank == 0 || s.Rank < o.Rank) {
				out = append(out, fmt.Sprintf("group %d of %v answers (raw %v) at rank %d, above group %d of %v answers (raw %v) at rank %d",
					i, n, s.Score, s.Rank, j, groups[j].N, o.Score, o.Rank))
			}
		}
	}
	return out
}

func abs(x float64) float64 { return max(x, -x) }
