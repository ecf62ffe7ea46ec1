package scoring

// DefaultPseudoCount is the prior weight m, in responses, of leaderboard shrinkage toward
// the workspace when the groups cannot support a fit (FitBetaPrior, FitPseudoCount): a
// group with 10 responses is pulled halfway to the workspace score, one at
// the low-n threshold of 30 keeps three quarters of its own, and one with 3 responses keeps
// under a quarter, so it cannot top a list of groups with hundreds.
const DefaultPseudoCount = 10

// BetaPrior is the Beta(α, β) prior of CSAT shrinkage. Fitted is false when FitBetaPrior fell
// back to DefaultPseudoCount because the groups could not support a fit.
type BetaPrior struct {
	Alpha  float64 `json:"alpha"`
	Beta   float64 `json:"beta"`
	Fitted bool    `json:"fitted"`
}

// FitBetaPrior fits a Beta prior to the groups' proportions (in [0, 1]) by the method of
// moments: with mean m and sample variance v of the proportions, α + β = m(1−m)/v − 1,
// α = m(α + β), β = (1 − m)(α + β).
//
// The fit needs at least two groups and 0 < v < m(1−m). Otherwise — one group, groups that
// all agree, or proportions spread wider than any Beta allows — the prior is centred on m
// (½ with no groups) with strength DefaultPseudoCount: a perfect agreement among a few
// groups is no evidence of an infinitely strong prior, and a failed fit should still stop
// a 3-response agent from topping the list.
func FitBetaPrior(proportions []float64) BetaPrior {
	g := float64(len(proportions))
	mean := 0.5
	if g > 0 {
		var sum float64
		for _, p := range proportions {
			sum += p
		}
		mean = sum / g
	}
	fallback := BetaPrior{Alpha: DefaultPseudoCount * mean, Beta: DefaultPseudoCount * (1 - mean)}
	if g < 2 {
		return fallback
	}
	var ss float64
	for _, p := range proportions {
		ss += (p - mean) * (p - mean)
	}
	v := ss / (g - 1)
	if !(v > 0 && v < mean*(1-mean)) {
		return fallback
	}
	strength := mean*(1-mean)/v - 1
	return BetaPrior{Alpha: mean * strength, Beta: (1 - mean) * strength, Fitted: true}
}

// FitCSATPrior fits the CSAT prior to the valid CSAT Estimates of a workspace's groups
// (agents, teams); other Estimates are skipped.
func FitCSATPrior(groups []Estimate) BetaPrior {
	var ps []float64
	for _, e := range groups {
		if e.Valid && e.Metric == MetricCSAT {
			ps = append(ps, e.Value/100)
		}
	}
	return FitBetaPrior(ps)
}

// FitPseudoCount fits the pseudo-count m of CES and NPS shrinkage to the valid Estimates of
// a workspace's groups by the method of moments that fits the CSAT prior: with x the
// groups' scores (CES means, NPS/100) and V the variance of one answer drawn from a group
// picked at random — the mean of the groups' population variances plus the population
// variance of x — m = V/v − 1, v the sample variance of x. m is how many answers weigh as
// much as the spread between groups says the workspace score does: for proportions V is
// m̄(1−m̄) and m is FitBetaPrior's α + β, so all three metrics shrink alike. That identity
// needs the within-group variances to be population variances, as NPS's p + d − (p − d)²
// and CSAT's p(1 − p) are, so a CES group's s² is taken back to Σ(x − x̄)²/n. fitted is
// false, and m DefaultPseudoCount, unless there are two groups or more and 0 < v < V.
func FitPseudoCount(groups []Estimate) (m float64, fitted bool) {
	var xs, vars []float64
	for _, e := range groups {
		if !e.Valid {
			continue
		}
		x := e.Value
		if e.Metric != MetricCES {
			x /= 100
		}
		v := e.Variance
		if e.Metric == MetricCES && e.N > 1 {
			v *= (e.N - 1) / e.N
		}
		xs = append(xs, x)
		vars = append(vars, v)
	}
	g := float64(len(xs))
	if g < 2 {
		return DefaultPseudoCount, false
	}
	var mean, within float64
	for i := range xs {
		mean += xs[i] / g
		within += vars[i] / g
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	v := ss / (g - 1)
	total := within + ss/g
	if !(v > 0 && v < total) {
		return DefaultPseudoCount, false
	}
	return total/v - 1, true
}

// ShrinkCSAT is the leaderboard CSAT (k + α₀)/(n + α₀ + β₀) in percent, with k the group's
// satisfied answers and n its sample size (n_eff when weighted). ok is false unless group is
// a CSAT Estimate and the denominator is positive.
func ShrinkCSAT(group Estimate, prior BetaPrior) (score float64, ok bool) {
	if group.Metric != MetricCSAT {
		return 0, false
	}
	den := group.N + prior.Alpha + prior.Beta
	if !(den > 0) {
		return 0, false
	}
	k := group.Value / 100 * group.N
	return 100 * (k + prior.Alpha) / den, true
}

// ShrinkCES is the leaderboard CES, the Bayesian average v/(v+m)·x̄ + m/(v+m)·C of the
// group's mean x̄ over v responses and the workspace mean C, with pseudo-count m (as
// FitPseudoCount fits it to the groups). ok is false unless both are CES
// Estimates of the same scale, the workspace one valid, and m ≥ 0.
func ShrinkCES(group, workspace Estimate, m float64) (score float64, ok bool) {
	if group.Metric != MetricCES || workspace.Metric != MetricCES ||
		group.Points != workspace.Points || !workspace.Valid || !(m >= 0) {
		return 0, false
	}
	return bayesAverage(group.Value, group.N, workspace.Value, m)
}

// ShrinkNPS is the leaderboard NPS: the group's promoter and detractor shares are each
// shrunk toward the workspace's with pseudo-count m, and the NPS taken from the result.
// Because the shrinkage is linear this equals the Bayesian average of the two NPS values;
// it is written over the shares to match SCORING.md. ok is false unless both are NPS
// Estimates, the workspace one valid, and m ≥ 0.
func ShrinkNPS(group, workspace Estimate, m float64) (score float64, ok bool) {
	if group.Metric != MetricNPS || workspace.Metric != MetricNPS || group.Shares == nil ||
		workspace.Shares == nil || !workspace.Valid || !(m >= 0) {
		return 0, false
	}
	p, okP := bayesAverage(group.Shares.Promoters, group.N, workspace.Shares.Promoters, m)
	d, okD := bayesAverage(group.Shares.Detractors, group.N, workspace.Shares.Detractors, m)
	return p - d, okP && okD
}

func bayesAverage(x, v, c, m float64) (float64, bool) {
	if !(v+m > 0) {
		return 0, false
	}
	return v/(v+m)*x + m/(v+m)*c, true
}
