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
