package survey

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Rollups (SCORING.md, "Performance contract") are what reports read: per survey, one
// document per calendar month and day of the rollups' time zone and per UTC hour (as four
// quarter-hours), each holding a scoring.Bucket of funnel counts and flag-mask histograms
// per tuple of agent, team, channel and country. They are updated with every event and
// answer; a report reads a handful of them whatever the number of responses.
//
// Months are sealed: a month's document is written from its days the first time a report
// needs it, two days after it ended (past the edit window), and is kept up to date from then
// on, so a year is twelve reads.
//
// The repeat weight (SCORING.md, "repeat") needs to know how many answers each answer's
// customer gave, which a histogram cannot say. So histograms are kept per repeat count k as
// well as per flags (scoring.ScoreKey), with k counted over the customer's answers to the
// survey in the answer's calendar month, UTC, so that a rebuild into another time zone weighs
// every answer as before. Each month's answers are kept in a log (answerMonth), which the
// writer holds in memory; when a customer's answer arrives, their earlier ones of the month
// move from k to k+1. A report then weighs repeat customers from histograms alone, which is
// what keeps its cost independent of the number of responses: a k counted over any period a
// report might ask for would need every customer's answers at read time.
//
// Every document carries the generation it belongs to; a rebuild (RebuildRollups) writes the
// next generation while the current one serves, then switches.
//
// Updates read, merge and write a whole document. MongoDB makes that safe across instances
// with a version check; FerretDB v1 has no atomic read-modify-write and cannot use a filter
// beyond _id from an index, so on it the version is not checked and the one process that
// embeds the store serializes its writes here.

// rollupMetaTTL bounds how long an instance takes to see a rebuild start or finish.
const rollupMetaTTL = 2 * time.Second

// sealAfter is how long after a month ends its document is sealed from its days: events of
// that month (edits within the edit window, late bounces) have landed by then.
const sealAfter = 48 * time.Hour

type rollupMeta struct {
	ID          string          `bson:"_id"`
	WorkspaceID bson.ObjectID   `bson:"workspace_id"`
	SurveyID    bson.ObjectID   `bson:"survey_id"`
	TimeZone    string          `bson:"tz"`
	Gen         int             `bson:"gen"`
	Building    *rollupBuilding `bson:"building,omitempty"`

	loc, buildingLoc *time.Location // loaded once per read of the document
}

// rollupBuilding is a generation being rebuilt: events at or after Since are recorded into it
// as they happen; the rebuild counts everything before Since from the responses and
// invitations.
type rollupBuilding struct {
	Gen      int       `bson:"gen"`
	TimeZone string    `bson:"tz"`
	Since    time.Time `bson:"since"`
	// Failed marks a rebuild that stopped before switching: nothing is recorded into it, and
	// the next rebuild takes over.
	Failed bool `bson:"failed,omitempty"`
}

// resolve loads the meta's time zones, which every event needs.
func (m *rollupMeta) resolve() *rollupMeta {
	m.loc = loadLocation(m.TimeZone)
	if m.Building != nil {
		m.buildingLoc = loadLocation(m.Building.TimeZone)
	}
	return m
}

func (m *rollupMeta) location() *time.Location { return m.loc }

func loadLocation(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// rollupGen is one generation of a survey's rollups and the time zone of its days.
type rollupGen struct {
	n   int
	loc *time.Location
}

// gens are the generations an event at `at` is recorded into.
func (m *rollupMeta) gens(at time.Time) []rollupGen {
	out := []rollupGen{{m.Gen, m.loc}}
	if b := m.Building; b != nil && !b.Failed && !at.Before(b.Since) {
		out = append(out, rollupGen{b.Gen, m.buildingLoc})
	}
	return out
}

// rollupDoc is a stored rollup: Data holds one encoded scoring.Bucket for a month or day,
// four for an hour, or one encoded scoring.Answers for a respondent's month.
type rollupDoc struct {
	ID          string        `bson:"_id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id"`
	SurveyID    bson.ObjectID `bson:"survey_id"`
	Gen         int           `bson:"gen"`
	V           int64         `bson:"v"`
	Data        [][]byte      `bson:"data"`
}

func rollupPrefix(sv bson.ObjectID, gen int) string { return sv.Hex() + "|" + strconv.Itoa(gen) + "|" }

func bucketKey(sv bson.ObjectID, g rollupGen, gran scoring.Granularity, start time.Time) string {
	p := rollupPrefix(sv, g.n) + string(gran) + "|"
	switch gran {
	case scoring.Month:
		return p + start.In(g.loc).Format("2006-01")
	case scoring.Day:
		return p + start.In(g.loc).Format("2006-01-02")
	default:
		return p + start.UTC().Format("2006-01-02T15")
	}
}

// customerHash identifies a customer in rollups without their address.
func customerHash(c Customer) uint64 {
	sum := sha256.Sum256([]byte(CustomerKey(c)))
	return binary.BigEndian.Uint64(sum[:8])
}

func (in Interaction) tuple() scoring.Tuple {
	return scoring.Tuple{Agent: in.Agent, Team: in.Team, Channel: in.Channel, Country: in.Country}
}

// rollupChange is one event to count in a survey's rollups, or an answer in its current
// state: new, edited or with its flags overridden.
type rollupChange struct {
	ws, survey bson.ObjectID
	at         time.Time      // the event, or the answer's first recording
	delta      scoring.Bucket // an event's counts; nil for an answer
	answer     *scoring.Answer
}

// stageChange counts one funnel event of an invitation.
func stageChange(inv *Invitation, stage scoring.Stage, at time.Time) rollupChange {
	b := scoring.Bucket{}
	b.AddStage(inv.Interaction.tuple(), stage, 1)
	return rollupChange{ws: inv.WorkspaceID, survey: inv.SurveyID, at: at, delta: b}
}

// invitationChanges count new invitations and the decision taken on each.
func invitationChanges(invs []*Invitation) []rollupChange {
	out := make([]rollupChange, 0, len(invs))
	for _, inv := range invs {
		out = append(out, rollupChange{ws: inv.WorkspaceID, survey: inv.SurveyID, at: inv.CreatedAt,
			delta: createdDelta(inv, inv.Status)})
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
// (answerMonth).
func answerChange(r *Response) (rollupChange, error) {
	if r.Score < 0 || r.Score > scoring.MaxScore {
		return rollupChange{}, fmt.Errorf("%w: %d", scoring.ErrScore, r.Score)
	}
	ans := answerOf(r)
	return rollupChange{ws: r.WorkspaceID, survey: r.SurveyID, at: r.CreatedAt, answer: &ans}, nil
}

func answerOf(r *Response) scoring.Answer {
	return scoring.Answer{ID: r.ID, Customer: customerHash(r.Customer), At: r.CreatedAt.UnixMilli(),
		Tuple: r.Interaction.tuple(), Mask: scoring.MaskOfFlags(r.Flags), Score: r.Score, Commented: r.Comment != ""}
}

// rollups records changes by group commit: changes that arrive while a flush runs are merged
// into the next one, so a burst of answers updates each document once.
type rollups struct {
	svc         *Service
	coll        *mongo.Collection
	respondents *mongo.Collection

	mu       sync.Mutex
	pending  []*rollupWork
	flushing bool

	metaMu sync.Mutex
	metas  map[bson.ObjectID]cachedMeta

	ferretOnce sync.Once
	ferret     bool
	ferretErr  error

	cache *rollupCache // nil unless this process is the rollups' one writer

	monthsMu sync.Mutex
	months   map[string]*answerMonth // by key; changed only by flushes
}

type cachedMeta struct {
	meta *rollupMeta
	at   time.Time
}

// rollupWork is a caller's changes, or a task that must not interleave with writes.
type rollupWork struct {
	changes []rollupChange
	task    func(ctx context.Context) error
	done    chan error
}

func newRollups(s *Service) *rollups {
	return &rollups{svc: s, coll: s.db.Collection("rollups"), respondents: s.db.Collection("respondents"),
		metas: map[bson.ObjectID]cachedMeta{}, months: map[string]*answerMonth{}}
}

// record adds changes to the rollups and returns once they are written.
func (r *rollups) record(ctx context.Context, changes ...rollupChange) error {
	if len(changes) == 0 {
		return nil
	}
	return r.submit(ctx, &rollupWork{changes: changes, done: make(chan error, 1)})
}

// exclusive runs task between flushes, so it reads and writes rollups alone in this process.
func (r *rollups) exclusive(ctx context.Context, task func(ctx context.Context) error) error {
	return r.submit(ctx, &rollupWork{task: task, done: make(chan error, 1)})
}

// submit queues work; the first caller to find no flush running flushes for everyone until
// the queue is empty, and the others wait for theirs.
func (r *rollups) submit(ctx context.Context, w *rollupWork) error {
	r.mu.Lock()
	r.pending = append(r.pending, w)
	if r.flushing {
		r.mu.Unlock()
		return <-w.done
	}
	r.flushing = true
	for len(r.pending) > 0 {
		batch := r.pending
		r.pending = nil
		r.mu.Unlock()
		r.run(context.WithoutCancel(ctx), batch)
		r.mu.Lock()
	}
	r.flushing = false
	r.mu.Unlock()
	return <-w.done
}

func (r *rollups) run(ctx context.Context, batch []*rollupWork) {
	var changes []rollupChange
	for _, w := range batch {
		changes = append(changes, w.changes...)
	}
	err := r.flush(ctx, changes)
	for _, w := range batch {
		if w.task == nil {
			w.done <- err
			continue
		}
		w.done <- w.task(ctx)
	}
}

func (r *rollups) isFerret(ctx context.Context) (bool, error) {
	r.ferretOnce.Do(func() { r.ferret, r.ferretErr = store.IsFerretDB(ctx, r.svc.db) })
	return r.ferret, r.ferretErr
}

// meta is a survey's rollup state, created on first use with the workspace's time zone.
func (r *rollups) meta(ctx context.Context, ws, sv bson.ObjectID) (*rollupMeta, error) {
	now := time.Now()
	r.metaMu.Lock()
	c, ok := r.metas[sv]
	r.metaMu.Unlock()
	if ok && now.Sub(c.at) < rollupMetaTTL {
		return c.meta, nil
	}
	m, err := r.loadMeta(ctx, ws, sv)
	if err != nil {
		return nil, err
	}
	r.metaMu.Lock()
	r.metas[sv] = cachedMeta{m, now}
	r.metaMu.Unlock()
	return m, nil
}

func (r *rollups) forgetMeta(sv bson.ObjectID) {
	r.metaMu.Lock()
	delete(r.metas, sv)
	r.metaMu.Unlock()
}

func metaKey(sv bson.ObjectID) string { return sv.Hex() + "|meta" }

// forget lets go of what is kept in memory of a survey's documents.
func (r *rollups) forget(sv bson.ObjectID) {
	if r.cache != nil {
		r.cache.forget(sv.Hex() + "|")
	}
	r.forgetMonths(sv.Hex() + "|")
}

func (r *rollups) loadMeta(ctx context.Context, ws, sv bson.ObjectID) (*rollupMeta, error) {
	for {
		var m rollupMeta
		err := r.coll.FindOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}}).Decode(&m)
		if err == nil {
			if m.WorkspaceID != ws {
				return nil, fmt.Errorf("survey: rollups of %s: %w", sv.Hex(), ErrNotFound)
			}
			return m.resolve(), nil
		}
		if !store.IsNotFound(err) {
			return nil, fmt.Errorf("survey: rollup state of %s: %w", sv.Hex(), err)
		}
		w, err := r.svc.cachedWorkspace(ctx, ws)
		if err != nil {
			return nil, err
		}
		m = rollupMeta{ID: metaKey(sv), WorkspaceID: ws, SurveyID: sv, TimeZone: w.Location().String(), Gen: 1}
		if _, err := r.coll.InsertOne(ctx, m); err != nil && !store.IsDuplicateKey(err) {
			return nil, fmt.Errorf("survey: create rollup state of %s: %w", sv.Hex(), err)
		}
		// Rollups started over: nothing kept of any earlier ones is theirs.
		r.forget(sv)
	}
}

// docUpdate is what a flush adds to one bucket document.
type docUpdate struct {
	key          string
	ws, sv       bson.ObjectID
	gen          int
	buckets      []scoring.Bucket // one, or four quarters of an hour
	loc          *time.Location   // for a month: the generation's time zone
	onlyIfExists bool             // a month is written only once sealed
}

type docUpdates struct {
	byKey map[string]*docUpdate
	order []string
}

func (u *docUpdates) get(key string, ws, sv bson.ObjectID, gen, parts int) *docUpdate {
	if u.byKey == nil {
		u.byKey = map[string]*docUpdate{}
	}
	d := u.byKey[key]
	if d == nil {
		d = &docUpdate{key: key, ws: ws, sv: sv, gen: gen, buckets: make([]scoring.Bucket, parts)}
		for i := range d.buckets {
			d.buckets[i] = scoring.Bucket{}
		}
		u.byKey[key] = d
		u.order = append(u.order, key)
	}
	return d
}

// list is the updates in the order they were first asked for.
func (u *docUpdates) list() []*docUpdate {
	out := make([]*docUpdate, len(u.order))
	for i, key := range u.order {
		out[i] = u.byKey[key]
	}
	return out
}

// addBucket adds a change's counts to the documents of its day, its hour's quarter and, if
// sealed, its month.
func (u *docUpdates) addBucket(ws, sv bson.ObjectID, g rollupGen, at time.Time, delta scoring.Bucket) {
	u.get(bucketKey(sv, g, scoring.Day, at), ws, sv, g.n, 1).buckets[0].Merge(delta)
	u.get(bucketKey(sv, g, scoring.Hour, at), ws, sv, g.n, 4).buckets[at.UTC().Minute()/15].Merge(delta)
	m := u.get(bucketKey(sv, g, scoring.Month, at), ws, sv, g.n, 1)
	m.onlyIfExists, m.loc = true, g.loc
	m.buckets[0].Merge(delta)
}

// recount adds to u what a customer's month going from old to now does to the buckets: each
// answer counts under the number of answers in its month, so when one arrives every earlier
// one moves from k to k+1; an edit moves only the edited answer.
func (u *docUpdates) recount(ws, sv bson.ObjectID, g rollupGen, old, now scoring.Answers) error {
	move := func(from, to scoring.Answers, n int64) error {
		for id, a := range from {
			if b, ok := to[id]; ok && b == a && len(old) == len(now) {
				continue
			}
			delta := scoring.Bucket{}
			if err := a.Count(delta, len(from), n); err != nil {
				return fmt.Errorf("survey: response %x: %w", id, err)
			}
			u.addBucket(ws, sv, g, time.UnixMilli(a.At), delta)
		}
		return nil
	}
	if err := move(old, now, -1); err != nil {
		return err
	}
	return move(now, old, 1)
}

func (r *rollups) flush(ctx context.Context, changes []rollupChange) error {
	if len(changes) == 0 {
		return nil
	}
	var docs docUpdates
	var answers answersByMonth
	for _, c := range changes {
		m, err := r.meta(ctx, c.ws, c.survey)
		if err != nil {
			return err
		}
		for _, g := range m.gens(c.at) {
			if c.delta != nil {
				docs.addBucket(c.ws, c.survey, g, c.at, c.delta)
			}
			if c.answer != nil {
				answers.add(c.ws, c.survey, g, *c.answer)
			}
		}
	}
	if err := r.addAnswers(ctx, answers.list(), &docs); err != nil {
		return err
	}
	return r.merge(ctx, docs.list())
}

// merge adds updates to their documents: as the one writer, all at once from what it holds;
// otherwise each by read, merge and versioned write.
func (r *rollups) merge(ctx context.Context, updates []*docUpdate) error {
	if r.soleWriter() {
		return r.writeAlone(ctx, updates)
	}
	for _, u := range updates {
		if err := r.apply(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// writeAlone merges updates into their documents as the rollups' one writer: each document
// is as this process last read or wrote it, so none is read again and all are written in
// one command.
func (r *rollups) writeAlone(ctx context.Context, updates []*docUpdate) error {
	models := make([]mongo.WriteModel, 0, len(updates))
	written := make([]rollupDoc, 0, len(updates))
	for _, u := range updates {
		doc, missing, err := r.current(ctx, u.key)
		switch {
		case err != nil:
			return err
		case missing && u.onlyIfExists:
			continue
		}
		data, err := mergeDoc(doc.Data, u.buckets)
		if err != nil {
			return fmt.Errorf("survey: rollup %s: %w", u.key, err)
		}
		next := rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: doc.V + 1, Data: data}
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: u.key}}).SetReplacement(next).SetUpsert(true))
		written = append(written, next)
	}
	if len(models) == 0 {
		return nil
	}
	if _, err := r.coll.BulkWrite(ctx, models); err != nil {
		// Which documents were written is unknown: the next write reads them all again.
		for _, d := range written {
			r.cache.forget(d.ID)
		}
		return fmt.Errorf("survey: write rollups: %w", err)
	}
	for _, d := range written {
		r.cached(d.ID, d.V, d.Data)
	}
	return nil
}

// apply merges an update into its document as one of several writers: it reads the document
// and writes it back if no one wrote it meanwhile (on MongoDB; FerretDB v1 cannot check).
func (r *rollups) apply(ctx context.Context, u *docUpdate) error {
	ferret, err := r.isFerret(ctx)
	if err != nil {
		return err
	}
	for range 20 {
		doc, missing, err := r.read(ctx, u.key)
		switch {
		case missing && u.onlyIfExists:
			return nil
		case err != nil:
			return err
		}
		data, err := mergeDoc(doc.Data, u.buckets)
		if err != nil {
			return fmt.Errorf("survey: rollup %s: %w", u.key, err)
		}
		next := rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: doc.V + 1, Data: data}
		if missing {
			_, err := r.coll.InsertOne(ctx, next)
			if store.IsDuplicateKey(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("survey: write rollup %s: %w", u.key, err)
			}
			return nil
		}
		filter := bson.D{{Key: "_id", Value: u.key}}
		if !ferret {
			filter = append(filter, bson.E{Key: "v", Value: doc.V})
		}
		res, err := r.coll.ReplaceOne(ctx, filter, next)
		if err != nil {
			return fmt.Errorf("survey: write rollup %s: %w", u.key, err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("survey: rollup %s: too many concurrent writers", u.key)
}

// current is a bucket document as kept in the cache, or else as stored.
func (r *rollups) current(ctx context.Context, key string) (rollupDoc, bool, error) {
	if r.cache != nil {
		v, parts, ok := r.cache.get(key)
		r.svc.metrics.cacheRead(ok)
		if ok {
			return rollupDoc{ID: key, V: v, Data: parts}, v == 0, nil
		}
	}
	return r.read(ctx, key)
}

// read reads a bucket document from the store.
func (r *rollups) read(ctx context.Context, key string) (doc rollupDoc, missing bool, err error) {
	err = r.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&doc)
	if store.IsNotFound(err) {
		return doc, true, nil
	}
	if err != nil {
		return doc, false, fmt.Errorf("survey: read rollup %s: %w", key, err)
	}
	return doc, false, nil
}

// mergeDoc adds deltas to a document's stored parts.
func mergeDoc(parts [][]byte, deltas []scoring.Bucket) ([][]byte, error) {
	out := make([][]byte, len(deltas))
	for i, delta := range deltas {
		b := scoring.Bucket{}
		if i < len(parts) {
			if err := b.UnmarshalBinary(parts[i]); err != nil {
				return nil, err
			}
		}
		b.Merge(delta)
		enc, err := b.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out[i] = enc
	}
	return out, nil
}

// readBuckets reads a rollup document's buckets, decoded: none for a missing document. The
// cache keeps them decoded, so a report merges a document it read before without decoding it
// again; they are shared, and only read.
func (r *rollups) readBuckets(ctx context.Context, key string) ([]scoring.Bucket, bool, error) {
	if r.cache != nil {
		if v, buckets, ok := r.cache.buckets(key); ok {
			r.svc.metrics.cacheRead(true)
			return buckets, v > 0, nil
		}
	}
	doc, missing, err := r.current(ctx, key)
	if err != nil {
		return nil, false, err
	}
	buckets := make([]scoring.Bucket, len(doc.Data))
	for i, data := range doc.Data {
		buckets[i] = scoring.Bucket{}
		if err := buckets[i].UnmarshalBinary(data); err != nil {
			return nil, false, fmt.Errorf("survey: rollup %s: %w", key, err)
		}
	}
	if r.cache != nil {
		r.cache.put(key, doc.V, doc.Data)
		r.cache.keepBuckets(key, doc.V, buckets)
	}
	return buckets, !missing, nil
}

// cached keeps version v of a bucket document in the cache, if there is one.
func (r *rollups) cached(key string, v int64, parts [][]byte) {
	if r.cache != nil {
		r.cache.put(key, v, parts)
	}
}

// seal writes a month's document from its days unless it exists. It runs exclusively, so no
// change lands in a day between the read of the days and the write of the month.
func (r *rollups) seal(ctx context.Context, ws, sv bson.ObjectID, g rollupGen, month time.Time) error {
	return r.exclusive(ctx, func(ctx context.Context) error {
		key := bucketKey(sv, g, scoring.Month, month)
		if _, ok, err := r.readBuckets(ctx, key); err != nil || ok {
			return err
		}
		sum := scoring.Bucket{}
		start := month.In(g.loc)
		end := scoring.DayStart(start.Year(), start.Month()+1, 1, g.loc)
		for day := start; day.Before(end); day = scoring.DayStart(day.Year(), day.Month(), day.Day()+1, g.loc) {
			buckets, _, err := r.readBuckets(ctx, bucketKey(sv, g, scoring.Day, day))
			if err != nil {
				return err
			}
			for _, b := range buckets {
				sum.Merge(b)
			}
		}
		data, err := sum.MarshalBinary()
		if err != nil {
			return err
		}
		_, err = r.coll.InsertOne(ctx, rollupDoc{ID: key, WorkspaceID: ws, SurveyID: sv, Gen: g.n, V: 1, Data: [][]byte{data}})
		switch {
		case err == nil:
			r.cached(key, 1, [][]byte{data})
		case !store.IsDuplicateKey(err):
			return fmt.Errorf("survey: seal rollup %s: %w", key, err)
		}
		return nil
	})
}
