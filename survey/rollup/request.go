package rollup

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

// FileRequest files a request to rebuild one survey's rollups, or every survey's when sv
// is zero; the caller has checked that the survey exists.
func (e *Engine) FileRequest(ctx context.Context, sv bson.ObjectID) (bson.ObjectID, error) {
	req := RebuildRequest{ID: bson.NewObjectID(), SurveyID: sv, State: RebuildPending, UpdatedAt: e.now()}
	if _, err := e.requests.InsertOne(ctx, req); err != nil {
		return bson.ObjectID{}, fmt.Errorf("rollup: request a rollup rebuild: %w", err)
	}
	return req.ID, nil
}

// Request reads a request as it stands.
func (e *Engine) Request(ctx context.Context, id bson.ObjectID) (*RebuildRequest, error) {
	var req RebuildRequest
	err := e.requests.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&req)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("rollup: rebuild request %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("rollup: rebuild request %s: %w", id.Hex(), err)
	}
	return &req, nil
}

// ServeRequests carries out filed requests, one at a time, looking for them every interval,
// until ctx ends: rebuild rebuilds one survey's rollups, or every survey's when sv is zero,
// and tells progress how it goes. Several instances may serve them: each request is claimed
// by one.
func (e *Engine) ServeRequests(ctx context.Context, interval time.Duration,
	rebuild func(ctx context.Context, sv bson.ObjectID, progress func(stage string, done, total int)) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for {
			req, err := e.claimRequest(ctx)
			if err != nil || req == nil {
				break
			}
			e.carryOut(ctx, req, rebuild)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// claimRequest marks the oldest pending request running and returns it; nil when none is
// pending. The collection holds a handful of requests, so the query costs nothing even where
// the store reads them all.
func (e *Engine) claimRequest(ctx context.Context) (*RebuildRequest, error) {
	var req RebuildRequest
	err := e.requests.FindOneAndUpdate(ctx,
		bson.D{{Key: "state", Value: RebuildPending}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: RebuildRunning}, {Key: "updated_at", Value: e.now()}}}},
		options.FindOneAndUpdate().SetSort(bson.D{{Key: "_id", Value: 1}}).SetReturnDocument(options.After)).Decode(&req)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rollup: claim a rebuild request: %w", err)
	}
	return &req, nil
}

// carryOut rebuilds what req asks, writing its progress as it goes and how it ended.
func (e *Engine) carryOut(ctx context.Context, req *RebuildRequest,
	rebuild func(ctx context.Context, sv bson.ObjectID, progress func(stage string, done, total int)) error) {
	set := func(ctx context.Context, fields bson.D) {
		fields = append(fields, bson.E{Key: "updated_at", Value: e.now()})
		_, _ = e.requests.UpdateOne(ctx, bson.D{{Key: "_id", Value: req.ID}}, bson.D{{Key: "$set", Value: fields}})
	}
	var last time.Time
	progress := func(stage string, done, total int) {
		if time.Since(last) < rebuildHeartbeat && done < total {
			return
		}
		last = time.Now()
		set(ctx, bson.D{{Key: "stage", Value: stage}, {Key: "done", Value: done}, {Key: "total", Value: total}})
	}
	err := rebuild(ctx, req.SurveyID, progress)
	// A server stopping still says how the request ended.
	end := context.WithoutCancel(ctx)
	if err != nil {
		set(end, bson.D{{Key: "state", Value: RebuildFailed}, {Key: "error", Value: err.Error()}})
		return
	}
	set(end, bson.D{{Key: "state", Value: RebuildDone}})
}
