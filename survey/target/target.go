package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/ttlcache"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/benchmark"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotFound is a target the workspace does not have. ErrorStatus maps it to HTTP.
var ErrNotFound = errors.New("not found")

// Workspace is the Dimension of a target for the whole workspace; other targets are
// for one group of a scoring.Dimension.
const Workspace = "workspace"

// Target is a manager's goal for a metric, for the workspace or one group, over a period:
// the score should reach Value.
type Target struct {
	ID          bson.ObjectID  `bson:"_id" json:"id"`
	WorkspaceID bson.ObjectID  `bson:"workspace_id" json:"-"`
	Metric      scoring.Metric `bson:"metric" json:"metric"`
	// Points is the scale of the surveys the target is for: 5 for CSAT, 11 for NPS, 5 or 7
	// for CES, whose Value is a mean on that scale.
	Points    int    `bson:"points" json:"points"`
	Dimension string `bson:"dimension" json:"dimension"`             // Workspace, or agent, team, channel, country
	Group     string `bson:"group,omitempty" json:"group,omitempty"` // the agent, team, ...; empty for the workspace
	// Value is in the report's unit: CSAT percent 0–100, NPS −100..100, CES mean on 1–Points.
	Value float64 `bson:"value" json:"value"`
	// From and To are the period the target applies to, [From, To).
	From      time.Time `bson:"from" json:"from"`
	To        time.Time `bson:"to" json:"to"`
	Note      string    `bson:"note" json:"note"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// Comparable says whether t applies to a report of a survey with this metric and number of
// answer points (Survey.Points): a CES target on a 7-point scale says nothing of a 5-point
// survey.
func (t Target) Comparable(metric scoring.Metric, points int) bool {
	_, ok := benchmark.ReportScale(metric, points)
	return ok && t.Metric == metric && t.Points == points
}

// collection holds the targets.
const collection = "targets"

// cacheTTL bounds how long another instance's change to a target takes to show in reports.
const cacheTTL = 5 * time.Second

// Service stores targets.
type Service struct {
	targets *mongo.Collection
	now     func() time.Time

	// Reports compare with targets through a cache of each workspace's: on the embedded store
	// a warm report takes a few milliseconds, which each read of them would add to.
	cache *ttlcache.Cache[bson.ObjectID, []Target]
}

// Options configure a Service.
type Options struct {
	// Now is the service's clock; nil is the wall clock, in UTC. Tests set a fixed one.
	Now func() time.Time
}

// NewService binds targets to db.
func NewService(db *mongo.Database, opts Options) *Service {
	s := &Service{
		targets: db.Collection(collection),
		now:     opts.Now,
		cache:   ttlcache.New[bson.ObjectID, []Target](cacheTTL),
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	return s
}

func byID(id bson.ObjectID) bson.D { return bson.D{{Key: "_id", Value: id}} }

// Create stores a new target.
func (s *Service) Create(ctx context.Context, t *Target) error {
	now := s.now()
	t.ID, t.CreatedAt, t.UpdatedAt = bson.NewObjectID(), now, now
	_, err := s.targets.InsertOne(ctx, t)
	s.cache.Forget(t.WorkspaceID)
	if err != nil {
		return fmt.Errorf("target: create target: %w", err)
	}
	return nil
}

// Target finds one of the workspace's targets.
func (s *Service) Target(ctx context.Context, ws, id bson.ObjectID) (*Target, error) {
	var t Target
	err := s.targets.FindOne(ctx, byID(id)).Decode(&t)
	if store.IsNotFound(err) || (err == nil && t.WorkspaceID != ws) {
		return nil, fmt.Errorf("target: target %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("target: find target %s: %w", id.Hex(), err)
	}
	return &t, nil
}

// Filter narrows a target list; empty fields match every target.
type Filter struct {
	Metric    scoring.Metric
	Dimension string
	Group     string
}

// List returns a page of the workspace's targets, newest first.
func (s *Service) List(ctx context.Context, ws bson.ObjectID, f Filter, p httpx.PageParams) ([]Target, error) {
	filter := bson.D{{Key: "workspace_id", Value: ws}}
	for _, e := range []bson.E{{Key: "metric", Value: string(f.Metric)}, {Key: "dimension", Value: f.Dimension}, {Key: "group", Value: f.Group}} {
		if e.Value != "" {
			filter = append(filter, e)
		}
	}
	cur, err := s.targets.Find(ctx, p.Filter(filter), options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(p.Limit+1)))
	if err != nil {
		return nil, fmt.Errorf("target: list: %w", err)
	}
	var rows []Target
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("target: list: %w", err)
	}
	return rows, nil
}

// TargetsFor lists the workspace's targets for metric whose period overlaps [from, to), by
// dimension, group and start.
func (s *Service) TargetsFor(ctx context.Context, ws bson.ObjectID, metric scoring.Metric, from, to time.Time) ([]Target, error) {
	all, err := s.workspaceTargets(ctx, ws)
	if err != nil {
		return nil, err
	}
	rows := []Target{}
	for _, t := range all {
		if t.Metric == metric && t.To.After(from) && t.From.Before(to) {
			rows = append(rows, t)
		}
	}
	return rows, nil
}

// workspaceTargets are all the workspace's targets by dimension, group and start, through the
// reports' cache: a report reads them all to find its own. They are shared: only read them.
func (s *Service) workspaceTargets(ctx context.Context, ws bson.ObjectID) ([]Target, error) {
	all, err := s.cache.Through(ws, s.now(), ttlcache.Always, func() (*[]Target, error) {
		sort := bson.D{{Key: "dimension", Value: 1}, {Key: "group", Value: 1}, {Key: "from", Value: 1}, {Key: "_id", Value: 1}}
		cur, err := s.targets.Find(ctx, bson.D{{Key: "workspace_id", Value: ws}}, options.Find().SetSort(sort))
		if err != nil {
			return nil, fmt.Errorf("target: targets: %w", err)
		}
		var all []Target
		if err := cur.All(ctx, &all); err != nil {
			return nil, fmt.Errorf("target: targets: %w", err)
		}
		return &all, nil
	})
	if err != nil {
		return nil, err
	}
	return *all, nil
}

// Save writes back a target read with Target, which checked its workspace.
func (s *Service) Save(ctx context.Context, t *Target) error {
	t.UpdatedAt = s.now()
	res, err := s.targets.ReplaceOne(ctx, byID(t.ID), t)
	s.cache.Forget(t.WorkspaceID)
	if err != nil {
		return fmt.Errorf("target: save target %s: %w", t.ID.Hex(), err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("target: save target %s: %w", t.ID.Hex(), ErrNotFound)
	}
	return nil
}

// Delete deletes one of the workspace's targets.
func (s *Service) Delete(ctx context.Context, ws, id bson.ObjectID) error {
	if _, err := s.Target(ctx, ws, id); err != nil {
		return err
	}
	_, err := s.targets.DeleteOne(ctx, byID(id))
	s.cache.Forget(ws)
	if err != nil {
		return fmt.Errorf("target: delete target %s: %w", id.Hex(), err)
	}
	return nil
}
