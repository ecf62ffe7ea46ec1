package survey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrRebuildRunning reports a rebuild of a survey's rollups that another one is doing.
var ErrRebuildRunning = errors.New("survey: a rollup rebuild of this survey is running")

// rebuildStale is how long a rebuild may go without finishing before another may take over:
// the one that started it is taken to have died.
const rebuildStale = 6 * time.Hour

// RebuildRollups recomputes a survey's rollups from its invitations and responses, for when
// they are lost or suspect, or the workspace's time zone changed. It writes a new generation
// while the current one keeps serving reports, then switches to it. Events and answers that
// arrive while it runs are recorded into both generations from a cutoff a few seconds ahead,
// which every instance sees before it passes; everything before the cutoff is counted from
// the stored documents. An answer edited or overridden during the rebuild is counted in the
// state the rebuild read it in.
//
// RebuildOptions tune a rollup rebuild.
type RebuildOptions struct {
	// Progress hears of each stage as it goes: "invitations" and "responses" counted,
	// "writing" documents. May be nil.
	Progress func(stage string, done, total int)
	// Alone says no other process writes to the store (the demo seeding before it serves),
	// so the rebuild need not give other instances time to see it start and finish.
	Alone bool
}

// RebuildRollups rebuilds one survey's rollups; see RebuildOptions.
func (s *Service) RebuildRollups(ctx context.Context, ws, sv bson.ObjectID, opts RebuildOptions) error {
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	// Counting and scanning millions of documents outlasts the store client's per-operation
	// timeout, which a deadline on the context replaces.
	ctx, cancel := context.WithTimeout(ctx, rebuildStale)
	defer cancel()
	settle := rollupMetaTTL + 2*time.Second
	if opts.Alone {
		settle = 0
	}
	w, err := s.WorkspaceByID(ctx, ws)
	if err != nil {
		return err
	}
	r := s.rollups
	var b rollupBuilding
	err = r.exclusive(ctx, func(ctx context.Context) error {
		m, err := r.loadMeta(ctx, ws, sv)
		if err != nil {
			return err
		}
		if m.Building != nil && time.Since(m.Building.Since) < rebuildStale {
			return ErrRebuildRunning
		}
		b = rollupBuilding{Gen: m.Gen + 1, TimeZone: w.Location().String(), Since: s.now().Add(settle + time.Millisecond).Truncate(time.Millisecond)}
		if m.Building != nil {
			b.Gen = max(b.Gen, m.Building.Gen+1)
		}
		m.Building = &b
		if _, err := r.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}}, m); err != nil {
			return fmt.Errorf("survey: start rollup rebuild of %s: %w", sv.Hex(), err)
		}
		r.forgetMeta(sv)
		return nil
	})
	if err != nil {
		return err
	}
	// Past the cutoff, with a second for clocks that differ, every event before it is stored.
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}

	g := rollupGen{b.Gen, loadLocation(b.TimeZone)}
	var docs docUpdates
	add := func(at time.Time, delta scoring.Bucket) {
		if at.Before(b.Since) {
			docs.addBucket(r.coll, ws, sv, g, at, delta)
		}
	}
	if err := s.rebuildFunnel(ctx, ws, sv, add, progress); err != nil {
		return err
	}
	respondents := map[uint64]scoring.Answers{}
	if err := s.rebuildAnswers(ctx, ws, sv, b.Since, add, respondents, progress); err != nil {
		return err
	}
	if err := r.writeGeneration(ctx, ws, sv, g, &docs, respondents, s.now().Add(-sealAfter), progress); err != nil {
		return err
	}

	err = r.exclusive(ctx, func(ctx context.Context) error {
		_, err := r.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}}, bson.D{
			{Key: "$set", Value: bson.D{{Key: "gen", Value: b.Gen}, {Key: "tz", Value: b.TimeZone}}},
			{Key: "$unset", Value: bson.D{{Key: "building", Value: ""}}},
		})
		r.forgetMeta(sv)
		return err
	})
	if err != nil {
		return fmt.Errorf("survey: switch rollups of %s: %w", sv.Hex(), err)
	}
	// Reports that read the old generation just before the switch finish within seconds.
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	old := bson.D{{Key: "survey_id", Value: sv}, {Key: "gen", Value: bson.D{{Key: "$lt", Value: b.Gen}}},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: metaKey(sv)}}}}
	for _, coll := range []*mongo.Collection{r.coll, r.respondents} {
		if _, err := coll.DeleteMany(ctx, old); err != nil {
			return fmt.Errorf("survey: drop old rollups of %s: %w", sv.Hex(), err)
		}
	}
	return nil
}

// rebuildFunnel counts the funnel events of a survey's invitations.
func (s *Service) rebuildFunnel(ctx context.Context, ws, sv bson.ObjectID, add func(time.Time, scoring.Bucket), progress func(string, int, int)) error {
	filter := bson.D{{Key: "workspace_id", Value: ws}, {Key: "survey_id", Value: sv}}
	total, err := s.invitations.CountDocuments(ctx, filter)
	if err != nil {
		return fmt.Errorf("survey: count invitations: %w", err)
	}
	cur, err := s.invitations.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "visits", Value: 0}}))
	if err != nil {
		return fmt.Errorf("survey: read invitations: %w", err)
	}
	defer cur.Close(ctx)
	done := 0
	for cur.Next(ctx) {
		var inv Invitation
		if err := cur.Decode(&inv); err != nil {
			return fmt.Errorf("survey: read invitation: %w", err)
		}
		t := inv.Interaction.tuple()
		created := scoring.Bucket{}
		created.AddStage(t, scoring.StageInvited, 1)
		if st, ok := scoring.DecisionStage(decisionOf(&inv)); ok {
			created.AddStage(t, st, 1)
		}
		add(inv.CreatedAt, created)
		for _, e := range []struct {
			at    *time.Time
			stage scoring.Stage
		}{{inv.SentAt, scoring.StageSent}, {inv.FailedAt, scoring.StageFailed}, {inv.BouncedAt, scoring.StageBounced}, {inv.OpenedAt, scoring.StageOpened}} {
			if e.at != nil {
				b := scoring.Bucket{}
				b.AddStage(t, e.stage, 1)
				add(*e.at, b)
			}
		}
		if done++; done%1000 == 0 || done == int(total) {
			progress("invitations", done, int(total))
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("survey: read invitations: %w", err)
	}
	return nil
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

// rebuildAnswers counts a survey's responses first recorded before since and gathers each
// customer's answers.
func (s *Service) rebuildAnswers(ctx context.Context, ws, sv bson.ObjectID, since time.Time, add func(time.Time, scoring.Bucket),
	respondents map[uint64]scoring.Answers, progress func(string, int, int)) error {
	filter := bson.D{{Key: "workspace_id", Value: ws}, {Key: "survey_id", Value: sv}}
	total, err := s.responses.CountDocuments(ctx, filter)
	if err != nil {
		return fmt.Errorf("survey: count responses: %w", err)
	}
	cur, err := s.responses.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "signals", Value: 0}}))
	if err != nil {
		return fmt.Errorf("survey: read responses: %w", err)
	}
	defer cur.Close(ctx)
	done := 0
	for cur.Next(ctx) {
		var resp Response
		if err := cur.Decode(&resp); err != nil {
			return fmt.Errorf("survey: read response: %w", err)
		}
		if resp.CreatedAt.Before(since) {
			b := scoring.Bucket{}
			if err := countAnswer(b, &resp, 1); err != nil {
				return fmt.Errorf("survey: response %s: %w", resp.ID.Hex(), err)
			}
			add(resp.CreatedAt, b)
			a := answerOf(&resp)
			if respondents[a.Customer] == nil {
				respondents[a.Customer] = scoring.Answers{}
			}
			respondents[a.Customer][a.ID] = a
		}
		if done++; done%1000 == 0 || done == int(total) {
			progress("responses", done, int(total))
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("survey: read responses: %w", err)
	}
	return nil
}

// writeGeneration stores what a rebuild counted. Documents are new to the generation, so
// they go in bulk inserts; the few that events since the cutoff created already are merged.
// Months that have ended are sealed; others stay as days.
func (r *rollups) writeGeneration(ctx context.Context, ws, sv bson.ObjectID, g rollupGen, docs *docUpdates,
	respondents map[uint64]scoring.Answers, sealed time.Time, progress func(string, int, int)) error {
	var updates []*docUpdate
	for _, key := range docs.order {
		d := docs.byKey[key]
		if d.onlyIfExists {
			start := time.Date(0, 0, 0, 0, 0, 0, 0, time.UTC)
			if t, err := time.ParseInLocation("2006-01", key[len(key)-7:], g.loc); err == nil {
				start = t
			}
			if start.AddDate(0, 1, 0).After(sealed) {
				continue
			}
			d.onlyIfExists = false
		}
		updates = append(updates, d)
	}
	for customer, answers := range respondents {
		updates = append(updates, &docUpdate{coll: r.respondents, key: respondentKey(sv, g.n, customer), ws: ws, sv: sv, gen: g.n, answers: answers})
		if len(answers) > 1 {
			for _, a := range answers {
				docs.get(r.coll, answersKey(sv, g.n, time.UnixMilli(a.At)), ws, sv, g.n, 0).answers[a.ID] = a
			}
		}
	}
	for _, key := range docs.order {
		if d := docs.byKey[key]; d.answers != nil {
			updates = append(updates, d)
		}
	}

	const chunk = 500
	for i := 0; i < len(updates); i += chunk {
		part := updates[i:min(i+chunk, len(updates))]
		if err := r.insertOrMerge(ctx, part); err != nil {
			return err
		}
		progress("writing", min(i+chunk, len(updates)), len(updates))
	}
	return nil
}

// insertOrMerge inserts documents of one collection kind in bulk and merges the ones that
// exist, exclusively.
func (r *rollups) insertOrMerge(ctx context.Context, updates []*docUpdate) error {
	byColl := map[*mongo.Collection][]*docUpdate{}
	for _, u := range updates {
		byColl[u.coll] = append(byColl[u.coll], u)
	}
	for coll, us := range byColl {
		docs := make([]any, len(us))
		for i, u := range us {
			data, _, err := mergeDoc(nil, u)
			if err != nil {
				return err
			}
			docs[i] = rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: 1, Data: data}
		}
		_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		if err == nil {
			continue
		}
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
			return fmt.Errorf("survey: write rollups: %w", err)
		}
		var existing []*docUpdate
		for _, we := range bwe.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) || we.Index < 0 || we.Index >= len(us) {
				return fmt.Errorf("survey: write rollup: %w", we)
			}
			existing = append(existing, us[we.Index])
		}
		err = r.exclusive(ctx, func(ctx context.Context) error {
			var repeats docUpdates
			for _, u := range existing {
				merged, err := r.apply(ctx, u)
				if err != nil {
					return err
				}
				// A customer who also answered since the cutoff now has more than one answer.
				if u.coll == r.respondents && len(merged) > 1 {
					for _, a := range merged {
						repeats.get(r.coll, answersKey(u.sv, u.gen, time.UnixMilli(a.At)), u.ws, u.sv, u.gen, 0).answers[a.ID] = a
					}
				}
			}
			for _, key := range repeats.order {
				if _, err := r.apply(ctx, repeats.byKey[key]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
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
