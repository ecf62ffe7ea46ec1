package rollup

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
var ErrRebuildRunning = errors.New("rollup: a rollup rebuild of this survey is running")

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

// Target is a survey whose rollups are rebuilt, and the time zone of its new ones.
type Target struct {
	Workspace, Survey bson.ObjectID
	Zone              *time.Location
}

// Rebuild recomputes surveys' rollups, for when they are lost or suspect, or a workspace's
// time zone changed; count feeds each survey's Build with what its stored documents say
// (the survey package reads its invitations and responses). For each survey it writes a new
// generation while the current one keeps serving reports, then switches to it. Events and
// answers that arrive while it runs are recorded into both generations from a cutoff a few
// seconds ahead (Build.Since), which every instance sees before it passes; count must add
// everything before the cutoff and nothing after. An answer edited or overridden during the
// rebuild is counted in the state count read it in.
//
// The surveys are rebuilt together, so that count can make one pass over each collection:
// the embedded store answers a query by survey by reading every document, so a pass per
// survey would cost as much as the whole store per survey.
//
// A rebuild that fails or is stopped leaves its generation marked failed: reports keep the
// current one, writes stop going to it, and the next rebuild (serve's at start, or
// `surveyd rollups rebuild`) takes over at once.
func (e *Engine) Rebuild(ctx context.Context, targets []Target, opts RebuildOptions,
	count func(ctx context.Context, builds map[bson.ObjectID]*Build) error) (err error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	// Scanning millions of documents outlasts the store client's per-operation timeout,
	// which a deadline on the context replaces.
	ctx, cancel := context.WithTimeout(ctx, rebuildStale)
	defer cancel()
	settle := rollupMetaTTL + 2*time.Second
	if opts.Alone {
		settle = 0
	}
	builds := map[bson.ObjectID]*Build{}
	defer func() {
		if err != nil {
			for _, b := range builds {
				err = errors.Join(err, e.abandon(context.WithoutCancel(ctx), b.sv))
			}
		}
	}()
	for _, t := range targets {
		b, err := e.startBuild(ctx, t, settle)
		if err != nil {
			return err
		}
		builds[t.Survey] = b
	}
	// Past the cutoff, with a second for clocks that differ, every event before it is stored.
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}

	if err := count(ctx, builds); err != nil {
		return err
	}
	switched := map[bson.ObjectID]int{} // each survey's generation now
	for _, t := range targets {
		b := builds[t.Survey]
		if err := e.writeGeneration(ctx, &b.docs, &b.answers, e.now().Add(-sealAfter), progress); err != nil {
			return err
		}
		err := e.Exclusive(ctx, func(ctx context.Context) error {
			_, err := e.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: metaKey(t.Survey)}}, bson.D{
				{Key: "$set", Value: bson.D{{Key: "gen", Value: b.Gen}, {Key: "tz", Value: b.TimeZone}}},
				{Key: "$unset", Value: bson.D{{Key: "building", Value: ""}}},
			})
			e.forgetMeta(t.Survey)
			return err
		})
		if err != nil {
			return fmt.Errorf("rollup: switch rollups of %s: %w", t.Survey.Hex(), err)
		}
		delete(builds, t.Survey) // switched: nothing to abandon
		switched[t.Survey] = b.Gen
	}
	// Reports that read the old generations just before the switch finish within seconds.
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	return e.dropBefore(ctx, switched)
}

// Build is one survey's part of a rebuild: its new generation and what is counted into it.
type Build struct {
	Building
	ws, sv  bson.ObjectID
	g       rollupGen
	docs    docUpdates     // buckets
	answers answersByMonth // the answers, by month
}

// Workspace is the workspace of the survey rebuilt.
func (b *Build) Workspace() bson.ObjectID { return b.ws }

// AddCounts counts an event's delta at at into the new generation.
func (b *Build) AddCounts(at time.Time, delta scoring.Bucket) {
	b.docs.addBucket(b.ws, b.sv, b.g, at, delta)
}

// AddAnswer puts an answer into its customer's month of the new generation.
func (b *Build) AddAnswer(a scoring.Answer) { b.answers.add(b.ws, b.sv, b.g, a) }

// startBuild marks a survey's next generation as building from a cutoff settle ahead.
func (e *Engine) startBuild(ctx context.Context, t Target, settle time.Duration) (*Build, error) {
	var b Building
	err := e.Exclusive(ctx, func(ctx context.Context) error {
		m, err := e.loadMeta(ctx, t.Workspace, t.Survey)
		if err != nil {
			return err
		}
		if m.Building != nil && !m.Building.Failed && e.now().Sub(m.Building.Since) < rebuildStale {
			return fmt.Errorf("rollup: rebuild %s: %w", t.Survey.Hex(), ErrRebuildRunning)
		}
		b = Building{Gen: m.Gen + 1, TimeZone: t.Zone.String(), Since: e.now().Add(settle + time.Millisecond).Truncate(time.Millisecond)}
		if m.Building != nil {
			b.Gen = max(b.Gen, m.Building.Gen+1)
		}
		m.Building = &b
		if _, err := e.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: metaKey(t.Survey)}}, m); err != nil {
			return fmt.Errorf("rollup: start rollup rebuild of %s: %w", t.Survey.Hex(), err)
		}
		e.forgetMeta(t.Survey)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Build{Building: b, ws: t.Workspace, sv: t.Survey, g: rollupGen{b.Gen, loadLocation(b.TimeZone)}}, nil
}

// abandon marks a rebuild that cannot finish as failed, so writes stop going to its
// generation and the next rebuild need not wait for it to go stale. Its documents stay
// until a later rebuild drops the generations before its own.
func (e *Engine) abandon(ctx context.Context, sv bson.ObjectID) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := e.Exclusive(ctx, func(ctx context.Context) error {
		_, err := e.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "building.failed", Value: true}}}})
		e.forgetMeta(sv)
		return err
	})
	if err != nil {
		return fmt.Errorf("rollup: mark the unfinished rebuild of %s failed: %w", sv.Hex(), err)
	}
	return nil
}

// dropBefore removes the surveys' documents of generations before the given ones, in one
// pass over each collection: the embedded store reads every document of a collection to
// find any of them.
func (e *Engine) dropBefore(ctx context.Context, gens map[bson.ObjectID]int) error {
	if len(gens) == 0 {
		return nil
	}
	var old bson.A
	for sv, gen := range gens {
		old = append(old, bson.D{{Key: "survey_id", Value: sv}, {Key: "gen", Value: bson.D{{Key: "$lt", Value: gen}}},
			{Key: "_id", Value: bson.D{{Key: "$ne", Value: metaKey(sv)}}}})
	}
	for _, coll := range []*mongo.Collection{e.coll, e.respondents} {
		if err := store.DeleteMany(ctx, coll, bson.D{{Key: "$or", Value: old}}); err != nil {
			return fmt.Errorf("rollup: drop old rollups: %w", err)
		}
	}
	for sv := range gens {
		e.forget(sv)
	}
	return nil
}

// writeGeneration stores what a rebuild counted. The answers go first, into their months'
// logs, a chunk at a time between flushes; where answers since the cutoff are there already,
// their customers' answers are counted again. That tells the buckets what to count. They are
// new too, so they go in bulk inserts; the few that events since the cutoff created are
// merged. Months that have ended are sealed; others stay as days.
func (e *Engine) writeGeneration(ctx context.Context, docs *docUpdates, answers *answersByMonth, sealed time.Time, progress func(string, int, int)) error {
	const chunk = 5000
	writes := answers.chunks(chunk)
	done, total := 0, 0
	for _, w := range writes {
		total += len(w.answers)
	}
	for _, w := range writes {
		if err := e.Exclusive(ctx, func(ctx context.Context) error { return e.addAnswers(ctx, []*monthAnswers{w}, docs) }); err != nil {
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
		if err := e.insertOrMerge(ctx, updates[i:min(i+chunk, len(updates))]); err != nil {
			return err
		}
		progress("writing", min(i+chunk, len(updates)), len(updates))
	}
	return nil
}

// insertOrMerge inserts bucket documents in bulk and merges the ones that exist, exclusively.
func (e *Engine) insertOrMerge(ctx context.Context, updates []*docUpdate) error {
	docs := make([]any, len(updates))
	for i, u := range updates {
		data, err := mergeDoc(nil, u.buckets)
		if err != nil {
			return err
		}
		docs[i] = rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: 1, Data: data}
	}
	_, err := e.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if err != nil && (!errors.As(err, &bwe) || bwe.WriteConcernError != nil) {
		return fmt.Errorf("rollup: write rollups: %w", err)
	}
	var existing []*docUpdate
	inserted := make([]bool, len(docs))
	for i := range inserted {
		inserted[i] = true
	}
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) || we.Index < 0 || we.Index >= len(updates) {
			return fmt.Errorf("rollup: write rollup: %w", we)
		}
		existing = append(existing, updates[we.Index])
		inserted[we.Index] = false
	}
	for i, ok := range inserted {
		if ok {
			d := docs[i].(rollupDoc)
			e.cached(d.ID, d.V, d.Data)
		}
	}
	if len(existing) == 0 {
		return nil
	}
	return e.Exclusive(ctx, func(ctx context.Context) error { return e.merge(ctx, existing) })
}

// NeedsRebuild says whether a survey's reports are wrong until its rollups are rebuilt: its
// last rebuild failed or was stopped. It fails with ErrNotFound when the survey has no
// rollup state (dropped by a migration, lost, or never made). As the rollups' one writer
// (Options.SoleWriter), a rebuild still marked running is one this process was doing when
// it died, and it is marked failed here to be taken over.
func (e *Engine) NeedsRebuild(ctx context.Context, sv bson.ObjectID) (bool, error) {
	m, err := e.State(ctx, sv)
	if err != nil {
		return false, err
	}
	if m.Building == nil {
		return false, nil
	}
	// A rebuild still marked running when the one process that writes the rollups starts
	// was stopped without a chance to say so (killed, or the machine lost).
	if !m.Building.Failed && e.soleWriter() {
		if err := e.abandon(ctx, sv); err != nil {
			return false, err
		}
		m.Building.Failed = true
	}
	return m.Building.Failed, nil
}

// Ensure gives a survey its rollup state, empty, unless it has one: a survey that has
// neither rollups nor invitations, so that the next start does not look for them again.
func (e *Engine) Ensure(ctx context.Context, ws, sv bson.ObjectID) error {
	_, err := e.meta(ctx, ws, sv)
	return err
}
