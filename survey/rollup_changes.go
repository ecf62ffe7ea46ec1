package survey

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// What the survey domain hands the rollup engine (package rollup): the changes its events and
// answers make to a survey's rollups, and its workspaces' time zones.

// newRollupEngine makes s's rollup engine; soleWriter is Options.SoleRollupWriter.
func newRollupEngine(s *Service, soleWriter bool) *rollup.Engine {
	return rollup.New(s.db, rollup.Options{Zones: workspaceZones{s}, SoleWriter: soleWriter, Now: s.now,
		CacheReads: func(hit bool) { s.metrics.cacheRead(hit) }})
}

// workspaceZones gives new rollups their workspace's time zone.
type workspaceZones struct{ s *Service }

var _ rollup.Zones = workspaceZones{}

func (z workspaceZones) Zone(ctx context.Context, ws bson.ObjectID) (*time.Location, error) {
	w, err := z.s.cachedWorkspace(ctx, ws)
	if err != nil {
		return nil, err
	}
	return w.Location(), nil
}

// customerHash identifies a customer in rollups without their address.
func customerHash(c Customer) uint64 { return rollup.CustomerHash(CustomerKey(c)) }

func (in Interaction) tuple() scoring.Tuple {
	return scoring.Tuple{Agent: in.Agent, Team: in.Team, Channel: in.Channel, Country: in.Country}
}

// stageChange counts one funnel event of an invitation.
func stageChange(inv *Invitation, stage scoring.Stage, at time.Time) rollup.Change {
	b := scoring.Bucket{}
	b.AddStage(inv.Interaction.tuple(), stage, 1)
	return rollup.Change{Workspace: inv.WorkspaceID, Survey: inv.SurveyID, At: at, Delta: b}
}

// invitationChanges count new invitations and the decision taken on each.
func invitationChanges(invs []*Invitation) []rollup.Change {
	out := make([]rollup.Change, 0, len(invs))
	for _, inv := range invs {
		out = append(out, rollup.Change{Workspace: inv.WorkspaceID, Survey: inv.SurveyID, At: inv.CreatedAt,
			Delta: createdDelta(inv, inv.Status)})
	}
	return out
}

// createdDelta is what an invitation's creation counts: the interaction invited, the
// decision taken on it, and what the CRM said of how the interaction went (the service
// KPIs). The write path and the rebuild both count through it.
func createdDelta(inv *Invitation, decision string) scoring.Bucket {
	in := &inv.Interaction
	t := in.tuple()
	b := scoring.Bucket{}
	b.AddStage(t, scoring.StageInvited, 1)
	if st, ok := scoring.DecisionStage(decision); ok {
		b.AddStage(t, st, 1)
	}
	b.AddService(t, scoring.ServiceFacts{FirstContactResolved: in.FirstContactResolved, HandleSeconds: in.HandleSeconds, Transfers: in.Transfers})
	return b
}

// answerChange records a response as it now is; what it replaces is in its month's answers
// (rollup's answerMonth).
func answerChange(r *Response) (rollup.Change, error) {
	if r.Score < 0 || r.Score > scoring.MaxScore {
		return rollup.Change{}, fmt.Errorf("%w: %d", scoring.ErrScore, r.Score)
	}
	ans := answerOf(r)
	return rollup.Change{Workspace: r.WorkspaceID, Survey: r.SurveyID, At: r.CreatedAt, Answer: &ans}, nil
}

func answerOf(r *Response) scoring.Answer {
	return scoring.Answer{ID: r.ID, Customer: customerHash(r.Customer), At: r.CreatedAt.UnixMilli(),
		Tuple: r.Interaction.tuple(), Mask: scoring.MaskOfFlags(r.Flags), Score: r.Score, Commented: r.Comment != ""}
}
