package scoring_test

import (
	"slices"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

func TestFitBetaPrior(t *testing.T) {
	tests := map[string]struct {
		proportions []float64
		want        scoring.BetaPrior
	}{
		// m = 0.9, v = 0.02/2 = 0.01: α + β = 0.09/0.01 − 1 = 8, α = 7.2, β = 0.8.
		"three groups": {
			proportions: []float64{0.8, 0.9, 1},
			want:        scoring.BetaPrior{Alpha: 7.2, Beta: 0.8, Fitted: true},
		},
		"no groups": {
			want: scoring.BetaPrior{Alpha: 5, Beta: 5},
		},
		"one group": {
			proportions: []float64{0.7},
			want:        scoring.BetaPrior{Alpha: 7, Beta: 3},
		},
		"groups that all agree": {
			proportions: []float64{0.85, 0.85, 0.85},
			want:        scoring.BetaPrior{Alpha: 8.5, Beta: 1.5},
		},
		"all satisfied": {
			proportions: []float64{1, 1},
			want:        scoring.BetaPrior{Alpha: 10, Beta: 0},
		},
		// m = 0.5, v = 0.5 ≥ m(1−m): no Beta distribution is that spread.
		"spread wider than a beta": {
			proportions: []float64{0, 1},
			want:        scoring.BetaPrior{Alpha: 5, Beta: 5},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := scoring.FitBetaPrior(tc.proportions)
			near(t, "Alpha", got.Alpha, tc.want.Alpha, 1e-9)
			near(t, "Beta", got.Beta, tc.want.Beta, 1e-9)
			if got.Fitted != tc.want.Fitted {
				t.Errorf("Fitted = %v, want %v", got.Fitted, tc.want.Fitted)
			}
		})
	}
}

// ratTumors are Tarone's (1982) 71 rat tumour experiments, tumours and rats, as Gelman et al.,
// Bayesian Data Analysis (3rd ed., CRC 2013), Table 5.1 (p. 102) lists them; the last is the
// current experiment, 4 of 14.
var ratTumors = [71][2]float64{
	{0, 20}, {0, 20}, {0, 20}, {0, 20}, {0, 20}, {0, 20}, {0, 20}, {0, 19}, {0, 19}, {0, 19},
	{0, 19}, {0, 18}, {0, 18}, {0, 17}, {1, 20}, {1, 20}, {1, 20}, {1, 20}, {1, 19}, {1, 19},
	{1, 18}, {1, 18}, {2, 25}, {2, 24}, {2, 23}, {2, 20}, {2, 20}, {2, 20}, {2, 20}, {2, 20},
	{2, 20}, {1, 10}, {5, 49}, {2, 19}, {5, 46}, {3, 27}, {2, 17}, {7, 49}, {7, 47}, {3, 20},
	{3, 20}, {2, 13}, {9, 48}, {10, 50}, {4, 20}, {4, 20}, {4, 20}, {4, 20}, {4, 20}, {4, 20},
	{4, 20}, {10, 48}, {4, 19}, {4, 19}, {4, 19}, {5, 22}, {11, 46}, {12, 49}, {5, 20}, {5, 20},
	{6, 23}, {5, 19}, {6, 22}, {6, 20}, {6, 20}, {6, 20}, {16, 52}, {15, 46}, {15, 47}, {9, 24},
	{4, 14},
}

// ratTumorGroups are the 70 historical experiments as CSAT Estimates, a tumour counted as a
// satisfied answer.
func ratTumorGroups() []scoring.Estimate {
	var out []scoring.Estimate
	for _, e := range ratTumors[:70] {
		out = append(out, scoring.CSAT(scoring.Histogram{5: int64(e[0]), 1: int64(e[1] - e[0])}))
	}
	return out
}

// Gelman et al., Bayesian Data Analysis (3rd ed.), §5.1, pp. 102–104: the 70 historical
// proportions have mean 0.136 and standard deviation 0.103; matching a Beta's mean and
// standard deviation to them gives (α, β) = (1.4, 8.6), and the current experiment's 4 of 14
// then has posterior Beta(5.4, 18.6) with mean 0.223. Unrounded: α = 1.356149,
// β = 8.615058, posterior mean 5.356149/23.971207 = 22.3441%.
func TestShrinkGelmanRatTumors(t *testing.T) {
	groups := ratTumorGroups()
	prior := scoring.FitCSATPrior(groups)
	if !prior.Fitted {
		t.Fatalf("prior not fitted: %+v", prior)
	}
	near(t, "Alpha", prior.Alpha, 1.356149, 5e-7)
	near(t, "Beta", prior.Beta, 8.615058, 5e-7)
	current := scoring.CSAT(scoring.Histogram{5: 4, 1: 10})
	got, ok := scoring.ShrinkCSAT(current, prior)
	if !ok {
		t.Fatal("not shrinkable")
	}
	near(t, "ShrinkCSAT", got, 22.3441, 5e-5)

	// For proportions the CES and NPS pseudo-count is the Beta prior's α + β.
	m, fitted := scoring.FitPseudoCount(groups)
	if !fitted {
		t.Fatal("pseudo-count not fitted")
	}
	near(t, "FitPseudoCount", m, prior.Alpha+prior.Beta, 1e-9)

	// The posterior mean is the Bayesian average of the sample and prior means with
	// m = α + β: 14/(14+m)·4/14 + m/(14+m)·α/m. ShrinkCES computes the same number from
	// a mean and a workspace score.
	group := scoring.Estimate{Metric: scoring.MetricCES, Points: 7, Valid: true, N: 14, Interval: scoring.Interval{Value: 4.0 / 14}}
	workspace := scoring.Estimate{Metric: scoring.MetricCES, Points: 7, Valid: true, Interval: scoring.Interval{Value: prior.Alpha / m}}
	avg, ok := scoring.ShrinkCES(group, workspace, m)
	if !ok {
		t.Fatal("ShrinkCES refused")
	}
	near(t, "Bayesian average", 100*avg, got, 1e-9)
}

func TestFitPseudoCount(t *testing.T) {
	ces := func(h scoring.Histogram) scoring.Estimate { return scoring.CES(h, 7) }
	tests := map[string]struct {
		groups []scoring.Estimate
		m      float64
		fitted bool
	}{
		// Means 4, 5, 6, each of two answers 1 from its mean: population variance 1 (s² = 2,
		// which the fit does not use), v = 1, V = 1 + 2/3, m = 5/3 − 1.
		"three ces groups": {
			groups: []scoring.Estimate{ces(scoring.Histogram{3: 1, 5: 1}), ces(scoring.Histogram{4: 1, 6: 1}), ces(scoring.Histogram{5: 1, 7: 1})},
			m:      2.0 / 3, fitted: true,
		},
		// 40, 50 and 60% promoters, the rest passives: x = 0.4, 0.5, 0.6 on the proportion
		// scale, v = 0.01; each group's population variance is p(1 − p), so V = (0.24 + 0.25 +
		// 0.24)/3 + 0.02/3 = 0.25 and m = 0.25/0.01 − 1 = 24.
		"three nps groups": {
			groups: []scoring.Estimate{
				scoring.NPS(scoring.Histogram{9: 4, 7: 6}), scoring.NPS(scoring.Histogram{9: 5, 7: 5}), scoring.NPS(scoring.Histogram{9: 6, 7: 4}),
			},
			m: 24, fitted: true,
		},
		// NPS 0 (one promoter, one detractor: var 1) and 100 (var 0): x = 0, 1; v = 0.5,
		// V = 0.5 + 0.25, m = 0.5.
		"two nps groups": {
			groups: []scoring.Estimate{scoring.NPS(scoring.Histogram{10: 1, 0: 1}), scoring.NPS(scoring.Histogram{9: 2})},
			m:      0.5, fitted: true,
		},
		"groups that all agree": {
			groups: []scoring.Estimate{ces(scoring.Histogram{6: 3}), ces(scoring.Histogram{6: 5})},
			m:      scoring.DefaultPseudoCount,
		},
		"one group and one without answers": {
			groups: []scoring.Estimate{ces(scoring.Histogram{6: 3}), ces(scoring.Histogram{})},
			m:      scoring.DefaultPseudoCount,
		},
		// Answers that never vary within a group but differ between groups: v ≥ V.
		"spread only between groups": {
			groups: []scoring.Estimate{ces(scoring.Histogram{2: 3}), ces(scoring.Histogram{6: 3})},
			m:      scoring.DefaultPseudoCount,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, fitted := scoring.FitPseudoCount(tc.groups)
			near(t, "m", m, tc.m, 1e-9)
			if fitted != tc.fitted {
				t.Errorf("fitted = %v, want %v", fitted, tc.fitted)
			}
		})
	}
}

// A group with one satisfied answer out of one (100%) must rank below a group of 200 with
// 97%, and the large groups keep their raw order.
func TestShrunkCSATRanking(t *testing.T) {
	groups := map[string]scoring.Histogram{
		"one of one":   {5: 1},
		"194 of 200":   {5: 194, 2: 6},
		"184 of 200":   {5: 184, 1: 16},
		"176 of 200":   {4: 176, 3: 24},
		"170 of 200":   {5: 170, 2: 30},
		"160 of 200":   {4: 160, 1: 40},
		"3 of 3":       {5: 3},
		"no responses": {},
	}
	var estimates []scoring.Estimate
	for _, h := range groups {
		estimates = append(estimates, scoring.CSAT(h))
	}
	prior := scoring.FitCSATPrior(estimates)
	if !prior.Fitted {
		t.Fatalf("prior not fitted: %+v", prior)
	}
	shrunk := map[string]float64{}
	for name, h := range groups {
		s, ok := scoring.ShrinkCSAT(scoring.CSAT(h), prior)
		if !ok {
			t.Fatalf("%s: not shrinkable", name)
		}
		shrunk[name] = s
	}
	t.Logf("prior %+v, shrunk %v", prior, shrunk)
	if raw1, raw200 := scoring.CSAT(groups["one of one"]).Value, scoring.CSAT(groups["194 of 200"]).Value; raw1 <= raw200 {
		t.Fatalf("raw scores %v and %v do not set up the test", raw1, raw200)
	}
	order := []string{"194 of 200", "184 of 200", "176 of 200", "170 of 200", "160 of 200"}
	for _, small := range []string{"one of one", "3 of 3"} {
		if shrunk[small] >= shrunk["194 of 200"] {
			t.Errorf("%s shrinks to %.2f%%, not below 194 of 200 at %.2f%%", small, shrunk[small], shrunk["194 of 200"])
		}
	}
	ranked := slices.Clone(order)
	slices.SortFunc(ranked, func(a, b string) int {
		switch {
		case shrunk[a] > shrunk[b]:
			return -1
		case shrunk[a] < shrunk[b]:
			return 1
		}
		return 0
	})
	if !slices.Equal(ranked, order) {
		t.Errorf("shrinkage reordered the large groups: %v", ranked)
	}
	near(t, "no responses shrink to the prior mean", shrunk["no responses"], 100*prior.Alpha/(prior.Alpha+prior.Beta), 1e-9)
}

func TestShrinkCSAT(t *testing.T) {
	// 45 of 50 with Beta(7.2, 0.8): (45 + 7.2)/(50 + 8) = 90%.
	e := scoring.CSAT(scoring.Histogram{5: 45, 1: 5})
	tests := map[string]struct {
		e      scoring.Estimate
		prior  scoring.BetaPrior
		want   float64
		wantOK bool
	}{
		"hand worked":      {e: e, prior: scoring.BetaPrior{Alpha: 7.2, Beta: 0.8}, want: 90, wantOK: true},
		"no prior is raw":  {e: e, want: 90, wantOK: true},
		"prior only":       {e: scoring.CSAT(scoring.Histogram{}), prior: scoring.BetaPrior{Alpha: 3, Beta: 1}, want: 75, wantOK: true},
		"nothing at all":   {e: scoring.CSAT(scoring.Histogram{})},
		"not a csat score": {e: scoring.NPS(scoring.Histogram{9: 3}), prior: scoring.BetaPrior{Alpha: 1, Beta: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := scoring.ShrinkCSAT(tc.e, tc.prior)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			near(t, "ShrinkCSAT", got, tc.want, 1e-9)
		})
	}
}

func TestShrinkCES(t *testing.T) {
	workspace := scoring.CES(scoring.Histogram{4: 10, 5: 10, 6: 10, 7: 10}, 7) // C = 5.5
	threeSevens := scoring.CES(scoring.Histogram{7: 3}, 7)
	hundred := scoring.CES(scoring.Histogram{6: 100}, 7)
	tests := map[string]struct {
		group, workspace scoring.Estimate
		m                float64
		want             float64
		wantOK           bool
	}{
		// 3/13·7 + 10/13·5.5 = 5.846154.
		"three answers of 7": {group: threeSevens, workspace: workspace, m: scoring.DefaultPseudoCount, want: 5.846154, wantOK: true},
		// 100/110·6 + 10/110·5.5 = 5.954545, above the three sevens.
		"a hundred answers of 6": {group: hundred, workspace: workspace, m: scoring.DefaultPseudoCount, want: 5.954545, wantOK: true},
		"no pseudo-count is raw": {group: threeSevens, workspace: workspace, m: 0, want: 7, wantOK: true},
		"no answers is the workspace": {
			group: scoring.CES(scoring.Histogram{}, 7), workspace: workspace, m: 10, want: 5.5, wantOK: true,
		},
		"5- and 7-point scales":     {group: scoring.CES(scoring.Histogram{5: 3}, 5), workspace: workspace, m: 10},
		"workspace without answers": {group: threeSevens, workspace: scoring.CES(scoring.Histogram{}, 7), m: 10},
		"negative pseudo-count":     {group: threeSevens, workspace: workspace, m: -1},
		"nothing to average":        {group: scoring.CES(scoring.Histogram{}, 7), workspace: workspace, m: 0},
		"not a ces score":           {group: scoring.CSAT(scoring.Histogram{5: 3}), workspace: workspace, m: 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := scoring.ShrinkCES(tc.group, tc.workspace, tc.m)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			near(t, "ShrinkCES", got, tc.want, 5e-7)
		})
	}
}

func TestShrinkNPS(t *testing.T) {
	workspace := scoring.NPS(scoring.Histogram{10: 50, 8: 30, 3: 20}) // 50% P, 20% D, NPS 30
	tests := map[string]struct {
		group, workspace scoring.Estimate
		m                float64
		want             float64
		wantOK           bool
	}{
		// P: 3/13·100 + 10/13·50 = 61.538; D: 10/13·20 = 15.385; NPS 46.154.
		"three promoters": {group: scoring.NPS(scoring.Histogram{9: 3}), workspace: workspace, m: 10, want: 46.153846, wantOK: true},
		// NPS 50 over 100 answers: the Bayesian average of the NPS, (100·50 + 10·30)/110.
		"a hundred answers": {
			group: scoring.NPS(scoring.Histogram{10: 60, 7: 30, 0: 10}), workspace: workspace, m: 10,
			want: 48.181818, wantOK: true,
		},
		"workspace without answers": {group: scoring.NPS(scoring.Histogram{9: 3}), workspace: scoring.NPS(scoring.Histogram{}), m: 10},
		"not an nps score":          {group: scoring.CSAT(scoring.Histogram{5: 3}), workspace: workspace, m: 10},
		"hand-built without shares": {group: scoring.Estimate{Metric: scoring.MetricNPS, Valid: true, N: 4}, workspace: workspace, m: 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := scoring.ShrinkNPS(tc.group, tc.workspace, tc.m)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			near(t, "ShrinkNPS", got, tc.want, 5e-7)
		})
	}
}
