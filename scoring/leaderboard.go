package scoring

import (
	"cmp"
	"slices"
)

// The two rules that keep a few answers from topping a leaderboard of many. Shrinkage
// alone cannot: a group of hundreds whose score is near the workspace's shrinks to about
// the workspace's, below any group of one answer above it, whatever the prior's weight. So
// a group of fewer than MinRankedN answers is listed unranked, and above that the prior
// weighs at least MinPseudoCount answers, however flat the groups' spread fits it.
const (
	MinRankedN     = 5
	MinPseudoCount = DefaultPseudoCount
)

// UnrankedFewAnswers is the reason a group with answers has no rank: fewer than MinRankedN.
const UnrankedFewAnswers = "fewer_than_min_n"

// Standing is a group's place on a leaderboard: its rank by the shrunken score, beside the
// score it shrank and that score's sample size. An unranked group has Rank 0 and says why.
type Standing struct {
	Rank     int     `json:"rank,omitempty"`
	Unranked string  `json:"unranked,omitempty"`
	Shrunken float64 `json:"shrunken_score"`
	Score    float64 `json:"score"`
	N        float64 `json:"n"`
}

// Shrinkage methods.
const (
	ShrinkBetaBinomial    = "beta_binomial"    // CSAT: (k + α₀)/(n + α₀ + β₀)
	ShrinkBayesianAverage = "bayesian_average" // CES, NPS: v/(v+m)·x̄ + m/(v+m)·C
)

// Shrinkage is how a leaderboard shrank its groups' scores: toward Center, with the weight
// of PseudoCount answers (α₀ + β₀ of Prior for CSAT, m for CES and NPS), fitted to the
// groups unless Fitted is false, and raised to MinPseudoCount when Floored. Groups of
// fewer than MinN answers are not ranked.
type Shrinkage struct {
	Method      string     `json:"method"`
	Prior       *BetaPrior `json:"prior,omitempty"`
	PseudoCount float64    `json:"pseudo_count"`
	Fitted      bool       `json:"fitted"`
	Floored     bool       `json:"floored"`
	MinN        float64    `json:"min_n"`
	Center      float64    `json:"center"`
}

// Rank ranks groups by their shrunken scores, so that a group with a handful of answers
// cannot top groups with hundreds: CSAT by a Beta prior fitted to the groups, CES and NPS by
// a Bayesian average toward all, the groups' answers pooled, with the pseudo-count
// FitPseudoCount fits; either prior weighs at least MinPseudoCount answers. standings are in
// the order of groups; a group without answers has none, and one of fewer than MinRankedN
// answers has a standing without a rank. Ties go to the larger sample, then to the earlier
// group.
func Rank(groups []Estimate, all Estimate) (sh Shrinkage, standings []*Standing) {
	var shrink func(Estimate) (float64, bool)
	if all.Metric == MetricCSAT {
		prior := FitCSATPrior(groups)
		sh = Shrinkage{Method: ShrinkBetaBinomial, Fitted: prior.Fitted}
		if strength := prior.Alpha + prior.Beta; strength < MinPseudoCount {
			// The floor keeps the fitted mean, which a strength of 0 leaves undefined.
			mean := 0.5
			if strength > 0 {
				mean = prior.Alpha / strength
			}
			prior.Alpha, prior.Beta = MinPseudoCount*mean, MinPseudoCount*(1-mean)
			sh.Floored = true
		}
		sh.Prior, sh.PseudoCount = &prior, prior.Alpha+prior.Beta
		sh.Center = 100 * prior.Alpha / sh.PseudoCount
		shrink = func(e Estimate) (float64, bool) { return ShrinkCSAT(e, prior) }
	} else {
		m, fitted := FitPseudoCount(groups)
		sh = Shrinkage{Method: ShrinkBayesianAverage, PseudoCount: max(m, MinPseudoCount), Fitted: fitted,
			Floored: m < MinPseudoCount, Center: all.Value}
		shrink = func(e Estimate) (float64, bool) {
			if e.Metric == MetricNPS {
				return ShrinkNPS(e, all, sh.PseudoCount)
			}
			return ShrinkCES(e, all, sh.PseudoCount)
		}
	}
	sh.MinN = MinRankedN
	standings = make([]*Standing, len(groups))
	var ranked []int
	for i, e := range groups {
		if !e.Valid {
			continue
		}
		s, ok := shrink(e)
		if !ok {
			continue
		}
		standings[i] = &Standing{Shrunken: s, Score: e.Value, N: e.N}
		if e.N < MinRankedN {
			standings[i].Unranked = UnrankedFewAnswers
			continue
		}
		ranked = append(ranked, i)
	}
	slices.SortStableFunc(ranked, func(a, b int) int {
		return cmp.Or(cmp.Compare(standings[b].Shrunken, standings[a].Shrunken), cmp.Compare(standings[b].N, standings[a].N))
	})
	for r, i := range ranked {
		standings[i].Rank = r + 1
	}
	return sh, standings
}
