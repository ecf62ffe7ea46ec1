package scoring

import (
	"cmp"
	"slices"
)

// Standing is a group's place on a leaderboard: its rank by the shrunken score, beside the
// score it shrank and that score's sample size.
type Standing struct {
	Rank     int     `json:"rank"`
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
// groups unless Fitted is false.
type Shrinkage struct {
	Method      string     `json:"method"`
	Prior       *BetaPrior `json:"prior,omitempty"`
	PseudoCount float64    `json:"pseudo_count"`
	Fitted      bool       `json:"fitted"`
	Center      float64    `json:"center"`
}

// Rank ranks groups by their shrunken scores (SCORING.md, "Rankings"), so that a group with a
// handful of answers cannot top groups with hundreds: CSAT by a Beta prior fitted to the
// groups, CES and NPS by a Bayesian average toward all, the groups' answers pooled, with the
// pseudo-count FitPseudoCount fits. standings are in the order of groups; a group without
// answers has none. Ties go to the larger sample, then to the earlier group.
func Rank(groups []Estimate, all Estimate) (sh Shrinkage, standings []*Standing) {
	var shrink func(Estimate) (float64, bool)
	if all.Metric == MetricCSAT {
		prior := FitCSATPrior(groups)
		sh = Shrinkage{Method: ShrinkBetaBinomial, Prior: &prior, PseudoCount: prior.Alpha + prior.Beta, Fitted: prior.Fitted}
		sh.Center = 100 * prior.Alpha / sh.PseudoCount
		shrink = func(e Estimate) (float64, bool) { return ShrinkCSAT(e, prior) }
	} else {
		m, fitted := FitPseudoCount(groups)
		sh = Shrinkage{Method: ShrinkBayesianAverage, PseudoCount: m, Fitted: fitted, Center: all.Value}
		shrink = func(e Estimate) (float64, bool) {
			if e.Metric == MetricNPS {
				return ShrinkNPS(e, all, m)
			}
			return ShrinkCES(e, all, m)
		}
	}
	standings = make([]*Standing, len(groups))
	var ranked []int
	for i, e := range groups {
		if !e.Valid {
			continue
		}
		if s, ok := shrink(e); ok {
			standings[i] = &Standing{Shrunken: s, Score: e.Value, N: e.N}
			ranked = append(ranked, i)
		}
	}
	slices.SortStableFunc(ranked, func(a, b int) int {
		return cmp.Or(cmp.Compare(standings[b].Shrunken, standings[a].Shrunken), cmp.Compare(standings[b].N, standings[a].N))
	})
	for r, i := range ranked {
		standings[i].Rank = r + 1
	}
	return sh, standings
}
