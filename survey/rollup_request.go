package survey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Rebuild request states.
const (
	RebuildPending = "pending"
	RebuildRunning = "running"
	RebuildDone    = "done"
	RebuildFailed  = "failed"
)

// RebuildRequest asks a running server to rebuild rollups: `surveyd rollups rebuild` files
// one when another process serves the embedded store, which only that process may write
// rollups to, and follows its progress here.
type RebuildRequest struct {
	ID       bson.ObjectID `bson:"_id"`
	SurveyID bson.ObjectID `bson:"survey_id,omitempty"` // zero: every survey
	State    string        `bson:"state"`
	Stage    string        `bson:"stage,omitempty"`
	Done     int           `bson:"done"`
	Total    int           `bson:"total"`
	Error    string        `bson:"error,omitempty"`
	// UpdatedAt moves at least every rebuildHeartbeat while a server works on it.
	UpdatedAt time.Time `bson:"updated_at"`
}

// rebuildHeartbeat is how often a running request's progress is written; a request whose
// progress stands still for much longer was left by a server that stopped.
const rebuildHeartbeat = time.Second

// RequestRebuild files a request to rebuild one survey's rollups, or every survey's when id
// is zero.
func (s *Service) RequestRebuild(ctx context.Context, id bson.ObjectID) (bson.ObjectID, error) {
	if !id.IsZero() {
		if _, err := s.RollupSurveys(ctx, id); err != nil {
			return bson.ObjectID{}, err
		}
	}
	req := RebuildRequest{ID: bson.NewObjectID(), SurveyID: id, State: RebuildPending, UpdatedAt: s.now()}
	if _, err := s.db.Collection("rollup_rebuilds").InsertOne(ctx, req); err != nil {
		return bson.ObjectID{}, fmt.Errorf("survey: request a rollup rebuild: %w", err)
	}
	return req.ID, nil
}

// RebuildRequestByID reads a request as it stands.
func (s *Service) RebuildRequestByID(ctx context.Context, id bson.ObjectID) (*RebuildRequest, error) {
	var req RebuildRequest
	err := s.db.Collection("rollup_rebuilds").FindOne(ctx, byID(id)).Decode(&req)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("survey: rebuild request %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("survey: rebuild request %s: %w", id.Hex(), err)
	}
	return &req, nil
}

// ServeRebuildRequests carries out filed requests, one at a time, looking for them every
// interval, until ctx ends. Several instances may serve them: each request is claimed by one.
func (s *Service) ServeRebuildRequests(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for {
			req, err := s.claimRebuild(ctx)
			if err != nil || req == nil {
				break
			}
			s.carryOut(ctx, req)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// claimRebuild marks the oldest pending request running and returns it; nil when none is
// pending. The collection holds a handful of requests, so the query costs nothing even where
// the store reads them all.
func (s *Service) claimRebuild(ctx context.Context) (*RebuildRequest, error) {
	var req RebuildRequest
	err := s.db.Collection("rollup_rebuilds").FindOneAndUpdate(ctx,
		bson.D{{Key: "state", Value: RebuildPending}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: RebuildRunning}, {Key: "updated_at", Value: s.now()}}}},
		options.FindOneAndUpdate().SetSort(bson.D{{Key: "_id", Value: 1}}).SetReturnDocument(options.After)).Decode(&req)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("survey: claim a rebuild request: %w", err)
	}
	return &req, nil
}

// carryOut rebuilds what req asks, writing its progress as it goes and how it ended.
func (s *Service) carryOut(ctx context.Context, req *RebuildRequest) {
	coll := s.db.Collection("rollup_rebuilds")
	set := func(ctx context.Context, fields bson.D) {
		fields = append(fields, bson.E{Key: "updated_at", Value: s.now()})
		_, _ = coll.UpdateOne(ctx, byID(req.ID), bson.D{{Key: "$set", Value: fields}})
	}
	var last time.Time
	progress := func(stage string, done, total int) {
		if time.Since(last) < rebuildHeartbeat && done < total {
			return
		}
		last = time.Now()
		set(ctx, bson.D{{Key: "stage", Value: stage}, {Key: "done", Value: done}, {Key: "total", Value: total}})
	}
	surveys, err := s.RollupSurveys(ctx, req.SurveyID)
	if err == nil {
		err = s.RebuildRollups(ctx, surveys, RebuildOptions{Progress: progress})
	}
	// A server stopping still says how the request ended.
	end := context.WithoutCancel(ctx)
	if err != nil {
		set(end, bson.D{{Key: "state", Value: RebuildFailed}, {Key: "error", Value: err.Error()}})
		return
	}
	set(end, bson.D{{Key: "state", Value: RebuildDone}})
}
