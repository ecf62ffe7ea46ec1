package rollup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
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
// Every document carries the generation it belongs to; a rebuild (Engine.Rebuild) writes the
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

// State is a survey's rollup state: its workspace, the generation that serves its reports
// and the time zone of that generation's days, and the rebuild under way.
type State struct {
	ID          string        `bson:"_id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id"`
	SurveyID    bson.ObjectID `bson:"survey_id"`
	TimeZone    string        `bson:"tz"`
	Gen         int           `bson:"gen"`
	Building    *Building     `bson:"building,omitempty"`

	loc, buildingLoc *time.Location // loaded once per read of the document
}

// Building is a generation being rebuilt: events at or after Since are recorded into it
// as they happen; the rebuild counts everything before Since from the responses and
// invitations.
type Building struct {
	Gen      int       `bson:"gen"`
	TimeZone string    `bson:"tz"`
	Since    time.Time `bson:"since"`
	// Failed marks a rebuild that stopped before switching: nothing is recorded into it, and
	// the next rebuild takes over.
	Failed bool `bson:"failed,omitempty"`
}

// resolve loads the meta's time zones, which every event needs.
func (m *State) resolve() *State {
	m.loc = loadLocation(m.TimeZone)
	if m.Building != nil {
		m.buildingLoc = loadLocation(m.Building.TimeZone)
	}
	return m
}

func (m *State) location() *time.Location { return m.loc }

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
func (m *State) gens(at time.Time) []rollupGen {
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

// Collections the engine owns.
const (
	CollRollups     = "rollups"         // bucket documents, and each survey's state (metaKey)
	CollRespondents = "respondents"     // the months' answer logs (answerMonth)
	CollRequests    = "rollup_rebuilds" // rebuild requests (RebuildRequest)
)

// ErrNotFound reports rollups, or a rebuild request, that do not exist.
var ErrNotFound = errors.New("not found")

// CustomerHash identifies a customer in rollups without their address: key is what tells
// the survey's customers apart (an id or a normalized address).
func CustomerHash(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])
}

// Change is one event to count in a survey's rollups, or an answer in its current state:
// new, edited or with its flags overridden.
type Change struct {
	Workspace, Survey bson.ObjectID
	At                time.Time       // the event, or the answer's first recording
	Delta             scoring.Bucket  // an event's counts; nil for an answer
	Answer            *scoring.Answer // nil for an event; what it replaces is in its month's answers (answerMonth)
}

// Engine records changes by group commit: changes that arrive while a flush runs are merged
// into the next one, so a burst of answers updates each document once.
type Engine struct {
	db          *mongo.Database
	coll        *mongo.Collection
	respondents *mongo.Collection
	requests    *mongo.Collection
	zones       Zones
	now         func() time.Time
	cacheReads  func(hit bool)

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
	meta *State
	at   time.Time
}

// rollupWork is a caller's changes, or a task that must not interleave with writes.
type rollupWork struct {
	changes []Change
	task    func(ctx context.Context) error
	done    chan error
}

// Zones says which time zone a survey's rollups start in: its workspace's. The engine asks
// when it creates a survey's rollup state, on the survey's first event.
type Zones interface {
	Zone(ctx context.Context, ws bson.ObjectID) (*time.Location, error)
}

// Options are what an Engine needs besides its database.
type Options struct {
	// Zones gives new rollups their time zone.
	Zones Zones
	// SoleWriter says no other process writes this database's rollups: the embedded store,
	// once this process serves it (store.Serve). It changes how rollups are written, not
	// only how fast: the engine then keeps the documents it reads and writes in memory
	// (rollupCache) and writes them blindly from there, where several writers each read,
	// merge and write with a version check. Set against a shared MongoDB it would lose
	// other instances' updates.
	SoleWriter bool
	// Now is the clock of rebuilds, requests and sealing; nil: time.Now.
	Now func() time.Time
	// CacheReads hears of each read through the cache, a hit or a miss; may be nil.
	CacheReads func(hit bool)
}

// New makes the rollup engine of db.
func New(db *mongo.Database, opts Options) *Engine {
	e := &Engine{db: db, coll: db.Collection(CollRollups), respondents: db.Collection(CollRespondents),
		requests: db.Collection(CollRequests), zones: opts.Zones, now: opts.Now, cacheReads: opts.CacheReads,
		metas: map[bson.ObjectID]cachedMeta{}, months: map[string]*answerMonth{}}
	if e.now == nil {
		e.now = time.Now
	}
	if e.cacheReads == nil {
		e.cacheReads = func(bool) {}
	}
	if opts.SoleWriter {
		e.cache = newRollupCache(rollupCacheBytes)
	}
	return e
}

// Record adds changes to the rollups and returns once they are written.
func (e *Engine) Record(ctx context.Context, changes ...Change) error {
	if len(changes) == 0 {
		return nil
	}
	return e.submit(ctx, &rollupWork{changes: changes, done: make(chan error, 1)})
}

// Exclusive runs task between flushes, so it reads and writes rollups alone in this process.
// What else is read, changed and written whole the way rollups are (a workspace's customer
// counts) runs here too: on the embedded store, which cannot check a version, that is what
// keeps two changes from interleaving.
func (e *Engine) Exclusive(ctx context.Context, task func(ctx context.Context) error) error {
	return e.submit(ctx, &rollupWork{task: task, done: make(chan error, 1)})
}

// submit queues work; the first caller to find no flush running flushes for everyone until
// the queue is empty, and the others wait for theirs.
func (e *Engine) submit(ctx context.Context, w *rollupWork) error {
	e.mu.Lock()
	e.pending = append(e.pending, w)
	if e.flushing {
		e.mu.Unlock()
		return <-w.done
	}
	e.flushing = true
	for len(e.pending) > 0 {
		batch := e.pending
		e.pending = nil
		e.mu.Unlock()
		e.run(context.WithoutCancel(ctx), batch)
		e.mu.Lock()
	}
	e.flushing = false
	e.mu.Unlock()
	return <-w.done
}

func (e *Engine) run(ctx context.Context, batch []*rollupWork) {
	var changes []Change
	for _, w := range batch {
		changes = append(changes, w.changes...)
	}
	err := e.flush(ctx, changes)
	for _, w := range batch {
		if w.task == nil {
			w.done <- err
			continue
		}
		w.done <- w.task(ctx)
	}
}

// OnFerretDB says whether the store is the embedded FerretDB, which cannot check a version
// in a filter (see Exclusive); asked of the store once.
func (e *Engine) OnFerretDB(ctx context.Context) (bool, error) {
	e.ferretOnce.Do(func() { e.ferret, e.ferretErr = store.IsFerretDB(ctx, e.db) })
	return e.ferret, e.ferretErr
}

// meta is a survey's rollup state, created on first use with the workspace's time zone.
func (e *Engine) meta(ctx context.Context, ws, sv bson.ObjectID) (*State, error) {
	now := time.Now()
	e.metaMu.Lock()
	c, ok := e.metas[sv]
	e.metaMu.Unlock()
	if ok && now.Sub(c.at) < rollupMetaTTL {
		return c.meta, nil
	}
	m, err := e.loadMeta(ctx, ws, sv)
	if err != nil {
		return nil, err
	}
	e.metaMu.Lock()
	e.metas[sv] = cachedMeta{m, now}
	e.metaMu.Unlock()
	return m, nil
}

func (e *Engine) forgetMeta(sv bson.ObjectID) {
	e.metaMu.Lock()
	delete(e.metas, sv)
	e.metaMu.Unlock()
}

func metaKey(sv bson.ObjectID) string { return sv.Hex() + "|meta" }

// State reads a survey's rollup state as stored, past what this process keeps of it; it
// fails with ErrNotFound when the survey has none.
func (e *Engine) State(ctx context.Context, sv bson.ObjectID) (*State, error) {
	var m State
	err := e.coll.FindOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}}).Decode(&m)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("rollup: rollup state of %s: %w", sv.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("rollup: rollup state of %s: %w", sv.Hex(), err)
	}
	return &m, nil
}

// forget lets go of what is kept in memory of a survey's documents.
func (e *Engine) forget(sv bson.ObjectID) {
	if e.cache != nil {
		e.cache.forget(sv.Hex() + "|")
	}
	e.forgetMonths(sv.Hex() + "|")
}

func (e *Engine) loadMeta(ctx context.Context, ws, sv bson.ObjectID) (*State, error) {
	for {
		var m State
		err := e.coll.FindOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv)}}).Decode(&m)
		if err == nil {
			if m.WorkspaceID != ws {
				return nil, fmt.Errorf("rollup: rollups of %s: %w", sv.Hex(), ErrNotFound)
			}
			return m.resolve(), nil
		}
		if !store.IsNotFound(err) {
			return nil, fmt.Errorf("rollup: rollup state of %s: %w", sv.Hex(), err)
		}
		loc, err := e.zones.Zone(ctx, ws)
		if err != nil {
			return nil, err
		}
		m = State{ID: metaKey(sv), WorkspaceID: ws, SurveyID: sv, TimeZone: loc.String(), Gen: 1}
		if _, err := e.coll.InsertOne(ctx, m); err != nil && !store.IsDuplicateKey(err) {
			return nil, fmt.Errorf("rollup: create rollup state of %s: %w", sv.Hex(), err)
		}
		// Rollups started over: nothing kept of any earlier ones is theirs.
		e.forget(sv)
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
				return fmt.Errorf("rollup: response %x: %w", id, err)
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

func (e *Engine) flush(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	var docs docUpdates
	var answers answersByMonth
	for _, c := range changes {
		m, err := e.meta(ctx, c.Workspace, c.Survey)
		if err != nil {
			return err
		}
		for _, g := range m.gens(c.At) {
			if c.Delta != nil {
				docs.addBucket(c.Workspace, c.Survey, g, c.At, c.Delta)
			}
			if c.Answer != nil {
				answers.add(c.Workspace, c.Survey, g, *c.Answer)
			}
		}
	}
	if err := e.addAnswers(ctx, answers.list(), &docs); err != nil {
		return err
	}
	return e.merge(ctx, docs.list())
}

// merge adds updates to their documents: as the one writer, all at once from what it holds;
// otherwise each by read, merge and versioned write.
func (e *Engine) merge(ctx context.Context, updates []*docUpdate) error {
	if e.soleWriter() {
		return e.writeAlone(ctx, updates)
	}
	for _, u := range updates {
		if err := e.apply(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// writeAlone merges updates into their documents as the rollups' one writer: each document
// is as this process last read or wrote it, so none is read again and all are written in
// one command.
func (e *Engine) writeAlone(ctx context.Context, updates []*docUpdate) error {
	models := make([]mongo.WriteModel, 0, len(updates))
	written := make([]rollupDoc, 0, len(updates))
	for _, u := range updates {
		doc, missing, err := e.current(ctx, u.key)
		switch {
		case err != nil:
			return err
		case missing && u.onlyIfExists:
			continue
		}
		data, err := mergeDoc(doc.Data, u.buckets)
		if err != nil {
			return fmt.Errorf("rollup: rollup %s: %w", u.key, err)
		}
		next := rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: doc.V + 1, Data: data}
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: u.key}}).SetReplacement(next).SetUpsert(true))
		written = append(written, next)
	}
	if len(models) == 0 {
		return nil
	}
	if _, err := e.coll.BulkWrite(ctx, models); err != nil {
		// Which documents were written is unknown: the next write reads them all again.
		for _, d := range written {
			e.cache.forget(d.ID)
		}
		return fmt.Errorf("rollup: write rollups: %w", err)
	}
	for _, d := range written {
		e.cached(d.ID, d.V, d.Data)
	}
	return nil
}

// apply merges an update into its document as one of several writers: it reads the document
// and writes it back if no one wrote it meanwhile (on MongoDB; FerretDB v1 cannot check).
func (e *Engine) apply(ctx context.Context, u *docUpdate) error {
	ferret, err := e.OnFerretDB(ctx)
	if err != nil {
		return err
	}
	for range 20 {
		doc, missing, err := e.read(ctx, u.key)
		switch {
		case missing && u.onlyIfExists:
			return nil
		case err != nil:
			return err
		}
		data, err := mergeDoc(doc.Data, u.buckets)
		if err != nil {
			return fmt.Errorf("rollup: rollup %s: %w", u.key, err)
		}
		next := rollupDoc{ID: u.key, WorkspaceID: u.ws, SurveyID: u.sv, Gen: u.gen, V: doc.V + 1, Data: data}
		if missing {
			_, err := e.coll.InsertOne(ctx, next)
			if store.IsDuplicateKey(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("rollup: write rollup %s: %w", u.key, err)
			}
			return nil
		}
		filter := bson.D{{Key: "_id", Value: u.key}}
		if !ferret {
			filter = append(filter, bson.E{Key: "v", Value: doc.V})
		}
		res, err := e.coll.ReplaceOne(ctx, filter, next)
		if err != nil {
			return fmt.Errorf("rollup: write rollup %s: %w", u.key, err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("rollup: rollup %s: too many concurrent writers", u.key)
}

// current is a bucket document as kept in the cache, or else as stored.
func (e *Engine) current(ctx context.Context, key string) (rollupDoc, bool, error) {
	if e.cache != nil {
		v, parts, ok := e.cache.get(key)
		e.cacheReads(ok)
		if ok {
			return rollupDoc{ID: key, V: v, Data: parts}, v == 0, nil
		}
	}
	return e.read(ctx, key)
}

// read reads a bucket document from the store.
func (e *Engine) read(ctx context.Context, key string) (doc rollupDoc, missing bool, err error) {
	err = e.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&doc)
	if store.IsNotFound(err) {
		return doc, true, nil
	}
	if err != nil {
		return doc, false, fmt.Errorf("rollup: read rollup %s: %w", key, err)
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
func (e *Engine) readBuckets(ctx context.Context, key string) ([]scoring.Bucket, bool, error) {
	if e.cache != nil {
		if v, buckets, ok := e.cache.buckets(key); ok {
			e.cacheReads(true)
			return buckets, v > 0, nil
		}
	}
	doc, missing, err := e.current(ctx, key)
	if err != nil {
		return nil, false, err
	}
	buckets := make([]scoring.Bucket, len(doc.Data))
	for i, data := range doc.Data {
		buckets[i] = scoring.Bucket{}
		if err := buckets[i].UnmarshalBinary(data); err != nil {
			return nil, false, fmt.Errorf("rollup: rollup %s: %w", key, err)
		}
	}
	if e.cache != nil {
		e.cache.put(key, doc.V, doc.Data)
		e.cache.keepBuckets(key, doc.V, buckets)
	}
	return buckets, !missing, nil
}

// cached keeps version v of a bucket document in the cache, if there is one.
func (e *Engine) cached(key string, v int64, parts [][]byte) {
	if e.cache != nil {
		e.cache.put(key, v, parts)
	}
}

// seal writes a month's document from its days unless it exists. It runs exclusively, so no
// change lands in a day between the read of the days and the write of the month.
func (e *Engine) seal(ctx context.Context, ws, sv bson.ObjectID, g rollupGen, month time.Time) error {
	return e.Exclusive(ctx, func(ctx context.Context) error {
		key := bucketKey(sv, g, scoring.Month, month)
		if _, ok, err := e.readBuckets(ctx, key); err != nil || ok {
			return err
		}
		sum := scoring.Bucket{}
		start := month.In(g.loc)
		end := scoring.DayStart(start.Year(), start.Month()+1, 1, g.loc)
		for day := start; day.Before(end); day = scoring.DayStart(day.Year(), day.Month(), day.Day()+1, g.loc) {
			buckets, _, err := e.readBuckets(ctx, bucketKey(sv, g, scoring.Day, day))
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
		_, err = e.coll.InsertOne(ctx, rollupDoc{ID: key, WorkspaceID: ws, SurveyID: sv, Gen: g.n, V: 1, Data: [][]byte{data}})
		switch {
		case err == nil:
			e.cached(key, 1, [][]byte{data})
		case !store.IsDuplicateKey(err):
			return fmt.Errorf("rollup: seal rollup %s: %w", key, err)
		}
		return nil
	})
}
