package scoring_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

func TestPostStratify(t *testing.T) {
	tests := map[string]struct {
		strata []scoring.Stratum
		want   []scoring.StratumWeight
	}{
		// N = 1000, n = 100: w = (600/1000)/(30/100) = 2 and (400/1000)/(70/100) = 4/7.
		"two strata": {
			strata: []scoring.Stratum{{"sms", 400, 70}, {"email", 600, 30}},
			want:   []scoring.StratumWeight{{Key: "email", Weight: 2}, {Key: "sms", Weight: 4.0 / 7}},
		},
		"response rates equal, weights 1": {
			strata: []scoring.Stratum{{"a", 100, 10}, {"b", 300, 30}},
			want:   []scoring.StratumWeight{{Key: "a", Weight: 1}, {Key: "b", Weight: 1}},
		},
		// email|team-b has no responses; email|team-a shares the longer prefix, so the cell
		// is 150 delivered: (150/200)/(10/20) = 1.5 and (50/200)/(10/20) = 0.5.
		"empty stratum joins its channel": {
			strata: []scoring.Stratum{{"email|team-a", 100, 10}, {"email|team-b", 50, 0}, {"sms|team-a", 50, 10}},
			want: []scoring.StratumWeight{
				{Key: "email|team-a", Weight: 1.5},
				{Key: "email|team-b", Weight: 1.5, MergedInto: "email|team-a"},
				{Key: "sms|team-a", Weight: 0.5},
			},
		},
		// No shared prefix either way, so b joins c: (100/300)/(10/20) and (200/300)/(10/20).
		"tie goes to the next stratum": {
			strata: []scoring.Stratum{{"a", 100, 10}, {"b", 100, 0}, {"c", 100, 10}},
			want: []scoring.StratumWeight{
				{Key: "a", Weight: 2.0 / 3},
				{Key: "b", Weight: 4.0 / 3, MergedInto: "c"},
				{Key: "c", Weight: 4.0 / 3},
			},
		},
		// a joins b, d and e join c: N = 350, n = 40, cells of 150 and 200 delivered.
		"empty strata at both ends": {
			strata: []scoring.Stratum{{"a", 50, 0}, {"b", 100, 20}, {"c", 100, 20}, {"d", 50, 0}, {"e", 50, 0}},
			want: []scoring.StratumWeight{
				{Key: "a", Weight: 150.0 / 350 * 2, MergedInto: "b"},
				{Key: "b", Weight: 150.0 / 350 * 2},
				{Key: "c", Weight: 200.0 / 350 * 2},
				{Key: "d", Weight: 200.0 / 350 * 2, MergedInto: "c"},
				{Key: "e", Weight: 200.0 / 350 * 2, MergedInto: "c"},
			},
		},
		// (900/1000)/(10/100) = 9 is trimmed to 5; the other weight is not rescaled.
		"weight trimmed at 5": {
			strata: []scoring.Stratum{{"a", 900, 10}, {"b", 100, 90}},
			want:   []scoring.StratumWeight{{Key: "a", Weight: 5, Trimmed: true}, {Key: "b", Weight: 1.0 / 9}},
		},
		// A public link has answers but no deliveries: weight 1, and n counts b and c only.
		"responses without deliveries keep weight 1": {
			strata: []scoring.Stratum{{"a-link", 0, 5}, {"b", 100, 10}, {"c", 300, 10}},
			want: []scoring.StratumWeight{
				{Key: "a-link", Weight: 1}, {Key: "b", Weight: 0.5}, {Key: "c", Weight: 1.5},
			},
		},
		"no responses at all": {
			strata: []scoring.Stratum{{"a", 100, 0}, {"b", 50, 0}},
			want:   []scoring.StratumWeight{{Key: "a", Weight: 1}, {Key: "b", Weight: 1}},
		},
		"nothing delivered": {
			strata: []scoring.Stratum{{"a", 0, 3}},
			want:   []scoring.StratumWeight{{Key: "a", Weight: 1}},
		},
		"no strata": {strata: nil, want: []scoring.StratumWeight{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := scoring.PostStratify(tc.strata)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("weights = %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Key != w.Key || g.MergedInto != w.MergedInto || g.Trimmed != w.Trimmed {
					t.Errorf("weight %d = %+v, want %+v", i, g, w)
				}
				near(t, w.Key+" weight", g.Weight, w.Weight, 1e-12)
			}
		})
	}
}

func TestPostStratifyErrors(t *testing.T) {
	tests := map[string]struct {
		strata []scoring.Stratum
		want   error
	}{
		"negative deliveries": {strata: []scoring.Stratum{{"a", -1, 0}}, want: scoring.ErrNegativeCount},
		"negative responses":  {strata: []scoring.Stratum{{"a", 10, -2}}, want: scoring.ErrNegativeCount},
		"duplicate key":       {strata: []scoring.Stratum{{"a", 10, 2}, {"b", 5, 1}, {"a", 3, 1}}, want: scoring.ErrDuplicateStratum},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := scoring.PostStratify(tc.strata); !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

// Post-stratification reweights respondents to the delivered population: every satisfied
// email answer and half the sms answers give 65% raw, but email is 60% of deliveries, so
// the weighted CSAT is 0.6·100% + 0.4·50% = 80%.
func TestPostStratifiedCSAT(t *testing.T) {
	weights, err := scoring.PostStratify([]scoring.Stratum{{"email", 600, 30}, {"sms", 400, 70}})
	if err != nil {
		t.Fatal(err)
	}
	var raw scoring.Histogram
	var weighted scoring.WeightedHistogram
	add := func(score int, count int, w float64) {
		for range count {
			if err := raw.Add(score); err != nil {
				t.Fatal(err)
			}
			if err := weighted.Add(score, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(5, 30, weights[0].Weight)
	add(5, 35, weights[1].Weight)
	add(1, 35, weights[1].Weight)
	near(t, "raw CSAT", scoring.CSAT(raw).Value, 65, 1e-9)
	near(t, "weighted CSAT", scoring.CSATWeighted(weighted).Value, 80, 1e-9)
	// Σw = 100 and Σw² = 30·4 + 70·16/49 = 142.857…, so n_eff = 70.
	near(t, "n_eff", scoring.CSATWeighted(weighted).N, 70, 1e-9)
}

// Properties over random strata: weights are positive and at most MaxWeight, untrimmed
// weights reproduce n (Σ w_h·n_h = n), and the input order does not matter.
func TestPostStratifyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	checked := 0
	for run := range 500 {
		strata := make([]scoring.Stratum, 1+rng.IntN(12))
		for i := range strata {
			delivered := rng.Int64N(500)
			var responded int64
			if rng.IntN(4) > 0 {
				responded = rng.Int64N(delivered/3 + 1)
			}
			strata[i] = scoring.Stratum{Key: string(rune('a'+i)) + "|" + string(rune('a'+rng.IntN(3))), Delivered: delivered, Responded: responded}
		}
		got, err := scoring.PostStratify(strata)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := slices.Clone(strata)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, err := scoring.PostStratify(shuffled)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, again) {
			t.Fatalf("run %d: order changed the weights:\n%+v\n%+v", run, got, again)
		}

		byKey := map[string]scoring.Stratum{}
		framed := map[string]bool{}
		for _, s := range strata {
			byKey[s.Key] = s
		}
		for _, w := range got {
			if cell := w.MergedInto; cell != "" && byKey[w.Key].Delivered > 0 {
				framed[cell] = true
			}
		}
		var n, weighted float64
		trimmed := false
		for _, w := range got {
			if !(w.Weight > 0 && w.Weight <= scoring.MaxWeight) {
				t.Fatalf("run %d: weight %+v out of (0, %v]", run, w, float64(scoring.MaxWeight))
			}
			s := byKey[w.Key]
			if s.Responded > 0 && (s.Delivered > 0 || framed[w.Key]) {
				n += float64(s.Responded)
				weighted += w.Weight * float64(s.Responded)
				trimmed = trimmed || w.Trimmed
			}
		}
		if n == 0 || trimmed {
			continue
		}
		near(t, "Σ w_h·n_h", weighted, n, 1e-9*n)
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d of 500 runs checked Σ w_h·n_h = n", checked)
	}
}

func TestRepeatWeight(t *testing.T) {
	tests := map[string]struct {
		k    int64
		want float64
	}{
		"answered once":    {k: 1, want: 1},
		"answered twice":   {k: 2, want: 0.5},
		"answered 4 times": {k: 4, want: 0.25},
		"zero means once":  {k: 0, want: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			near(t, "RepeatWeight", scoring.RepeatWeight(tc.k), tc.want, 0)
		})
	}
}
