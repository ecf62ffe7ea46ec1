package target

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// demoTargets are the demo's goals, set for the current quarter and the one before it, so a
// report of the last 30 days always overlaps some.
var demoTargets = []struct {
	metric    scoring.Metric
	points    int
	dimension string
	group     string
	value     float64
}{
	{scoring.MetricCSAT, 5, Workspace, "", 85},
	{scoring.MetricCSAT, 5, string(scoring.DimTeam), "Billing", 80},
	{scoring.MetricNPS, 11, Workspace, "", 30},
	{scoring.MetricCES, 7, Workspace, "", 5.5},
}

// SeedDemo gives the demo workspace ws, whose time zone is loc, its targets, replacing any
// an interrupted seed left (survey/demo seeds through it).
func (s *Service) SeedDemo(ctx context.Context, ws bson.ObjectID, loc *time.Location) error {
	if err := store.DeleteMany(ctx, s.targets, bson.D{{Key: "workspace_id", Value: ws}}); err != nil {
		return fmt.Errorf("target: clear demo %s: %w", collection, err)
	}
	today := s.now().In(loc)
	for _, first := range []time.Month{(today.Month()-1)/3*3 - 2, (today.Month()-1)/3*3 + 1} {
		from, to := scoring.DayStart(today.Year(), first, 1, loc), scoring.DayStart(today.Year(), first+3, 1, loc)
		for _, d := range demoTargets {
			t := &Target{WorkspaceID: ws, Metric: d.metric, Points: d.points, Dimension: d.dimension, Group: d.group,
				Value: d.value, From: from.UTC(), To: to.UTC(), Note: "Quarterly goal"}
			if err := s.Create(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}
