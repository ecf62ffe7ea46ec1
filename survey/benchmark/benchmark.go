package benchmark

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/ttlcache"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Domain errors. The service returns these (wrapped with context); ErrorStatus maps them to HTTP.
var (
	// ErrNotFound is a set the workspace cannot see: another workspace's, or none.
	ErrNotFound = errors.New("not found")
	// ErrStarterSet is a change to a starter benchmark set, which surveyd ships and only its
	// migrations rewrite.
	ErrStarterSet = errors.New("starter benchmark sets are read-only")
)

// Benchmark scales: the unit of a Value. A mean on a 1–N scale is MeanScale(N).
const (
	// ScalePercent is a percentage: of satisfied answers (CSAT top-2-box, as reports show
	// CSAT) or of easy ones (CES "% easy", which reports show beside the CES mean).
	ScalePercent = "percent"
	// ScaleNPS is a Net Promoter Score, −100 to 100.
	ScaleNPS = "nps"
	// ScaleIndex100 is an index from 0 to 100 such as the ACSI: satisfaction measured
	// another way, shown for context and never tested against a survey's score.
	ScaleIndex100 = "index_0_100"

	meanScalePrefix = "mean_1_"
	maxMeanPoints   = 11
)

// MeanScale is the scale of a mean answer on a 1–points scale, such as "mean_1_7".
func MeanScale(points int) string { return meanScalePrefix + strconv.Itoa(points) }

// benchmarkStatistics are what a published figure may summarize. No statistic means the
// source gives one figure for its segment without saying more.
var benchmarkStatistics = []string{"mean", "median", "lower_quartile", "upper_quartile"}

// Segment says whom a benchmark value describes.
type Segment struct {
	Industry string `bson:"industry,omitempty" json:"industry,omitempty"`
	Region   string `bson:"region,omitempty" json:"region,omitempty"`
	Channel  string `bson:"channel,omitempty" json:"channel,omitempty"`
}

// Value is one published figure.
type Value struct {
	Metric scoring.Metric `bson:"metric" json:"metric"` // csat, nps, ces
	Scale  string         `bson:"scale" json:"scale"`   // the unit of Value: ScalePercent, ScaleNPS, MeanScale(N), ScaleIndex100
	// Statistic is what the figure summarizes over the segment's companies or surveys: mean,
	// median, lower_quartile or upper_quartile; empty when the source does not say.
	Statistic string  `bson:"statistic,omitempty" json:"statistic,omitempty"`
	Value     float64 `bson:"value" json:"value"`
	Segment   Segment `bson:"segment" json:"segment"`
	Source    string  `bson:"source" json:"source"` // who published it: a citation or URL
	Year      int     `bson:"year" json:"year"`
}

// Comparable says whether v is in the unit of a report of a survey with this metric and
// number of answer points (Survey.Points), so a report may test its score against it:
// a CSAT percent for CSAT (5 points), an NPS for NPS (11 points), a mean on the same 1–N
// scale for CES (5 or 7 points).
func (v Value) Comparable(metric scoring.Metric, points int) bool {
	scale, ok := ReportScale(metric, points)
	return ok && v.Metric == metric && v.Scale == scale
}

// ReportScale is the benchmark scale of a report's score (scoring.Estimate's Value) for a
// survey with this metric and number of points.
func ReportScale(metric scoring.Metric, points int) (string, bool) {
	switch {
	case metric == scoring.MetricCSAT && points == 5:
		return ScalePercent, true
	case metric == scoring.MetricNPS && points == 11:
		return ScaleNPS, true
	case metric == scoring.MetricCES && (points == 5 || points == 7):
		return MeanScale(points), true
	}
	return "", false
}

// ScaleRange is the range of values on scale, and whether the scale suits metric.
func ScaleRange(metric scoring.Metric, scale string) (lo, hi float64, ok bool) {
	if n, found := strings.CutPrefix(scale, meanScalePrefix); found {
		points, err := strconv.Atoi(n)
		if err != nil || points < 2 || points > maxMeanPoints || MeanScale(points) != scale {
			return 0, 0, false
		}
		return 1, float64(points), metric == scoring.MetricCSAT || metric == scoring.MetricCES
	}
	switch scale {
	case ScalePercent:
		return 0, 100, metric == scoring.MetricCSAT || metric == scoring.MetricCES
	case ScaleNPS:
		return -100, 100, metric == scoring.MetricNPS
	case ScaleIndex100:
		return 0, 100, metric == scoring.MetricCSAT
	}
	return 0, 0, false
}

// scaleNames lists the scales metric's values may be on, for error messages.
func scaleNames(metric scoring.Metric) string {
	switch metric {
	case scoring.MetricCSAT:
		return "percent, index_0_100 or mean_1_N (N from 2 to 11)"
	case scoring.MetricNPS:
		return "nps"
	}
	return "mean_1_N (N from 2 to 11) or percent"
}

// Set is a named list of benchmark values: a workspace's own, or a starter set
// shipped with surveyd.
type Set struct {
	ID bson.ObjectID `bson:"_id" json:"id"`
	// WorkspaceID is zero for a starter set: read-only and visible to every workspace.
	WorkspaceID bson.ObjectID `bson:"workspace_id,omitempty" json:"-"`
	Name        string        `bson:"name" json:"name"`
	Description string        `bson:"description" json:"description"`
	Starter     bool          `bson:"starter" json:"starter"`
	// Values are left out of set lists.
	Values    []Value   `bson:"values,omitempty" json:"values,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// Bounds of a benchmark set.
const (
	maxValues               = 5000
	maxBenchmarkName        = 200
	maxBenchmarkDescription = 2000
	maxBenchmarkSource      = 500
	maxSegmentText          = 100
	minBenchmarkYear        = 1990
)

// collection holds the sets; migrations/benchmarks writes the starter sets into it.
const collection = "benchmark_sets"

// cacheTTL bounds how long another instance's change to a set takes to show in reports.
const cacheTTL = 5 * time.Second

// Service stores benchmark sets.
type Service struct {
	sets *mongo.Collection
	now  func() time.Time

	// Reports compare with benchmark sets through a cache: on the embedded store a warm
	// report takes a few milliseconds, which each read of a set would add to.
	cache *ttlcache.Cache[bson.ObjectID, Set]
}

// Options configure a Service.
type Options struct {
	// Now is the service's clock; nil is the wall clock, in UTC. Tests set a fixed one.
	Now func() time.Time
}

// NewService binds benchmark sets to db.
func NewService(db *mongo.Database, opts Options) *Service {
	s := &Service{
		sets:  db.Collection(collection),
		now:   opts.Now,
		cache: ttlcache.New[bson.ObjectID, Set](cacheTTL),
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	return s
}

func byID(id bson.ObjectID) bson.D { return bson.D{{Key: "_id", Value: id}} }

// Create stores a new set of the workspace set.WorkspaceID.
func (s *Service) Create(ctx context.Context, set *Set) error {
	now := s.now()
	set.ID, set.Starter, set.CreatedAt, set.UpdatedAt = bson.NewObjectID(), false, now, now
	if _, err := s.sets.InsertOne(ctx, set); err != nil {
		return fmt.Errorf("benchmark: create benchmark set: %w", err)
	}
	return nil
}

// Set finds one of the workspace's sets or a starter set.
func (s *Service) Set(ctx context.Context, ws, id bson.ObjectID) (*Set, error) {
	var set Set
	err := s.sets.FindOne(ctx, byID(id)).Decode(&set)
	if store.IsNotFound(err) || (err == nil && set.WorkspaceID != ws && !set.WorkspaceID.IsZero()) {
		return nil, fmt.Errorf("benchmark: benchmark set %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("benchmark: find benchmark set %s: %w", id.Hex(), err)
	}
	return &set, nil
}

// cachedSet is Set through the reports' cache. The set is shared: only
// read it.
func (s *Service) cachedSet(ctx context.Context, ws, id bson.ObjectID) (*Set, error) {
	return s.cache.Through(id, s.now(), func(set *Set) bool { return set.WorkspaceID == ws || set.WorkspaceID.IsZero() },
		func() (*Set, error) { return s.Set(ctx, ws, id) })
}

// List returns a page of the workspace's sets and the starter sets, newest first,
// without their values.
func (s *Service) List(ctx context.Context, ws bson.ObjectID, p httpx.PageParams) ([]Set, error) {
	filter := p.Filter(bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "workspace_id", Value: ws}},
		bson.D{{Key: "starter", Value: true}},
	}}})
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(p.Limit + 1)).SetProjection(bson.D{{Key: "values", Value: 0}})
	cur, err := s.sets.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("benchmark: list benchmark sets: %w", err)
	}
	var rows []Set
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("benchmark: list benchmark sets: %w", err)
	}
	return rows, nil
}

// Save writes back a set read with Set, which checked its workspace.
func (s *Service) Save(ctx context.Context, set *Set) error {
	if set.WorkspaceID.IsZero() {
		return fmt.Errorf("benchmark: save benchmark set %s: %w", set.ID.Hex(), ErrStarterSet)
	}
	set.UpdatedAt = s.now()
	res, err := s.sets.ReplaceOne(ctx, byID(set.ID), set)
	if err != nil {
		return fmt.Errorf("benchmark: save benchmark set %s: %w", set.ID.Hex(), err)
	}
	s.cache.Forget(set.ID)
	if res.MatchedCount == 0 {
		return fmt.Errorf("benchmark: save benchmark set %s: %w", set.ID.Hex(), ErrNotFound)
	}
	return nil
}

// Delete deletes one of the workspace's sets.
func (s *Service) Delete(ctx context.Context, ws, id bson.ObjectID) error {
	set, err := s.Set(ctx, ws, id)
	if err != nil {
		return err
	}
	if set.WorkspaceID.IsZero() {
		return fmt.Errorf("benchmark: delete benchmark set %s: %w", id.Hex(), ErrStarterSet)
	}
	_, err = s.sets.DeleteOne(ctx, byID(id))
	s.cache.Forget(id)
	if err != nil {
		return fmt.Errorf("benchmark: delete benchmark set %s: %w", id.Hex(), err)
	}
	return nil
}

// benchmarkChecker validates the values of one set as they come, from the API or a CSV
// file, and finds values given twice.
type benchmarkChecker struct {
	thisYear int                     // a figure may be dated up to a year ahead (a forecast, a fiscal year)
	seen     map[benchmarkKey]string // where each value was first given
}

// benchmarkKey is what makes two values the same figure.
type benchmarkKey struct {
	metric                                              scoring.Metric
	scale, statistic, industry, region, channel, source string
	year                                                int
}

func newBenchmarkChecker(now time.Time) *benchmarkChecker {
	return &benchmarkChecker{thisYear: now.Year(), seen: map[benchmarkKey]string{}}
}

// add tidies v and checks it, reporting each problem to bad by column (metric, scale,
// statistic, value, industry, region, channel, source, year), or with column "" for the
// value as a whole. at names where v was given ("line 7", "values[3]") for a repeat's message.
func (c *benchmarkChecker) add(v *Value, at string, bad func(column, msg string)) {
	problems := 0
	report := func(column, msg string) { problems++; bad(column, msg) }
	text := func(column string, s *string, required bool, limit int) {
		*s = strings.TrimSpace(*s)
		switch {
		case *s == "" && required:
			report(column, "is required")
		case utf8.RuneCountInString(*s) > limit:
			report(column, fmt.Sprintf("must be at most %d characters", limit))
		case strings.ContainsFunc(*s, unicode.IsControl):
			report(column, "has characters that are not allowed")
		}
	}
	v.Metric = scoring.Metric(strings.ToLower(strings.TrimSpace(string(v.Metric))))
	v.Scale = strings.ToLower(strings.TrimSpace(v.Scale))
	v.Statistic = strings.ToLower(strings.TrimSpace(v.Statistic))
	v.Segment.Channel = strings.ToLower(v.Segment.Channel) // as invitations store channels
	text("industry", &v.Segment.Industry, false, maxSegmentText)
	text("region", &v.Segment.Region, false, maxSegmentText)
	text("channel", &v.Segment.Channel, false, maxSegmentText)
	text("source", &v.Source, true, maxBenchmarkSource)

	switch v.Metric {
	case scoring.MetricCSAT, scoring.MetricNPS, scoring.MetricCES:
		switch lo, hi, ok := ScaleRange(v.Metric, v.Scale); {
		case v.Scale == "":
			report("scale", "is required")
		case !ok:
			report("scale", fmt.Sprintf("must be %s for %s", scaleNames(v.Metric), v.Metric))
		case math.IsNaN(v.Value) || math.IsInf(v.Value, 0):
			report("value", "must be a finite number")
		case v.Value < lo || v.Value > hi:
			report("value", fmt.Sprintf("must be from %s to %s on scale %s", number(lo), number(hi), v.Scale))
		}
	case "":
		report("metric", "is required")
	default:
		report("metric", "must be one of: csat, nps, ces")
	}
	if v.Statistic != "" && !slices.Contains(benchmarkStatistics, v.Statistic) {
		report("statistic", "must be one of: "+strings.Join(benchmarkStatistics, ", ")+", or empty")
	}
	if v.Year < minBenchmarkYear || v.Year > c.thisYear+1 {
		report("year", fmt.Sprintf("must be a year from %d to %d", minBenchmarkYear, c.thisYear+1))
	}
	if problems > 0 {
		return
	}
	key := benchmarkKey{v.Metric, v.Scale, v.Statistic, strings.ToLower(v.Segment.Industry), strings.ToLower(v.Segment.Region),
		v.Segment.Channel, strings.ToLower(v.Source), v.Year}
	if first, ok := c.seen[key]; ok {
		bad("", "repeats "+first+": the same metric, scale, statistic, segment, source and year")
		return
	}
	c.seen[key] = at
}

func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
