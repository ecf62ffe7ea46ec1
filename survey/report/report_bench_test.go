package report

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/migrations"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/benchmark"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/demo"
	"github.com/surveyd/surveyd/survey/rollup"
	"github.com/surveyd/surveyd/survey/target"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// reportBenchSizes are the demo sizes BenchmarkReportYearByAgent seeds unless
// SURVEYD_BENCH_RESPONSES lists others ("100000,1000000").
var reportBenchSizes = []int{100_000, 1_000_000}

// BenchmarkReportYearByAgent measures the report the performance contract is about: a year
// of the demo's Support CSAT, grouped by agent, on the embedded store, with the demo seeded
// over 365 days at each size. The contract: p50 at most 50 ms with 1,000,000 responses, and
// with 100,000 within 1.5× of that; with every comparison, within 1.5× of the same report
// without.
//
//	go test ./survey/report -run '^$' -bench ReportYearByAgent -benchtime 50x -timeout 0
//
// Seeding a million responses takes many minutes, so with SURVEYD_BENCH_DIR set each size's
// store is kept in a directory under it and reused by later runs (the demo seeds once);
// without it each size is seeded into a temporary directory removed afterwards.
//
// Every iteration is four Report calls, each timed alone: the report, and the same report
// compared with everything (compare=previous,last_year,company,targets and every benchmark
// set the workspace sees), each cold and warm. Cold empties the rollup cache first, so every
// document comes from the store: p50-ms and p95-ms, compare-p50-ms and compare-p95-ms, and
// compare-ratio, their p50s' ratio (the contract: at most 1.5). Warm is what the one
// process serving an embedded store answers once it has read or written the documents
// (Options.SoleRollupWriter): warm-p50-ms, warm-compare-p50-ms and warm-compare-ratio. They
// alternate, so all see the same machine. The first reports after seeding (or after a month
// ended) seal months, so one untimed report of each runs before the clock starts.

// SURVEYD_BENCH_CPUPROFILE=file writes a CPU profile of each size's timed reports to
// file.<size>: unlike -cpuprofile it leaves out the seeding and opening, which scan whole
// collections on the embedded store.
func BenchmarkReportYearByAgent(b *testing.B) {
	sizes := reportBenchSizes
	if env := os.Getenv("SURVEYD_BENCH_RESPONSES"); env != "" {
		sizes = nil
		for f := range strings.SplitSeq(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("SURVEYD_BENCH_RESPONSES: %q is not a positive number", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		// Opened on the sub-benchmark's first run and kept for its later ones (the testing
		// package runs it with b.N = 1 first), closed once it is done.
		var rs *reportBench
		b.Run("responses="+strconv.Itoa(n), func(b *testing.B) {
			if rs == nil {
				var err error
				if rs, err = openReportBench(b, n); err != nil {
					b.Fatal(err)
				}
			}
			rs.run(b)
		})
		if rs != nil {
			rs.close()
		}
	}
}

// reportBench is one size's seeded store and the report it is asked for.
type reportBench struct {
	size    int
	st      *store.Store
	client  *mongo.Client // st's server without st.Client's operation timeout
	svc     *survey.Service
	opts    Options // what reports compare with, and the customer counts
	reports *Service
	tmp     string            // removed on close; empty for a kept SURVEYD_BENCH_DIR store
	ws      *survey.Workspace // the demo's
	survey  *survey.Survey
	sets    []bson.ObjectID // the benchmark sets the demo workspace sees
}

// openReportBench opens (creating when needed) the store for n responses and seeds the demo
// into it unless it is there already.
func openReportBench(b *testing.B, n int) (rs *reportBench, err error) {
	ctx := context.Background()
	rs = &reportBench{size: n}
	dir := os.Getenv("SURVEYD_BENCH_DIR")
	if dir == "" {
		if rs.tmp, err = os.MkdirTemp("", "surveyd-bench-"); err != nil {
			return nil, err
		}
		dir = rs.tmp
	} else {
		dir = filepath.Join(dir, fmt.Sprintf("responses-%d", n))
	}
	defer func() {
		if err != nil {
			rs.close()
		}
	}()
	log := slog.New(slog.DiscardHandler)
	opened := time.Now()
	if rs.st, err = store.Open(ctx, store.Options{DataDir: dir, Database: "bench", Logger: log}); err != nil {
		return rs, err
	}
	// The store's client gives every operation 30 seconds, which the seeding's rebuild of a
	// large survey outlasts on the embedded store (counting its invitations scans them all),
	// so the benchmark talks to the same server through a client without that limit.
	if rs.client, err = mongo.Connect(options.Client().ApplyURI(rs.st.URI).SetAppName("surveyd-bench")); err != nil {
		return rs, err
	}
	db := rs.client.Database(rs.st.DB.Name())
	if _, err = migrations.Run(ctx, db, log); err != nil {
		return rs, err
	}
	if err = rs.st.IndexIDs(ctx, db); err != nil {
		return rs, err
	}
	signer, err := survey.NewSigner([]config.LinkKey{surveytest.LinkKey}, surveytest.LinkKey.ID)
	if err != nil {
		return rs, err
	}
	rs.svc = survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt")})
	benchmarks, targets := benchmark.NewService(db, benchmark.Options{}), target.NewService(db, target.Options{})
	counts := customercount.NewService(db, rs.svc.Rollups(), customercount.Options{})
	rs.opts = Options{Benchmarks: benchmarks, Targets: targets, Counts: counts}
	rs.reports = NewService(rs.svc, rs.svc.Rollups(), rs.opts)

	b.Logf("opened and migrated %s in %s", dir, time.Since(opened).Round(time.Millisecond))

	// demo.Seed finds a seeded demo by itself, but its answer then lists the live links, a
	// query the embedded store answers by scanning every invitation: minutes at a million.
	// So a kept store that was seeded to the end says so in a file, and is not asked again.
	done := filepath.Join(dir, "seeded")
	if _, err := os.Stat(done); err == nil {
		if rs.ws, err = rs.svc.WorkspaceByName(ctx, demo.WorkspaceName); err != nil {
			return rs, err
		}
		b.Logf("reusing the %d responses seeded into %s", n, dir)
		// A kept store seeded by an older build has had its rollups dropped by a migration,
		// as a user's would; serve would rebuild them as it starts.
		missing, err := rs.svc.SurveysWithoutRollups(ctx)
		if err != nil {
			return rs, err
		}
		if len(missing) > 0 {
			began := time.Now()
			if err := rs.svc.RebuildRollups(ctx, missing, rollup.RebuildOptions{Alone: true}); err != nil {
				return rs, err
			}
			b.Logf("rebuilt the rollups of %d surveys in %s", len(missing), time.Since(began).Round(time.Millisecond))
		}
	} else {
		start := time.Now()
		lastLog, lastStage := start, ""
		seeded, err := demo.Seed(ctx, demo.Services{Core: rs.svc, Benchmarks: benchmarks, Targets: targets, Counts: counts}, demo.Options{Responses: n, Days: 365, Catalog: surveytest.Catalog(b), Progress: func(stage string, done, total int) {
			if stage != lastStage || time.Since(lastLog) >= time.Minute {
				lastLog, lastStage = time.Now(), stage
				fmt.Fprintf(os.Stderr, "seeding %d: %s %d/%d after %s\n", n, stage, done, total, time.Since(start).Round(time.Second))
			}
		}})
		if err != nil {
			return rs, fmt.Errorf("seed %d responses: %w", n, err)
		}
		rs.ws = seeded.Workspace
		if seeded.Seeded {
			b.Logf("seeded %d responses over 365 days into %s in %s", n, dir, time.Since(start).Round(time.Second))
		} else {
			b.Logf("reusing the %d responses seeded into %s (demo.Seed found them in %s)", n, dir, time.Since(start).Round(time.Millisecond))
		}
		if rs.tmp == "" {
			if err := os.WriteFile(done, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
				return rs, err
			}
		}
	}

	surveys, err := rs.svc.ListSurveys(ctx, rs.ws.ID, survey.SurveyFilter{}, httpx.PageParams{Limit: 100})
	if err != nil {
		return rs, err
	}
	for i := range surveys {
		if surveys[i].Name == demo.ReportSurvey() { // Support CSAT
			rs.survey = &surveys[i]
		}
	}
	if rs.survey == nil {
		return rs, fmt.Errorf("no %q survey in the demo workspace", demo.ReportSurvey())
	}
	sets, err := benchmarks.List(ctx, rs.ws.ID, httpx.PageParams{Limit: maxCompareSets})
	if err != nil {
		return rs, err
	}
	for _, set := range sets[:min(len(sets), maxCompareSets)] {
		rs.sets = append(rs.sets, set.ID)
	}
	return rs, nil
}

// query is the last 365 days of the workspace's time zone up to the end of today.
func (rs *reportBench) query() ReportQuery {
	loc := rs.ws.Location()
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	return ReportQuery{From: today.AddDate(0, 0, -365), To: today.AddDate(0, 0, 1), Location: loc, GroupBy: scoring.DimAgent}
}

func (rs *reportBench) run(b *testing.B) {
	ctx := context.Background()
	q := rs.query()
	qc := q
	qc.Compare = CompareQuery{Previous: true, LastYear: true, Company: true, Targets: true, Benchmarks: rs.sets}
	t0 := time.Now()
	rep, err := rs.reports.Report(ctx, rs.ws.ID, rs.survey.ID, q)
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(t0)
	if rep.Total.Funnel.Responded == 0 || len(rep.Groups) == 0 {
		b.Fatalf("the report covers %d responses in %d groups; the demo data is missing", rep.Total.Funnel.Responded, len(rep.Groups))
	}
	t0 = time.Now()
	compared, err := rs.reports.Report(ctx, rs.ws.ID, rs.survey.ID, qc)
	if err != nil {
		b.Fatal(err)
	}
	firstCompared := time.Since(t0)

	// The store's server runs in this process, so a CPU profile of the iterations alone shows
	// where a report's time goes on both sides of the wire, without the seeding and opening.
	if path := os.Getenv("SURVEYD_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d", path, rs.size))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}

	// Each report is timed twice: cold, with the rollup cache emptied first, so every
	// document comes from the store, and warm, as the one server of an embedded store
	// answers a report whose documents it has read or written before.
	var durations, comparedDurations, warm, warmCompared []time.Duration
	report := func(q ReportQuery, cold bool, into *[]time.Duration) *Report {
		if cold { // a sole writer's engine that has read nothing yet
			rs.reports = NewService(rs.svc, rollup.New(rs.client.Database(rs.st.DB.Name()), rollup.Options{SoleWriter: true}), rs.opts)
		}
		t0 := time.Now()
		rep, err := rs.reports.Report(ctx, rs.ws.ID, rs.survey.ID, q)
		if err != nil {
			b.Fatal(err)
		}
		*into = append(*into, time.Since(t0))
		return rep
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rep = report(q, true, &durations)
		report(q, false, &warm)
		compared = report(qc, true, &comparedDurations)
		report(qc, false, &warmCompared)
	}
	b.StopTimer()

	for _, d := range [][]time.Duration{durations, comparedDurations, warm, warmCompared} {
		slices.Sort(d)
	}
	p50, comparedP50 := percentile(durations, 0.50), percentile(comparedDurations, 0.50)
	warmP50, warmComparedP50 := percentile(warm, 0.50), percentile(warmCompared, 0.50)
	b.ReportMetric(p50.Seconds()*1000, "p50-ms")
	b.ReportMetric(percentile(durations, 0.95).Seconds()*1000, "p95-ms")
	b.ReportMetric(comparedP50.Seconds()*1000, "compare-p50-ms")
	b.ReportMetric(percentile(comparedDurations, 0.95).Seconds()*1000, "compare-p95-ms")
	b.ReportMetric(comparedP50.Seconds()/p50.Seconds(), "compare-ratio")
	b.ReportMetric(warmP50.Seconds()*1000, "warm-p50-ms")
	b.ReportMetric(warmComparedP50.Seconds()*1000, "warm-compare-p50-ms")
	b.ReportMetric(warmComparedP50.Seconds()/warmP50.Seconds(), "warm-compare-ratio")
	b.ReportMetric(float64(rep.Total.Funnel.Responded), "responded")
	comparisons := len(compared.Total.Comparisons)
	for _, g := range compared.Groups {
		comparisons += len(g.Comparisons)
	}
	b.Logf("%s: %s to %s by agent: %d responded (%d invited) in %d groups; first report %s, compared %s; %d comparisons in %d families, %d benchmark sets",
		rs.survey.Name, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly),
		rep.Total.Funnel.Responded, rep.Total.Funnel.Invited, len(rep.Groups), first.Round(time.Millisecond),
		firstCompared.Round(time.Millisecond), comparisons, len(compared.Comparisons.Families), len(rs.sets))
}

func (rs *reportBench) close() {
	if rs.client != nil {
		_ = rs.client.Disconnect(context.Background())
		rs.client = nil
	}
	if rs.st != nil {
		_ = rs.st.Close(context.Background())
		rs.st = nil
	}
	if rs.tmp != "" {
		_ = os.RemoveAll(rs.tmp)
		rs.tmp = ""
	}
}
