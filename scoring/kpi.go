package scoring

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// LowResponseRate is the response rate, in percent, under which a group's score is marked
// as probably unrepresentative.
const LowResponseRate = 5

// ResponseRate is responded/reached in percent, reached the invitations whose link reached
// the customer (Funnel.Reached). Unanswered invitations count; unsent and undelivered ones
// (throttled, bounced, failed) do not. ok is false when nothing reached anyone.
func ResponseRate(responded, reached int64) (rate float64, ok bool) {
	return percent(responded, reached)
}

// RetentionRate is CRR = (CE − CN)/CS × 100 for CS customers at the start of the period, CE
// at the end and CN new during it. ok is false when CS ≤ 0.
func RetentionRate(start, end, acquired int64) (rate float64, ok bool) {
	return percent(end-acquired, start)
}

// ChurnRate is CCR = (CS − CE)/CS × 100 as SCORING.md defines it. It nets new customers
// against lost ones, so CRR + CCR is 100 only when CN = 0, and it is negative when the base
// grew. ok is false when CS ≤ 0.
func ChurnRate(start, end int64) (rate float64, ok bool) {
	return percent(start-end, start)
}

// FCRRate is the percentage of interactions resolved at first contact, of those whose
// resolution is known.
func FCRRate(resolvedFirstContact, interactions int64) (rate float64, ok bool) {
	return percent(resolvedFirstContact, interactions)
}

// TransferRate is the percentage of interactions transferred to another agent or team, of
// those whose transfers are known.
func TransferRate(transferred, interactions int64) (rate float64, ok bool) {
	return percent(transferred, interactions)
}

// AverageHandleTime is the total handle time, in seconds, divided by the number of
// interactions it was summed over. Seconds rather than a time.Duration: a year of a large
// contact centre's handle time overflows a Duration's 292 years.
func AverageHandleTime(totalSeconds, interactions int64) (seconds float64, ok bool) {
	if interactions <= 0 {
		return 0, false
	}
	return float64(totalSeconds) / float64(interactions), true
}

func percent(part, whole int64) (float64, bool) {
	if whole <= 0 {
		return 0, false
	}
	return 100 * float64(part) / float64(whole), true
}

// KPI is a report row's service KPIs (SCORING.md, "Service KPIs from interactions"). Volume
// counts the row's interactions: each one the survey considered is one invitation, whatever
// the rules decided. Each rate or average counts only the interactions whose CRM said what
// it needs, n of them; with none it is null, never 0. CRR and CCR come from the customer
// counts posted for the row's group (see ReportSpec.AddRetention), null without.
type KPI struct {
	Volume       int64      `json:"volume"`
	FCRRate      *float64   `json:"fcr_rate"`
	FCRN         int64      `json:"fcr_n"`
	AHTSeconds   *float64   `json:"aht_seconds"`
	AHTN         int64      `json:"aht_n"`
	TransferRate *float64   `json:"transfer_rate"`
	TransferN    int64      `json:"transfer_n"`
	CRR          *float64   `json:"crr"`
	CCR          *float64   `json:"ccr"`
	Customers    *Customers `json:"customers"`
}

// serviceKPI computes a row's KPIs from its summed counts; CRR and CCR are added later.
func serviceKPI(invited int64, c [NumKPICounters]int64) KPI {
	k := KPI{Volume: invited, FCRN: c[KPIResolutionKnown], AHTN: c[KPIHandleKnown], TransferN: c[KPITransfersKnown]}
	k.FCRRate = known(FCRRate(c[KPIResolved], c[KPIResolutionKnown]))
	k.AHTSeconds = known(AverageHandleTime(c[KPIHandleSeconds], c[KPIHandleKnown]))
	k.TransferRate = known(TransferRate(c[KPITransferred], c[KPITransfersKnown]))
	return k
}

func known(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

// CustomerCount is what a CRM posted for the period [From, To): its customers at the start
// (CS), at the end (CE) and new during it (CN), for the whole workspace (Dimension empty) or
// one group.
type CustomerCount struct {
	Dimension       Dimension
	Value           string
	From, To        time.Time
	Start, End, New int64
}

// Customers is the customer counts a row's CRR and CCR are computed from: one posted period,
// or consecutive ones combined.
type Customers struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"` // excluded
	Start   int64     `json:"start"`
	End     int64     `json:"end"`
	New     int64     `json:"new"`
	Periods int       `json:"periods"` // how many posted periods were combined
}

// CombineCustomerCounts combines the counts posted for periods lying within [from, to). A
// run of consecutive periods, each starting where the one before ended, counts as one
// period: customers at the start of the first, at the end of the last, and the new ones of
// every period. So twelve posted months make a year, and a month posted alone is that
// month. Where the posted periods leave a gap or overlap, the run spanning the most time is
// taken; between runs of equal span, the one of fewer periods (a quarter posted as such
// rather than its months), then the latest. ok is false when no period lies within.
func CombineCustomerCounts(counts []CustomerCount, from, to time.Time) (c Customers, ok bool) {
	var in []CustomerCount
	for _, cc := range counts {
		if !cc.From.Before(from) && !cc.To.After(to) && cc.From.Before(cc.To) {
			in = append(in, cc)
		}
	}
	slices.SortStableFunc(in, func(a, b CustomerCount) int { return cmp.Or(a.From.Compare(b.From), a.To.Compare(b.To)) })
	// runs[i] is the best run ending with in[i]; a run's predecessor ends where in[i] starts,
	// so it started earlier and comes earlier in the order.
	runs := make([]Customers, len(in))
	var best Customers
	for i, cc := range in {
		r := Customers{From: cc.From, To: cc.To, Start: cc.Start, End: cc.End, New: cc.New, Periods: 1}
		for j := range i {
			p := runs[j]
			if !p.To.Equal(cc.From) {
				continue
			}
			ext := Customers{From: p.From, To: cc.To, Start: p.Start, End: cc.End, New: p.New + cc.New, Periods: p.Periods + 1}
			if betterRun(ext, r) {
				r = ext
			}
		}
		runs[i] = r
		if !ok || betterRun(r, best) {
			best, ok = r, true
		}
	}
	return best, ok
}

// betterRun says whether run a is to be preferred to b: it spans more time, or as much in
// fewer periods, or ends later.
func betterRun(a, b Customers) bool {
	if sa, sb := a.To.Sub(a.From), b.To.Sub(b.From); sa != sb {
		return sa > sb
	}
	if a.Periods != b.Periods {
		return a.Periods < b.Periods
	}
	return a.To.After(b.To)
}

// AddRetention sets the CRR and CCR of a report's rows over [from, to) from the counts
// posted for each row's customers: the workspace's for the total of an unfiltered report,
// a group's for that group's row, and for the total of a report filtered to one group. A row
// narrowed by two dimensions (a group within a filter on another dimension) has none: the
// CRM counts customers per group, not per combination.
func (spec ReportSpec) AddRetention(counts []CustomerCount, from, to time.Time, total *Row, groups []Row) {
	set := func(r *Row, group bool) {
		scope := maps.Clone(spec.Filter)
		if scope == nil {
			scope = map[Dimension]string{}
		}
		if group {
			scope[spec.GroupBy] = r.Group
		}
		if len(scope) > 1 {
			return
		}
		var d Dimension // none: the workspace's
		var v string
		for k, val := range scope { // the one dimension, if any
			d, v = k, val
		}
		var mine []CustomerCount
		for _, cc := range counts {
			if cc.Dimension == d && cc.Value == v {
				mine = append(mine, cc)
			}
		}
		c, ok := CombineCustomerCounts(mine, from, to)
		if !ok {
			return
		}
		r.KPI.Customers = &c
		r.KPI.CRR = known(RetentionRate(c.Start, c.End, c.New))
		r.KPI.CCR = known(ChurnRate(c.Start, c.End))
	}
	set(total, false)
	for i := range groups {
		set(&groups[i], true)
	}
}
