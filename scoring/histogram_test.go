package scoring_test

import (
	"errors"
	"math"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

func TestHistogramAdd(t *testing.T) {
	tests := map[string]struct {
		scores  []int
		want    scoring.Histogram
		wantErr error
	}{
		"no answers":       {want: scoring.Histogram{}},
		"each end":         {scores: []int{0, 10, 10}, want: scoring.Histogram{0: 1, 10: 2}},
		"below the scale":  {scores: []int{-1}, wantErr: scoring.ErrScore},
		"above the scale":  {scores: []int{11}, wantErr: scoring.ErrScore},
		"csat stars 1..5":  {scores: []int{5, 4, 4, 1}, want: scoring.Histogram{1: 1, 4: 2, 5: 1}},
		"error keeps rest": {scores: []int{3, 12}, want: scoring.Histogram{3: 1}, wantErr: scoring.ErrScore},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var h scoring.Histogram
			var err error
			for _, s := range tc.scores {
				if e := h.Add(s); e != nil {
					err = e
				}
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Add error = %v, want %v", err, tc.wantErr)
			}
			if h != tc.want {
				t.Errorf("histogram = %v, want %v", h, tc.want)
			}
			if got, want := h.N(), int64(len(tc.scores)); tc.wantErr == nil && got != want {
				t.Errorf("N = %d, want %d", got, want)
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	h := scoring.Histogram{1: 2, 5: 3}
	h.Merge(scoring.Histogram{5: 1, 9: 4})
	if want := (scoring.Histogram{1: 2, 5: 4, 9: 4}); h != want {
		t.Errorf("merged = %v, want %v", h, want)
	}
	if h.N() != 10 {
		t.Errorf("N = %d, want 10", h.N())
	}
}

func TestWeightedHistogramAdd(t *testing.T) {
	tests := map[string]struct {
		score   int
		weight  float64
		wantErr error
	}{
		"unit weight":     {score: 5, weight: 1},
		"fractional":      {score: 0, weight: 0.25},
		"trimmed maximum": {score: 10, weight: scoring.MaxWeight},
		"zero weight":     {score: 5, weight: 0, wantErr: scoring.ErrWeight},
		"negative weight": {score: 5, weight: -1, wantErr: scoring.ErrWeight},
		"NaN weight":      {score: 5, weight: math.NaN(), wantErr: scoring.ErrWeight},
		"infinite weight": {score: 5, weight: math.Inf(1), wantErr: scoring.ErrWeight},
		"score too high":  {score: 11, weight: 1, wantErr: scoring.ErrScore},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var h scoring.WeightedHistogram
			err := h.Add(tc.score, tc.weight)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Add error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if h != (scoring.WeightedHistogram{}) {
					t.Errorf("failed Add changed the histogram: %+v", h)
				}
				return
			}
			if h.Count[tc.score] != 1 || h.Sum[tc.score] != tc.weight || h.SumSq[tc.score] != tc.weight*tc.weight {
				t.Errorf("bin %d = (%d, %v, %v), want (1, %v, %v)", tc.score,
					h.Count[tc.score], h.Sum[tc.score], h.SumSq[tc.score], tc.weight, tc.weight*tc.weight)
			}
		})
	}
}

// Kish (1965, Survey Sampling) defines n_eff = (Σw)²/Σw²; these values follow from it by hand.
func TestWeightedHistogramNEff(t *testing.T) {
	tests := map[string]struct {
		weights []float64
		want    float64
	}{
		"empty":              {want: 0},
		"equal weights":      {weights: []float64{2, 2, 2, 2}, want: 4},
		"one heavy response": {weights: []float64{1, 1, 1, 5}, want: 64.0 / 28},
		"one, two, three":    {weights: []float64{1, 2, 3}, want: 36.0 / 14},
		"single response":    {weights: []float64{0.3}, want: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var h scoring.WeightedHistogram
			for i, w := range tc.weights {
				if err := h.Add(i%11, w); err != nil {
					t.Fatal(err)
				}
			}
			near(t, "NEff", h.NEff(), tc.want, 1e-12)
			if h.N() != int64(len(tc.weights)) {
				t.Errorf("N = %d, want %d", h.N(), len(tc.weights))
			}
		})
	}
}

func TestWeightedHistogramMerge(t *testing.T) {
	var a, b scoring.WeightedHistogram
	for _, err := range []error{a.Add(5, 2), a.Add(4, 1), b.Add(5, 3)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	a.Merge(b)
	if a.Count[5] != 2 || a.Sum[5] != 5 || a.SumSq[5] != 13 || a.Count[4] != 1 {
		t.Errorf("merged = %+v", a)
	}
	near(t, "NEff", a.NEff(), 36.0/14, 1e-12)
}
