package survey

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Report intervals of a time series.
const (
	IntervalDay   = "day"
	IntervalWeek  = "week" // ISO weeks, Monday first
	IntervalMonth = "month"
)

// ReportQuery is what a report covers: the instants [From, To), the time zone its days and
// series fall in, its grouping, its dimension filter and its series interval ("": none);
// what its rows are compared with, and whether its groups are ranked.
type ReportQuery struct {
	From, To time.Time
	Location *time.Location
	GroupBy  scoring.Dimension
	Filter   map[scoring.Dimension]string
	Interval string
	Compare  CompareQuery
	Rank     bool
}

// Report is a survey's funnel and scores over a period, in total and per group, with the
// time series when asked for (SCORING.md).
type Report struct {
	SurveyID     bson.ObjectID     `json:"survey_id"`
	Metric       scoring.Metric    `json:"metric"`
	Points       int               `json:"points"`
	From         time.Time         `json:"from"`
	To           time.Time         `json:"to"`
	TimeZone     string            `json:"time_zone"`
	GroupBy      scoring.Dimension `json:"group_by,omitempty"`
	Filter       map[string]string `json:"filter"`
	ExcludeFlags []string          `json:"exclude_flags"`
	Total        scoring.Row       `json:"total"`
	Groups       []scoring.Row     `json:"groups"`
	Interval     string            `json:"interval,omitempty"`
	Series       []ReportPoint     `json:"series,omitempty"`
	// Comparisons and Ranking say how the rows' comparisons and standings were made; absent
	// unless asked for. Series points are not compared.
	Comparisons *ReportComparisons `json:"comparisons,omitempty"`
	Ranking     *ReportRanking     `json:"ranking,omitempty"`
}

// ReportPoint is one interval of a report's time series.
type ReportPoint struct {
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Total  scoring.Row   `json:"total"`
	Groups []scoring.Row `json:"groups"`
}

// Report computes a report of one of the workspace's surveys from its rollups.
func (s *Service) Report(ctx context.Context, ws, id bson.ObjectID, q ReportQuery) (*Report, error) {
	sv, err := s.Survey(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	w, err := s.WorkspaceByID(ctx, ws)
	if err != nil {
		return nil, err
	}
	rd, err := s.rollups.Reader(ctx, ws, sv.ID)
	if err != nil {
		return nil, err
	}
	spec := scoring.ReportSpec{Metric: scoring.Metric(sv.Kind), Points: sv.Points, GroupBy: q.GroupBy,
		Filter: q.Filter, Exclude: w.excluded()}
	rep := &Report{SurveyID: sv.ID, Metric: spec.Metric, Points: sv.Points, From: q.From.UTC(), To: q.To.UTC(),
		TimeZone: q.Location.String(), GroupBy: q.GroupBy, Filter: map[string]string{},
		ExcludeFlags: spec.Exclude.Names(), Interval: q.Interval}
	for d, v := range q.Filter {
		rep.Filter[string(d)] = v
	}
	cmp := newComparer(q)

	slices := []struct{ from, to time.Time }{{q.From, q.To}}
	if q.Interval != "" {
		for a := q.From; a.Before(q.To); {
			b := nextBoundary(a, q.Location, q.Interval)
			if b.After(q.To) {
				b = q.To
			}
			slices = append(slices, struct{ from, to time.Time }{a, b})
			a = b
		}
	}
	// The compared periods' documents are read in the same load as the report's own, each
	// once however many periods need it.
	compared := len(slices)
	for _, p := range cmp.periods {
		slices = append(slices, struct{ from, to time.Time }{p.from, p.to})
	}
	covers := make([][]scoring.Piece, len(slices))
	for i, sl := range slices {
		if covers[i], err = rd.Cover(sl.from, sl.to); err != nil {
			return nil, fmt.Errorf("survey: report %s: %w", sv.ID.Hex(), err)
		}
	}
	// The references and customer counts are read while the rollups are: each is a few reads
	// the store answers side by side.
	var (
		wg                sync.WaitGroup
		customers         []scoring.CustomerCount
		refErr, countsErr error
	)
	wg.Go(func() { refErr = s.readReferences(ctx, cmp, ws, sv, q) })
	wg.Go(func() { customers, countsErr = s.customerCounts.ReportCounts(ctx, ws, customerCountDims(q)) })
	loadErr := rd.Load(ctx, covers)
	wg.Wait()
	// A reference the request names wrongly is the request's fault, whatever else failed.
	for _, err := range []error{refErr, countsErr, loadErr} {
		if err != nil {
			return nil, err
		}
	}
	var cells scoring.Bucket // the whole period's
	for i, sl := range slices {
		sum := rd.Cells(covers[i])
		total, groups := spec.Summarize(sum)
		if i >= compared {
			cmp.periods[i-compared].summarize(total, groups)
			continue
		}
		if groups == nil {
			groups = []scoring.Row{}
		}
		spec.AddRetention(customers, sl.from, sl.to, &total, groups)
		if i == 0 {
			rep.Total, rep.Groups, cells = total, groups, sum
			continue
		}
		rep.Series = append(rep.Series, ReportPoint{From: sl.from.UTC(), To: sl.to.UTC(), Total: total, Groups: groups})
	}
	if q.Compare.Any() || q.Rank {
		all, others := spec.Others(cells)
		if q.Compare.Any() {
			cmp.apply(rep, spec, others)
		}
		if q.Rank {
			rank(rep, all)
		}
	}
	return rep, nil
}

// nextBoundary is the start of the interval after the one holding t, in loc.
func nextBoundary(t time.Time, loc *time.Location, interval string) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	switch interval {
	case IntervalWeek:
		days := (8 - int(l.Weekday())) % 7
		if days == 0 {
			days = 7
		}
		return scoring.DayStart(y, m, d+days, loc)
	case IntervalMonth:
		return scoring.DayStart(y, m+1, 1, loc)
	default:
		return scoring.DayStart(y, m, d+1, loc)
	}
}
