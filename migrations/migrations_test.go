package migrations_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/migrations"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Several instances starting at once apply each migration exactly once, and all of them
// start on a current schema.
func TestConcurrentRunsApplyOnce(t *testing.T) {
	db := storetest.Open(t).Client.Database("migrations_concurrent")
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	log := slog.New(slog.DiscardHandler)

	var wg sync.WaitGroup
	applied := make([]int, 4)
	errs := make([]error, 4)
	for i := range applied {
		wg.Go(func() { applied[i], errs[i] = migrations.Run(context.Background(), db, log) })
	}
	wg.Wait()
	total := 0
	for i := range applied {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	if total != len(migrations.All) {
		t.Fatalf("applied %d migrations across instances, want %d", total, len(migrations.All))
	}
	if n, err := migrations.Pending(context.Background(), db); err != nil || n != 0 {
		t.Fatalf("pending = %d, %v", n, err)
	}
	if n, _ := db.Collection("migration_lock").CountDocuments(context.Background(), bson.D{}); n != 0 {
		t.Fatal("the lock was not released")
	}
	// Secondary indexes exist where the server can use them; unique ones everywhere.
	specs, err := db.Collection("responses").Indexes().ListSpecifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hasListIndex := slices.ContainsFunc(specs, func(s mongo.IndexSpecification) bool { return s.Name == "workspace_id_1_survey_id_1__id_-1" })
	if hasListIndex == storetest.Open(t).Embedded {
		t.Fatalf("responses list index present = %v on embedded = %v (FerretDB cannot use it; MongoDB needs it): %+v",
			hasListIndex, storetest.Open(t).Embedded, specs)
	}
	keys, err := db.Collection("api_keys").Indexes().ListSpecifications(context.Background())
	if err != nil || !slices.ContainsFunc(keys, func(s mongo.IndexSpecification) bool { return s.Unique != nil && *s.Unique }) {
		t.Fatalf("api key hashes are not unique: %+v, %v", keys, err)
	}
}

func TestRunAgainIsANoop(t *testing.T) {
	db := storetest.DB(t) // already migrated
	n, err := migrations.Run(context.Background(), db, slog.New(slog.DiscardHandler))
	if err != nil || n != 0 {
		t.Fatalf("second run applied %d, %v", n, err)
	}
}
