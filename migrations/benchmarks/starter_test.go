package benchmarks_test

import (
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/migrations/benchmarks"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Writing the starter set again, as a migration re-run after a crash would, replaces it and
// keeps its creation time.
func TestUpsertStarterIsIdempotent(t *testing.T) {
	coll := storetest.DB(t).Collection("benchmark_sets") // migrated: the set is there
	type set struct {
		Name      string     `bson:"name"`
		Starter   bool       `bson:"starter"`
		Values    []bson.Raw `bson:"values"`
		CreatedAt time.Time  `bson:"created_at"`
	}
	read := func() set {
		t.Helper()
		var s set
		if err := coll.FindOne(t.Context(), bson.D{{Key: "_id", Value: benchmarks.StarterSetID}}).Decode(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := read()
	if err := benchmarks.UpsertStarter(t.Context(), coll, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	again := read()
	if n, err := coll.CountDocuments(t.Context(), bson.D{}); err != nil || n != 1 {
		t.Fatalf("%d sets after writing the starter set twice, %v", n, err)
	}
	if !first.Starter || first.Name != "Published benchmarks" || len(first.Values) != 5 ||
		!again.CreatedAt.Equal(first.CreatedAt) || len(again.Values) != len(first.Values) {
		t.Fatalf("first %+v, again %+v", first, again)
	}
}
