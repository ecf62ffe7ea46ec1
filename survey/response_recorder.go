package survey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Recorder records answers by group commit: submissions that arrive while a write is in flight
// wait and go together in the next one, so the store sees one bulk insert per batch instead
// of one round trip per answer. Submit returns only once the batch is acknowledged.
//
// An answer is one write: the response, whose _id is its invitation's. The invitation itself
// is not touched, because "responded" is read off the response (Service.withResponses); a
// second write per answer would halve what the embedded store can take. The rollups are
// written per batch, not per answer: a batch's answers share their day and hour documents.
type Recorder struct {
	// OnRecorded, if set, hears of each recorded answer before its submitter does, so what
	// it queues (the CRM's response.created and response.updated) is as durable as the
	// answer. Its errors are logged; the answer stands.
	OnRecorded func(ctx context.Context, r *Response, created bool) error

	svc      *Service
	log      *slog.Logger
	queue    chan *submission
	stopped  chan struct{}
	maxBatch int
	rollups  changeRecorder // svc's rollup engine
}

// changeRecorder is what the writer needs of the rollup engine (rollup.Engine).
type changeRecorder interface {
	Record(ctx context.Context, changes ...rollup.Change) error
}

var _ changeRecorder = (*rollup.Engine)(nil)

type submission struct {
	resp   *Response
	window time.Duration // how long after the first answer an edit is accepted
	done   chan error
}

// NewRecorder makes a recorder for svc's responses; Run must be running for Submit to return.
func NewRecorder(svc *Service, log *slog.Logger) *Recorder {
	return &Recorder{svc: svc, log: log, queue: make(chan *submission, 4096), stopped: make(chan struct{}), maxBatch: 512, rollups: svc.rollups}
}

// Run writes batches until ctx ends, then writes what is queued and returns. One batch is in
// flight at a time: a second lane measured no faster on the embedded store, whose writes
// serialize anyway.
func (w *Recorder) Run(ctx context.Context) {
	defer close(w.stopped)
	batch := make([]*submission, 0, w.maxBatch)
	for {
		select {
		case sub := <-w.queue:
			batch = w.fill(append(batch[:0], sub))
		case <-ctx.Done():
			// Writes in flight must finish even though the server is stopping.
			for {
				batch = w.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				w.write(context.WithoutCancel(ctx), batch)
			}
		}
		w.write(ctx, batch)
	}
}

// fill takes whatever else is queued, up to the batch limit, without waiting.
func (w *Recorder) fill(batch []*submission) []*submission {
	for len(batch) < w.maxBatch {
		select {
		case sub := <-w.queue:
			batch = append(batch, sub)
		default:
			return batch
		}
	}
	return batch
}

// Submit records r, or, if the invitation was answered before, updates that answer when its
// first answer is younger than window (ErrEditWindowClosed otherwise).
func (w *Recorder) Submit(ctx context.Context, r *Response, window time.Duration) error {
	sub := &submission{resp: r, window: window, done: make(chan error, 1)}
	select {
	case w.queue <- sub:
	case <-w.stopped:
		return ErrRecorderClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-sub.done:
		return err
	case <-w.stopped:
		select {
		case err := <-sub.done:
			return err
		default:
			return ErrRecorderClosed
		}
	}
}

func (w *Recorder) write(ctx context.Context, batch []*submission) {
	errs := make([]error, len(batch))
	edited := make([]bool, len(batch))
	for _, i := range w.insert(ctx, batch, errs) {
		errs[i] = w.edit(ctx, batch[i])
		edited[i] = true
	}
	w.rollUp(ctx, batch, errs)
	if w.OnRecorded != nil {
		for i, sub := range batch {
			if errs[i] != nil {
				continue
			}
			if err := w.OnRecorded(ctx, sub.resp, !edited[i]); err != nil {
				w.log.Error("response recorded: notify", "invitation_id", sub.resp.InvitationID.Hex(), "err", err)
			}
		}
	}
	for i, sub := range batch {
		switch {
		case errs[i] == nil:
			w.svc.metrics.answerRecorded(sub.resp, !edited[i])
		case !errors.Is(errs[i], ErrEditWindowClosed):
			w.log.Error("response write failed", "invitation_id", sub.resp.InvitationID.Hex(), "err", errs[i])
		}
		sub.done <- errs[i]
	}
}

// rollUp adds the batch's recorded answers to the rollups before anyone hears of them, so a
// report read after an answer is acknowledged counts it. A failure there is logged and the
// answers stand; `surveyd rollups rebuild` recounts.
func (w *Recorder) rollUp(ctx context.Context, batch []*submission, errs []error) {
	changes := make([]rollup.Change, 0, len(batch))
	for i, sub := range batch {
		if errs[i] != nil {
			continue
		}
		c, err := answerChange(sub.resp)
		if err != nil {
			w.log.Error("response rollup", "invitation_id", sub.resp.InvitationID.Hex(), "err", err)
			continue
		}
		changes = append(changes, c)
	}
	if err := w.rollups.Record(ctx, changes...); err != nil {
		w.log.Error("response rollups", "responses", len(changes), "err", err)
	}
}

// insert writes the batch's new answers and returns the indexes of those whose invitation
// already has an answer.
func (w *Recorder) insert(ctx context.Context, batch []*submission, errs []error) (edits []int) {
	docs := make([]any, len(batch))
	for i, sub := range batch {
		docs[i] = sub.resp
	}
	_, err := w.svc.responses.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		err = fmt.Errorf("survey: insert responses: %w", err)
		for i := range errs {
			errs[i] = err
		}
		return nil
	}
	for _, we := range bwe.WriteErrors {
		if we.Index < 0 || we.Index >= len(batch) {
			continue
		}
		if mongo.IsDuplicateKeyError(we) {
			edits = append(edits, we.Index)
		} else {
			errs[we.Index] = fmt.Errorf("survey: insert response: %w", we)
		}
	}
	return edits
}

// edit updates an earlier answer in place while its window is open. The window is checked on
// the stored answer and the update filters by _id alone, the embedded store's indexed path;
// two edits racing inside the window both apply, the later one winning, as a customer would
// expect of a double tap.
func (w *Recorder) edit(ctx context.Context, sub *submission) error {
	r := sub.resp
	now := w.svc.now()
	prev, err := w.svc.ResponseFor(ctx, r.InvitationID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("survey: response for %s vanished during an edit", r.InvitationID.Hex())
	}
	if err != nil {
		return err
	}
	if !now.Before(prev.CreatedAt.Add(sub.window)) {
		return ErrEditWindowClosed
	}
	// The edit re-evaluated the filters; a manager's overrides still stand.
	r.Flags, r.FlagOverrides = prev.FlagOverrides.apply(r.Flags), prev.FlagOverrides
	res, err := w.svc.responses.UpdateOne(ctx, byID(r.ID),
		bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "score", Value: r.Score},
				{Key: "comment", Value: r.Comment},
				{Key: "reason", Value: r.Reason},
				{Key: "locale", Value: r.Locale},
				{Key: "signals", Value: r.Signals},
				{Key: "flags", Value: r.Flags},
				{Key: "updated_at", Value: now},
			}},
			{Key: "$inc", Value: bson.D{{Key: "revision", Value: 1}}},
		})
	if err != nil {
		return fmt.Errorf("survey: update response for %s: %w", r.InvitationID.Hex(), err)
	}
	if res.MatchedCount == 0 {
		return ErrEditWindowClosed
	}
	// What the submitter (and the CRM's response.updated) sees is the stored response.
	r.Revision, r.CreatedAt = prev.Revision+1, prev.CreatedAt
	return nil
}
