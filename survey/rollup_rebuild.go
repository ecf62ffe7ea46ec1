package survey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
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
	// "customers" (their months of answers) stored, "writing" documents. May be nil.
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
	var months docUpdates
	if err := s.rebuildAnswers(ctx, ws, sv, g, b.Since, &months, progress); err != nil {
		return err
	}
	if err := r.writeGeneration(ctx, &docs, months.list(), s.now().Add(-sealAfter), progress); err != nil {
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
		if err := store.DeleteMany(ctx, coll, old); err != nil {
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
		add(inv.CreatedAt, createdDelta(&inv, decisionOf(&inv)))
		t := inv.Interaction.tuple()
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

// rebuildAnswers gathers a survey's responses first recorded before since into their
// customers' months.
func (s *Service) rebuildAnswers(ctx context.Context, ws, sv bson.ObjectID, g rollupGen, since time.Time,
	months *docUpdates, progress func(string, int, int)) error {
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
			c, err := answerChange(&resp)
			if err != nil {
				return fmt.Errorf("survey: response %s: %w", resp.ID.Hex(), err)
			}
			months.addAnswer(s.rollups.respondents, ws, sv, g, *c.answer)
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

// writeGeneration stores what a rebuild counted. Customers' months go first, a chunk at a
// time between flushes: most are new to the generation and go in a bulk insert, and the few
// that answers since the cutoff created already are merged, their answers counted again.
// That tells the buckets what to count. They are new too, so they go in bulk inserts; the
// few that events since the cutoff created are merged. Months that have ended are sealed;
// others stay as days.
func (r *rollups) writeGeneration(ctx context.Context, docs *docUpdates, months []*docUpdate, sealed time.Time, progress func(string, int, int)) error {
	const chunk = 500
	for i := 0; i < len(months); i += chunk {
		part := months[i:min(i+chunk, len(months))]
		if err := r.exclusive(ctx, func(ctx context.Context) error { return r.addRespondents(ctx, part, docs) }); err != nil {
			return err
		}
		progress("customers", min(i+chunk, len(months)), len(months))
	}
	var updates []*docUpdate
	for _, d := range docs.list() {
		if d.onlyIfExists {
			if t, err := time.ParseInLocation("2006-01", d.key[len(d.key)-7:], d.loc); err != nil || t.AddDate(0, 1, 0).After(sealed) {
				continue
			}
			d.onlyIfExists = false
		}
		updates = append(updates, d)
	}
	for i := 0; i < len(updates); i += chunk {
		if err := r.insertOrMerge(ctx, updates[i:min(i+chunk, len(updates))]); err != nil {
			return err
		}
		progress("writing", min(i+chunk, len(updates)), len(updates))
	}
	return nil
}

// insertOrMerge inserts bucket documents in bulk and merges the ones that exist, exclusively.
func (r *rollups) insertOrMerge(ctx context.Context, updates []*docUpdate) error {
	docs := make([]any, len(updates))
	for i, u := range updates {
		data, _, _, err := mergeDoc(nil, u)
		if err != nil {
			return err
		}
		docs[i] = rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: 1, Data: data}
	}
	_, err := r.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return fmt.Errorf("survey: write rollups: %w", err)
	}
	var existing []*docUpdate
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) || we.Index < 0 || we.Index >= len(updates) {
			return fmt.Errorf("survey: write rollup: %w", we)
		}
		existing = append(existing, updates[we.Index])
	}
	return r.exclusive(ctx, func(ctx context.Context) error {
		for _, u := range existing {
			if _, _, err := r.apply(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
}

// SurveysWithoutRollups lists the surveys that have invitations but no rollups, which a
// report would show as empty: their rollups were dropped by a migration, or lost. serve
// rebuilds them as it starts.
func (s *Service) SurveysWithoutRollups(ctx context.Context) ([]RollupSurvey, error) {
	all, err := s.RollupSurveys(ctx, bson.ObjectID{})
	if err != nil {
		return nil, err
	}
	var out []RollupSurvey
	for _, sv := range all {
		err := s.rollups.coll.FindOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv.ID)}}).Err()
		if err == nil {
			continue
		}
		if !store.IsNotFound(err) {
			return nil, fmt.Errorf("survey: rollup state of %s: %w", sv.ID.Hex(), err)
		}
		err = s.invitations.FindOne(ctx, bson.D{{Key: "workspace_id", Value: sv.WorkspaceID}, {Key: "survey_id", Value: sv.ID}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if store.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("survey: invitations of %s: %w", sv.ID.Hex(), err)
		}
		out = append(out, sv)
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
