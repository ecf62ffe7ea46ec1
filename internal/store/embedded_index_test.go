package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Every collection gets an index on the exact expression FerretDB pushes {_id: …} filters
// down as, and SQLite's planner uses it.
func TestIndexIDsIsUsedForIDLookups(t *testing.T) {
	s := storetest.Open(t)
	if !s.Embedded {
		t.Skip("only the embedded store needs it")
	}
	db := storetest.DB(t) // migrated and indexed
	ctx := context.Background()
	if _, err := db.Collection("invitations").InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}}); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexIDs(ctx, db); err != nil { // again: idempotent
		t.Fatal(err)
	}

	sqlDB, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.Join(storetest.EmbeddedDir(t), db.Name()+".sqlite")}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var table string
	if err := sqlDB.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'invitations'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	var id, parent, unused int
	var plan string
	q := `EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "` + table + `" WHERE _ferretdb_sjson->'$._id' = ?`
	if err := sqlDB.QueryRow(q, "x").Scan(&id, &parent, &unused, &plan); err != nil {
		t.Fatal(err)
	}
	if want := "USING INDEX " + table + "_surveyd_id"; !strings.Contains(plan, want) {
		t.Fatalf("plan %q does not use %q", plan, want)
	}
	for _, coll := range []string{"workspaces", "api_keys", "surveys", "responses", "settings"} {
		var n int
		err := sqlDB.QueryRow(`SELECT count(*) FROM sqlite_master m JOIN _ferretdb_collections c ON m.tbl_name = c.table_name
			WHERE c.name = ? AND m.type = 'index' AND m.name LIKE '%_surveyd_id'`, coll).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("collection %s: %d _id indexes, %v", coll, n, err)
		}
	}
}
