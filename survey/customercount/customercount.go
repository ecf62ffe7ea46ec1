package customercount

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// collection holds one document per workspace and dimension (customerCountsDoc).
const collection = "customer_counts"

// ErrNotFound is a customer count the workspace does not have. ErrorStatus maps it to HTTP.
var ErrNotFound = errors.New("not found")

// Engine runs a change to the counts the way the rollup engine runs its own (rollup.Engine):
// the counts are read, changed and written whole like rollups are.
type Engine interface {
	// Exclusive runs task so that no other read-change-write of this process interleaves
	// with it: the embedded store cannot check a version.
	Exclusive(ctx context.Context, task func(ctx context.Context) error) error
	// OnFerretDB says whether the store is the embedded FerretDB, which cannot check a
	// version in a filter.
	OnFerretDB(ctx context.Context) (bool, error)
}

var _ Engine = (*rollup.Engine)(nil)

// Service stores the workspaces' customer counts and reads them for reports.
type Service struct {
	counts *mongo.Collection
	engine Engine
	now    func() time.Time
}

// Options are what a Service needs besides its database and engine.
type Options struct {
	// Now is the service's clock; nil: the real one, in UTC.
	Now func() time.Time
}

// NewService binds the customer counts to db; engine serializes their changes with the
// rollups' (survey.Service.Rollups).
func NewService(db *mongo.Database, engine Engine, opts Options) *Service {
	s := &Service{counts: db.Collection(collection), engine: engine, now: opts.Now}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	return s
}

// CustomerCount is what the CRM knows of a period's customers, for the retention and churn
// rates (SCORING.md, "Service KPIs from interactions"): the customers at its start (CS), at
// its end (CE) and new during it (CN), for the whole workspace or for one group. There is one
// per workspace, period and group: posting the same period and group again replaces it.
type CustomerCount struct {
	ID          bson.ObjectID     `bson:"id" json:"id"`
	WorkspaceID bson.ObjectID     `bson:"-" json:"-"`
	Dimension   scoring.Dimension `bson:"-" json:"dimension,omitempty"` // empty: the whole workspace
	Value       string            `bson:"value" json:"value,omitempty"`
	// From and To are the period's first and last days in TimeZone, the workspace's when the
	// counts were posted; StartsAt and EndsAt are the instants they stand for, EndsAt excluded.
	From      string    `bson:"from" json:"from"`
	To        string    `bson:"to" json:"to"`
	TimeZone  string    `bson:"tz" json:"time_zone"`
	StartsAt  time.Time `bson:"starts_at" json:"starts_at"`
	EndsAt    time.Time `bson:"ends_at" json:"ends_at"`
	Start     int64     `bson:"start" json:"customers_start"`
	End       int64     `bson:"end" json:"customers_end"`
	New       int64     `bson:"new" json:"customers_new"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// customerCountsDoc holds every customer count of a workspace for one dimension (none: the
// workspace's own). A report reads the two or three it needs by _id, the embedded store's one
// indexed path: there a filtered query scans the collection, and counts accumulate month
// after month and group after group. The counts are one binary field of about 40 bytes a
// count (encodeCustomerCounts), because the embedded store's cost grows with every field and
// byte it reads: a report over 36 months of counts for the workspace and ten teams read them
// in 80 ms as a document each, 50 ms as subdocuments, 5 ms as BSON bytes and 3 ms so.
type customerCountsDoc struct {
	ID          string        `bson:"_id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id"`
	V           int64         `bson:"v"`
	Data        []byte        `bson:"data"`

	counts []CustomerCount
}

// decode reads the counts of a document of dimension d of workspace ws.
func (doc *customerCountsDoc) decode(ws bson.ObjectID, d scoring.Dimension) error {
	counts, err := decodeCustomerCounts(doc.Data)
	if err != nil {
		return fmt.Errorf("customercount: customer counts %s: %w", doc.ID, err)
	}
	for i := range counts {
		counts[i].WorkspaceID, counts[i].Dimension = ws, d
	}
	doc.counts = counts
	return nil
}

// customerScopes are the dimensions counts are posted for; "" is the whole workspace.
var customerScopes = append([]scoring.Dimension{""}, scoring.Dimensions()...)

func customerCountsKey(ws bson.ObjectID, d scoring.Dimension) string {
	return ws.Hex() + "|" + string(d)
}

// Read reads the workspace's counts for the dimensions dims ("" its own), as stored.
func (s *Service) Read(ctx context.Context, ws bson.ObjectID, dims []scoring.Dimension) ([]CustomerCount, error) {
	var out []CustomerCount
	for _, d := range dims {
		doc, _, err := s.customerCountsDoc(ctx, ws, d)
		if err != nil {
			return nil, err
		}
		out = append(out, doc.counts...)
	}
	return out, nil
}

// customerCountsDoc reads one dimension's document; a missing one is empty.
func (s *Service) customerCountsDoc(ctx context.Context, ws bson.ObjectID, d scoring.Dimension) (doc customerCountsDoc, found bool, err error) {
	err = s.counts.FindOne(ctx, bson.D{{Key: "_id", Value: customerCountsKey(ws, d)}}).Decode(&doc)
	switch {
	case store.IsNotFound(err):
		return customerCountsDoc{ID: customerCountsKey(ws, d), WorkspaceID: ws}, false, nil
	case err != nil:
		return doc, false, fmt.Errorf("customercount: read customer counts: %w", err)
	}
	return doc, true, doc.decode(ws, d)
}

// changeCustomerCounts applies change to one dimension's counts and stores the result unless
// change says nothing changed. Like rollups, the document is read, changed and written whole:
// on MongoDB a version check makes that safe across instances; the embedded store has no
// atomic read-modify-write, but its one process serializes the change with the rollups'.
func (s *Service) changeCustomerCounts(ctx context.Context, ws bson.ObjectID, d scoring.Dimension, change func([]CustomerCount) ([]CustomerCount, bool)) error {
	ferret, err := s.engine.OnFerretDB(ctx)
	if err != nil {
		return err
	}
	return s.engine.Exclusive(ctx, func(ctx context.Context) error {
		for range 20 {
			doc, found, err := s.customerCountsDoc(ctx, ws, d)
			if err != nil {
				return err
			}
			counts, changed := change(doc.counts)
			if !changed {
				return nil
			}
			next := customerCountsDoc{ID: doc.ID, WorkspaceID: ws, V: doc.V + 1, Data: encodeCustomerCounts(counts)}
			if !found {
				_, err := s.counts.InsertOne(ctx, next)
				if store.IsDuplicateKey(err) {
					continue
				}
				if err != nil {
					return fmt.Errorf("customercount: store customer counts: %w", err)
				}
				return nil
			}
			filter := bson.D{{Key: "_id", Value: doc.ID}}
			if !ferret {
				filter = append(filter, bson.E{Key: "v", Value: doc.V})
			}
			res, err := s.counts.ReplaceOne(ctx, filter, next)
			if err != nil {
				return fmt.Errorf("customercount: store customer counts: %w", err)
			}
			if res.MatchedCount == 1 {
				return nil
			}
		}
		return fmt.Errorf("customercount: customer counts of %s: too many concurrent writers", ws.Hex())
	})
}

// PutCustomerCount stores the counts of cc's workspace, period and group, replacing what was
// posted for them before, and fills in cc as stored. created says whether they are new.
func (s *Service) PutCustomerCount(ctx context.Context, cc *CustomerCount) (created bool, err error) {
	// As stored: UTC, times to the millisecond, periods to the second.
	cc.StartsAt, cc.EndsAt = cc.StartsAt.UTC().Truncate(time.Second), cc.EndsAt.UTC().Truncate(time.Second)
	err = s.changeCustomerCounts(ctx, cc.WorkspaceID, cc.Dimension, func(counts []CustomerCount) ([]CustomerCount, bool) {
		now := s.now().UTC().Truncate(time.Millisecond)
		cc.UpdatedAt = now
		i := slices.IndexFunc(counts, func(c CustomerCount) bool { return c.Value == cc.Value && c.From == cc.From && c.To == cc.To })
		created = i < 0
		if created {
			cc.ID, cc.CreatedAt = bson.NewObjectID(), now
			return append(counts, *cc), true
		}
		cc.ID, cc.CreatedAt = counts[i].ID, counts[i].CreatedAt
		counts[i] = *cc
		return counts, true
	})
	return created, err
}

// ListCustomerCounts returns a page of the workspace's customer counts, newest first.
func (s *Service) ListCustomerCounts(ctx context.Context, ws bson.ObjectID, p httpx.PageParams) (httpx.Page[CustomerCount], error) {
	all, err := s.Read(ctx, ws, customerScopes)
	if err != nil {
		return httpx.Page[CustomerCount]{}, err
	}
	slices.SortFunc(all, func(a, b CustomerCount) int { return bytes.Compare(b.ID[:], a.ID[:]) })
	if !p.After.IsZero() {
		all = slices.DeleteFunc(all, func(c CustomerCount) bool { return bytes.Compare(c.ID[:], p.After[:]) >= 0 })
	}
	return httpx.NewPage(all[:min(len(all), p.Limit+1)], p.Limit, func(c CustomerCount) bson.ObjectID { return c.ID }), nil
}

// DeleteCustomerCount removes one of the workspace's customer counts.
func (s *Service) DeleteCustomerCount(ctx context.Context, ws, id bson.ObjectID) error {
	for _, d := range customerScopes {
		deleted := false
		err := s.changeCustomerCounts(ctx, ws, d, func(counts []CustomerCount) ([]CustomerCount, bool) {
			n := len(counts)
			counts = slices.DeleteFunc(counts, func(c CustomerCount) bool { return c.ID == id })
			deleted = len(counts) < n
			return counts, deleted
		})
		if err != nil || deleted {
			return err
		}
	}
	return fmt.Errorf("customercount: customer counts %s: %w", id.Hex(), ErrNotFound)
}

// ReportCounts are the customer counts a report's rows can use, in scoring's terms: those of
// the dimensions dims, "" being the workspace's own (report.CustomerCounts).
func (s *Service) ReportCounts(ctx context.Context, ws bson.ObjectID, dims []scoring.Dimension) ([]scoring.CustomerCount, error) {
	rows, err := s.Read(ctx, ws, dims)
	if err != nil {
		return nil, err
	}
	out := make([]scoring.CustomerCount, len(rows))
	for i, c := range rows {
		out[i] = scoring.CustomerCount{Dimension: c.Dimension, Value: c.Value,
			From: c.StartsAt, To: c.EndsAt, Start: c.Start, End: c.End, New: c.New}
	}
	return out, nil
}
