package scoring

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Z95 is the normal quantile of every 95% interval and of NeededN. SCORING.md fixes it at
// 1.96 rather than 1.959964… so that published worked examples reproduce digit for digit.
const Z95 = 1.96

// Wilson is the 95% Wilson score interval for a proportion of k successes in n trials.
// k and n may be fractional, as when n is Kish's n_eff and k = p̂·n_eff. With n ≤ 0 nothing
// is known and the interval is all of [0, 1].
func Wilson(k, n float64) (lo, hi float64) {
	if !(n > 0) {
		return 0, 1
	}
	return wilson(k/n, n)
}

func wilson(p, n float64) (lo, hi float64) {
	p = clamp(p, 0, 1)
	z2 := Z95 * Z95
	centre := p + z2/(2*n)
	half := Z95 * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	den := 1 + z2/n
	lo, hi = (centre-half)/den, (centre+half)/den
	// The interval always contains p̂ and lies in [0, 1]; rounding can break both by a few
	// ulps when k is 0 or n, and an interval that misses its own point looks like a bug.
	return clamp(min(lo, p), 0, 1), clamp(max(hi, p), 0, 1)
}

// NPSVariance is the per-response variance of the NPS on the proportion scale,
// p + d − (p − d)², for promoter share p and detractor share d. Divided by n it is the
// squared standard error of (p − d) that the NPS z tests use.
func NPSVariance(p, d float64) float64 {
	// Never negative for shares that sum to at most 1; max guards rounding at p or d = 1.
	return max(p+d-(p-d)*(p-d), 0)
}

// AdjustedWaldNPS is the adjusted-Wald 95% interval for the NPS of Rocks (2016, The American
// Statistician): ¾ is added to the promoter and detractor counts and 3 to n before the Wald
// interval is taken. It returns the adjusted centre NPS′ and the interval, in NPS points,
// clipped to [−100, 100] because the Wald form can overshoot the scale for extreme shares.
func AdjustedWaldNPS(promoters, detractors, n float64) (centre, lo, hi float64) {
	n1 := n + 3
	p := (promoters + 0.75) / n1
	d := (detractors + 0.75) / n1
	centre = 100 * (p - d)
	moe := 100 * Z95 * math.Sqrt(NPSVariance(p, d)/n1)
	return centre, clamp(centre-moe, -100, 100), clamp(centre+moe, -100, 100)
}

// TInterval is the 95% t interval x̄ ± t(0.975, n−1)·s/√n for a mean. With n ≤ 1 the spread
// is unknown and the interval is unbounded; callers clip it to their scale. n may be a
// fractional n_eff.
func TInterval(mean, sd, n float64) (lo, hi float64) {
	if !(n > 1) {
		return math.Inf(-1), math.Inf(1)
	}
	if sd == 0 {
		// t(0.975, ν) overflows to +Inf as ν nears 0 (a weighted n_eff just above 1), and
		// Inf·0 would be NaN; with no spread the interval is the mean itself at any ν.
		return mean, mean
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	half := t * sd / math.Sqrt(n)
	return mean - half, mean + half
}

// KishNEff is Kish's effective sample size (Σw)²/Σw², which stands in for n in every
// weighted interval and test. It is 0 when there are no weights.
func KishNEff(sumW, sumW2 float64) float64 {
	if !(sumW2 > 0) {
		return 0
	}
	return sumW * sumW / sumW2
}

func clamp(x, lo, hi float64) float64 {
	return min(max(x, lo), hi)
}
