// Package migrations brings a database to the schema this build expects: ordered, recorded
// steps that are each idempotent, run under a lease so that several instances starting at once
// apply each step once and wait for each other.
package migrations

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/migrations/benchmarks"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Migration is one step. Up must be safe to run again after a crash part-way through it.
type Migration struct {
	ID   int
	Name string
	Up   func(ctx context.Context, db *mongo.Database) error
}

const (
	appliedColl = "migrations"
	lockColl    = "migration_lock"
	lockTTL     = 2 * time.Minute
)

// All is every migration in the order it runs. IDs only grow; a released step never changes.
var All = []Migration{
	{1, "core indexes: workspaces, api keys, surveys, invitations, responses", coreIndexes},
	{2, "distribution: interactions, rules, integrations, outbox, suppressions, webhook endpoints", distributionIndexes},
	{3, "flag overrides' audit", func(ctx context.Context, db *mongo.Database) error {
		return createIndexes(ctx, db, "flag_audit", index(false, "response_id", "at"))
	}},
	{4, "rollups, respondents and rollup rebuild requests", func(ctx context.Context, db *mongo.Database) error {
		// Rollups are read by _id; the index serves dropping a generation after a rebuild.
		if err := createIndexes(ctx, db, "rollups", index(false, "survey_id", "gen")); err != nil {
			return err
		}
		if err := createIndexes(ctx, db, "respondents", index(false, "survey_id", "gen")); err != nil {
			return err
		}
		return createCollection(ctx, db, "rollup_rebuilds")
	}},
	// Their histograms do not say how often each answer's customer answered, which the repeat
	// weight now reads from them.
	{5, "rollups count repeat customers per month: drop the old ones for serve to rebuild", dropRollups},
	{6, "benchmark sets and targets, and the starter set of published benchmarks", func(ctx context.Context, db *mongo.Database) error {
		// Set lists: a workspace's own sets or the starter sets, newest first.
		if err := createIndexes(ctx, db, "benchmark_sets", index(false, "workspace_id", "-_id"), index(false, "starter", "-_id")); err != nil {
			return err
		}
		// Target lists per workspace, newest first; a report's targets by metric and period end.
		if err := createIndexes(ctx, db, "targets", index(false, "workspace_id", "-_id"), index(false, "workspace_id", "metric", "to")); err != nil {
			return err
		}
		return benchmarks.UpsertStarter(ctx, db.Collection("benchmark_sets"), time.Now().UTC())
	}},
	{7, "customer counts for CRR and CCR; rollups count service KPIs: drop the old ones for serve to rebuild", func(ctx context.Context, db *mongo.Database) error {
		// Read by _id only: one document per workspace and dimension.
		if err := createCollection(ctx, db, "customer_counts"); err != nil {
			return err
		}
		return dropRollups(ctx, db)
	}},
	// The answers behind the repeat weight were a document per customer and month; they are
	// now a log per month, which the old documents cannot be read as.
	{8, "rollups keep each month's answers as one log: drop the old ones for serve to rebuild", dropRollups},
}

// Run applies every pending migration and returns how many it applied.
func Run(ctx context.Context, db *mongo.Database, log *slog.Logger) (int, error) {
	release, err := acquire(ctx, db)
	if err != nil {
		return 0, err
	}
	defer release()

	done, err := applied(ctx, db)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range All {
		if done[m.ID] {
			continue
		}
		start := time.Now()
		if err := m.Up(ctx, db); err != nil {
			return n, fmt.Errorf("migrations: %d %s: %w", m.ID, m.Name, err)
		}
		_, err := db.Collection(appliedColl).UpdateOne(ctx,
			bson.D{{Key: "_id", Value: m.ID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: m.Name}, {Key: "applied_at", Value: time.Now().UTC()}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil {
			return n, fmt.Errorf("migrations: record %d: %w", m.ID, err)
		}
		log.Info("migration applied", "id", m.ID, "name", m.Name, "took", time.Since(start).Round(time.Millisecond))
		n++
	}
	return n, nil
}

// Pending returns how many migrations this build knows that the database has not applied.
func Pending(ctx context.Context, db *mongo.Database) (int, error) {
	done, err := applied(ctx, db)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range All {
		if !done[m.ID] {
			n++
		}
	}
	return n, nil
}

func applied(ctx context.Context, db *mongo.Database) (map[int]bool, error) {
	cur, err := db.Collection(appliedColl).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("migrations: read applied: %w", err)
	}
	var rows []struct {
		ID int `bson:"_id"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("migrations: read applied: %w", err)
	}
	done := make(map[int]bool, len(rows))
	for _, r := range rows {
		done[r.ID] = true
	}
	return done, nil
}

// acquire takes the migration lease: a single document whose unique _id lets one instance
// in; a lease left by a crashed instance expires after lockTTL and is taken over.
func acquire(ctx context.Context, db *mongo.Database) (release func(), err error) {
	owner := make([]byte, 8)
	_, _ = rand.Read(owner)
	me := hex.EncodeToString(owner)
	coll := db.Collection(lockColl)
	for {
		now := time.Now().UTC()
		_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "lock"}, {Key: "owner", Value: me}, {Key: "expires_at", Value: now.Add(lockTTL)}})
		if err == nil {
			break
		}
		if !store.IsDuplicateKey(err) {
			return nil, fmt.Errorf("migrations: lock: %w", err)
		}
		res, err := coll.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "lock"}, {Key: "expires_at", Value: bson.D{{Key: "$lt", Value: now}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: me}, {Key: "expires_at", Value: now.Add(lockTTL)}}}})
		if err != nil {
			return nil, fmt.Errorf("migrations: lock: %w", err)
		}
		if res.ModifiedCount == 1 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("migrations: waiting for another instance's lock: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: "lock"}, {Key: "owner", Value: me}})
	}, nil
}

// dropRollups drops every survey's rollups when their encoding changes; serve rebuilds the
// rollups of every survey that has invitations and no rollups
// (survey.Service.SurveysWithoutRollups).
func dropRollups(ctx context.Context, db *mongo.Database) error {
	for _, coll := range []string{"rollups", "respondents"} {
		if err := db.Collection(coll).Drop(ctx); err != nil {
			return fmt.Errorf("drop %s: %w", coll, err)
		}
		if err := createIndexes(ctx, db, coll, index(false, "survey_id", "gen")); err != nil {
			return err
		}
	}
	return nil
}

// index is shorthand for the index declarations below.
func index(unique bool, keys ...string) mongo.IndexModel {
	d := bson.D{}
	for _, k := range keys {
		dir := 1
		if k[0] == '-' {
			k, dir = k[1:], -1
		}
		d = append(d, bson.E{Key: k, Value: dir})
	}
	m := mongo.IndexModel{Keys: d}
	if unique {
		m.Options = options.Index().SetUnique(true)
	}
	return m
}

// createIndexes creates a collection's indexes. On FerretDB only the unique ones: its SQLite
// backend answers no query but {_id: …} from an index (see store.IndexIDs), so a secondary
// index there is pure cost on every write, while a unique one still enforces its constraint.
func createIndexes(ctx context.Context, db *mongo.Database, coll string, models ...mongo.IndexModel) error {
	ferret, err := store.IsFerretDB(ctx, db)
	if err != nil {
		return err
	}
	if ferret {
		models = slices.DeleteFunc(slices.Clone(models), func(m mongo.IndexModel) bool { return m.Options == nil })
	}
	if len(models) == 0 {
		return createCollection(ctx, db, coll)
	}
	if _, err := db.Collection(coll).Indexes().CreateMany(ctx, models); err != nil {
		return fmt.Errorf("%s indexes: %w", coll, err)
	}
	return nil
}

// createCollection creates coll unless it exists.
func createCollection(ctx context.Context, db *mongo.Database, coll string) error {
	err := db.CreateCollection(ctx, coll)
	var ce mongo.CommandError
	if err != nil && !(errors.As(err, &ce) && ce.Name == "NamespaceExists") {
		return fmt.Errorf("create %s: %w", coll, err)
	}
	return nil
}

func coreIndexes(ctx context.Context, db *mongo.Database) error {
	steps := []struct {
		coll   string
		models []mongo.IndexModel
	}{
		// Workspaces are found by name from the CLI.
		{"workspaces", []mongo.IndexModel{index(true, "name")}},
		// API keys are found by the hash of the presented key; listed per workspace.
		{"api_keys", []mongo.IndexModel{index(true, "hash"), index(false, "workspace_id", "-_id")}},
		// Survey lists are newest first per workspace.
		{"surveys", []mongo.IndexModel{index(false, "workspace_id", "-_id")}},
		// Invitation lists: per workspace, optionally per survey and status, newest first.
		{"invitations", []mongo.IndexModel{
			index(false, "workspace_id", "-_id"),
			index(false, "workspace_id", "survey_id", "-_id"),
			index(false, "workspace_id", "status", "-_id"),
		}},
		// A response's _id is its invitation's, which makes it one per invitation; lists per
		// survey, newest first.
		{"responses", []mongo.IndexModel{index(false, "workspace_id", "survey_id", "-_id")}},
	}
	for _, s := range steps {
		if err := createIndexes(ctx, db, s.coll, s.models...); err != nil {
			return err
		}
	}
	// Collections with no secondary index still have to exist before the store's _id
	// indexing runs (store.IndexIDs).
	return createCollection(ctx, db, "settings")
}

func distributionIndexes(ctx context.Context, db *mongo.Database) error {
	steps := []struct {
		coll   string
		models []mongo.IndexModel
	}{
		{"interactions", []mongo.IndexModel{index(false, "workspace_id", "-_id")}},
		{"rules", []mongo.IndexModel{index(false, "workspace_id", "priority")}},
		{"integrations", []mongo.IndexModel{index(false, "workspace_id", "-_id")}},
		// The workers' query for due messages, and the failed-message list.
		{"outbox", []mongo.IndexModel{index(false, "status", "kind", "due_at"), index(false, "workspace_id", "status", "-_id")}},
		{"suppressions", []mongo.IndexModel{index(false, "workspace_id", "_id")}},
		{"webhook_endpoints", []mongo.IndexModel{index(false, "workspace_id", "-_id")}},
	}
	for _, s := range steps {
		if err := createIndexes(ctx, db, s.coll, s.models...); err != nil {
			return err
		}
	}
	// Looked up by _id only; they need to exist before store.IndexIDs runs.
	for _, coll := range []string{"outbox_leases", "webhook_events", "contacts"} {
		if err := createCollection(ctx, db, coll); err != nil {
			return err
		}
	}
	return nil
}
