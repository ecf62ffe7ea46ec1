package scoring

import (
	"cmp"
	"slices"
)

// FDR is the false discovery rate q at which a family of comparisons is judged.
const FDR = 0.05

// BenjaminiHochberg runs the Benjamini–Hochberg (1995) step-up procedure at false discovery
// rate q over p-values in [0, 1]. With p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted, it rejects the hypotheses of
// the k smallest, k the largest rank with p₍ₖ₎ ≤ k·q/m. adjusted[i] is the smallest q at
// which p[i] would be rejected, min over ranks j ≥ rank(i) of m·p₍ⱼ₎/j capped at 1, so
// significant[i] is adjusted[i] ≤ q. Both results are in the order of p.
func BenjaminiHochberg(p []float64, q float64) (significant []bool, adjusted []float64) {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })

	significant = make([]bool, m)
	adjusted = make([]float64, m)
	running := 1.0
	for rank := m; rank >= 1; rank-- {
		i := order[rank-1]
		// m/rank ≥ 1 is formed first so that the product never rounds below p[i].
		running = min(running, p[i]*(float64(m)/float64(rank)))
		adjusted[i] = running
		significant[i] = running <= q
	}
	return significant, adjusted
}

// AdjustFamily decides the verdicts of comparisons made together — every agent or team of
// one report — with Benjamini–Hochberg at q = FDR, so that testing fifty agents does not
// flag two or three of them by chance. It returns a copy with AdjustedPValue, FamilySize and
// Verdict set; invalid comparisons are neither counted nor changed.
func AdjustFamily(cs []Comparison) []Comparison {
	out := slices.Clone(cs)
	var members []int
	var p []float64
	for i, c := range out {
		if c.Valid {
			members = append(members, i)
			p = append(p, c.PValue)
		}
	}
	_, adjusted := BenjaminiHochberg(p, FDR)
	for j, i := range members {
		out[i].AdjustedPValue = adjusted[j]
		out[i].FamilySize = len(members)
		out[i].Verdict = verdict(out[i].Difference, adjusted[j], FDR)
	}
	return out
}
