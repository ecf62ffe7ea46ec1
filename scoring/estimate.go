package scoring

import (
	"encoding/json"
	"fmt"
	"math"
)

// Metric names the score an Estimate measures.
type Metric string

// The metrics of SCORING.md.
const (
	MetricCSAT Metric = "csat"
	MetricNPS  Metric = "nps"
	MetricCES  Metric = "ces"
)

// LowNThreshold is the sample size under which a score is shown marked "low n". Weighted
// estimates compare n_eff, which never exceeds the number of responses, so a weighted score
// is marked whenever its raw count is and also when uneven weights cost it precision.
const LowNThreshold = 30

// Interval is a value with the bounds of its 95% interval.
type Interval struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// NPSShares are the percentages of promoters (9–10), passives (7–8) and detractors (0–6).
type NPSShares struct {
	Promoters  float64 `json:"promoters"`
	Passives   float64 `json:"passives"`
	Detractors float64 `json:"detractors"`
}

// Estimate is a score with its 95% interval and sample size: the CSAT top-2-box percentage,
// the NPS, or the CES mean, in the metric's display unit.
//
// An Estimate of no responses has Valid false and every number zero, never NaN; in JSON
// those numbers are null (MarshalJSON), so that no reader takes them for a score of 0.
// Distribution, Shares (NPS) and Easy (CES) are present all the same, so the shape of an
// Estimate depends on its metric only.
type Estimate struct {
	Interval
	Metric Metric `json:"metric"`
	// Points is the number of points on the scale: 5 for CSAT, 11 for NPS, 5 or 7 for CES.
	Points int  `json:"points"`
	Valid  bool `json:"valid"`
	// Responses counts the answers on the scale; answers outside it (a 0 in a CSAT
	// histogram) are not part of the sample and are ignored.
	Responses int64 `json:"responses"`
	// N is the sample size the interval used: Responses, or Kish's n_eff when weighted.
	N    float64 `json:"n"`
	LowN bool    `json:"low_n"`
	// Mean is the mean answer on the scale; for CES it equals Value.
	Mean float64 `json:"mean"`
	// Variance is the per-response variance the comparisons use: p̂(1−p̂) of the CSAT
	// proportion, p + d − (p − d)² for NPS (proportion scale, unadjusted), s² for CES.
	Variance float64 `json:"variance"`
	// Distribution is the percentage of answers on each point, lowest point first.
	Distribution []float64  `json:"distribution"`
	Shares       *NPSShares `json:"shares,omitempty"`
	// Easy is the CES "% easy" (5–7 of 7, 4–5 of 5) with its Wilson interval.
	Easy *Interval `json:"easy,omitempty"`
}

// MarshalJSON encodes an Estimate with its numbers null when it is not Valid: the value,
// its bounds, the mean, the variance, the distribution's percentages and those of Shares and
// Easy. The counts (responses, n) stay numbers, 0.
func (e Estimate) MarshalJSON() ([]byte, error) {
	type plain Estimate
	if e.Valid {
		return json.Marshal(plain(e))
	}
	type nullInterval struct {
		Value *float64 `json:"value"`
		Lo    *float64 `json:"lo"`
		Hi    *float64 `json:"hi"`
	}
	type nullShares struct {
		Promoters  *float64 `json:"promoters"`
		Passives   *float64 `json:"passives"`
		Detractors *float64 `json:"detractors"`
	}
	out := struct {
		nullInterval
		Metric       Metric        `json:"metric"`
		Points       int           `json:"points"`
		Valid        bool          `json:"valid"`
		Responses    int64         `json:"responses"`
		N            float64       `json:"n"`
		LowN         bool          `json:"low_n"`
		Mean         *float64      `json:"mean"`
		Variance     *float64      `json:"variance"`
		Distribution []*float64    `json:"distribution"`
		Shares       *nullShares   `json:"shares,omitempty"`
		Easy         *nullInterval `json:"easy,omitempty"`
	}{Metric: e.Metric, Points: e.Points, Responses: e.Responses, N: e.N, LowN: e.LowN,
		Distribution: make([]*float64, len(e.Distribution))}
	if e.Shares != nil {
		out.Shares = &nullShares{}
	}
	if e.Easy != nil {
		out.Easy = &nullInterval{}
	}
	return json.Marshal(out)
}

// CSAT estimates the percentage of answers that are 4 or 5 on the 1–5 scale, with its
// Wilson interval. Neutral answers stay in the denominator.
func CSAT(h Histogram) Estimate { return csat(countSample(h, 1, 5)) }

// CSATWeighted is CSAT over weighted answers, with Kish's n_eff in place of n.
func CSATWeighted(h WeightedHistogram) Estimate { return csat(weightSample(h, 1, 5)) }

// NPS estimates the Net Promoter Score, % promoters − % detractors, on the 0–10 scale.
// Value is the NPS itself; the interval is Rocks's adjusted Wald, centred on the adjusted
// NPS′, and is widened to include Value where the adjustment would leave it outside, which
// happens only below n ≈ 1.17: a single promoter or detractor, or a weighted n_eff near 1.
func NPS(h Histogram) Estimate { return nps(countSample(h, 0, MaxScore)) }

// NPSWeighted is NPS over weighted answers, with Kish's n_eff in place of n.
func NPSWeighted(h WeightedHistogram) Estimate { return nps(weightSample(h, 0, MaxScore)) }

// CES estimates the Customer Effort Score mean on a 1–points scale with its t interval,
// clipped to the scale, plus the "% easy" with its Wilson interval. With one response the
// spread is unknown and the interval is the whole scale; answers that all agree give a
// zero-width interval, as the t formula does, and LowN marks such small samples.
//
// It panics unless points is 5 or 7: the scale is checked when a survey is created, so any
// other value is a programming error, and a guessed scale would publish a wrong score.
func CES(h Histogram, points int) Estimate {
	return ces(countSample(h, 1, cesPoints(points)))
}

// CESWeighted is CES over weighted answers, with Kish's n_eff in place of n: the standard
// error is s/√n_eff and the t quantile has n_eff − 1 degrees of freedom.
func CESWeighted(h WeightedHistogram, points int) Estimate {
	return ces(weightSample(h, 1, cesPoints(points)))
}

func cesPoints(points int) int {
	if points != 5 && points != 7 {
		panic(fmt.Sprintf("scoring: CES scale of %d points, want 5 or 7", points))
	}
	return points
}

// sample is a histogram restricted to one scale with float weights, so the unweighted and
// weighted estimates share one implementation.
type sample struct {
	lo, hi    int
	w         [MaxScore + 1]float64
	total     float64
	n         float64
	responses int64
}

func countSample(h Histogram, lo, hi int) sample {
	s := sample{lo: lo, hi: hi}
	for v := lo; v <= hi; v++ {
		s.w[v] = float64(h[v])
		s.responses += h[v]
	}
	s.total = float64(s.responses)
	s.n = s.total
	return s
}

func weightSample(h WeightedHistogram, lo, hi int) sample {
	s := sample{lo: lo, hi: hi}
	var sumSq float64
	for v := lo; v <= hi; v++ {
		s.w[v] = h.Sum[v]
		s.total += h.Sum[v]
		sumSq += h.SumSq[v]
		s.responses += h.Count[v]
	}
	s.n = KishNEff(s.total, sumSq)
	return s
}

// share is the weighted proportion of answers from..to; callers check total > 0.
func (s sample) share(from, to int) float64 {
	var w float64
	for v := from; v <= to; v++ {
		w += s.w[v]
	}
	return min(w/s.total, 1)
}

// estimate fills what every metric shows; Valid is false when there is nothing to estimate.
func (s sample) estimate(m Metric) Estimate {
	points := s.hi - s.lo + 1
	e := Estimate{
		Metric:       m,
		Points:       points,
		Responses:    s.responses,
		N:            s.n,
		LowN:         s.n < LowNThreshold,
		Distribution: make([]float64, points),
	}
	if !(s.total > 0) {
		return e
	}
	e.Valid = true
	var sum float64
	for v := s.lo; v <= s.hi; v++ {
		e.Distribution[v-s.lo] = 100 * s.w[v] / s.total
		sum += float64(v) * s.w[v]
	}
	e.Mean = sum / s.total
	return e
}

func csat(s sample) Estimate {
	e := s.estimate(MetricCSAT)
	if !e.Valid {
		return e
	}
	p := s.share(4, 5)
	lo, hi := wilson(p, s.n)
	e.Interval = Interval{Value: 100 * p, Lo: 100 * lo, Hi: 100 * hi}
	e.Variance = p * (1 - p)
	return e
}

func nps(s sample) Estimate {
	e := s.estimate(MetricNPS)
	e.Shares = &NPSShares{}
	if !e.Valid {
		return e
	}
	p, passive, d := s.share(9, 10), s.share(7, 8), s.share(0, 6)
	*e.Shares = NPSShares{Promoters: 100 * p, Passives: 100 * passive, Detractors: 100 * d}
	value := 100 * (p - d)
	_, lo, hi := AdjustedWaldNPS(p*s.n, d*s.n, s.n)
	e.Interval = Interval{Value: value, Lo: min(lo, value), Hi: max(hi, value)}
	e.Variance = NPSVariance(p, d)
	return e
}

func ces(s sample) Estimate {
	e := s.estimate(MetricCES)
	e.Easy = &Interval{}
	if !e.Valid {
		return e
	}
	var ss float64
	for v := s.lo; v <= s.hi; v++ {
		dev := float64(v) - e.Mean
		ss += s.w[v] * dev * dev
	}
	if s.n > 1 {
		// Σw(x−x̄)²/Σw is the weighted population variance; n/(n−1) makes it the sample
		// variance, and reduces to Σ(x−x̄)²/(n−1) when every weight is 1.
		e.Variance = ss / s.total * s.n / (s.n - 1)
	}
	lo, hi := TInterval(e.Mean, math.Sqrt(e.Variance), s.n)
	top := float64(s.hi)
	e.Interval = Interval{Value: e.Mean, Lo: clamp(lo, 1, top), Hi: clamp(hi, 1, top)}

	easyFrom := 5
	if s.hi == 5 {
		easyFrom = 4
	}
	p := s.share(easyFrom, s.hi)
	elo, ehi := wilson(p, s.n)
	*e.Easy = Interval{Value: 100 * p, Lo: 100 * elo, Hi: 100 * ehi}
	return e
}
