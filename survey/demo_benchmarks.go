package survey

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// demoBenchmarkCSV is the demo company's own benchmark set, imported as a manager would
// import one. Like the starter set, it holds only published figures with their sources: the
// demo company is a telecom, and its CSAT surveys need a percent of satisfied answers, which
// the starter set lacks (the ACSI is an index). Zendesk's figure is the share of "good" in a
// good/bad rating, not of 4–5 stars: the nearest published unit, and said so in the source.
const demoBenchmarkCSV = `metric,scale,statistic,value,industry,region,year,source
nps,nps,mean,9,TV/internet service providers,US,2024,"Qualtrics XM Institute, Economics of Net Promoter Score, 2024 (data snapshot, June 2024): average NPS of the industry's companies, among the lowest of 22 U.S. industries"
csat,percent,,86,,,2012,"Zendesk, Customer Satisfaction by the Numbers: Zendesk Customer Satisfaction Index, March 2012: global share of good ratings of 'How would you rate the service you received?' (good/bad), over 15,000 companies' support interactions"
`

// demoTargets are the demo's goals, set for the current quarter and the one before it, so a
// report of the last 30 days always overlaps some.
var demoTargets = []struct {
	metric    scoring.Metric
	points    int
	dimension string
	group     string
	value     float64
}{
	{scoring.MetricCSAT, 5, TargetWorkspace, "", 85},
	{scoring.MetricCSAT, 5, string(scoring.DimTeam), "Billing", 80},
	{scoring.MetricNPS, 11, TargetWorkspace, "", 30},
	{scoring.MetricCES, 7, TargetWorkspace, "", 5.5},
}

// seedDemoBenchmarks gives the demo workspace a benchmark set and targets, replacing any an
// interrupted seed left.
func (s *Service) seedDemoBenchmarks(ctx context.Context, ws *Workspace) error {
	mine := bson.D{{Key: "workspace_id", Value: ws.ID}}
	for _, coll := range []string{"benchmark_sets", "targets"} {
		if err := store.DeleteMany(ctx, s.db.Collection(coll), mine); err != nil {
			return fmt.Errorf("survey: clear demo %s: %w", coll, err)
		}
	}
	values, err := parseBenchmarkCSV([]byte(demoBenchmarkCSV), s.now())
	if err != nil {
		return fmt.Errorf("survey: demo benchmarks: %w", err)
	}
	set := &BenchmarkSet{WorkspaceID: ws.ID, Name: "Telecom peers",
		Description: "Published NPS of U.S. TV and internet providers, the demo company's industry, and a global CSAT of support interactions.", Values: values}
	if err := s.CreateBenchmarkSet(ctx, set); err != nil {
		return err
	}

	loc := ws.Location()
	today := s.now().In(loc)
	for _, first := range []time.Month{(today.Month()-1)/3*3 - 2, (today.Month()-1)/3*3 + 1} {
		from, to := scoring.DayStart(today.Year(), first, 1, loc), scoring.DayStart(today.Year(), first+3, 1, loc)
		for _, d := range demoTargets {
			t := &Target{WorkspaceID: ws.ID, Metric: d.metric, Points: d.points, Dimension: d.dimension, Group: d.group,
				Value: d.value, From: from.UTC(), To: to.UTC(), Note: "Quarterly goal"}
			if err := s.CreateTarget(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}
