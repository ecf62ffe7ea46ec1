package scoring_test

import (
	"math"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

// wantComparison lists what a case checks; p-values are compared to tol.
type wantComparison struct {
	valid      bool
	difference float64
	statistic  float64
	df         float64
	p          float64
	verdict    scoring.Verdict
	neededN    float64
	tol        float64
}

func checkComparison(t *testing.T, c scoring.Comparison, w wantComparison) {
	t.Helper()
	if c.Valid != w.valid || c.Verdict != w.verdict || c.NeededN != w.neededN {
		t.Errorf("valid, verdict, needed n = %v, %s, %v; want %v, %s, %v",
			c.Valid, c.Verdict, c.NeededN, w.valid, w.verdict, w.neededN)
	}
	near(t, "Difference", c.Difference, w.difference, 1e-9)
	near(t, "Statistic", c.Statistic, w.statistic, w.tol)
	near(t, "DF", c.DF, w.df, w.tol)
	near(t, "PValue", c.PValue, w.p, w.tol)
	if c.AdjustedPValue != c.PValue || c.FamilySize != 1 {
		t.Errorf("single comparison: adjusted p %v, family %d; want %v, 1", c.AdjustedPValue, c.FamilySize, c.PValue)
	}
}

func TestComparisonPrimitives(t *testing.T) {
	tests := map[string]struct {
		got  scoring.Comparison
		want wantComparison
	}{
		// Montgomery & Runger, Applied Statistics and Probability for Engineers (3rd ed., Wiley
		// 2003), Example 9-10: 4 defective of 200 against p0 = 0.05 gives z0 = −1.95 and a
		// one-sided P = 0.0256 from the rounded z. Exactly, z = −1.946657 and the two-sided p
		// is 0.051576, not distinguishable at 5%; n = 1.96²·0.0475/0.03² = 202.76 → 203.
		"one proportion, montgomery & runger 9-10": {
			got: scoring.OneProportionZ(4.0/200, 200, 0.05),
			want: wantComparison{valid: true, difference: -0.03, statistic: -1.946657, p: 0.051576,
				verdict: scoring.VerdictNotDistinguishable, neededN: 203, tol: 5e-6},
		},
		// 45/50 against 35/50: p̄ = 0.8, se = sqrt(0.16·2/50) = 0.08, z = 2.5, p = 0.012419;
		// per group n = 2·1.96²·0.16/0.2² = 30.73 → 31.
		"two proportions, pooled": {
			got: scoring.TwoProportionZ(0.9, 50, 0.7, 50),
			want: wantComparison{valid: true, difference: 0.2, statistic: 2.5, p: 0.012419,
				verdict: scoring.VerdictAbove, neededN: 31, tol: 5e-6},
		},
		// Triola, Elementary Statistics (14th ed., Pearson), §9-1 "Two Proportions", pp. 444–445:
		// 79 of 438 smokers quit with e-cigarettes against 44 of 446 with nicotine replacement
		// (Hajek et al., NEJM 2019); pooled p̄ = 123/884 = 0.13914027, z = 3.51 and, "from
		// technology", two-sided P = 0.00045. Exactly z = 3.509652, p = 0.000449; per group
		// n = 2·1.96²·p̄(1−p̄)/0.0817106² = 137.8 → 138.
		"two proportions, triola e-cigarettes": {
			got: scoring.TwoProportionZ(79.0/438, 438, 44.0/446, 446),
			want: wantComparison{valid: true, difference: 79.0/438 - 44.0/446, statistic: 3.509652, p: 0.000449,
				verdict: scoring.VerdictAbove, neededN: 138, tol: 5e-6},
		},
		// Student, "The probable error of a mean", Biometrika 6(1) (1908) 1–25, Illustration I:
		// the extra hours of sleep of ten patients (Cushny & Peebles), drug 2 minus drug 1:
		// 1.2, 2.4, 1.3, 1.3, 0, 1.0, 1.8, 0.8, 4.6, 1.4. Student gives mean 1.58 and sd 1.17
		// (divisor n), so z = 1.58/1.17 and t = z·√9 = 4.06; with divisor n − 1, s² = 13.616/9,
		// t = 4.062128 on 9 df, two-sided p = 0.002833 (as R's t.test(..., paired = TRUE)
		// prints for the sleep data); n = 1.96²·1.512889/1.58² = 2.33 → 3.
		"one-sample t, student 1908": {
			got: scoring.OneSampleT(1.58, math.Sqrt(13.616/9), 10, 0),
			want: wantComparison{valid: true, difference: 1.58, statistic: 4.062128, df: 9, p: 0.002833,
				verdict: scoring.VerdictAbove, neededN: 3, tol: 5e-6},
		},
		// An NPS is the mean of a score that is +100, 0 or −100 per answer, so its z is the
		// one-sample z of a mean with σ = 100·sqrt(var). Montgomery & Runger (3rd ed.),
		// Example 9-2, propellant burning rate: x̄ = 51.3, μ0 = 50, σ = 2, n = 25 gives
		// z0 = 3.25 and P = 2[1 − Φ(3.25)] = 0.0012; here var = (2/100)² = 0.0004.
		// n = 1.96²·2²/1.3² = 9.09 → 10.
		"nps z as a mean, montgomery & runger 9-2": {
			got: scoring.NPSOneSampleZ(51.3, 0.0004, 25, 50),
			want: wantComparison{valid: true, difference: 1.3, statistic: 3.25, p: 0.001154,
				verdict: scoring.VerdictAbove, neededN: 10, tol: 5e-6},
		},
		// Likewise two NPSs are two means: Montgomery & Runger (3rd ed.), Example 10-1, paint
		// drying times 121 and 112 minutes, σ1 = σ2 = 8, n1 = n2 = 10: z0 = 9/sqrt(12.8) = 2.52,
		// one-sided P = 0.0059, so two-sided 0.011884; var = (8/100)² = 0.0064 each;
		// n = 1.96²·128/81 = 6.07 → 7.
		"two npss as means, montgomery & runger 10-1": {
			got: scoring.NPSTwoSampleZ(121, 0.0064, 10, 112, 0.0064, 10),
			want: wantComparison{valid: true, difference: 9, statistic: 2.515576, p: 0.011884,
				verdict: scoring.VerdictAbove, neededN: 7, tol: 5e-6},
		},
		// SCORING.md's NPS 40 (var 0.64, n 200) against 30.1, the XM Institute 2023 grocers
		// figure: z = 9.9/(100·sqrt(0.0032)) = 1.750089, p = 0.080103;
		// n = 1.96²·0.64·100²/9.9² = 250.85 → 251.
		"nps against a benchmark": {
			got: scoring.NPSOneSampleZ(40, 0.64, 200, 30.1),
			want: wantComparison{valid: true, difference: 9.9, statistic: 1.750089, p: 0.080103,
				verdict: scoring.VerdictNotDistinguishable, neededN: 251, tol: 5e-6},
		},
		// NPS 40 (var 0.64) against NPS 20 (p 0.5, d 0.3, var 0.76), 200 each:
		// z = 20/(100·sqrt(0.007)) = 2.390457, p = 0.016827; n = 1.96²·1.4·100²/20² = 134.46 → 135.
		"two npss": {
			got: scoring.NPSTwoSampleZ(40, 0.64, 200, 20, 0.76, 200),
			want: wantComparison{valid: true, difference: 20, statistic: 2.390457, p: 0.016827,
				verdict: scoring.VerdictAbove, neededN: 135, tol: 5e-6},
		},
		// The ten CES answers of TestCES against 5: t = 0.4/0.4 = 1 with 9 df, two-sided
		// p = 0.343440 (by numerical integration of the t density); n = 1.96²·1.6/0.4² = 38.42 → 39.
		"ces one-sample t": {
			got: scoring.OneSampleT(5.4, math.Sqrt(1.6), 10, 5),
			want: wantComparison{valid: true, difference: 0.4, statistic: 1, df: 9, p: 0.343440,
				verdict: scoring.VerdictNotDistinguishable, neededN: 39, tol: 5e-6},
		},
		// NIST/SEMATECH e-Handbook of Statistical Methods (2012), §1.3.5.3 "Two-Sample t-Test
		// for Equal Means", AUTO83B.DAT miles per gallon, US (n 249, mean 20.14458, sd 6.41470)
		// against Japanese cars (n 79, mean 30.48101, sd 6.10771), unequal variances:
		// T = −12.94627 with ν = 136.8750.
		"welch t, nist auto83b": {
			got: scoring.WelchT(20.14458, 6.41470, 249, 30.48101, 6.10771, 79),
			want: wantComparison{valid: true, difference: 20.14458 - 30.48101, statistic: -12.94627,
				df: 136.8750, p: 0, verdict: scoring.VerdictBelow, neededN: 3, tol: 5e-5},
		},
		// Student (1908), Illustration I again, the two drugs as independent samples: R's
		// t.test(extra ~ group, data = sleep), Welch by default, prints t = −1.8608,
		// df = 17.776, p-value = 0.07939. Means 0.75 and 2.33, s² = 28.805/9 and 36.081/9;
		// n = 1.96²·(3.2006 + 4.0090)/1.58² = 11.09 → 12.
		"welch t, student 1908 sleep": {
			got: scoring.WelchT(0.75, math.Sqrt(28.805/9), 10, 2.33, math.Sqrt(36.081/9), 10),
			want: wantComparison{valid: true, difference: -1.58, statistic: -1.860813, df: 17.776474,
				p: 0.079394, verdict: scoring.VerdictNotDistinguishable, neededN: 12, tol: 5e-6},
		},
		"one proportion with no answers": {
			got:  scoring.OneProportionZ(0, 0, 0.9),
			want: wantComparison{difference: -0.9, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"one-sample t with one answer": {
			got:  scoring.OneSampleT(6, 0, 1, 5),
			want: wantComparison{difference: 1, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"welch t with one answer in a group": {
			got:  scoring.WelchT(6, 1, 10, 5, 0, 1),
			want: wantComparison{difference: 1, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"target of exactly 100% has no null variance": {
			got:  scoring.OneProportionZ(0.95, 100, 1),
			want: wantComparison{difference: -0.05, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"identical answers with no spread": {
			got:  scoring.WelchT(7, 0, 30, 7, 0, 40),
			want: wantComparison{valid: true, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"different answers with no spread": {
			got:  scoring.WelchT(7, 0, 30, 6, 0, 40),
			want: wantComparison{difference: 1, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"two all-satisfied groups": {
			got:  scoring.TwoProportionZ(1, 40, 1, 60),
			want: wantComparison{valid: true, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkComparison(t, tc.got, tc.want)
		})
	}
}

// The Welch p-value is far below any threshold; the table's tolerance cannot say more.
func TestWelchTNISTPValue(t *testing.T) {
	c := scoring.WelchT(20.14458, 6.41470, 249, 30.48101, 6.10771, 79)
	if !(c.PValue > 0 && c.PValue < 1e-20) {
		t.Errorf("PValue = %v, want in (0, 1e-20)", c.PValue)
	}
}

func TestCompareToValue(t *testing.T) {
	csat := scoring.CSAT(scoring.Histogram{1: 2, 3: 3, 4: 15, 5: 30})
	nps := scoring.NPS(scoring.Histogram{10: 120, 8: 40, 2: 40})
	ces := scoring.CES(scoring.Histogram{3: 1, 4: 1, 5: 3, 6: 3, 7: 2}, 7)
	tests := map[string]struct {
		e    scoring.Estimate
		ref  float64
		want wantComparison
	}{
		// 90% of 50 against a target of 80%: z = 0.1/sqrt(0.16/50) = 1.767767, p = 0.077100;
		// n = 1.96²·0.16/0.1² = 61.47 → 62. The difference is in percentage points.
		"csat against a target": {
			e: csat, ref: 80,
			want: wantComparison{valid: true, difference: 10, statistic: 1.767767, p: 0.077100,
				verdict: scoring.VerdictNotDistinguishable, neededN: 62, tol: 5e-6},
		},
		// 90% against 50%: z = 0.4/sqrt(0.25/50) = 5.656854, p = 1.54e-8;
		// n = 1.96²·0.25/0.4² = 6.0025 → 7, fewer than the 50 already answered.
		"csat well above a benchmark": {
			e: csat, ref: 50,
			want: wantComparison{valid: true, difference: 40, statistic: 5.656854, p: 1.5417e-8,
				verdict: scoring.VerdictAbove, neededN: 7, tol: 5e-6},
		},
		"csat against 100%": {
			e: csat, ref: 100,
			want: wantComparison{difference: -10, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"nps against a benchmark": {
			e: nps, ref: 30.1,
			want: wantComparison{valid: true, difference: 9.9, statistic: 1.750089, p: 0.080103,
				verdict: scoring.VerdictNotDistinguishable, neededN: 251, tol: 5e-6},
		},
		"ces against a target": {
			e: ces, ref: 5,
			want: wantComparison{valid: true, difference: 0.4, statistic: 1, df: 9, p: 0.343440,
				verdict: scoring.VerdictNotDistinguishable, neededN: 39, tol: 5e-6},
		},
		"no responses": {
			e: scoring.CSAT(scoring.Histogram{}), ref: 80,
			want: wantComparison{p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"unknown metric": {
			e: scoring.Estimate{Valid: true, N: 100, Interval: scoring.Interval{Value: 3}}, ref: 1,
			want: wantComparison{p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkComparison(t, scoring.CompareToValue(tc.e, tc.ref), tc.want)
		})
	}
}

func TestCompare(t *testing.T) {
	csatA := scoring.CSAT(scoring.Histogram{5: 45, 2: 5})
	csatB := scoring.CSAT(scoring.Histogram{4: 35, 3: 15})
	allSatisfied := scoring.CSAT(scoring.Histogram{5: 40})
	npsA := scoring.NPS(scoring.Histogram{10: 120, 8: 40, 2: 40})
	npsB := scoring.NPS(scoring.Histogram{9: 100, 7: 40, 5: 60})
	ces7 := scoring.CES(scoring.Histogram{3: 1, 4: 1, 5: 3, 6: 3, 7: 2}, 7)
	ces5 := scoring.CES(scoring.Histogram{2: 1, 3: 1, 4: 2, 5: 1}, 5)
	tests := map[string]struct {
		a, b scoring.Estimate
		want wantComparison
	}{
		"csat, pooled z": {
			a: csatA, b: csatB,
			want: wantComparison{valid: true, difference: 20, statistic: 2.5, p: 0.012419,
				verdict: scoring.VerdictAbove, neededN: 31, tol: 5e-6},
		},
		"csat, other way round": {
			a: csatB, b: csatA,
			want: wantComparison{valid: true, difference: -20, statistic: -2.5, p: 0.012419,
				verdict: scoring.VerdictBelow, neededN: 31, tol: 5e-6},
		},
		"csat, both all satisfied": {
			a: allSatisfied, b: allSatisfied,
			want: wantComparison{valid: true, p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"nps, two-sample z": {
			a: npsA, b: npsB,
			want: wantComparison{valid: true, difference: 20, statistic: 2.390457, p: 0.016827,
				verdict: scoring.VerdictAbove, neededN: 135, tol: 5e-6},
		},
		// Welch with s₁² = 1.6, n₁ = 10 against itself: t = 0, df = 18.
		"ces, same group": {
			a: ces7, b: ces7,
			want: wantComparison{valid: true, df: 18, p: 1, verdict: scoring.VerdictNotDistinguishable, tol: 1e-9},
		},
		"ces, 5- and 7-point scales never compared": {
			a: ces7, b: ces5,
			want: wantComparison{p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"different metrics": {
			a: csatA, b: npsA,
			want: wantComparison{p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
		"one group without responses": {
			a: csatA, b: scoring.CSAT(scoring.Histogram{}),
			want: wantComparison{p: 1, verdict: scoring.VerdictNotDistinguishable},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkComparison(t, scoring.Compare(tc.a, tc.b), tc.want)
		})
	}
}

// FuzzCompare checks that comparisons of arbitrary estimates report finite numbers, a
// p-value in [0, 1] and a verdict that agrees with it. The first byte splits the answers
// between two groups; each answer is a score and a weight byte.
func FuzzCompare(f *testing.F) {
	f.Add([]byte{4, 9, 1, 9, 1, 0, 1, 0, 1})
	f.Add([]byte{2, 5, 9, 5, 9, 1, 9, 1, 9})
	f.Add([]byte{0, 7, 7, 7, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		var h [2]scoring.Histogram
		var wh [2]scoring.WeightedHistogram
		split := int(data[0])
		for i := 1; i+1 < len(data); i += 2 {
			g := 0
			if i/2 >= split {
				g = 1
			}
			score := int(data[i]) % (scoring.MaxScore + 1)
			if err := h[g].Add(score); err != nil {
				t.Fatal(err)
			}
			if err := wh[g].Add(score, float64(data[i+1])/32+0.01); err != nil {
				t.Fatal(err)
			}
		}
		pairs := map[string][2]scoring.Estimate{
			"csat":          {scoring.CSAT(h[0]), scoring.CSAT(h[1])},
			"nps":           {scoring.NPS(h[0]), scoring.NPS(h[1])},
			"ces":           {scoring.CES(h[0], 7), scoring.CES(h[1], 7)},
			"csat weighted": {scoring.CSATWeighted(wh[0]), scoring.CSATWeighted(wh[1])},
			"nps weighted":  {scoring.NPSWeighted(wh[0]), scoring.NPSWeighted(wh[1])},
			"ces weighted":  {scoring.CESWeighted(wh[0], 5), scoring.CESWeighted(wh[1], 5)},
		}
		refs := map[scoring.Metric]float64{scoring.MetricCSAT: 80, scoring.MetricNPS: 30, scoring.MetricCES: 4}
		for name, p := range pairs {
			cs := []scoring.Comparison{
				scoring.Compare(p[0], p[1]),
				scoring.CompareToValue(p[0], refs[p[0].Metric]),
				scoring.CompareToValue(p[1], refs[p[1].Metric]),
			}
			cs = append(cs, scoring.AdjustFamily(cs)...)
			for _, c := range cs {
				for _, x := range []float64{c.Difference, c.Statistic, c.DF, c.PValue, c.AdjustedPValue, c.NeededN} {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Fatalf("%s: non-finite number in %+v", name, c)
					}
				}
				if c.PValue < 0 || c.PValue > 1 || c.AdjustedPValue < c.PValue {
					t.Errorf("%s: p %v, adjusted %v", name, c.PValue, c.AdjustedPValue)
				}
				distinguished := c.Verdict != scoring.VerdictNotDistinguishable
				if distinguished != (c.Valid && c.Difference != 0 && c.AdjustedPValue <= scoring.Alpha) {
					t.Errorf("%s: verdict %s with %+v", name, c.Verdict, c)
				}
			}
		}
	})
}
