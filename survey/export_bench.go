package survey

import (
	"context"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"go.mongodb.org/mongo-driver/v2/bson"
)

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
