package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrUnknownBenchmarkSet is a report comparison with a benchmark set the workspace cannot see.
var ErrUnknownBenchmarkSet = errors.New("no such benchmark set in this workspace")

// CompareQuery is what a report compares its rows with (SCORING.md, "Benchmarks and
// targets"): the previous period of equal length, the same dates a year earlier, for groups
// the rest of the company, benchmark sets, and the workspace's targets.
type CompareQuery struct {
	Previous, LastYear, Company, Targets bool
	Benchmarks                           []bson.ObjectID
}

// Any says whether a comparison is asked for.
func (c CompareQuery) Any() bool {
	return c.Previous || c.LastYear || c.Company || c.Targets || len(c.Benchmarks) > 0
}

// CompareEstimate is the score every comparison and leaderboard uses: the filtered one,
// which leaves out what the workspace's exclude flags say does not measure the service, and
// which SCORING.md tells managers to trust.
const CompareEstimate = "filtered"

// ReportComparisons says how a report's comparisons were judged. A comparison of the total
// is judged alone at Alpha; the groups' comparisons with one reference form a family judged
// together by Benjamini–Hochberg at false discovery rate Q, so that comparing fifty agents
// does not flag two or three of them by chance.
type ReportComparisons struct {
	Estimate string             `json:"estimate"`
	Alpha    float64            `json:"alpha"`
	Method   string             `json:"method"`
	Q        float64            `json:"q"`
	Families []ComparisonFamily `json:"families"`
	// BenchmarkSets are the sets asked for, with how many of their values are in this
	// survey's unit and so compared.
	BenchmarkSets []ComparedSet `json:"benchmark_sets,omitempty"`
}

// ComparisonFamily is one family of the groups' comparisons: Size of them were valid tests
// and judged together.
type ComparisonFamily struct {
	Family string                `json:"family"`
	Kind   scoring.ReferenceKind `json:"kind"`
	Label  string                `json:"label"`
	Size   int                   `json:"size"`
}

// ComparedSet is a benchmark set a report compared with.
type ComparedSet struct {
	ID         bson.ObjectID `json:"id"`
	Name       string        `json:"name"`
	Values     int           `json:"values"`
	Comparable int           `json:"comparable"`
}

// ReportRanking says how a leaderboard (rank=true) shrank its groups' scores.
type ReportRanking struct {
	Estimate string `json:"estimate"`
	scoring.Shrinkage
}

// comparer makes a report's comparisons: it holds the references found before the rollups
// are read and the other periods' rows once summarized.
type comparer struct {
	q       CompareQuery
	loc     *time.Location
	filter  map[scoring.Dimension]string
	periods []*comparedPeriod
	sets    []comparedBenchmarks
	targets map[string]map[string][]scoring.Reference // those in the survey's unit, by dimension and group (Targets)
}

// comparedBenchmarks is a benchmark set a report compares with: a reference per value, nil
// for a value in another unit (Benchmarks).
type comparedBenchmarks struct {
	id   bson.ObjectID
	name string
	refs []*scoring.Reference
}

// comparedPeriod is another period a report compares with, and its rows' filtered scores.
type comparedPeriod struct {
	kind     scoring.ReferenceKind
	from, to time.Time
	total    scoring.Estimate
	groups   map[string]scoring.Estimate
}

// newComparer starts what q compares a report with: the other periods, whose rollups the
// report reads with its own; readReferences adds the rest.
func newComparer(q ReportQuery) *comparer {
	c := &comparer{q: q.Compare, loc: q.Location, filter: q.Filter}
	if q.Compare.Previous {
		from, to := previousPeriod(q.From, q.To, q.Location)
		c.periods = append(c.periods, &comparedPeriod{kind: scoring.RefPrevious, from: from, to: to})
	}
	if q.Compare.LastYear {
		from, to := lastYearPeriod(q.From, q.To, q.Location)
		c.periods = append(c.periods, &comparedPeriod{kind: scoring.RefLastYear, from: from, to: to})
	}
	return c
}

// readReferences reads the benchmark sets q names, which must be the workspace's or starter
// sets, and the targets for sv's metric and scale whose periods overlap the report's.
func (s *Service) readReferences(ctx context.Context, c *comparer, ws bson.ObjectID, sv *survey.Survey, q ReportQuery) error {
	for _, id := range q.Compare.Benchmarks {
		name, refs, found, err := s.benchmarks.BenchmarkReferences(ctx, ws, id, scoring.Metric(sv.Kind), sv.Points)
		if err != nil {
			return err
		}
		if !found {
			// Said as the request said it, for the handler to show.
			return fmt.Errorf("benchmark:%s: %w", id.Hex(), ErrUnknownBenchmarkSet)
		}
		c.sets = append(c.sets, comparedBenchmarks{id: id, name: name, refs: refs})
	}
	if q.Compare.Targets {
		targets, err := s.targets.TargetReferences(ctx, ws, scoring.Metric(sv.Kind), sv.Points, q.From, q.To)
		if err != nil {
			return err
		}
		c.targets = targets
	}
	return nil
}

// targetsFor are the targets for a report row, with the dimension and group they are for: a
// group's own, or the total's when the report covers what they are for — the workspace
// unfiltered, or the one group it is filtered to.
func (c *comparer) targetsFor(row *scoring.Row, group bool, by scoring.Dimension) (dimension, value string, refs []scoring.Reference) {
	switch {
	case group:
		dimension, value = string(by), row.Group
	case len(c.filter) == 0:
		dimension = targetWorkspace
	case len(c.filter) == 1:
		for d, v := range c.filter {
			dimension, value = string(d), v
		}
		if value == "" {
			return dimension, value, nil
		}
	default:
		return "", "", nil
	}
	return dimension, value, c.targets[dimension][value]
}

// targetLabel names a target for a reader: whom it is for, its period and its note (the
// reference's Label, as Targets gives it).
func (c *comparer) targetLabel(dimension, group string, t scoring.Reference) string {
	label := "target for the workspace"
	if dimension != targetWorkspace {
		label = "target for " + dimension + " " + group
	}
	label += ", " + periodLabel(*t.From, *t.To, c.loc)
	if t.Label != "" {
		label += ": " + t.Label
	}
	return label
}

// summarize keeps a compared period's filtered scores.
func (p *comparedPeriod) summarize(total scoring.Row, groups []scoring.Row) {
	p.total = total.Filtered
	p.groups = make(map[string]scoring.Estimate, len(groups))
	for _, g := range groups {
		p.groups[g.Group] = g.Filtered
	}
}

// family collects the groups' comparisons with one reference.
type family struct {
	info    ComparisonFamily
	members []*scoring.RowComparison
}

// apply adds the comparisons to the report's rows and says how they were judged. others are
// the groups' complements (scoring.ReportSpec.Others).
func (c *comparer) apply(rep *Report, spec scoring.ReportSpec, others map[string]scoring.Estimate) {
	var families []*family
	byKey := map[string]*family{}
	add := func(row *scoring.Row, group bool, key string, ref scoring.Reference, result scoring.Comparison) {
		rc := scoring.RowComparison{Reference: ref, Comparison: result}
		if !group {
			row.Comparisons = append(row.Comparisons, rc)
			return
		}
		f := byKey[key]
		if f == nil {
			label := ref.Label
			if ref.Kind == scoring.RefTarget {
				label = "each group's own targets"
			}
			f = &family{info: ComparisonFamily{Family: key, Kind: ref.Kind, Label: label}}
			byKey[key] = f
			families = append(families, f)
		}
		rc.Family = key
		row.Comparisons = append(row.Comparisons, rc)
	}
	rows := append([]*scoring.Row{&rep.Total}, pointers(rep.Groups)...)
	for i, row := range rows {
		group := i > 0
		for _, p := range c.periods {
			ref := p.reference(row.Group, group, c.loc)
			add(row, group, string(p.kind), ref, scoring.Compare(row.Filtered, *ref.Estimate))
		}
		if c.q.Company && group {
			rest := others[row.Group]
			ref := scoring.Reference{Kind: scoring.RefCompany, Label: "the rest of the company: every other " + string(spec.GroupBy) + " together",
				Value: rest.Value, Estimate: &rest}
			add(row, group, string(scoring.RefCompany), ref, scoring.Compare(row.Filtered, rest))
		}
		for _, set := range c.sets {
			for j, ref := range set.refs {
				if ref == nil {
					continue
				}
				add(row, group, fmt.Sprintf("benchmark:%s:%d", set.id.Hex(), j), *ref, scoring.CompareToValue(row.Filtered, ref.Value))
			}
		}
		dimension, value, targets := c.targetsFor(row, group, spec.GroupBy)
		for _, ref := range targets {
			ref.Label = c.targetLabel(dimension, value, ref)
			add(row, group, "targets", ref, scoring.CompareToValue(row.Filtered, ref.Value))
		}
	}
	// Each family's members, in row order, now that the rows' slices no longer grow.
	for _, row := range rows[1:] {
		for k := range row.Comparisons {
			f := byKey[row.Comparisons[k].Family]
			f.members = append(f.members, &row.Comparisons[k])
		}
	}
	rep.Comparisons = &ReportComparisons{Estimate: CompareEstimate, Alpha: scoring.Alpha, Method: "benjamini_hochberg", Q: scoring.FDR,
		Families: []ComparisonFamily{}}
	for _, f := range families {
		cs := make([]scoring.Comparison, len(f.members))
		for i, m := range f.members {
			cs[i] = m.Comparison
		}
		for i, adjusted := range scoring.AdjustFamily(cs) {
			f.members[i].Comparison = adjusted
			if adjusted.Valid {
				f.info.Size = adjusted.FamilySize
			}
		}
		rep.Comparisons.Families = append(rep.Comparisons.Families, f.info)
	}
	for _, set := range c.sets {
		cs := ComparedSet{ID: set.id, Name: set.name, Values: len(set.refs)}
		for _, ref := range set.refs {
			if ref != nil {
				cs.Comparable++
			}
		}
		rep.Comparisons.BenchmarkSets = append(rep.Comparisons.BenchmarkSets, cs)
	}
}

func pointers(rows []scoring.Row) []*scoring.Row {
	out := make([]*scoring.Row, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

// reference is the period's row for a report row: the same group, or the total.
func (p *comparedPeriod) reference(group string, isGroup bool, loc *time.Location) scoring.Reference {
	e := p.total
	if isGroup {
		var ok bool
		if e, ok = p.groups[group]; !ok {
			// The group had nothing in that period: an estimate of no answers.
			e = scoring.Estimate{Metric: p.total.Metric, Points: p.total.Points, Distribution: []float64{}}
		}
	}
	from, to := p.from.UTC(), p.to.UTC()
	name := "previous period"
	if p.kind == scoring.RefLastYear {
		name = "same dates last year"
	}
	return scoring.Reference{Kind: p.kind, Label: name + ", " + periodLabel(p.from, p.to, loc),
		Value: e.Value, Estimate: &e, From: &from, To: &to}
}

// rank orders a report's groups by their shrunken filtered scores: ranked groups first,
// then those of too few answers to rank, then those without answers.
func rank(rep *Report, all scoring.Estimate) {
	estimates := make([]scoring.Estimate, len(rep.Groups))
	for i, g := range rep.Groups {
		estimates[i] = g.Filtered
	}
	sh, standings := scoring.Rank(estimates, all)
	rep.Ranking = &ReportRanking{Estimate: CompareEstimate, Shrinkage: sh}
	for i := range rep.Groups {
		rep.Groups[i].Standing = standings[i]
	}
	place := func(r scoring.Row) int {
		switch {
		case r.Standing == nil:
			return math.MaxInt
		case r.Standing.Rank == 0:
			return math.MaxInt - 1
		}
		return r.Standing.Rank
	}
	slices.SortStableFunc(rep.Groups, func(a, b scoring.Row) int { return cmp.Compare(place(a), place(b)) })
}

// previousPeriod is the period of equal length just before [from, to): as many days of loc
// when both ends are midnights of loc, so a week that crosses a change of the clocks is
// compared with the seven days before it, else the same duration.
func previousPeriod(from, to time.Time, loc *time.Location) (time.Time, time.Time) {
	if !isDayStart(from, loc) || !isDayStart(to, loc) {
		return from.Add(-to.Sub(from)), from
	}
	f, t := from.In(loc), to.In(loc)
	days := daysBetween(f, t)
	return scoring.DayStart(f.Year(), f.Month(), f.Day()-days, loc), from
}

// lastYearPeriod is [from, to) a year earlier, date for date in loc: a period of days covers
// the same dates, and 29 February reads as the 28th. A boundary that is not a midnight keeps
// its time of day.
func lastYearPeriod(from, to time.Time, loc *time.Location) (time.Time, time.Time) {
	earlier := func(t time.Time, end bool) time.Time {
		l := t.In(loc)
		if !isDayStart(t, loc) {
			y, m, d := yearEarlier(l.Date())
			return time.Date(y, m, d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc)
		}
		if !end {
			y, m, d := yearEarlier(l.Date())
			return scoring.DayStart(y, m, d, loc)
		}
		// The end is the midnight after the last day: the last day moves, then one is added.
		last := scoring.DayStart(l.Year(), l.Month(), l.Day()-1, loc).In(loc)
		y, m, d := yearEarlier(last.Date())
		return scoring.DayStart(y, m, d+1, loc)
	}
	return earlier(from, false), earlier(to, true)
}

func yearEarlier(y int, m time.Month, d int) (int, time.Month, int) {
	if m == time.February && d == 29 {
		d = 28
	}
	return y - 1, m, d
}

// isDayStart says whether t is the first instant of its day in loc.
func isDayStart(t time.Time, loc *time.Location) bool {
	l := t.In(loc)
	return t.Equal(scoring.DayStart(l.Year(), l.Month(), l.Day(), loc))
}

// daysBetween counts the calendar days from a's date to b's.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// periodLabel shows [from, to) as a reader would: its first and last days when it is made
// of whole days of loc, else its two instants in loc.
func periodLabel(from, to time.Time, loc *time.Location) string {
	if isDayStart(from, loc) && isDayStart(to, loc) {
		return from.In(loc).Format(time.DateOnly) + " to " + to.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return from.In(loc).Format(time.RFC3339) + " to " + to.In(loc).Format(time.RFC3339) + " (end excluded)"
}
