package survey

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// The demo's service KPIs: first-contact resolution between 70% and 80% depending on team
// and channel, handle times by channel (a call takes longer than a chat, a chat longer than
// an email's handling), about one interaction in ten transferred, and what the CRM did not
// record left unknown now and then.
var (
	demoResolvedByTeam = map[string]float64{"Billing": 0.80, "Technical": 0.72, "Onboarding": 0.78}
	demoResolvedAdjust = map[string]float64{"email": -0.04, "chat": 0.02, "phone": 0}
	// Median handle seconds by channel; Technical's interactions take longer.
	demoHandleSeconds   = map[string]float64{"phone": 450, "chat": 330, "email": 240}
	demoTransferredTeam = map[string]float64{"Billing": 0.08, "Technical": 0.15, "Onboarding": 0.06}
)

// demoServiceFacts fills in what the demo CRM says of how an interaction went. It draws from
// the interaction's id rather than the seeding's generator, so the demo's answers are what
// they were before interactions carried KPIs.
func demoServiceFacts(in *Interaction) {
	h := fnv.New64a()
	h.Write([]byte(in.ID))
	rng := rand.New(rand.NewPCG(h.Sum64(), 20261124))
	if rng.Float64() < 0.92 {
		resolved := rng.Float64() < demoResolvedByTeam[in.Team]+demoResolvedAdjust[in.Channel]
		in.FirstContactResolved = &resolved
	}
	if in.Channel != "email" || rng.Float64() < 0.85 {
		median := demoHandleSeconds[in.Channel]
		if in.Team == "Technical" {
			median *= 1.3
		}
		seconds := int(math.Round(median * math.Exp(0.45*rng.NormFloat64())))
		in.HandleSeconds = &seconds
	}
	transfers := 0
	if rng.Float64() < demoTransferredTeam[in.Team] {
		transfers = 1 + rng.IntN(2)
	}
	in.Transfers = &transfers
}

// demoTeamCustomers are the customers each team looks after when the demo's history begins.
var demoTeamCustomers = map[string]int64{"Billing": 5200, "Technical": 4100, "Onboarding": 2700}

// seedDemoCustomerCounts posts the demo CRM's customer counts for every month of the demo's
// history that has ended, per team and for the whole workspace, so reports show retention and
// churn (CRR, CCR) beside the scores: Technical, the weakest team, loses the most customers.
func (s *Service) seedDemoCustomerCounts(ctx context.Context, ws *Workspace, days int) error {
	rng := rand.New(rand.NewPCG(20261124, uint64(days)))
	loc := ws.Location()
	now := s.now()
	local := now.AddDate(0, 0, -days).In(loc)
	current := now.In(loc)
	customers := map[string]int64{}
	for team, n := range demoTeamCustomers {
		customers[team] = n
	}
	for m := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(time.Date(current.Year(), current.Month(), 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		var total CustomerCount
		for _, t := range demoTeams {
			start := customers[t.name]
			lost := int64(math.Round(float64(start) * (0.012 - t.effect/40 + rng.Float64()*0.006)))
			gained := int64(math.Round(float64(start) * (0.016 + rng.Float64()*0.008)))
			c := CustomerCount{Dimension: "team", Value: t.name, Start: start, End: start - lost + gained, New: gained}
			if err := s.putDemoCustomerCount(ctx, ws, m, &c); err != nil {
				return err
			}
			customers[t.name] = c.End
			total.Start, total.End, total.New = total.Start+c.Start, total.End+c.End, total.New+c.New
		}
		if err := s.putDemoCustomerCount(ctx, ws, m, &total); err != nil {
			return err
		}
	}
	return nil
}

// putDemoCustomerCount stores c for the month starting at month, as the API would.
func (s *Service) putDemoCustomerCount(ctx context.Context, ws *Workspace, month time.Time, c *CustomerCount) error {
	c.WorkspaceID, c.TimeZone = ws.ID, ws.Location().String()
	c.From, c.To = month.Format(time.DateOnly), month.AddDate(0, 1, -1).Format(time.DateOnly)
	var err error
	if c.StartsAt, c.EndsAt, err = reportPeriod(c.From, c.To, ws.Location(), s.now()); err != nil {
		return err
	}
	_, err = s.PutCustomerCount(ctx, c)
	return err
}
