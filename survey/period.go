package survey

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// What of a report's parameters the core reads too: the period and its time zone, as a
// target's and a customer count's are read (ReportLocation, ReportPeriod).

// Bounds of a report's period.
const (
	defaultReportDays = 30
	maxReportDays     = 1096 // three years, a leap day included
)

// reportPeriod reads from and to as the instants [from, to). Dates are days of loc, to
// included; RFC 3339 times are instants, to excluded. Without to the period ends with today;
// without from it is the 30 days up to to.
func reportPeriod(fromParam, toParam string, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	if toParam == "" {
		today := now.In(loc)
		to = time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, loc)
	} else if to, err = reportBound("to", toParam, loc, true); err != nil {
		return from, to, err
	}
	if fromParam == "" {
		from = to.In(loc).AddDate(0, 0, -defaultReportDays)
	} else if from, err = reportBound("from", fromParam, loc, false); err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, httpx.BadField("from", "must be before the end of the period, to")
	}
	if to.After(from.In(loc).AddDate(0, 0, maxReportDays)) {
		return from, to, httpx.BadField("from", fmt.Sprintf("starts a period longer than %d days, the most a report covers", maxReportDays))
	}
	return from, to, nil
}

// reportBound parses one end of a period: a date stands for its midnight in loc, or for the
// next midnight when it is the last day; a time must fall on a quarter-hour, the finest
// rollup bucket.
func reportBound(name, s string, loc *time.Location, lastDay bool) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		y, m, day := d.Date()
		if lastDay {
			day++
		}
		// Where the clocks skip midnight, a day starts when they jump.
		return scoring.DayStart(y, m, day, loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// A + sent unescaped in a query string arrives as a space.
		return t, httpx.BadField(name, "must be a date such as 2026-11-01, or an RFC 3339 time such as 2026-11-01T00:00:00+07:00 (+ sent as %2B)")
	}
	if !t.Equal(t.Truncate(15 * time.Minute)) {
		return t, httpx.BadField(name, "must be on a quarter-hour, such as 09:00, 09:15, 09:30 or 09:45")
	}
	return t, nil
}

// ReportLocation is the time zone tz names, or workspace ws's when tz is empty: the zone a
// report's period, or a target's, is read in. A bad tz is a 400 naming the field tz.
func (s *Service) ReportLocation(ctx context.Context, ws bson.ObjectID, tz string) (*time.Location, error) {
	if tz == "" {
		w, err := s.WorkspaceByID(ctx, ws)
		if err != nil {
			return nil, err
		}
		return w.Location(), nil
	}
	// The workspace's own setting accepts exactly these names.
	if httpx.Validator().Var(tz, "timezone") != nil {
		return nil, httpx.BadField("tz", "must be an IANA time zone such as Asia/Ho_Chi_Minh")
	}
	return time.LoadLocation(tz)
}

// ReportPeriod reads from and to as a report does (reportPeriod), today being the
// service's.
func (s *Service) ReportPeriod(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	return reportPeriod(from, to, loc, s.now())
}
