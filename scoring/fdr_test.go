package scoring_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

func TestBenjaminiHochberg(t *testing.T) {
	tests := map[string]struct {
		p           []float64
		significant []bool
		adjusted    []float64
	}{
		// Benjamini & Hochberg, "Controlling the False Discovery Rate: a Practical and Powerful
		// Approach to Multiple Testing", JRSS B 57(1) (1995) 289–300, §4.2: the 15 p-values of
		// the Neuhaus et al. myocardial infarction study. At q = 0.05 the procedure rejects the
		// four smallest (p₍₄₎ = 0.0095 ≤ 4·0.05/15), where Bonferroni rejects three. Adjusted
		// p-values are min over j ≥ i of 15·p₍ⱼ₎/j.
		"benjamini & hochberg 1995": {
			p: []float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
				0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000},
			significant: []bool{true, true, true, true, false, false, false, false,
				false, false, false, false, false, false, false},
			adjusted: []float64{0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.063857, 0.063857,
				0.0645, 0.0765, 0.486, 0.581182, 0.714875, 0.753231, 0.813214, 1},
		},
		// Six of those p-values, out of order: in the smaller family 0.0201 ≤ 4·0.05/6 passes.
		"six of them, shuffled": {
			p:           []float64{0.3240, 0.0095, 1.000, 0.0001, 0.0201, 0.0019},
			significant: []bool{false, true, false, true, true, true},
			adjusted:    []float64{0.3888, 0.019, 1, 0.0006, 0.03015, 0.0057},
		},
		"empty family":         {p: []float64{}, significant: []bool{}, adjusted: []float64{}},
		"single, significant":  {p: []float64{0.04}, significant: []bool{true}, adjusted: []float64{0.04}},
		"single, at q":         {p: []float64{0.05}, significant: []bool{true}, adjusted: []float64{0.05}},
		"single, not":          {p: []float64{0.06}, significant: []bool{false}, adjusted: []float64{0.06}},
		"ties share a verdict": {p: []float64{0.03, 0.03, 0.03}, significant: []bool{true, true, true}, adjusted: []float64{0.03, 0.03, 0.03}},
		// Alone 0.02 would pass; in a family of ten with nothing smaller it does not.
		"family of ten": {
			p:           []float64{0.02, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99},
			significant: make([]bool, 10),
			adjusted:    []float64{0.2, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			significant, adjusted := scoring.BenjaminiHochberg(tc.p, scoring.FDR)
			if !slices.Equal(significant, tc.significant) {
				t.Errorf("significant = %v, want %v", significant, tc.significant)
			}
			if len(adjusted) != len(tc.adjusted) {
				t.Fatalf("adjusted = %v, want %v", adjusted, tc.adjusted)
			}
			for i := range adjusted {
				near(t, "adjusted", adjusted[i], tc.adjusted[i], 5e-7)
			}
		})
	}
}

func TestAdjustFamily(t *testing.T) {
	cs := []scoring.Comparison{
		{Valid: true, Difference: 3, PValue: 0.0001},
		{Valid: true, Difference: -2, PValue: 0.0095},
		{Valid: true, Difference: 1, PValue: 0.0201},
		{Valid: false, Difference: 5, PValue: 1, AdjustedPValue: 1, FamilySize: 1, Verdict: scoring.VerdictNotDistinguishable},
		{Valid: true, Difference: 1, PValue: 0.3240},
	}
	got := scoring.AdjustFamily(cs)
	want := []struct {
		adjusted float64
		family   int
		verdict  scoring.Verdict
	}{
		{0.0004, 4, scoring.VerdictAbove},
		{0.019, 4, scoring.VerdictBelow},
		{0.0268, 4, scoring.VerdictAbove},
		{1, 1, scoring.VerdictNotDistinguishable},
		{0.324, 4, scoring.VerdictNotDistinguishable},
	}
	for i, w := range want {
		near(t, "AdjustedPValue", got[i].AdjustedPValue, w.adjusted, 1e-9)
		if got[i].FamilySize != w.family || got[i].Verdict != w.verdict {
			t.Errorf("comparison %d: family %d, verdict %s; want %d, %s", i, got[i].FamilySize, got[i].Verdict, w.family, w.verdict)
		}
	}
	if cs[0].FamilySize != 0 {
		t.Error("AdjustFamily changed its argument")
	}
}

// With no true difference among 50 groups, comparing each to the true score flags about
// 5% of them one at a time, while Benjamini–Hochberg keeps the expected number of false
// discoveries at or below q·50 (under this global null, far below).
func TestBenjaminiHochbergNullSimulation(t *testing.T) {
	const (
		groups    = 50
		responses = 100
		runs      = 200
		satisfied = 0.8
	)
	rng := rand.New(rand.NewPCG(2026, 50))
	var unadjusted, adjusted int
	for range runs {
		cs := make([]scoring.Comparison, groups)
		for g := range cs {
			var h scoring.Histogram
			for range responses {
				if rng.Float64() < satisfied {
					h[5]++
				} else {
					h[2]++
				}
			}
			cs[g] = scoring.CompareToValue(scoring.CSAT(h), 100*satisfied)
			if cs[g].Verdict != scoring.VerdictNotDistinguishable {
				unadjusted++
			}
		}
		for _, c := range scoring.AdjustFamily(cs) {
			if c.Verdict != scoring.VerdictNotDistinguishable {
				adjusted++
			}
		}
	}
	perRunUnadjusted := float64(unadjusted) / runs
	perRunAdjusted := float64(adjusted) / runs
	t.Logf("flagged per run of %d null groups: %.2f unadjusted, %.2f with Benjamini–Hochberg",
		groups, perRunUnadjusted, perRunAdjusted)
	if perRunAdjusted > scoring.FDR*groups {
		t.Errorf("Benjamini–Hochberg flagged %.2f groups per run, want ≤ %.1f", perRunAdjusted, scoring.FDR*groups)
	}
	// The simulation must be able to fail: one at a time, about α·50 = 2.5 groups are flagged.
	if perRunUnadjusted < 1.5 || perRunUnadjusted > 4 {
		t.Errorf("unadjusted tests flagged %.2f groups per run, want about %.1f", perRunUnadjusted, scoring.Alpha*groups)
	}
}

// Found by FuzzCompare: 3·p/3 rounds below p for this p, and an adjusted p-value below the
// raw one would make a family look more significant than its members.
func TestBenjaminiHochbergNeverBelowP(t *testing.T) {
	p := []float64{0.1, 0.2, 0.4795001221869536}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 1000 {
		p = append(p, rng.Float64())
	}
	_, adjusted := scoring.BenjaminiHochberg(p, scoring.FDR)
	for i := range p {
		if adjusted[i] < p[i] {
			t.Errorf("adjusted p %v < p %v", adjusted[i], p[i])
		}
	}
	if _, adjusted := scoring.BenjaminiHochberg(p[:3], scoring.FDR); adjusted[2] != p[2] {
		t.Errorf("largest of three: adjusted %v, want %v", adjusted[2], p[2])
	}
}
