package customercount

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// demoTeams are the demo's teams with the customers each looks after when its history
// begins.
var demoTeams = []struct {
	name      string
	customers int64
}{
	{"Billing", 5200},
	{"Technical", 4100},
	{"Onboarding", 2700},
}

// SeedDemo posts the demo CRM's customer counts for every month of the demo's history of
// days that has ended in ws's time zone loc, per team and for the whole workspace, so reports
// show retention and churn (CRR, CCR) beside the scores. effects are the quality effects
// survey/demo gives the teams' answers: the weaker a team, the more customers it loses, so
// Technical loses the most. Posting a month again replaces it, so an interrupted seed is redone.
func (s *Service) SeedDemo(ctx context.Context, ws bson.ObjectID, loc *time.Location, days int, effects map[string]float64) error {
	rng := rand.New(rand.NewPCG(20261124, uint64(days)))
	now := s.now()
	local := now.AddDate(0, 0, -days).In(loc)
	current := now.In(loc)
	customers := map[string]int64{}
	for _, t := range demoTeams {
		customers[t.name] = t.customers
	}
	for m := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(time.Date(current.Year(), current.Month(), 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		var total CustomerCount
		for _, t := range demoTeams {
			start := customers[t.name]
			lost := int64(math.Round(float64(start) * (0.012 - effects[t.name]/40 + rng.Float64()*0.006)))
			gained := int64(math.Round(float64(start) * (0.016 + rng.Float64()*0.008)))
			c := CustomerCount{Dimension: "team", Value: t.name, Start: start, End: start - lost + gained, New: gained}
			if err := s.putDemoCustomerCount(ctx, ws, loc, m, &c); err != nil {
				return err
			}
			customers[t.name] = c.End
			total.Start, total.End, total.New = total.Start+c.Start, total.End+c.End, total.New+c.New
		}
		if err := s.putDemoCustomerCount(ctx, ws, loc, m, &total); err != nil {
			return err
		}
	}
	return nil
}

// putDemoCustomerCount stores c for the month starting at month, as the API would: its days
// in loc, from the first's midnight to the next month's.
func (s *Service) putDemoCustomerCount(ctx context.Context, ws bson.ObjectID, loc *time.Location, month time.Time, c *CustomerCount) error {
	c.WorkspaceID, c.TimeZone = ws, loc.String()
	c.From, c.To = month.Format(time.DateOnly), month.AddDate(0, 1, -1).Format(time.DateOnly)
	c.StartsAt, c.EndsAt = scoring.DayStart(month.Year(), month.Month(), 1, loc), scoring.DayStart(month.Year(), month.Month()+1, 1, loc)
	_, err := s.PutCustomerCount(ctx, c)
	return err
}
