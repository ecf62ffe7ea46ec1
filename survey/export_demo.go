package survey

import (
	"context"

	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// CustomerCounts reads the customer counts a report's retention and churn come from;
// survey/customercount keeps them (customercount.Service), and cmd/surveyd passes it to
// CountCustomersWith.
type CustomerCounts interface {
	// ReportCounts returns ws's counts for the dimensions dims, "" being the workspace's own.
	ReportCounts(ctx context.Context, ws bson.ObjectID, dims []scoring.Dimension) ([]scoring.CustomerCount, error)
}

// CountCustomersWith gives reports the customer counts they read.
func (s *Service) CountCustomersWith(c CustomerCounts) { s.customerCounts = c }

// customerCountDims are the dimensions of the customer counts a report's rows can use: the
// workspace's own, and those it groups or filters by.
func customerCountDims(q ReportQuery) []scoring.Dimension {
	dims := []scoring.Dimension{""}
	for _, d := range scoring.Dimensions() {
		if _, ok := q.Filter[d]; ok || d == q.GroupBy {
			dims = append(dims, d)
		}
	}
	return dims
}

// Rollups is the service's rollup engine, for what is read, changed and written whole the way
// rollups are (customercount.Engine).
func (s *Service) Rollups() *rollup.Engine { return s.rollups }
