package scoring_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

// wantEstimate lists the numbers a case checks; nil slices and pointers are not checked.
type wantEstimate struct {
	valid          bool
	responses      int64
	n              float64
	lowN           bool
	value, lo, hi  float64
	mean, variance float64
	distribution   []float64
	shares         *scoring.NPSShares
	easy           *scoring.Interval
	tol            float64
}

func checkEstimate(t *testing.T, e scoring.Estimate, w wantEstimate) {
	t.Helper()
	if e.Valid != w.valid || e.Responses != w.responses || e.LowN != w.lowN {
		t.Errorf("valid, responses, low n = %v, %d, %v; want %v, %d, %v",
			e.Valid, e.Responses, e.LowN, w.valid, w.responses, w.lowN)
	}
	near(t, "N", e.N, w.n, 1e-9)
	near(t, "Value", e.Value, w.value, w.tol)
	near(t, "Lo", e.Lo, w.lo, w.tol)
	near(t, "Hi", e.Hi, w.hi, w.tol)
	near(t, "Mean", e.Mean, w.mean, w.tol)
	near(t, "Variance", e.Variance, w.variance, w.tol)
	if w.distribution != nil {
		if len(e.Distribution) != len(w.distribution) {
			t.Fatalf("Distribution = %v, want %v", e.Distribution, w.distribution)
		}
		for i := range w.distribution {
			near(t, "Distribution", e.Distribution[i], w.distribution[i], w.tol)
		}
	}
	if w.shares != nil {
		if e.Shares == nil {
			t.Fatal("Shares = nil")
		}
		near(t, "Promoters", e.Shares.Promoters, w.shares.Promoters, w.tol)
		near(t, "Passives", e.Shares.Passives, w.shares.Passives, w.tol)
		near(t, "Detractors", e.Shares.Detractors, w.shares.Detractors, w.tol)
	}
	if w.easy != nil {
		if e.Easy == nil {
			t.Fatal("Easy = nil")
		}
		near(t, "Easy.Value", e.Easy.Value, w.easy.Value, w.tol)
		near(t, "Easy.Lo", e.Easy.Lo, w.easy.Lo, w.tol)
		near(t, "Easy.Hi", e.Easy.Hi, w.easy.Hi, w.tol)
	}
}

func TestCSAT(t *testing.T) {
	tests := map[string]struct {
		h    scoring.Histogram
		want wantEstimate
	}{
		// SCORING.md: 45 of 50 satisfied → [78.6%, 95.7%].
		"scoring.md 45 of 50": {
			h: scoring.Histogram{1: 2, 3: 3, 4: 15, 5: 30},
			want: wantEstimate{
				valid: true, responses: 50, n: 50, value: 90, lo: 78.6, hi: 95.7,
				mean: 4.42, variance: 0.09, distribution: []float64{4, 0, 6, 30, 60}, tol: 0.05,
			},
		},
		"no responses": {
			want: wantEstimate{lowN: true, distribution: []float64{0, 0, 0, 0, 0}},
		},
		"answers off the 1–5 scale are ignored": {
			h: scoring.Histogram{0: 7, 4: 1, 5: 1, 2: 2, 9: 3},
			want: wantEstimate{
				valid: true, responses: 4, n: 4, lowN: true, value: 50, lo: 15.0036, hi: 84.9964,
				mean: 3.25, variance: 0.25, distribution: []float64{0, 50, 0, 25, 25}, tol: 5e-4,
			},
		},
		"every answer satisfied": {
			h: scoring.Histogram{5: 29},
			want: wantEstimate{
				valid: true, responses: 29, n: 29, lowN: true, value: 100, lo: 88.303, hi: 100,
				mean: 5, distribution: []float64{0, 0, 0, 0, 100}, tol: 5e-4,
			},
		},
		"neutral answers stay in the denominator": {
			h: scoring.Histogram{3: 30, 4: 30},
			want: wantEstimate{
				valid: true, responses: 60, n: 60, value: 50, lo: 37.7348, hi: 62.2652,
				mean: 3.5, variance: 0.25, distribution: []float64{0, 0, 50, 50, 0}, tol: 5e-4,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := scoring.CSAT(tc.h)
			if e.Metric != scoring.MetricCSAT || e.Points != 5 || e.Shares != nil || e.Easy != nil {
				t.Errorf("shape = %s, %d points, shares %v, easy %v", e.Metric, e.Points, e.Shares, e.Easy)
			}
			checkEstimate(t, e, tc.want)
		})
	}
}

func TestNPS(t *testing.T) {
	tests := map[string]struct {
		h    scoring.Histogram
		want wantEstimate
	}{
		// SCORING.md: 120 promoters, 40 passives, 40 detractors → NPS 40, var 0.64; the interval
		// is the adjusted Wald one (see TestAdjustedWaldNPS).
		"scoring.md 120 and 40 of 200": {
			h: scoring.Histogram{10: 70, 9: 50, 8: 25, 7: 15, 6: 20, 3: 10, 0: 10},
			want: wantEstimate{
				valid: true, responses: 200, n: 200, value: 40, lo: 28.40142, hi: 50.41631,
				mean: 8.025, variance: 0.64, shares: &scoring.NPSShares{Promoters: 60, Passives: 20, Detractors: 20},
				tol: 5e-5,
			},
		},
		// Rocks's adjustment centres one promoter at NPS′ 25 with interval [−48.5, 98.5]; the
		// interval is widened to hold the NPS of 100 itself.
		"single promoter": {
			h: scoring.Histogram{9: 1},
			want: wantEstimate{
				valid: true, responses: 1, n: 1, lowN: true, value: 100, lo: -48.5, hi: 100,
				mean: 9, shares: &scoring.NPSShares{Promoters: 100}, tol: 1e-9,
			},
		},
		"single detractor": {
			h: scoring.Histogram{0: 1},
			want: wantEstimate{
				valid: true, responses: 1, n: 1, lowN: true, value: -100, lo: -100, hi: 48.5,
				mean: 0, shares: &scoring.NPSShares{Detractors: 100}, tol: 1e-9,
			},
		},
		"all passives": {
			h: scoring.Histogram{7: 20, 8: 20},
			want: wantEstimate{
				valid: true, responses: 40, n: 40, value: 0, lo: -5.5826, hi: 5.5826,
				mean: 7.5, shares: &scoring.NPSShares{Passives: 100}, tol: 5e-4,
			},
		},
		"no responses": {
			want: wantEstimate{lowN: true, shares: &scoring.NPSShares{}, distribution: make([]float64, 11)},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := scoring.NPS(tc.h)
			if e.Metric != scoring.MetricNPS || e.Points != 11 || e.Easy != nil {
				t.Errorf("shape = %s, %d points, easy %v", e.Metric, e.Points, e.Easy)
			}
			checkEstimate(t, e, tc.want)
		})
	}
}

// SCORING.md's unadjusted check: the margin 100·z·sqrt(var/n) of 120 promoters and 40
// detractors of 200 is 11.1 points.
func TestNPSUnadjustedMargin(t *testing.T) {
	e := scoring.NPS(scoring.Histogram{10: 120, 8: 40, 2: 40})
	near(t, "unadjusted margin", 100*scoring.Z95*math.Sqrt(e.Variance/e.N), 11.1, 0.05)
}

func TestCES(t *testing.T) {
	tests := map[string]struct {
		h      scoring.Histogram
		points int
		want   wantEstimate
	}{
		// Answers 7 6 6 5 5 5 4 3 7 6: x̄ = 5.4, s² = 14.4/9 = 1.6, s/√n = 0.4, and
		// t(0.975, 9) = 2.262157 gives 5.4 ± 0.904863; 8 of 10 easy, Wilson [49.02%, 94.33%].
		"seven points, ten answers": {
			h: scoring.Histogram{3: 1, 4: 1, 5: 3, 6: 3, 7: 2}, points: 7,
			want: wantEstimate{
				valid: true, responses: 10, n: 10, lowN: true, value: 5.4, lo: 4.495137, hi: 6.304863,
				mean: 5.4, variance: 1.6, distribution: []float64{0, 0, 10, 10, 30, 30, 20},
				easy: &scoring.Interval{Value: 80, Lo: 49.0157, Hi: 94.3319}, tol: 5e-4,
			},
		},
		// Answers 5 4 4 3 2: x̄ = 3.6, s² = 5.2/4 = 1.3; t(0.975, 4) = 2.776445; 4–5 is easy.
		"five points, five answers": {
			h: scoring.Histogram{2: 1, 3: 1, 4: 2, 5: 1}, points: 5,
			want: wantEstimate{
				valid: true, responses: 5, n: 5, lowN: true, value: 3.6, lo: 2.184285, hi: 5,
				mean: 3.6, variance: 1.3, distribution: []float64{0, 20, 20, 40, 20},
				easy: &scoring.Interval{Value: 60, Lo: 23.0720, Hi: 88.2381}, tol: 5e-4,
			},
		},
		"one answer spans the scale": {
			h: scoring.Histogram{6: 1}, points: 7,
			want: wantEstimate{
				valid: true, responses: 1, n: 1, lowN: true, value: 6, lo: 1, hi: 7, mean: 6,
				easy: &scoring.Interval{Value: 100, Lo: 20.6543, Hi: 100}, tol: 5e-4,
			},
		},
		"answers above a five-point scale are ignored": {
			h: scoring.Histogram{5: 2, 7: 9}, points: 5,
			want: wantEstimate{
				valid: true, responses: 2, n: 2, lowN: true, value: 5, lo: 5, hi: 5, mean: 5,
				easy: &scoring.Interval{Value: 100, Lo: 34.2372, Hi: 100}, tol: 5e-4,
			},
		},
		"no responses": {
			points: 7,
			want:   wantEstimate{lowN: true, easy: &scoring.Interval{}, distribution: make([]float64, 7)},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := scoring.CES(tc.h, tc.points)
			if e.Metric != scoring.MetricCES || e.Points != tc.points || e.Shares != nil {
				t.Errorf("shape = %s, %d points, shares %v", e.Metric, e.Points, e.Shares)
			}
			checkEstimate(t, e, tc.want)
		})
	}
}

func TestCESRejectsOtherScales(t *testing.T) {
	for name, points := range map[string]int{"six": 6, "eleven": 11, "zero": 0} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("CES(h, %d) did not panic", points)
				}
			}()
			scoring.CES(scoring.Histogram{4: 1}, points)
		})
	}
}

// With every weight 1 a weighted estimate is the unweighted one.
func TestWeightedWithUnitWeights(t *testing.T) {
	h := scoring.Histogram{0: 3, 1: 4, 2: 1, 3: 6, 4: 9, 5: 12, 6: 8, 7: 7, 9: 5, 10: 2}
	var wh scoring.WeightedHistogram
	for s, c := range h {
		for range c {
			if err := wh.Add(s, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := map[string]struct {
		unweighted, weighted scoring.Estimate
	}{
		"csat":  {scoring.CSAT(h), scoring.CSATWeighted(wh)},
		"nps":   {scoring.NPS(h), scoring.NPSWeighted(wh)},
		"ces 7": {scoring.CES(h, 7), scoring.CESWeighted(wh, 7)},
		"ces 5": {scoring.CES(h, 5), scoring.CESWeighted(wh, 5)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := tc.unweighted
			w := wantEstimate{
				valid: u.Valid, responses: u.Responses, n: u.N, lowN: u.LowN, value: u.Value, lo: u.Lo,
				hi: u.Hi, mean: u.Mean, variance: u.Variance, distribution: u.Distribution,
				shares: u.Shares, easy: u.Easy, tol: 1e-9,
			}
			checkEstimate(t, tc.weighted, w)
		})
	}
}

func TestWeightedEstimates(t *testing.T) {
	type answer struct {
		score  int
		weight float64
	}
	tests := map[string]struct {
		answers  []answer
		estimate func(scoring.WeightedHistogram) scoring.Estimate
		want     wantEstimate
	}{
		// Σw = 4 with 3 satisfied, Σw² = 6, so p̂ = 75% and n_eff = 16/6; Wilson(2, 8/3).
		"csat, one doubled answer": {
			answers:  []answer{{5, 2}, {5, 1}, {2, 1}},
			estimate: scoring.CSATWeighted,
			want: wantEstimate{
				valid: true, responses: 3, n: 16.0 / 6, lowN: true, value: 75, lo: 23.850, hi: 96.637,
				mean: 4.25, variance: 0.1875, distribution: []float64{0, 25, 0, 0, 75}, tol: 5e-4,
			},
		},
		// A customer answering twice weighs ½ each (RepeatWeight): shares 1/2 promoters,
		// 1/4 passives, 1/4 detractors; Σw = 2, Σw² = 1.5, n_eff = 8/3; the interval is the
		// adjusted Wald one with P = 4/3, D = 2/3, n = 8/3.
		"nps, one customer answered twice": {
			answers:  []answer{{10, 1}, {8, 0.5}, {3, 0.5}},
			estimate: scoring.NPSWeighted,
			want: wantEstimate{
				valid: true, responses: 3, n: 8.0 / 3, lowN: true, value: 25, lo: -52.2148, hi: 75.7442,
				mean: 7.75, variance: 0.6875, shares: &scoring.NPSShares{Promoters: 50, Passives: 25, Detractors: 25},
				tol: 5e-4,
			},
		},
		// Found by FuzzEstimates: n_eff = 2.77²/7.6177 = 1.0072 leaves 0.0072 degrees of
		// freedom, whose t quantile overflows; with no spread the interval is still the mean.
		"ces, n_eff just above 1 and no spread": {
			answers:  []answer{{4, 0.01}, {4, 2.76}},
			estimate: func(h scoring.WeightedHistogram) scoring.Estimate { return scoring.CESWeighted(h, 7) },
			want: wantEstimate{
				valid: true, responses: 2, n: 2.77 * 2.77 / (0.01*0.01 + 2.76*2.76), lowN: true, value: 4, lo: 4, hi: 4,
				mean: 4, distribution: []float64{0, 0, 0, 100, 0, 0, 0}, easy: &scoring.Interval{Value: 0, Lo: 0, Hi: 79.2271}, tol: 5e-4,
			},
		},
		// The same with some spread: the unbounded t interval is clipped to the scale.
		"ces, n_eff just above 1 with spread": {
			answers:  []answer{{4, 0.01}, {5, 2.76}},
			estimate: func(h scoring.WeightedHistogram) scoring.Estimate { return scoring.CESWeighted(h, 7) },
			want: wantEstimate{
				valid: true, responses: 2, n: 2.77 * 2.77 / (0.01*0.01 + 2.76*2.76), lowN: true, value: 4.996390, lo: 1, hi: 7,
				mean: 4.996390, variance: 0.5, distribution: []float64{0, 0, 0, 0.361011, 99.638989, 0, 0},
				easy: &scoring.Interval{Value: 99.638989, Lo: 20.6233, Hi: 99.9997}, tol: 5e-4,
			},
		},
		"ces, no answers": {
			estimate: func(h scoring.WeightedHistogram) scoring.Estimate { return scoring.CESWeighted(h, 7) },
			want:     wantEstimate{lowN: true, easy: &scoring.Interval{}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var h scoring.WeightedHistogram
			for _, a := range tc.answers {
				if err := h.Add(a.score, a.weight); err != nil {
					t.Fatal(err)
				}
			}
			checkEstimate(t, tc.estimate(h), tc.want)
		})
	}
}

// Multiplying every weight by a constant changes no weighted estimate, which is why
// PostStratify does not renormalise after trimming.
func TestWeightedEstimatesAreScaleFree(t *testing.T) {
	weights := []float64{0.4, 1.7, 2.2, 0.9, 1, 3.1, 0.25, 1.3}
	var a, b scoring.WeightedHistogram
	for i, w := range weights {
		if err := a.Add(1+i%7, w); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(1+i%7, 3.5*w); err != nil {
			t.Fatal(err)
		}
	}
	for name, f := range map[string]func(scoring.WeightedHistogram) scoring.Estimate{
		"csat":  scoring.CSATWeighted,
		"nps":   scoring.NPSWeighted,
		"ces 7": func(h scoring.WeightedHistogram) scoring.Estimate { return scoring.CESWeighted(h, 7) },
	} {
		t.Run(name, func(t *testing.T) {
			x, y := f(a), f(b)
			for what, pair := range map[string][2]float64{
				"N": {x.N, y.N}, "Value": {x.Value, y.Value}, "Lo": {x.Lo, y.Lo}, "Hi": {x.Hi, y.Hi},
				"Variance": {x.Variance, y.Variance},
			} {
				near(t, what, pair[1], pair[0], 1e-9)
			}
		})
	}
}

// FuzzEstimates checks every estimate of arbitrary histograms: no NaN or infinity, an
// interval that holds its value and stays on the scale, shares that sum to 100, and
// n_eff ≤ responses. Each byte pair is one answer: a score and a weight.
func FuzzEstimates(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{9, 1})
	f.Add([]byte{0, 255})
	f.Add([]byte{5, 3, 5, 3, 4, 200, 1, 1, 7, 9, 10, 10, 6, 2})
	f.Add([]byte{3, 1, 3, 1, 3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var h scoring.Histogram
		var wh scoring.WeightedHistogram
		for i := 0; i+1 < len(data); i += 2 {
			score := int(data[i]) % (scoring.MaxScore + 1)
			if err := h.Add(score); err != nil {
				t.Fatal(err)
			}
			if err := wh.Add(score, float64(data[i+1])/32+0.01); err != nil {
				t.Fatal(err)
			}
		}
		for name, c := range map[string]struct {
			e      scoring.Estimate
			lo, hi float64
		}{
			"csat":           {scoring.CSAT(h), 0, 100},
			"csat weighted":  {scoring.CSATWeighted(wh), 0, 100},
			"nps":            {scoring.NPS(h), -100, 100},
			"nps weighted":   {scoring.NPSWeighted(wh), -100, 100},
			"ces 7":          {scoring.CES(h, 7), 1, 7},
			"ces 7 weighted": {scoring.CESWeighted(wh, 7), 1, 7},
			"ces 5":          {scoring.CES(h, 5), 1, 5},
			"ces 5 weighted": {scoring.CESWeighted(wh, 5), 1, 5},
		} {
			checkInvariants(t, name, c.e, c.lo, c.hi)
		}
	})
}

func checkInvariants(t *testing.T, name string, e scoring.Estimate, lo, hi float64) {
	t.Helper()
	const tol = 1e-9
	finite := []float64{e.Value, e.Lo, e.Hi, e.N, e.Mean, e.Variance}
	finite = append(finite, e.Distribution...)
	if e.Easy != nil {
		finite = append(finite, e.Easy.Value, e.Easy.Lo, e.Easy.Hi)
	}
	if e.Shares != nil {
		finite = append(finite, e.Shares.Promoters, e.Shares.Passives, e.Shares.Detractors)
	}
	for _, x := range finite {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("%s: non-finite number in %+v", name, e)
		}
	}
	if e.Valid != (e.Responses > 0) || e.LowN != (e.N < scoring.LowNThreshold) {
		t.Errorf("%s: valid %v, low n %v with %d responses, n %v", name, e.Valid, e.LowN, e.Responses, e.N)
	}
	if e.N > float64(e.Responses)*(1+tol) || len(e.Distribution) != e.Points {
		t.Errorf("%s: n %v, %d responses, distribution %v", name, e.N, e.Responses, e.Distribution)
	}
	if !e.Valid {
		return
	}
	if !(lo-tol <= e.Lo && e.Lo <= e.Value+tol && e.Value <= e.Hi+tol && e.Hi <= hi+tol) {
		t.Errorf("%s: %v in [%v, %v] outside [%v, %v]", name, e.Value, e.Lo, e.Hi, lo, hi)
	}
	if e.Easy != nil && !(-tol <= e.Easy.Lo && e.Easy.Lo <= e.Easy.Value+tol &&
		e.Easy.Value <= e.Easy.Hi+tol && e.Easy.Hi <= 100+tol) {
		t.Errorf("%s: easy %+v", name, *e.Easy)
	}
	var sum float64
	for _, d := range e.Distribution {
		sum += d
	}
	if math.Abs(sum-100) > 1e-6 {
		t.Errorf("%s: distribution sums to %v", name, sum)
	}
}

// An estimate of no answers has no value: its numbers encode as null, never as a 0 a reader
// could take for a score (or as NaN, which JSON does not have), and its shape stays that of
// its metric. A valid estimate encodes its fields as they are.
func TestEstimateJSON(t *testing.T) {
	tests := map[string]struct {
		e    scoring.Estimate
		want string
	}{
		"csat": {e: scoring.CSAT(scoring.Histogram{}), want: `{"value":null,"lo":null,"hi":null,"metric":"csat","points":5,"valid":false,` +
			`"responses":0,"n":0,"low_n":true,"mean":null,"variance":null,"distribution":[null,null,null,null,null]}`},
		"nps":        {e: scoring.NPS(scoring.Histogram{}), want: `"shares":{"promoters":null,"passives":null,"detractors":null}}`},
		"ces":        {e: scoring.CES(scoring.Histogram{}, 5), want: `"distribution":[null,null,null,null,null],"easy":{"value":null,"lo":null,"hi":null}}`},
		"valid csat": {e: scoring.CSAT(scoring.Histogram{5: 1, 1: 1}), want: `"valid":true,"responses":2,"n":2,"low_n":true,"mean":3,"variance":0.25,"distribution":[50,0,0,0,50]}`},
		"valid nps":  {e: scoring.NPS(scoring.Histogram{9: 1, 7: 1}), want: `"shares":{"promoters":50,"passives":50,"detractors":0}}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(tc.e)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(string(b), tc.want) {
				t.Errorf("JSON = %s, want it to end %s", b, tc.want)
			}
		})
	}
}

// A reference that is a sample of no answers (an empty previous period) has no value
// either: null beside its null estimate. A fixed value or a valid sample keeps its number.
func TestReferenceJSON(t *testing.T) {
	empty := scoring.CSAT(scoring.Histogram{})
	full := scoring.CSAT(scoring.Histogram{5: 1})
	tests := map[string]struct {
		ref  scoring.Reference
		want any
	}{
		"empty period": {ref: scoring.Reference{Kind: scoring.RefPrevious, Label: "p", Estimate: &empty}, want: nil},
		"period":       {ref: scoring.Reference{Kind: scoring.RefPrevious, Label: "p", Value: 100, Estimate: &full}, want: 100.0},
		"benchmark":    {ref: scoring.Reference{Kind: scoring.RefBenchmark, Label: "b", Value: 0}, want: 0.0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if v, ok := got["value"]; !ok || v != tc.want || got["kind"] != string(tc.ref.Kind) {
				t.Errorf("JSON = %s, want value %v", b, tc.want)
			}
		})
	}
}
