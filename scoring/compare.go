package scoring

import (
	"encoding/json"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Alpha is the two-sided significance level of a single comparison's verdict.
const Alpha = 0.05

// Verdict is how a score stands against its reference.
type Verdict string

// The verdicts a comparison reports.
const (
	VerdictAbove              Verdict = "above"
	VerdictBelow              Verdict = "below"
	VerdictNotDistinguishable Verdict = "not_distinguishable"
)

// Comparison is a score tested against a fixed value or another group's score.
//
// NeededN is the sample size at which the observed difference d would reach |z| = Z95 given
// the observed per-response variance V: ⌈Z95²·V/d²⌉. For two groups it is the size of each
// group, with V the sum of the groups' variances, as if both were that size. t tests use the
// same normal formula, so for them it slightly understates small sizes. It is 0 when d = 0,
// which no sample size can tell apart, and it may be below the current n when the
// difference is already distinguishable.
//
// Valid is false when the test is undefined: too few responses, an invalid or mismatched
// Estimate, or a zero standard error with a non-zero difference (a CSAT target of exactly
// 0% or 100%, or samples whose answers do not vary, such as CES answers all equal or NPS
// groups that each gave one category only). Such a comparison still reports its Difference,
// reads not_distinguishable with p = 1, and is left out of AdjustFamily's family.
type Comparison struct {
	Valid bool `json:"valid"`
	// Difference is score − reference (or first − second group) in the metric's unit.
	Difference float64 `json:"difference"`
	// Statistic is z, or t when DF > 0.
	Statistic float64 `json:"statistic"`
	DF        float64 `json:"df"`
	// PValue is two-sided.
	PValue float64 `json:"p_value"`
	// AdjustedPValue is the Benjamini–Hochberg p-value within a family of FamilySize
	// comparisons; for a single comparison the family is itself and it equals PValue.
	AdjustedPValue float64 `json:"adjusted_p_value"`
	FamilySize     int     `json:"family_size"`
	Verdict        Verdict `json:"verdict"`
	NeededN        float64 `json:"needed_n"`
}

// ReferenceKind is what a report row's score is compared with.
type ReferenceKind string

// The references of SCORING.md, "Benchmarks and targets".
const (
	RefPrevious  ReferenceKind = "previous"  // the period of equal length just before
	RefLastYear  ReferenceKind = "last_year" // the same dates a year earlier
	RefCompany   ReferenceKind = "company"   // the rest of the company, for a group
	RefBenchmark ReferenceKind = "benchmark" // a value of a benchmark set
	RefTarget    ReferenceKind = "target"    // a manager's target
)

// Reference is what a row is compared with. Value is in the score's unit; Estimate is the
// reference's own estimate when it is a sample (a period, the rest of the company) and
// absent when it is a fixed value (a benchmark, a target). A sample of no answers has no
// value: Value is 0, null in JSON.
type Reference struct {
	Kind ReferenceKind `json:"kind"`
	// ID is the benchmark set's or the target's id.
	ID string `json:"id,omitempty"`
	// Label names the reference for a reader: the period's dates, a benchmark's segment,
	// source and year, a target's group and note.
	Label    string     `json:"label"`
	Value    float64    `json:"value"`
	Estimate *Estimate  `json:"estimate,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
}

// MarshalJSON encodes a Reference with its value null when it is a sample of no answers,
// as its Estimate's numbers are.
func (r Reference) MarshalJSON() ([]byte, error) {
	type plain Reference
	if r.Estimate == nil || r.Estimate.Valid {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		Value *float64 `json:"value"`
	}{plain: plain(r)})
}

// RowComparison is one comparison of a report row's score with a reference. Family names
// the comparisons judged together by AdjustFamily (the groups' comparisons with the same
// reference); it is empty for a comparison judged alone.
type RowComparison struct {
	Reference Reference `json:"reference"`
	Family    string    `json:"family,omitempty"`
	Comparison
}

// CompareToValue tests an Estimate against a benchmark or target in the Estimate's unit
// (CSAT percent, NPS points, CES scale points): one-proportion z for CSAT, the NPS z of
// SCORING.md, a one-sample t for CES.
func CompareToValue(e Estimate, ref float64) Comparison {
	if !e.Valid {
		return invalid(0)
	}
	switch e.Metric {
	case MetricCSAT:
		c := OneProportionZ(e.Value/100, e.N, ref/100)
		c.Difference = e.Value - ref
		return c
	case MetricNPS:
		return NPSOneSampleZ(e.Value, e.Variance, e.N, ref)
	case MetricCES:
		return OneSampleT(e.Value, math.Sqrt(e.Variance), e.N, ref)
	}
	return invalid(0)
}

// Compare tests a − b for two groups' Estimates of the same metric and scale: pooled
// two-proportion z for CSAT, two-sample z for NPS, Welch's t for CES.
func Compare(a, b Estimate) Comparison {
	if !a.Valid || !b.Valid || a.Metric != b.Metric || a.Points != b.Points {
		return invalid(0)
	}
	switch a.Metric {
	case MetricCSAT:
		c := TwoProportionZ(a.Value/100, a.N, b.Value/100, b.N)
		c.Difference = a.Value - b.Value
		return c
	case MetricNPS:
		return NPSTwoSampleZ(a.Value, a.Variance, a.N, b.Value, b.Variance, b.N)
	case MetricCES:
		return WelchT(a.Value, math.Sqrt(a.Variance), a.N, b.Value, math.Sqrt(b.Variance), b.N)
	}
	return invalid(0)
}

// OneProportionZ tests proportion p of n answers against p0 with
// z = (p − p0)/sqrt(p0(1−p0)/n). Proportions are in [0, 1].
func OneProportionZ(p, n, p0 float64) Comparison {
	d := p - p0
	if !(n > 0) {
		return invalid(d)
	}
	v := p0 * (1 - p0)
	return finish(d, math.Sqrt(v/n), v, 0)
}

// TwoProportionZ tests p1 − p2 with the pooled proportion p̄ = (p1n1 + p2n2)/(n1 + n2):
// z = (p1 − p2)/sqrt(p̄(1−p̄)(1/n1 + 1/n2)).
func TwoProportionZ(p1, n1, p2, n2 float64) Comparison {
	d := p1 - p2
	if !(n1 > 0 && n2 > 0) {
		return invalid(d)
	}
	pooled := (p1*n1 + p2*n2) / (n1 + n2)
	v := pooled * (1 - pooled)
	return finish(d, math.Sqrt(v*(1/n1+1/n2)), 2*v, 0)
}

// NPSOneSampleZ tests an NPS (points) with per-response variance v (NPSVariance) against
// nps0: z = (NPS − NPS₀)/(100·sqrt(v/n)).
func NPSOneSampleZ(nps, v, n, nps0 float64) Comparison {
	d := nps - nps0
	if !(n > 0) {
		return invalid(d)
	}
	return finish(d, 100*math.Sqrt(v/n), 100*100*v, 0)
}

// NPSTwoSampleZ tests NPS₁ − NPS₂: z = (NPS₁ − NPS₂)/(100·sqrt(v1/n1 + v2/n2)).
func NPSTwoSampleZ(nps1, v1, n1, nps2, v2, n2 float64) Comparison {
	d := nps1 - nps2
	if !(n1 > 0 && n2 > 0) {
		return invalid(d)
	}
	return finish(d, 100*math.Sqrt(v1/n1+v2/n2), 100*100*(v1+v2), 0)
}

// OneSampleT tests a mean with standard deviation sd over n answers against mu0 with
// n − 1 degrees of freedom. It needs n > 1.
func OneSampleT(mean, sd, n, mu0 float64) Comparison {
	d := mean - mu0
	if !(n > 1) {
		return invalid(d)
	}
	return finish(d, sd/math.Sqrt(n), sd*sd, n-1)
}

// WelchT tests mean1 − mean2 without assuming equal variances, with the
// Welch–Satterthwaite degrees of freedom (s1²/n1 + s2²/n2)² / (s1⁴/(n1²(n1−1)) +
// s2⁴/(n2²(n2−1))). It needs n1, n2 > 1.
func WelchT(mean1, sd1, n1, mean2, sd2, n2 float64) Comparison {
	d := mean1 - mean2
	if !(n1 > 1 && n2 > 1) {
		return invalid(d)
	}
	v1, v2 := sd1*sd1/n1, sd2*sd2/n2
	df := (v1 + v2) * (v1 + v2) / (v1*v1/(n1-1) + v2*v2/(n2-1))
	return finish(d, math.Sqrt(v1+v2), sd1*sd1+sd2*sd2, df)
}

func invalid(d float64) Comparison {
	return Comparison{
		Difference:     d,
		PValue:         1,
		AdjustedPValue: 1,
		FamilySize:     1,
		Verdict:        VerdictNotDistinguishable,
	}
}

// finish completes a test of difference d with standard error se. v is the per-response
// variance NeededN scales; df > 0 selects Student's t, otherwise the normal.
func finish(d, se, v, df float64) Comparison {
	c := invalid(d)
	if !(se > 0) {
		// Identical samples with no spread cannot be told apart: a valid "no".
		c.Valid = d == 0
		return c
	}
	c.Valid = true
	c.Statistic = d / se
	if df > 0 {
		c.DF = df
		c.PValue = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(c.Statistic))
	} else {
		c.PValue = 2 * distuv.UnitNormal.Survival(math.Abs(c.Statistic))
	}
	c.PValue = min(c.PValue, 1)
	c.AdjustedPValue = c.PValue
	c.Verdict = verdict(d, c.AdjustedPValue, Alpha)
	if d != 0 {
		c.NeededN = math.Ceil(Z95 * Z95 * v / (d * d))
	}
	return c
}

func verdict(d, p, level float64) Verdict {
	switch {
	case p > level || d == 0:
		return VerdictNotDistinguishable
	case d > 0:
		return VerdictAbove
	default:
		return VerdictBelow
	}
}
