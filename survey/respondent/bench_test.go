package respondent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/config"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const (
	// benchClients is how many customers submit at once. It is what lets the recorder batch:
	// with one client every batch would hold one answer.
	benchClients = 64
	// benchRawInserts is the size of the single-insert baseline: enough round trips for a
	// stable rate, few enough to keep the run short.
	benchRawInserts = 2000
	// benchChunk is how many invitations go into one InsertMany while setting up.
	benchChunk = 1000
)

// BenchmarkSubmit measures answer submission end to end — HTTP POST, token check, lookups,
// the batching recorder, the store — with 64 concurrent clients, one answer per invitation.
// ns/op is wall time per answer, so it is the inverse of the throughput, not a latency; the
// latency percentiles are reported separately.
//
// The same run measures the store's rate for sequential single InsertOne calls of a
// comparable document, the cost every answer would pay without group commit, and reports
// the ratio: speedup-vs-raw above 1 means batching buys more than the HTTP path costs.
//
// It asserts no timings, only that every request got its 303 and every answer was stored,
// so it cannot report a fast rate of failures.
//
// It runs twice in one run, so the cost of the rollups is measured against the same machine
// state: rollups=off is the write path without them (the baseline), rollups=on the write path
// as it ships. The performance contract wants on at least 80% of off: rollups=on reports its
// rate over off's as vs-rollups-off.
//
//	go test ./survey/respondent -run '^$' -bench Submit -benchtime 5000x -timeout 0
func BenchmarkSubmit(b *testing.B) {
	config.TuneRuntime(os.Getenv) // as cmd/surveyd runs
	rates := map[bool]float64{}   // responses/s by noRollups, of each one's last (largest) run
	for _, noRollups := range []bool{true, false} {
		name := "rollups=on"
		if noRollups {
			name = "rollups=off"
		}
		b.Run(name, func(b *testing.B) {
			rates[noRollups] = benchSubmit(b, noRollups)
			if off := rates[true]; !noRollups && off > 0 {
				b.ReportMetric(rates[false]/off, "vs-rollups-off")
			}
		})
	}
}

// benchSubmit is one BenchmarkSubmit run and its rate in responses/s.
func benchSubmit(b *testing.B, noRollups bool) float64 {
	en := newEnv(b)
	srv := httptest.NewServer(benchRouter(b, en, noRollups))
	b.Cleanup(srv.Close)
	sv := en.CreateSurvey(`{"kind":"csat","name":"Bench"}`)
	ctx := context.Background()

	// All invitations exist before the clock starts: creating them is not what is measured.
	tokens := make([]string, 0, b.N)
	// Customers as a service desk sees them: most answer once, one in five twice, so the
	// rollups' repeat bookkeeping is exercised at a realistic rate.
	customerOf := func(i int) survey.Customer {
		return survey.Customer{Email: fmt.Sprintf("bench%05d@example.com", i%(max(b.N*4/5, 1))), Name: "Bench", Locale: "vi"}
	}
	customer := customerOf(0)
	interaction := survey.Interaction{ID: "T-1", Agent: "Lan", Team: "Billing", Channel: "chat", Country: "VN"}
	for start := 0; start < b.N; start += benchChunk {
		invs := make([]*survey.Invitation, min(benchChunk, b.N-start))
		for i := range invs {
			invs[i] = en.Core.NewInvitation(sv, customerOf(start+i), interaction, false)
		}
		if err := en.Core.CreateInvitations(ctx, invs); err != nil {
			b.Fatal(err)
		}
		for _, inv := range invs {
			tokens = append(tokens, inv.Link[strings.LastIndex(inv.Link, "/")+1:])
		}
	}

	rawRate := rawInsertRate(b, en, sv, customer, interaction)

	// One shared client, as a load balancer in front of surveyd would be: keep-alive
	// connections for every client goroutine, and the 303 reported instead of followed, so
	// only the submission is timed, not the thank-you page.
	transport := &http.Transport{MaxIdleConns: 2 * benchClients, MaxIdleConnsPerHost: 2 * benchClients}
	b.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{
		Transport:     transport,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// Form bodies built once, so the clients spend their time waiting on the server.
	var bodies [5]string
	for i := range bodies {
		bodies[i] = url.Values{"score": {strconv.Itoa(i + 1)}, "comment": {"Nhân viên hỗ trợ nhanh, cảm ơn!"}}.Encode()
	}

	var (
		next     atomic.Int64 // index of the next unused token
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	latencies := make([][]time.Duration, benchClients)

	b.ResetTimer()
	start := time.Now()
	for c := range benchClients {
		wg.Go(func() {
			lat := make([]time.Duration, 0, b.N/benchClients+1)
			defer func() { latencies[c] = lat }()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) {
					return
				}
				t0 := time.Now()
				err := submitOnce(client, srv.URL, tokens[i], bodies[i%len(bodies)])
				lat = append(lat, time.Since(t0))
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	if firstErr != nil {
		b.Fatal(firstErr)
	}
	// Every 303 must stand for a stored answer (which is what makes its invitation responded).
	if n := en.Count("responses", bson.D{{Key: "survey_id", Value: sv.ID}}); n != int64(b.N) {
		b.Fatalf("%d responses stored, want %d", n, b.N)
	}

	all := slices.Concat(latencies...)
	slices.Sort(all)
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "responses/s")
	b.ReportMetric(percentile(all, 0.50).Seconds()*1000, "p50-ms")
	b.ReportMetric(percentile(all, 0.99).Seconds()*1000, "p99-ms")
	b.ReportMetric(rawRate, "raw-inserts/s")
	b.ReportMetric(rate/rawRate, "speedup-vs-raw")
	return rate
}

// benchRouter is newEnv's respondent pages with a recorder of their own, whose rollups are off
// when noRollups is set (newEnv's recorder is not reachable from here).
func benchRouter(b *testing.B, en *env, noRollups bool) http.Handler {
	log := slog.New(slog.DiscardHandler)
	w := survey.NewRecorder(en.Core, log)
	if noRollups {
		w.WithoutRollups()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })

	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus)})
	e.Use(httpx.SecureHeaders)
	NewPages(en.Core, w, pages, catalog).Register(e, middleware.BodyLimit(64<<10))
	return e
}

// submitOnce posts one answer and checks it was accepted: a 303 to the thank-you page.
// A 200 would be the form again (a validation error), a 503 the recorder giving up.
func submitOnce(client *http.Client, base, token, body string) error {
	resp, err := client.Post(base+"/s/"+token, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		return err
	}
	// Drain the body so the connection goes back to the pool instead of being redialled.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /s/{token}: status %d, want 303", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/s/"+token+"/thanks") {
		return fmt.Errorf("POST /s/{token}: redirect to %q, want the thank-you page", loc)
	}
	return nil
}

// rawIPHash stands in for a hashed IP address: the same 24 hex digits the pages store.
const rawIPHash = "6b1f0c2d9e8a7b3c4d5e6f70"

// rawInsertRate is the store's rate for sequential InsertOne calls of a Response like the
// pages build, into a scratch collection of the same database with the responses
// collection's indexes, so each insert maintains the same index entries.
func rawInsertRate(b *testing.B, en *env, sv *survey.Survey, customer survey.Customer, interaction survey.Interaction) float64 {
	b.Helper()
	ctx := context.Background()
	coll := en.DB.Collection("bench_raw_responses")
	specs, err := en.DB.Collection("responses").Indexes().ListSpecifications(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var models []mongo.IndexModel
	for _, s := range specs {
		if s.Name == "_id_" {
			continue
		}
		m := mongo.IndexModel{Keys: s.KeysDocument, Options: options.Index().SetName(s.Name)}
		if s.Unique != nil && *s.Unique {
			m.Options.SetUnique(true)
		}
		models = append(models, m)
	}
	if len(models) > 0 {
		if _, err := coll.Indexes().CreateMany(ctx, models); err != nil {
			b.Fatal(err)
		}
	}

	onPage := 12.5
	start := time.Now()
	for i := range benchRawInserts {
		now := en.Core.Now()
		r := &survey.Response{
			ID: bson.NewObjectID(), WorkspaceID: sv.WorkspaceID, SurveyID: sv.ID, InvitationID: bson.NewObjectID(),
			Kind: sv.Kind, Points: sv.Points, Score: i%5 + 1, Comment: "Nhân viên hỗ trợ nhanh, cảm ơn!",
			Locale: "vi", Customer: customer, Interaction: interaction,
			Signals:  survey.Signals{SinceInviteSeconds: 60, OnPageSeconds: &onPage, UAClass: survey.UADesktop, IPHash: rawIPHash, Interacted: true},
			Revision: 1, CreatedAt: now, UpdatedAt: now,
		}
		if _, err := coll.InsertOne(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	return benchRawInserts / time.Since(start).Seconds()
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
