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

// RebuildOptions tune a rollup rebuild.
type RebuildOptions struct {
	// Progress hears of each stage as it goes: "invitations" and "responses" read,
	// "answers" stored in their months, "writing" documents. May be nil.
	Progress func(stage string, done, total int)
	// Alone says no other process writes to the store (the demo seeding before it serves),
	// so the rebuild need not give other instances time to see it start and finish.
	Alone bool
}

// RebuildRollups recomputes surveys' rollups from their invitations and responses, for when
// they are lost or suspect, or a workspace's time zone changed. For each survey it writes a
// new generation while the current one keeps serving reports, then switches to it. Events
// and answers that arrive while it runs are recorded into both generations from a cutoff a
// few seconds ahead, which every instance sees before it passes; everything before the
// cutoff is counted from the stored documents. An answer edited or overridden during the
// rebuild is counted in the state the rebuild read it in.
//
// The surveys are rebuilt together, in one pass over the invitations and one over the
// responses: the embedded store answers a query by survey by reading every document, so a
// pass per survey would cost as much as the whole store per survey.
//
// A rebuild that fails or is stopped leaves its generation marked failed: reports keep the
// current one, writes stop going to it, and the next rebuild (serve's at start, or
// `surveyd rollups rebuild`) takes over at once.
func (s *Service) RebuildRollups(ctx context.Context, surveys []RollupSurvey, opts RebuildOptions) (err error) {
	if len(surveys) == 0 {
		return nil
	}
	progress, ended := s.metrics.rebuildStarted(opts.Progress)
	defer ended()
	// Scanning millions of documents outlasts the store client's per-operation timeout,
	// which a deadline on the context replaces.
	ctx, cancel := context.WithTimeout(ctx, rebuildStale)
	defer cancel()
	settle := rollupMetaTTL + 2*time.Second
	if opts.Alone {
		settle = 0
	}
	builds := map[bson.ObjectID]*surveyRebuild{}
	defer func() {
		if err != nil {
			for _, b := range builds {
				err = errors.Join(err, s.rollups.abandon(context.WithoutCancel(ctx), b.sv))
			}
		}
	}()
	for _, sv := range surveys {
		b, err := s.startRebuild(ctx, sv, settle)
		if err != nil {
			return err
		}
		builds[sv.ID] = b
	}
	// Past the cutoff, with a second for clocks that differ, every event before it is stored.
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}

	if err := s.rebuildFunnel(ctx, builds, progress); err != nil {
		return err
	}
	if err := s.rebuildAnswers(ctx, builds, progress); err != nil {
		return err
	}
	r := s.rollups
	switched := map[bson.ObjectID]int{} // each survey's generation now
	for _, sv := range surveys {
		b := builds[sv.ID]
		if err := r.writeGeneration(ctx, &b.docs, &b.answers, s.now().Add(-sealAfter), progress); err != nil {
			return err
		}
		err := r.exclusive(ctx, func(ctx context.Context) error {
			_, err := r.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv.ID)}}, bson.D{
				{Key: "$set", Value: bson.D{{Key: "gen", Value: b.Gen}, {Key: "tz", Value: b.TimeZone}}},
				{Key: "$unset", Value: bson.D{{Key: "building", Value: ""}}},
			})
			r.forgetMeta(sv.ID)
			return err
		})
		if err != nil {
			return fmt.Errorf("survey: switch rollups of %s: %w", sv.ID.Hex(), err)
		}
		delete(builds, sv.ID) // switched: nothing to abandon
		switched[sv.ID] = b.Gen
	}
	// Reports that read the old generations just before the switch finish within seconds.
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.dropBefore(ctx, switched)
}

// surveyRebuild is one survey's part of a rebuild: its new generation and what is counted
// into it.
type surveyRebuild struct {
	rollupBuilding
	ws, sv  bson.ObjectID
	g       rollupGen
	docs    docUpdates     // buckets
	answers answersByMonth // the answers, by month
}

// startRebuild marks a survey's next generation as building from a cutoff settle ahead.
func (s *Service) startRebuild(ctx context.Context, sv RollupSurvey, settle time.Duration) (*surveyRebuild, error) {
	w, err := s.WorkspaceByID(ctx, sv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	r := s.rollups
	var b rollupBuilding
	err = r.exclusive(ctx, func(ctx context.Context) error {
		m, err := r.loadMeta(ctx, sv.WorkspaceID, sv.ID)
		if err != nil {
			return err
		}
		if m.Building != nil && !m.Building.Failed && s.now().Sub(m.Building.Since) < rebuildStale {
			return fmt.Errorf("survey: rebuild %s: %w", sv.ID.Hex(), ErrRebuildRunning)
		}
		b = rollupBuilding{Gen: m.Gen + 1, TimeZone: w.Location().String(), Since: s.now().Add(settle + time.Millisecond).Truncate(time.Millisecond)}
		if m.Building != nil {
			b.Gen = max(b.Gen, m.Building.Gen+1)
		}
		m.Building = &b
		if _, err := r.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv.ID)}}, m); err != nil {
			return fmt.Errorf("survey: start rollup rebuild of %s: %w", sv.ID.Hex(), err)
		}
		r.forgetMeta(sv.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &surveyRebuild{rollupBuilding: b, ws: sv.WorkspaceID, sv: sv.ID, g: rollupGen{b.Gen, loadLocation(b.TimeZone)}}, nil
}

// abandon marks a rebuild that cannot finish as failed, so writes stop going to its
// generation and the next rebuild need not wait for it to go stale. Its documents stay
// until a later rebuild drops the generations before its own.
func (r *rollups) abandon(ctx context.Context, sv bson.ObjectID) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := r.exclusive(ctx, func(ctx context.Context) error {
		_, err := r.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "building.failed", Value: true}}}})
		r.forgetMeta(sv)
		return err
	})
	if err != nil {
		return fmt.Errorf("survey: mark the unfinished rebuild of %s failed: %w", sv.Hex(), err)
	}
	return nil
}

// dropBefore removes the surveys' documents of generations before the given ones, in one
// pass over each collection: the embedded store reads every document of a collection to
// find any of them.
func (r *rollups) dropBefore(ctx context.Context, gens map[bson.ObjectID]int) error {
	if len(gens) == 0 {
		return nil
	}
	var old bson.A
	for sv, gen := range gens {
		old = append(old, bson.D{{Key: "survey_id", Value: sv}, {Key: "gen", Value: bson.D{{Key: "$lt", Value: gen}}},
			{Key: "_id", Value: bson.D{{Key: "$ne", Value: metaKey(sv)}}}})
	}
	for _, coll := range []*mongo.Collection{r.coll, r.respondents} {
		if err := store.DeleteMany(ctx, coll, bson.D{{Key: "$or", Value: old}}); err != nil {
			return fmt.Errorf("survey: drop old rollups: %w", err)
		}
	}
	for sv := range gens {
		r.forget(sv)
	}
	return nil
}

// rebuildScan reads the documents of the rebuilt surveys from coll, one at a time. On
// MongoDB the query uses the survey index and its count is exact; the embedded store reads
// every document whatever the filter, so there the count is the collection's (about: see
// store.EmbeddedCount), which is what the scan takes time over, and progress ends at the
// number actually matched.
func (s *Service) rebuildScan(ctx context.Context, coll *mongo.Collection, builds map[bson.ObjectID]*surveyRebuild,
	stage string, progress func(string, int, int), projection bson.D, each func(*mongo.Cursor, *surveyRebuild) error) error {
	ids := make([]bson.ObjectID, 0, len(builds))
	for id := range builds {
		ids = append(ids, id)
	}
	filter := bson.D{{Key: "survey_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	ferret, err := s.rollups.isFerret(ctx)
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
		if b := builds[doc.SurveyID]; b != nil && b.ws == doc.WorkspaceID {
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
func (s *Service) rebuildFunnel(ctx context.Context, builds map[bson.ObjectID]*surveyRebuild, progress func(string, int, int)) error {
	return s.rebuildScan(ctx, s.invitations, builds, "invitations", progress, bson.D{{Key: "visits", Value: 0}},
		func(cur *mongo.Cursor, b *surveyRebuild) error {
			var inv Invitation
			if err := cur.Decode(&inv); err != nil {
				return fmt.Errorf("survey: read invitation: %w", err)
			}
			add := func(at time.Time, delta scoring.Bucket) {
				if at.Before(b.Since) {
					b.docs.addBucket(b.ws, b.sv, b.g, at, delta)
				}
			}
			add(inv.CreatedAt, createdDelta(&inv, decisionOf(&inv)))
			for _, e := range []struct {
				at    *time.Time
				stage scoring.Stage
			}{{inv.SentAt, scoring.StageSent}, {inv.FailedAt, scoring.StageFailed}, {inv.BouncedAt, scoring.StageBounced}, {inv.OpenedAt, scoring.StageOpened}} {
				if e.at != nil {
					add(*e.at, stageChange(&inv, e.stage, *e.at).delta)
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
func (s *Service) rebuildAnswers(ctx context.Context, builds map[bson.ObjectID]*surveyRebuild, progress func(string, int, int)) error {
	return s.rebuildScan(ctx, s.responses, builds, "responses", progress, bson.D{{Key: "signals", Value: 0}},
		func(cur *mongo.Cursor, b *surveyRebuild) error {
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
			b.answers.add(b.ws, b.sv, b.g, *c.answer)
			return nil
		})
}

// writeGeneration stores what a rebuild counted. The answers go first, into their months'
// logs, a chunk at a time between flushes; where answers since the cutoff are there already,
// their customers' answers are counted again. That tells the buckets what to count. They are
// new too, so they go in bulk inserts; the few that events since the cutoff created are
// merged. Months that have ended are sealed; others stay as days.
func (r *rollups) writeGeneration(ctx context.Context, docs *docUpdates, answers *answersByMonth, sealed time.Time, progress func(string, int, int)) error {
	const chunk = 5000
	writes := answers.chunks(chunk)
	done, total := 0, 0
	for _, w := range writes {
		total += len(w.answers)
	}
	for _, w := range writes {
		if err := r.exclusive(ctx, func(ctx context.Context) error { return r.addAnswers(ctx, []*monthAnswers{w}, docs) }); err != nil {
			return err
		}
		done += len(w.answers)
		progress("answers", done, total)
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
		data, err := mergeDoc(nil, u.buckets)
		if err != nil {
			return err
		}
		docs[i] = rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: 1, Data: data}
	}
	_, err := r.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if err != nil && (!errors.As(err, &bwe) || bwe.WriteConcernError != nil) {
		return fmt.Errorf("survey: write rollups: %w", err)
	}
	var existing []*docUpdate
	inserted := make([]bool, len(docs))
	for i := range inserted {
		inserted[i] = true
	}
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) || we.Index < 0 || we.Index >= len(updates) {
			return fmt.Errorf("survey: write rollup: %w", we)
		}
		existing = append(existing, updates[we.Index])
		inserted[we.Index] = false
	}
	for i, ok := range inserted {
		if ok {
			d := docs[i].(rollupDoc)
			r.cached(d.ID, d.V, d.Data)
		}
	}
	if len(existing) == 0 {
		return nil
	}
	return r.exclusive(ctx, func(ctx context.Context) error { return r.merge(ctx, existing) })
}

// SurveysWithoutRollups lists the surveys whose reports would be wrong until their rollups
// are rebuilt: those with invitations but no rollups (dropped by a migration, or lost), and
// those whose last rebuild failed or was stopped. serve rebuilds them as it starts; when it
// is the rollups' one writer (CacheRollups), a rebuild still marked running is one it was
// doing when it died, and is taken over too.
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
		var m rollupMeta
		err := s.rollups.coll.FindOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv.ID)}}).Decode(&m)
		switch {
		case err == nil:
			if m.Building == nil {
				continue
			}
			// A rebuild still marked running when the one process that writes the rollups
			// starts was stopped without a chance to say so (killed, or the machine lost).
			if !m.Building.Failed && s.rollups.soleWriter() {
				if err := s.rollups.abandon(ctx, sv.ID); err != nil {
					return nil, err
				}
				m.Building.Failed = true
			}
			if m.Building.Failed {
				out = append(out, sv)
			}
			continue
		case !store.IsNotFound(err):
			return nil, fmt.Errorf("survey: rollup state of %s: %w", sv.ID.Hex(), err)
		}
		err = s.invitations.FindOne(ctx, bson.D{{Key: "workspace_id", Value: sv.WorkspaceID}, {Key: "survey_id", Value: sv.ID}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		switch {
		case err == nil:
			out = append(out, sv)
		case store.IsNotFound(err):
			// An invitation created since the look above counts itself into this state.
			if _, err := s.rollups.meta(ctx, sv.WorkspaceID, sv.ID); err != nil {
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
