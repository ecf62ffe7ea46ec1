package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/surveyd/surveyd/survey"
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

// serviceFacts fills in what the demo CRM says of how an interaction went. It draws from
// the interaction's id rather than the seeding's generator, so the demo's answers are what
// they were before interactions carried KPIs.
func serviceFacts(in *survey.Interaction) {
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
