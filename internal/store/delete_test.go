package store_test

import (
	"context"
	"testing"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/storetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// More matches than SQLite takes variables in one statement, which a plain DeleteMany on the
// embedded store fails on; the ones that do not match stay.
func TestDeleteManyPastSQLiteVariableLimit(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	coll := db.Collection("delete_many_test")
	const matching, other = 33_000, 10
	docs := make([]any, 0, matching+other)
	for i := range matching + other {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "gen", Value: min(i/matching, 1)}})
	}
	for i := 0; i < len(docs); i += 5000 {
		if _, err := coll.InsertMany(ctx, docs[i:min(i+5000, len(docs))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.DeleteMany(ctx, coll, bson.D{{Key: "gen", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	n, err := coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n != other {
		t.Errorf("%d documents left, want the %d that did not match", n, other)
	}
}

// The embedded store's cheap count sees every document of a collection.
func TestEmbeddedCount(t *testing.T) {
	coll := storetest.DB(t).Collection("count_test")
	ctx := context.Background()
	docs := make([]any, 1234)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: string(make([]byte, i%700))}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if n, err := store.EmbeddedCount(ctx, coll); err != nil || n != int64(len(docs)) {
		t.Errorf("EmbeddedCount = %d, %v; want %d", n, err, len(docs))
	}
}
