package benchmark

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// demoCSV is the demo company's own benchmark set, imported as a manager would
// import one. Like the starter set, it holds only published figures with their sources: the
// demo company is a telecom, and its CSAT surveys need a percent of satisfied answers, which
// the starter set lacks (the ACSI is an index). Zendesk's figure is the share of "good" in a
// good/bad rating, not of 4–5 stars: the nearest published unit, and said so in the source.
const demoCSV = `metric,scale,statistic,value,industry,region,year,source
nps,nps,mean,9,TV/internet service providers,US,2024,"Qualtrics XM Institute, Economics of Net Promoter Score, 2024 (data snapshot, June 2024): average NPS of the industry's companies, among the lowest of 22 U.S. industries"
csat,percent,,86,,,2012,"Zendesk, Customer Satisfaction by the Numbers: Zendesk Customer Satisfaction Index, March 2012: global share of good ratings of 'How would you rate the service you received?' (good/bad), over 15,000 companies' support interactions"
`

// SeedDemo gives the demo workspace ws its benchmark set, replacing any an interrupted seed
// left (survey/demo seeds through it; the set has no dates, so loc is not needed).
func (s *Service) SeedDemo(ctx context.Context, ws bson.ObjectID, _ *time.Location) error {
	if err := store.DeleteMany(ctx, s.sets, bson.D{{Key: "workspace_id", Value: ws}}); err != nil {
		return fmt.Errorf("benchmark: clear demo %s: %w", collection, err)
	}
	values, err := parseBenchmarkCSV([]byte(demoCSV), s.now())
	if err != nil {
		return fmt.Errorf("benchmark: demo benchmarks: %w", err)
	}
	set := &Set{WorkspaceID: ws, Name: "Telecom peers",
		Description: "Published NPS of U.S. TV and internet providers, the demo company's industry, and a global CSAT of support interactions.", Values: values}
	return s.Create(ctx, set)
}
