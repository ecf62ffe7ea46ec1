// Package storetest gives each test its own database on a real store: the embedded FerretDB,
// started once per test binary, or the MongoDB named by SURVEYD_TEST_MONGODB_URI.
package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/migrations"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

var (
	once    sync.Once
	shared  *store.Store
	openErr error
	dir     string
	counter atomic.Int64
)

// Main runs a package's tests and then stops the shared store; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		_ = shared.Close(context.Background())
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

// Open returns the shared store, starting it on first use.
func Open(t testing.TB) *store.Store {
	t.Helper()
	once.Do(func() {
		opts := store.Options{URI: os.Getenv("SURVEYD_TEST_MONGODB_URI"), Database: "unused",
			Logger: slog.New(slog.DiscardHandler)}
		if opts.URI == "" {
			if dir, openErr = os.MkdirTemp("", "surveyd-test-"); openErr != nil {
				return
			}
			opts.DataDir = dir
		}
		shared, openErr = store.Open(context.Background(), opts)
	})
	if openErr != nil {
		t.Fatalf("storetest: %v", openErr)
	}
	return shared
}

// EmbeddedDir is where the embedded store keeps its SQLite files.
func EmbeddedDir(t testing.TB) string {
	Open(t)
	return filepath.Join(dir, "db")
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9]+`)

// DB returns a fresh, migrated database for this test, dropped when the test ends.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	s := Open(t)
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	db := s.Client.Database(fmt.Sprintf("t%d_%s", counter.Add(1), name))
	if _, err := migrations.Run(context.Background(), db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	if err := s.IndexIDs(context.Background(), db); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}
