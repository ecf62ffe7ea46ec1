package scoring

import (
	"maps"
	"slices"
	"strings"
)

// ReportSpec is what a report computes over rollups: the survey's metric and scale, the
// grouping, the dimension filter, and the flags the workspace excludes.
type ReportSpec struct {
	Metric  Metric
	Points  int
	GroupBy Dimension // empty: no groups, the total only
	Filter  map[Dimension]string
	// Exclude are the flags the workspace excludes from filtered and weighted scores.
	// non_attributable among them applies to agent and team scores only: groups by agent or
	// team, and any row of a report filtered to an agent or a team.
	Exclude FlagMask
}

// Funnel is a row's response funnel (docs/scoring.md). Sent counts emails handed to the mail
// server, so Delivered = Sent − Bounced; Failed counts the emails that could not be sent,
// and one that went out on a later try is in Sent as well, so Failed is not subtracted.
// Reached adds to Delivered the invitations made without email (Created: send false), whose
// links the caller shows the customer its own way; it is the response rate's denominator.
type Funnel struct {
	Invited    int64 `json:"invited"`
	Created    int64 `json:"created"`
	Scheduled  int64 `json:"scheduled"`
	Throttled  int64 `json:"throttled"`
	Suppressed int64 `json:"suppressed"`
	SampledOut int64 `json:"sampled_out"`
	Sent       int64 `json:"sent"`
	Failed     int64 `json:"failed"`
	Bounced    int64 `json:"bounced"`
	Delivered  int64 `json:"delivered"`
	Opened     int64 `json:"opened"`
	Responded  int64 `json:"responded"`
	Commented  int64 `json:"commented"`
	Reached    int64 `json:"reached"`
}

// FlagCount is how many of a row's answers carry a flag, and whether the flag excluded them.
type FlagCount struct {
	Flag     string `json:"flag"`
	Count    int64  `json:"count"`
	Excluded bool   `json:"excluded"`
}

// RepeatCount is how many of a row's counted answers came from customers who answered more
// than once in the answer's month, and what they weigh together in the weighted score:
// each of a customer's k answers weighs 1/k, so a customer whose answers all fall in the
// row counts as one.
type RepeatCount struct {
	Answers   int64   `json:"answers"`
	CountedAs float64 `json:"counted_as"`
}

// Row is one line of a report: the total, or one group.
type Row struct {
	// Group is the group's value of the report's dimension; empty for the total (and for
	// answers that have no value, which form their own group).
	Group  string `json:"group"`
	Funnel Funnel `json:"funnel"`
	// ResponseRate is Responded/Reached in percent; nil when nothing reached anyone.
	ResponseRate *float64 `json:"response_rate"`
	// LowResponseRate marks a rate under 5%: the score is probably unrepresentative.
	LowResponseRate bool     `json:"low_response_rate"`
	Raw             Estimate `json:"raw"`
	Filtered        Estimate `json:"filtered"`
	Weighted        Estimate `json:"weighted"`
	// Excluded counts the answers left out of Filtered and Weighted.
	Excluded int64           `json:"excluded"`
	Flags    []FlagCount     `json:"flags"`
	Repeat   RepeatCount     `json:"repeat"`
	Weights  []StratumWeight `json:"weights"`
	KPI      KPI             `json:"kpi"`
	// Comparisons compare Filtered with the references a report asks for; Standing is the
	// group's place on a leaderboard. Both are set by the report, not by Summarize.
	Comparisons []RowComparison `json:"comparisons,omitempty"`
	Standing    *Standing       `json:"standing,omitempty"`
}

// aggregate is a row being summed from cells.
type aggregate struct {
	funnel [NumStages]int64
	kpi    [NumKPICounters]int64
	scores map[ScoreKey]*Histogram
	strata map[string]*stratumAggregate
}

// stratumAggregate is one stratum of a row: the invitations of it that reached customers
// (Funnel.Reached), the population its answers are weighed to, and its answers.
type stratumAggregate struct {
	reached int64
	scores  map[ScoreKey]*Histogram
}

func newAggregate() *aggregate {
	return &aggregate{scores: map[ScoreKey]*Histogram{}, strata: map[string]*stratumAggregate{}}
}

func addScores(into map[ScoreKey]*Histogram, from map[ScoreKey]*Histogram) {
	for m, h := range from {
		if into[m] == nil {
			into[m] = &Histogram{}
		}
		into[m].Merge(*h)
	}
}

func (a *aggregate) add(t Tuple, c *Cell) {
	for s, n := range c.Funnel {
		a.funnel[s] += n
	}
	for k, n := range c.KPI {
		a.kpi[k] += n
	}
	addScores(a.scores, c.Scores)
	st := a.strata[t.Stratum()]
	if st == nil {
		st = &stratumAggregate{scores: map[ScoreKey]*Histogram{}}
		a.strata[t.Stratum()] = st
	}
	st.reached += c.Funnel[StageSent] - c.Funnel[StageBounced] + c.Funnel[StageCreated]
	addScores(st.scores, c.Scores)
}

// Summarize computes a report's total and group rows from the merged rollup cells of its
// period. Groups come in order of their value.
func (spec ReportSpec) Summarize(cells Bucket) (total Row, groups []Row) {
	totalAgg := newAggregate()
	groupAggs := map[string]*aggregate{}
	for t, c := range cells {
		if !spec.matches(t) {
			continue
		}
		totalAgg.add(t, c)
		if spec.GroupBy != "" {
			g := groupAggs[t.Value(spec.GroupBy)]
			if g == nil {
				g = newAggregate()
				groupAggs[t.Value(spec.GroupBy)] = g
			}
			g.add(t, c)
		}
	}
	total = spec.row("", totalAgg, spec.exclude(false))
	if spec.GroupBy == "" {
		return total, nil
	}
	keys := make([]string, 0, len(groupAggs))
	for k := range groupAggs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attributable := spec.GroupBy == DimAgent || spec.GroupBy == DimTeam
	for _, k := range keys {
		groups = append(groups, spec.row(k, groupAggs[k], spec.exclude(attributable)))
	}
	return total, groups
}

func (spec ReportSpec) matches(t Tuple) bool {
	for d, v := range spec.Filter {
		if t.Value(d) != v {
			return false
		}
	}
	return true
}

// exclude is the mask of flags that exclude an answer from a row's filtered score.
func (spec ReportSpec) exclude(attributable bool) FlagMask {
	if attributable || spec.Filter[DimAgent] != "" || spec.Filter[DimTeam] != "" {
		return spec.Exclude
	}
	return spec.Exclude &^ MaskNonAttributable
}

func (spec ReportSpec) estimate(h Histogram) Estimate {
	switch spec.Metric {
	case MetricNPS:
		return NPS(h)
	case MetricCES:
		return CES(h, spec.Points)
	default:
		return CSAT(h)
	}
}

func (spec ReportSpec) weightedEstimate(h WeightedHistogram) Estimate {
	switch spec.Metric {
	case MetricNPS:
		return NPSWeighted(h)
	case MetricCES:
		return CESWeighted(h, spec.Points)
	default:
		return CSATWeighted(h)
	}
}

func (spec ReportSpec) row(group string, a *aggregate, exclude FlagMask) Row {
	r := Row{Group: group}
	var raw, filtered Histogram
	for k, h := range a.scores {
		raw.Merge(*h)
		if k.Mask&exclude == 0 {
			filtered.Merge(*h)
		} else {
			r.Excluded += h.N()
		}
	}
	for i, name := range maskFlags {
		bit := FlagMask(1) << i
		fc := FlagCount{Flag: name, Excluded: exclude&bit != 0}
		for k, h := range a.scores {
			if k.Mask&bit != 0 {
				fc.Count += h.N()
			}
		}
		r.Flags = append(r.Flags, fc)
	}
	f := a.funnel
	r.Funnel = Funnel{
		Invited: f[StageInvited], Created: f[StageCreated], Scheduled: f[StageScheduled],
		Throttled: f[StageThrottled], Suppressed: f[StageSuppressed], SampledOut: f[StageSampledOut],
		Sent: f[StageSent], Failed: f[StageFailed], Bounced: f[StageBounced],
		Delivered: f[StageSent] - f[StageBounced], Opened: f[StageOpened],
		Responded: raw.N(), Commented: f[StageCommented],
	}
	r.Funnel.Reached = r.Funnel.Delivered + r.Funnel.Created
	if rate, ok := ResponseRate(r.Funnel.Responded, r.Funnel.Reached); ok {
		r.ResponseRate, r.LowResponseRate = &rate, rate < LowResponseRate
	}
	r.Raw, r.Filtered = spec.estimate(raw), spec.estimate(filtered)
	r.Weights, r.Weighted, r.Repeat = spec.weighted(a, exclude)
	r.KPI = serviceKPI(f[StageInvited], a.kpi)
	return r
}

// weighted post-stratifies the row's filtered answers over its strata (channel × team), to
// the invitations that reached customers in each, and weighs each answer of a customer who
// answered k > 1 times in its month by 1/k.
func (spec ReportSpec) weighted(a *aggregate, exclude FlagMask) ([]StratumWeight, Estimate, RepeatCount) {
	keys := slices.Sorted(maps.Keys(a.strata))
	strata := make([]Stratum, 0, len(keys))
	for _, k := range keys {
		st := a.strata[k]
		var n int64
		for sk, h := range st.scores {
			if sk.Mask&exclude == 0 {
				n += h.N()
			}
		}
		strata = append(strata, Stratum{Key: k, Delivered: max(st.reached, 0), Responded: n})
	}
	weights, err := PostStratify(strata)
	if err != nil { // counts are sums of non-negative events; a negative one is a corrupt rollup
		weights = nil
	}
	weightOf := map[string]float64{}
	for _, w := range weights {
		weightOf[w.Key] = w.Weight
	}
	// Histograms are added in key order, so the float sums come out the same however the
	// rollups were built.
	var wh WeightedHistogram
	var rc RepeatCount
	for _, k := range keys {
		w, ok := weightOf[k]
		if !ok {
			w = 1
		}
		st := a.strata[k]
		for _, sk := range slices.SortedFunc(maps.Keys(st.scores), compareScoreKeys) {
			if sk.Mask&exclude != 0 {
				continue
			}
			h := st.scores[sk]
			r := RepeatWeight(int64(sk.K))
			for s, c := range h {
				wh.Count[s] += c
				wh.Sum[s] += float64(c) * w * r
				wh.SumSq[s] += float64(c) * w * w * r * r
			}
			if sk.K > 1 {
				rc.Answers += h.N()
				rc.CountedAs += float64(h.N()) * r
			}
		}
	}
	if weights == nil {
		weights = []StratumWeight{}
	}
	return weights, spec.weightedEstimate(wh), rc
}

// ParseDimension reads a dimension name.
func ParseDimension(s string) (Dimension, bool) {
	d := Dimension(strings.ToLower(s))
	return d, slices.Contains(Dimensions(), d)
}
