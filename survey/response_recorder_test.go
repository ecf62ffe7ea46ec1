package survey

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func (en *env) newResponse(inv *Invitation, score int) *Response {
	now := en.svc.now()
	return &Response{ID: inv.ID, WorkspaceID: inv.WorkspaceID, SurveyID: inv.SurveyID, InvitationID: inv.ID,
		Kind: CSAT, Points: 5, Score: score, Revision: 1, CreatedAt: now, UpdatedAt: now}
}

func TestRecorderConcurrentSubmissions(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"a"}`)
	w := NewRecorder(en.svc, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	invs := make([]*Invitation, 200)
	for i := range invs {
		invs[i] = en.svc.NewInvitation(sv, Customer{Email: "a@example.com"}, Interaction{}, false)
	}
	if err := en.svc.CreateInvitations(ctx, invs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i, inv := range invs {
		// Each invitation is answered twice at once, as a double tap would.
		for range 2 {
			wg.Go(func() { errs <- w.Submit(ctx, en.newResponse(inv, 1+i%5), time.Hour) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := en.count("responses", nil); n != 200 {
		t.Fatalf("%d responses, want one per invitation", n)
	}
	if n := en.count("responses", bson.D{{Key: "revision", Value: 2}}); n != 200 {
		t.Fatalf("%d responses at revision 2, want every second answer applied as an edit", n)
	}
	page, err := en.svc.ListInvitations(ctx, en.ws.ID, InvitationFilter{Status: StatusResponded}, httpx.PageParams{Limit: 500})
	if err != nil || len(page.Data) != 200 || page.Data[0].RespondedAt == nil {
		t.Fatalf("%d invitations listed as responded, %v", len(page.Data), err)
	}
}

// A stopped recorder finishes what it accepted and refuses the rest; nothing hangs.
func TestRecorderDrainsOnShutdown(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"a"}`)
	w := NewRecorder(en.svc, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()

	inv := en.svc.NewInvitation(sv, Customer{Email: "a@example.com"}, Interaction{}, false)
	if err := en.svc.CreateInvitations(ctx, []*Invitation{inv}); err != nil {
		t.Fatal(err)
	}
	if err := w.Submit(context.Background(), en.newResponse(inv, 5), time.Hour); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if err := w.Submit(context.Background(), en.newResponse(inv, 4), time.Hour); !errors.Is(err, ErrRecorderClosed) {
		t.Fatalf("submit after shutdown = %v, want ErrRecorderClosed", err)
	}
	if n := en.count("responses", bson.D{{Key: "score", Value: 5}}); n != 1 {
		t.Fatal("the acknowledged answer is not stored")
	}
}
