package survey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RebuildRollups recomputes surveys' rollups from their invitations and responses
// (rollup.Engine.Rebuild says how): it reads the surveys' workspaces' time zones, then feeds
// the engine's builds in one pass over the invitations and one over the responses.
func (s *Service) RebuildRollups(ctx context.Context, surveys []RollupSurvey, opts rollup.RebuildOptions) error {
	if len(surveys) == 0 {
		return nil
	}
	progress, ended := s.metrics.rebuildStarted(opts.Progress)
	defer ended()
	targets := make([]rollup.Target, len(surveys))
	for i, sv := range surveys {
		w, err := s.WorkspaceByID(ctx, sv.WorkspaceID)
		if err != nil {
			return err
		}
		targets[i] = rollup.Target{Workspace: sv.WorkspaceID, Survey: sv.ID, Zone: w.Location()}
	}
	opts.Progress = progress
	return s.rollups.Rebuild(ctx, targets, opts, func(ctx context.Context, builds map[bson.ObjectID]*rollup.Build) error {
		if err := s.rebuildFunnel(ctx, builds, progress); err != nil {
			return err
		}
		return s.rebuildAnswers(ctx, builds, progress)
	})
}

// rebuildScan reads the documents of the rebuilt surveys from coll, one at a time. On
// MongoDB the query uses the survey index and its count is exact; the embedded store reads
// every document whatever the filter, so there the count is the collection's (about: see
// store.EmbeddedCount), which is what the scan takes time over, and progress ends at the
// number actually matched.
func (s *Service) rebuildScan(ctx context.Context, coll *mongo.Collection, builds map[bson.ObjectID]*rollup.Build,
	stage string, progress func(string, int, int), projection bson.D, each func(*mongo.Cursor, *rollup.Build) error) error {
	ids := make([]bson.ObjectID, 0, len(builds))
	for id := range builds {
		ids = append(ids, id)
	}
	filter := bson.D{{Key: "survey_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	ferret, err := s.rollups.OnFerretDB(ctx)
	if err != nil {
		return err
	}
	var total int64
	if ferret {
		total, err = store.EmbeddedCount(ctx, coll)
	} else {
		total, err = coll.CountDocuments(ctx, filter)
	}
	if err != nil {
		return fmt.Errorf("survey: count %s: %w", coll.Name(), err)
	}
	cur, err := coll.Find(ctx, filter, options.Find().SetProjection(projection))
	if err != nil {
		return fmt.Errorf("survey: read %s: %w", coll.Name(), err)
	}
	defer cur.Close(ctx)
	done := 0
	for cur.Next(ctx) {
		var doc struct {
			WorkspaceID bson.ObjectID `bson:"workspace_id"`
			SurveyID    bson.ObjectID `bson:"survey_id"`
		}
		if err := cur.Decode(&doc); err != nil {
			return fmt.Errorf("survey: read %s: %w", coll.Name(), err)
		}
		// The survey's own workspace only, as a query by workspace would have it.
		if b := builds[doc.SurveyID]; b != nil && b.Workspace() == doc.WorkspaceID {
			if err := each(cur, b); err != nil {
				return err
			}
		}
		if done++; done%1000 == 0 && done < int(total) {
			progress(stage, done, int(total))
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("survey: read %s: %w", coll.Name(), err)
	}
	progress(stage, done, done)
	return nil
}

// rebuildFunnel counts the funnel events of the rebuilt surveys' invitations.
func (s *Service) rebuildFunnel(ctx context.Context, builds map[bson.ObjectID]*rollup.Build, progress func(string, int, int)) error {
	return s.rebuildScan(ctx, s.invitations, builds, "invitations", progress, bson.D{{Key: "visits", Value: 0}},
		func(cur *mongo.Cursor, b *rollup.Build) error {
			var inv Invitation
			if err := cur.Decode(&inv); err != nil {
				return fmt.Errorf("survey: read invitation: %w", err)
			}
			add := func(at time.Time, delta scoring.Bucket) {
				if at.Before(b.Since) {
					b.AddCounts(at, delta)
				}
			}
			add(inv.CreatedAt, createdDelta(&inv, decisionOf(&inv)))
			for _, e := range []struct {
				at    *time.Time
				stage scoring.Stage
			}{{inv.SentAt, scoring.StageSent}, {inv.FailedAt, scoring.StageFailed}, {inv.BouncedAt, scoring.StageBounced}, {inv.OpenedAt, scoring.StageOpened}} {
				if e.at != nil {
					add(*e.at, stageChange(&inv, e.stage, *e.at).Delta)
				}
			}
			return nil
		})
}

// decisionOf is the status an invitation was created with. Invitations stored before the
// decision was kept are judged by what became of them.
func decisionOf(inv *Invitation) string {
	switch {
	case inv.Decision != "":
		return inv.Decision
	case inv.Status == StatusThrottled || inv.Status == StatusSuppressed || inv.Status == StatusSampledOut:
		return inv.Status
	case inv.Send:
		return StatusScheduled
	default:
		return StatusCreated
	}
}

// rebuildAnswers gathers the rebuilt surveys' responses first recorded before their cutoff
// into their customers' months.
func (s *Service) rebuildAnswers(ctx context.Context, builds map[bson.ObjectID]*rollup.Build, progress func(string, int, int)) error {
	return s.rebuildScan(ctx, s.responses, builds, "responses", progress, bson.D{{Key: "signals", Value: 0}},
		func(cur *mongo.Cursor, b *rollup.Build) error {
			var resp Response
			if err := cur.Decode(&resp); err != nil {
				return fmt.Errorf("survey: read response: %w", err)
			}
			if !resp.CreatedAt.Before(b.Since) {
				return nil
			}
			c, err := answerChange(&resp)
			if err != nil {
				return fmt.Errorf("survey: response %s: %w", resp.ID.Hex(), err)
			}
			b.AddAnswer(*c.Answer)
			return nil
		})
}

// SurveysWithoutRollups lists the surveys whose reports would be wrong until their rollups
// are rebuilt: those with invitations but no rollups (dropped by a migration, or lost), and
// those whose last rebuild failed or was stopped (rollup.Engine.NeedsRebuild). serve rebuilds
// them as it starts.
//
// A survey with neither rollups nor invitations gets its (empty) rollup state here, so the
// next start does not look for its invitations again: on the embedded store that look reads
// every invitation.
func (s *Service) SurveysWithoutRollups(ctx context.Context) ([]RollupSurvey, error) {
	all, err := s.RollupSurveys(ctx, bson.ObjectID{})
	if err != nil {
		return nil, err
	}
	var out []RollupSurvey
	for _, sv := range all {
		need, err := s.rollups.NeedsRebuild(ctx, sv.ID)
		switch {
		case err == nil:
			if need {
				out = append(out, sv)
			}
			continue
		case !errors.Is(err, rollup.ErrNotFound):
			return nil, err
		}
		err = s.invitations.FindOne(ctx, bson.D{{Key: "workspace_id", Value: sv.WorkspaceID}, {Key: "survey_id", Value: sv.ID}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		switch {
		case err == nil:
			out = append(out, sv)
		case store.IsNotFound(err):
			// An invitation created since the look above counts itself into this state.
			if err := s.rollups.Ensure(ctx, sv.WorkspaceID, sv.ID); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("survey: invitations of %s: %w", sv.ID.Hex(), err)
		}
	}
	return out, nil
}

// RollupSurvey names a survey whose rollups can be rebuilt.
type RollupSurvey struct {
	ID          bson.ObjectID `bson:"_id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id"`
	Name        string        `bson:"name"`
}

// RollupSurveys lists every survey of every workspace, or the one with id when it is not
// zero, for `surveyd rollups rebuild`.
func (s *Service) RollupSurveys(ctx context.Context, id bson.ObjectID) ([]RollupSurvey, error) {
	filter := bson.D{}
	if !id.IsZero() {
		filter = byID(id)
	}
	cur, err := s.surveys.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "workspace_id", Value: 1}, {Key: "name", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("survey: list surveys: %w", err)
	}
	var out []RollupSurvey
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("survey: list surveys: %w", err)
	}
	if !id.IsZero() && len(out) == 0 {
		return nil, fmt.Errorf("survey: survey %s: %w", id.Hex(), ErrNotFound)
	}
	return out, nil
}

// RequestRebuild files a request to rebuild one survey's rollups, or every survey's when id
// is zero, for the process that serves the embedded store (rollup.RebuildRequest).
func (s *Service) RequestRebuild(ctx context.Context, id bson.ObjectID) (bson.ObjectID, error) {
	if !id.IsZero() {
		if _, err := s.RollupSurveys(ctx, id); err != nil {
			return bson.ObjectID{}, err
		}
	}
	return s.rollups.FileRequest(ctx, id)
}

// RebuildRequestByID reads a request as it stands.
func (s *Service) RebuildRequestByID(ctx context.Context, id bson.ObjectID) (*rollup.RebuildRequest, error) {
	return s.rollups.Request(ctx, id)
}

// ServeRebuildRequests carries out filed requests, one at a time, looking for them every
// interval, until ctx ends (rollup.Engine.ServeRequests).
func (s *Service) ServeRebuildRequests(ctx context.Context, interval time.Duration) {
	s.rollups.ServeRequests(ctx, interval, func(ctx context.Context, id bson.ObjectID, progress func(string, int, int)) error {
		surveys, err := s.RollupSurveys(ctx, id)
		if err != nil {
			return err
		}
		return s.RebuildRollups(ctx, surveys, rollup.RebuildOptions{Progress: progress})
	})
}
