// Package store connects surveyd to MongoDB, or, when no URI is configured, to an embedded
// FerretDB that keeps its data in SQLite files under the data dir and speaks the same wire
// protocol, so every query is written once against the mongo driver.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Options says where the data lives.
type Options struct {
	URI      string // MongoDB URI; empty starts the embedded store
	Database string
	DataDir  string // the embedded store's files go in DataDir/db
	Logger   *slog.Logger
}

// Store is an open connection to the database.
type Store struct {
	Client   *mongo.Client
	DB       *mongo.Database
	URI      string // what Client connected to; the embedded store's loopback address
	Embedded bool

	embeddedDir  string // the embedded store's SQLite files, one per database
	stopEmbedded func()
}

// Open connects, starting the embedded store first when opts.URI is empty.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{}
	uri := opts.URI
	if uri == "" {
		var err error
		if uri, s.embeddedDir, s.stopEmbedded, err = startEmbedded(opts.DataDir, opts.Logger); err != nil {
			return nil, err
		}
		s.Embedded = true
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetAppName("surveyd").
		SetServerSelectionTimeout(10 * time.Second).
		SetTimeout(30 * time.Second))
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s.Client, s.DB, s.URI = client, client.Database(opts.Database), uri
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		s.stop()
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.Client.Ping(ctx, nil)
}

// Close disconnects and stops the embedded store.
func (s *Store) Close(ctx context.Context) error {
	err := s.Client.Disconnect(ctx)
	s.stop()
	return err
}

func (s *Store) stop() {
	if s.stopEmbedded != nil {
		s.stopEmbedded()
	}
}

// startEmbedded runs FerretDB in-process on a free loopback port and returns its URI and the
// directory of its files.
func startEmbedded(dataDir string, logger *slog.Logger) (uri, dir string, stop func(), err error) {
	if logger == nil {
		logger = slog.Default()
	}
	if dir, err = filepath.Abs(filepath.Join(dataDir, "db")); err != nil {
		return "", "", nil, fmt.Errorf("store: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", nil, fmt.Errorf("store: data dir: %w", err)
	}
	// WAL is FerretDB's default; synchronous=normal keeps WAL durable across process crashes
	// while saving an fsync per commit.
	sqliteURL := (&url.URL{Scheme: "file", Path: dir + "/", RawQuery: "_pragma=synchronous(normal)"}).String()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
		Logger:    slog.New(&levelFloor{Handler: logger.Handler(), min: slog.LevelWarn}),
	})
	if err != nil {
		return "", "", nil, fmt.Errorf("store: embedded: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	return f.MongoDBURI(), dir, stop, nil
}

// levelFloor passes on only records at or above min: FerretDB logs every command at debug.
// It also drops FerretDB's wire dumps of the one command it does not implement that every
// driver sends on disconnect (endSessions), which would otherwise end each CLI run with a
// screenful of warnings.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h *levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h *levelFloor) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "Response header:") ||
		(strings.HasPrefix(r.Message, "Response message:") && strings.Contains(r.Message, "'endSessions'")) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return &levelFloor{h.Handler.WithAttrs(a), h.min}
}

func (h *levelFloor) WithGroup(name string) slog.Handler {
	return &levelFloor{h.Handler.WithGroup(name), h.min}
}

// IsDuplicateKey reports whether err is a unique-index violation.
func IsDuplicateKey(err error) bool {
	return mongo.IsDuplicateKeyError(err)
}

// IsNotFound reports whether err says no document matched.
func IsNotFound(err error) bool {
	return errors.Is(err, mongo.ErrNoDocuments)
}

// DeleteMany deletes the documents of coll matching filter, a chunk at a time: FerretDB 1.24
// deletes every match in one SQL statement, which fails with "too many SQL variables" past
// SQLite's limit of 32,766.
func DeleteMany(ctx context.Context, coll *mongo.Collection, filter any) error {
	const chunk = 10_000
	for {
		cur, err := coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetLimit(chunk))
		if err != nil {
			return fmt.Errorf("store: delete from %s: %w", coll.Name(), err)
		}
		var docs []struct {
			ID bson.RawValue `bson:"_id"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			return fmt.Errorf("store: delete from %s: %w", coll.Name(), err)
		}
		if len(docs) == 0 {
			return nil
		}
		ids := make(bson.A, len(docs))
		for i, d := range docs {
			ids[i] = d.ID
		}
		if _, err := coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
			return fmt.Errorf("store: delete from %s: %w", coll.Name(), err)
		}
		if len(docs) < chunk {
			return nil
		}
	}
}

// IsFerretDB reports whether db's server is FerretDB, which says so in buildInfo. FerretDB
// v1 reads and writes a whole document per update with no lock between the two, so callers
// that read-modify-write shared documents serialize those writes themselves.
func IsFerretDB(ctx context.Context, db *mongo.Database) (bool, error) {
	var info bson.M
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, fmt.Errorf("buildInfo: %w", err)
	}
	_, ok := info["ferretdbVersion"]
	return ok, nil
}

// EmbeddedCount is about how many documents coll holds on the embedded store, cheaply:
// FerretDB answers count and estimatedDocumentCount by decoding every document, which at
// millions takes minutes, but its collStats counts the cells of the table's pages. For a
// progress bar, not for anything that must be exact.
func EmbeddedCount(ctx context.Context, coll *mongo.Collection) (int64, error) {
	var stats struct {
		Count int64 `bson:"count"`
	}
	err := coll.Database().RunCommand(ctx, bson.D{{Key: "collStats", Value: coll.Name()}}).Decode(&stats)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", coll.Name(), err)
	}
	return stats.Count, nil
}
