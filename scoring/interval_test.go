package scoring_test

import (
	"math"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

func TestWilsonKnownAnswers(t *testing.T) {
	tests := map[string]struct {
		k, n, lo, hi, tol float64
	}{
		// SCORING.md's worked example.
		"scoring.md 45 of 50": {k: 45, n: 50, lo: 0.786, hi: 0.957, tol: 5e-4},
		// Newcombe, "Two-sided confidence intervals for the single proportion: comparison of
		// seven methods", Statistics in Medicine 17 (1998) 857–872: method 3
		// (Wilson score, no continuity correction) on the paper's examples (i)–(iv).
		"newcombe 1998 81 of 263": {k: 81, n: 263, lo: 0.2553, hi: 0.3662, tol: 5e-5},
		"newcombe 1998 15 of 148": {k: 15, n: 148, lo: 0.0624, hi: 0.1605, tol: 5e-5},
		"newcombe 1998 0 of 20":   {k: 0, n: 20, lo: 0, hi: 0.1611, tol: 5e-5},
		"newcombe 1998 1 of 29":   {k: 1, n: 29, lo: 0.0061, hi: 0.1718, tol: 5e-5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			lo, hi := scoring.Wilson(tc.k, tc.n)
			near(t, "lo", lo, tc.lo, tc.tol)
			near(t, "hi", hi, tc.hi, tc.tol)
		})
	}
}

func TestWilsonEdges(t *testing.T) {
	tests := map[string]struct {
		k, n, lo, hi float64
	}{
		"no answers":       {k: 0, n: 0, lo: 0, hi: 1},
		"negative n":       {k: 0, n: -3, lo: 0, hi: 1},
		"none of 20":       {k: 0, n: 20, lo: 0, hi: 0.16113},
		"all of 29":        {k: 29, n: 29, lo: 0.88303, hi: 1},
		"one of one":       {k: 1, n: 1, lo: 0.20654, hi: 1},
		"fractional n_eff": {k: 2, n: 8.0 / 3, lo: 0.23850, hi: 0.96637},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			lo, hi := scoring.Wilson(tc.k, tc.n)
			near(t, "lo", lo, tc.lo, 5e-6)
			near(t, "hi", hi, tc.hi, 5e-6)
			if lo < 0 || hi > 1 {
				t.Errorf("interval [%v, %v] leaves [0, 1]", lo, hi)
			}
		})
	}
}

// FuzzWilson checks that the interval contains p̂ = k/n and stays within [0, 1].
func FuzzWilson(f *testing.F) {
	for _, seed := range [][2]uint32{{0, 1}, {1, 1}, {45, 50}, {0, 20}, {29, 29}, {1, 1 << 30}, {1<<30 - 1, 1 << 30}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, k, n uint32) {
		if n == 0 {
			return
		}
		k %= n + 1
		lo, hi := scoring.Wilson(float64(k), float64(n))
		p := float64(k) / float64(n)
		if !(0 <= lo && lo <= p && p <= hi && hi <= 1) {
			t.Errorf("Wilson(%d, %d) = [%v, %v], want 0 ≤ lo ≤ %v ≤ hi ≤ 1", k, n, lo, hi, p)
		}
	})
}

func TestNPSVariance(t *testing.T) {
	tests := map[string]struct {
		p, d, want float64
	}{
		// SCORING.md: 120 promoters and 40 detractors of 200 → var 0.64.
		"scoring.md example": {p: 0.6, d: 0.2, want: 0.64},
		"all promoters":      {p: 1, d: 0, want: 0},
		"all passives":       {p: 0, d: 0, want: 0},
		"half and half":      {p: 0.5, d: 0.5, want: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			near(t, "NPSVariance", scoring.NPSVariance(tc.p, tc.d), tc.want, 1e-12)
		})
	}
}

// The adjusted-Wald values are worked by hand from Rocks (2016, "Interval Estimation for the
// 'Net Promoter Score'", The American Statistician 70(4)): n′ = n+3, p′ = (P+¾)/n′,
// d′ = (D+¾)/n′, var = p′+d′−(p′−d′)², interval 100(p′−d′) ± 100·1.96·sqrt(var/n′).
func TestAdjustedWaldNPS(t *testing.T) {
	tests := map[string]struct {
		p, d, n             float64
		centre, lo, hi, tol float64
	}{
		// SCORING.md's example: p′ = 120.75/203, d′ = 40.75/203.
		"scoring.md 120 and 40 of 200":  {p: 120, d: 40, n: 200, centre: 39.40887, lo: 28.40142, hi: 50.41631, tol: 5e-5},
		"single promoter":               {p: 1, d: 0, n: 1, centre: 25, lo: -48.5, hi: 98.5, tol: 1e-9},
		"ten promoters, clipped at 100": {p: 10, d: 0, n: 10, centre: 76.92308, lo: 47.50301, hi: 100, tol: 5e-5},
		"no answers":                    {p: 0, d: 0, n: 0, centre: 0, lo: -80.01666, hi: 80.01666, tol: 5e-5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			centre, lo, hi := scoring.AdjustedWaldNPS(tc.p, tc.d, tc.n)
			near(t, "centre", centre, tc.centre, tc.tol)
			near(t, "lo", lo, tc.lo, tc.tol)
			near(t, "hi", hi, tc.hi, tc.tol)
		})
	}
}

// TestTIntervalQuantiles reads t(0.975, ν) back from the interval of a sample with
// s/√n = 1. Known values: NIST/SEMATECH e-Handbook of Statistical Methods (2012), §1.3.6.7.2
// "Critical Values of the Student's t Distribution", column 0.975.
func TestTIntervalQuantiles(t *testing.T) {
	tests := map[string]struct {
		df, want float64
	}{
		"nist df 1":   {df: 1, want: 12.706},
		"nist df 9":   {df: 9, want: 2.262},
		"nist df 29":  {df: 29, want: 2.045},
		"nist df 100": {df: 100, want: 1.984},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			n := tc.df + 1
			lo, hi := scoring.TInterval(10, math.Sqrt(n), n)
			near(t, "upper half-width", hi-10, tc.want, 5e-4)
			near(t, "lower half-width", 10-lo, tc.want, 5e-4)
		})
	}
}

func TestTIntervalNoSpread(t *testing.T) {
	for name, n := range map[string]float64{"n_eff just above 1": 1.0072, "thirty answers": 30} {
		t.Run(name, func(t *testing.T) {
			if lo, hi := scoring.TInterval(4, 0, n); lo != 4 || hi != 4 {
				t.Errorf("TInterval(4, 0, %v) = [%v, %v], want [4, 4]", n, lo, hi)
			}
		})
	}
}

func TestTIntervalUnknownSpread(t *testing.T) {
	for name, n := range map[string]float64{"one answer": 1, "none": 0} {
		t.Run(name, func(t *testing.T) {
			lo, hi := scoring.TInterval(4, 0, n)
			if !math.IsInf(lo, -1) || !math.IsInf(hi, 1) {
				t.Errorf("TInterval with n = %v = [%v, %v], want unbounded", n, lo, hi)
			}
		})
	}
}

func TestKishNEff(t *testing.T) {
	tests := map[string]struct {
		sumW, sumW2, want float64
	}{
		"no weights":       {want: 0},
		"unit weights":     {sumW: 50, sumW2: 50, want: 50},
		"doubled weights":  {sumW: 100, sumW2: 200, want: 50},
		"uneven weights":   {sumW: 6, sumW2: 14, want: 36.0 / 14},
		"negative squares": {sumW: 1, sumW2: -1, want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			near(t, "KishNEff", scoring.KishNEff(tc.sumW, tc.sumW2), tc.want, 1e-12)
		})
	}
}
