// Package outbox is the durable queue everything surveyd sends goes through: messages stored in
// the database, claimed under a lease by one worker at a time across any number of instances,
// retried with backoff and kept when they fail for good, with the API that lists and retries
// those and the metrics of the queue. It knows nothing of what it carries: a Deliverer per kind
// of message sends it. It imports internal/store, internal/httpx and survey (for the API's
// scopes and workspace); package mailer (emails) and mailer/webhook (CRM webhooks) queue
// through it and deliver its messages, and cmd/surveyd runs its workers.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of the outbox.
const (
	MessagesCollection = "outbox"
	LeasesCollection   = "outbox_leases"
)

// Message kinds.
const (
	KindEmail   = "email"
	KindWebhook = "webhook"
)

// Message statuses: pending until delivered or failed for good. A delivered message stays
// until its bookkeeping (Recorder) is done, then it is removed; if the worker dies in between,
// another finishes the bookkeeping without sending again.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Message is one thing to deliver. Emails name their invitation and are rendered when sent, so
// a retry sends what is true then (a customer who answered meanwhile gets no reminder).
type Message struct {
	ID           bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID  bson.ObjectID `bson:"workspace_id" json:"-"`
	Kind         string        `bson:"kind" json:"kind"`
	Purpose      string        `bson:"purpose" json:"purpose"` // email: invitation or reminder; webhook: the event type
	InvitationID bson.ObjectID `bson:"invitation_id,omitempty" json:"invitation_id,omitzero"`
	EndpointID   bson.ObjectID `bson:"endpoint_id,omitempty" json:"endpoint_id,omitzero"`
	Body         []byte        `bson:"body,omitempty" json:"-"` // webhook payload
	DueAt        time.Time     `bson:"due_at" json:"due_at"`
	Attempts     int           `bson:"attempts" json:"attempts"`
	MaxAttempts  int           `bson:"max_attempts" json:"max_attempts"`
	Status       string        `bson:"status" json:"status"`
	LastError    string        `bson:"last_error,omitempty" json:"last_error,omitempty"`
	CreatedAt    time.Time     `bson:"created_at" json:"created_at"`

	// Claim counts the leases taken on the message; the next lease is "id:claim". A lease
	// is taken by inserting that key into the leases collection, which the unique _id lets
	// exactly one worker do, on MongoDB and on the embedded store alike.
	Claim      int       `bson:"claim" json:"-"`
	LeaseUntil time.Time `bson:"lease_until" json:"-"`
}

// DefaultMaxAttempts is how often a message is tried before it is marked failed: with the
// backoff below, about 14 hours of trying, enough to ride out a relay's bad night.
const DefaultMaxAttempts = 12

// Deliverer sends one kind of message. It returns a Permanent error for a failure that
// retrying cannot fix (an address the server refuses), ErrNothingToSend when the message needs
// no delivery after all, any other error to be retried.
type Deliverer interface {
	Deliver(ctx context.Context, m *Message) error
}

// ErrNothingToSend is a delivery that needs nothing sent after all (what the message was for
// is gone): the message leaves the outbox as done, without the Recorder's bookkeeping.
var ErrNothingToSend = errors.New("nothing to send")

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanentError)) }

// Outbox is the durable queue. Enqueued messages survive crashes; a message is delivered by
// one worker at a time, under a lease that a crashed worker's successor takes over when it
// expires.
type Outbox struct {
	messages *mongo.Collection
	leases   *mongo.Collection
	log      *slog.Logger
	owner    string
	lease    time.Duration
	now      func() time.Time

	// OnFailed, if set, hears of each message that failed for good.
	OnFailed func(ctx context.Context, m *Message)
}

// New opens the outbox in db. A message stays with the instance delivering it for lease;
// after a crash, another instance takes it over once the lease has passed.
func New(db *mongo.Database, lease time.Duration, log *slog.Logger) *Outbox {
	owner := make([]byte, 8)
	_, _ = rand.Read(owner)
	return &Outbox{
		messages: db.Collection(MessagesCollection),
		leases:   db.Collection(LeasesCollection),
		log:      log,
		owner:    hex.EncodeToString(owner),
		lease:    lease,
		now:      func() time.Time { return time.Now().UTC() },
	}
}

// Enqueue stores messages for delivery at their DueAt (now when zero). A message whose ID is
// already queued is left as it is, so a caller that retries with the same IDs queues once.
func (o *Outbox) Enqueue(ctx context.Context, msgs ...*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	now := o.now()
	docs := make([]any, len(msgs))
	for i, m := range msgs {
		if m.ID.IsZero() {
			m.ID = bson.NewObjectID()
		}
		if m.DueAt.IsZero() {
			m.DueAt = now
		}
		if m.MaxAttempts == 0 {
			m.MaxAttempts = DefaultMaxAttempts
		}
		m.Status, m.CreatedAt = StatusPending, now
		docs[i] = m
	}
	_, err := o.messages.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil && !slices.ContainsFunc(bwe.WriteErrors, func(e mongo.BulkWriteError) bool { return !mongo.IsDuplicateKeyError(e) }) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	return nil
}

// claim takes the lease on m, or reports false when another worker has it or m is gone.
//
// The lease for a message's claim number k is the document "id:k" in the leases collection:
// its unique _id lets exactly one worker insert it. A lease document older than the lease
// time is a leftover of a worker that died between taking the lease and recording it on the
// message, and the next number is tried. The winner then records claim k+1 and its lease time
// on the message and reads it back: a message delivered meanwhile by a worker with a fresher
// view is gone, and is skipped.
func (o *Outbox) claim(ctx context.Context, m *Message) (bool, error) {
	now := o.now()
	if m.LeaseUntil.After(now) {
		return false, nil
	}
	k, won := m.Claim, false
	for ; k < m.Claim+3 && !won; k++ {
		key := m.ID.Hex() + ":" + strconv.Itoa(k)
		_, err := o.leases.InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: o.owner}, {Key: "at", Value: now}})
		switch {
		case err == nil:
			won = true
			k-- // undo the loop's increment: k is the lease won
		case !store.IsDuplicateKey(err):
			return false, fmt.Errorf("outbox: lease %s: %w", key, err)
		default:
			var held struct {
				At time.Time `bson:"at"`
			}
			if err := o.leases.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&held); err != nil && !store.IsNotFound(err) {
				return false, fmt.Errorf("outbox: lease %s: %w", key, err)
			}
			if held.At.Add(o.lease).After(now) {
				return false, nil // someone holds it
			}
		}
	}
	if !won {
		return false, nil
	}
	m.Claim, m.LeaseUntil = k+1, now.Add(o.lease)
	_, err := o.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "claim", Value: m.Claim}, {Key: "lease_until", Value: m.LeaseUntil},
	}}})
	if err != nil {
		return false, fmt.Errorf("outbox: lease %s: %w", m.ID.Hex(), err)
	}
	var cur Message
	err = o.messages.FindOne(ctx, bson.D{{Key: "_id", Value: m.ID}}).Decode(&cur)
	if store.IsNotFound(err) {
		return false, nil // delivered by another worker since our due list was read
	}
	if err != nil {
		return false, fmt.Errorf("outbox: lease %s: %w", m.ID.Hex(), err)
	}
	if cur.Claim != m.Claim || cur.Status == StatusFailed {
		return false, nil
	}
	*m = cur
	return true, nil
}

// due lists up to limit deliverable messages, oldest due first. It is the one query that
// scans the outbox on the embedded store, which holds only what is not yet delivered.
func (o *Outbox) due(ctx context.Context, kinds []string, limit int) ([]*Message, error) {
	now := o.now()
	cur, err := o.messages.Find(ctx, bson.D{
		{Key: "status", Value: bson.D{{Key: "$in", Value: []string{StatusPending, StatusDelivered}}}},
		{Key: "kind", Value: bson.D{{Key: "$in", Value: kinds}}},
		{Key: "due_at", Value: bson.D{{Key: "$lte", Value: now}}},
		{Key: "lease_until", Value: bson.D{{Key: "$lte", Value: now}}},
	}, options.Find().SetSort(bson.D{{Key: "due_at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("outbox: due messages: %w", err)
	}
	var msgs []*Message
	if err := cur.All(ctx, &msgs); err != nil {
		return nil, fmt.Errorf("outbox: due messages: %w", err)
	}
	return msgs, nil
}

// delivered records that the receiver accepted m: from here on no worker sends it again.
func (o *Outbox) delivered(ctx context.Context, m *Message) error {
	m.Status = StatusDelivered
	_, err := o.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusDelivered}}}})
	if err != nil {
		return fmt.Errorf("outbox: record delivery of %s: %w", m.ID.Hex(), err)
	}
	return nil
}

// done removes a delivered message whose bookkeeping is done, then its lease records; in that
// order, so a worker that wins a lease on it afterwards finds the message gone (see claim).
func (o *Outbox) done(ctx context.Context, m *Message) error {
	if _, err := o.messages.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.ID}}); err != nil {
		return fmt.Errorf("outbox: complete %s: %w", m.ID.Hex(), err)
	}
	for c := range m.Claim {
		_, _ = o.leases.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.ID.Hex() + ":" + strconv.Itoa(c)}})
	}
	return nil
}

// retryOrFail records a failed attempt: the message is due again after a backoff, or failed
// for good when the error is permanent or the attempts are used up.
func (o *Outbox) retryOrFail(ctx context.Context, m *Message, cause error) error {
	m.Attempts++
	m.LastError = cause.Error()
	set := bson.D{{Key: "attempts", Value: m.Attempts}, {Key: "last_error", Value: m.LastError}, {Key: "lease_until", Value: time.Time{}}}
	failed := IsPermanent(cause) || m.Attempts >= m.MaxAttempts
	if failed {
		m.Status = StatusFailed
		set = append(set, bson.E{Key: "status", Value: StatusFailed})
	} else {
		m.DueAt = o.now().Add(Backoff(m.Attempts))
		set = append(set, bson.E{Key: "due_at", Value: m.DueAt})
	}
	if _, err := o.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("outbox: record failure of %s: %w", m.ID.Hex(), err)
	}
	if failed && o.OnFailed != nil {
		o.OnFailed(ctx, m)
	}
	return nil
}

// Backoff is the wait before attempt n+1: exponential from 30 s, capped at 6 hours, with
// ±20% jitter so that a burst of failures does not retry in lockstep.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second * time.Duration(math.Pow(2, float64(min(attempt-1, 20))))
	d = min(d, 6*time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
}

// Failed lists the workspace's messages that failed for good, newest first.
func (o *Outbox) Failed(ctx context.Context, ws bson.ObjectID, limit int) ([]*Message, error) {
	cur, err := o.messages.Find(ctx, bson.D{{Key: "workspace_id", Value: ws}, {Key: "status", Value: StatusFailed}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("outbox: failed messages: %w", err)
	}
	var msgs []*Message
	if err := cur.All(ctx, &msgs); err != nil {
		return nil, fmt.Errorf("outbox: failed messages: %w", err)
	}
	return msgs, nil
}

// Retry puts a failed message of the workspace back in the queue with fresh attempts.
func (o *Outbox) Retry(ctx context.Context, ws, id bson.ObjectID) (*Message, error) {
	var m Message
	err := o.messages.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m)
	if store.IsNotFound(err) || (err == nil && (m.WorkspaceID != ws || m.Status != StatusFailed)) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: retry %s: %w", id.Hex(), err)
	}
	m.Status, m.Attempts, m.DueAt, m.LastError = StatusPending, 0, o.now(), ""
	_, err = o.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: m.Status}, {Key: "attempts", Value: 0}, {Key: "due_at", Value: m.DueAt}, {Key: "last_error", Value: ""},
	}}})
	if err != nil {
		return nil, fmt.Errorf("outbox: retry %s: %w", id.Hex(), err)
	}
	return &m, nil
}

// ErrNotFound is a message that does not exist in the workspace, or has not failed.
var ErrNotFound = errors.New("not found")
