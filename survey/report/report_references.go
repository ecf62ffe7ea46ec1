package report

import (
	"context"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Rollups is where a report reads a survey's rollups: the core's engine (rollup.Engine).
type Rollups interface {
	// Reader starts a report's read of survey sv's rollups in workspace ws.
	Reader(ctx context.Context, ws, sv bson.ObjectID) (*rollup.Reader, error)
}

// CustomerCounts reads the customer counts a report's retention KPIs come from;
// survey.Service is one (ReportCounts).
type CustomerCounts interface {
	// ReportCounts are ws's customer counts of dims: "" (the workspace) and each dimension
	// the report filters on or groups by.
	ReportCounts(ctx context.Context, ws bson.ObjectID, dims []scoring.Dimension) ([]scoring.CustomerCount, error)
}

// Benchmarks reads the benchmark sets a report compares with; survey/benchmark keeps them
// (benchmark.Service), and cmd/surveyd passes it in Options.
type Benchmarks interface {
	// BenchmarkReferences reads set id, ws's own or a starter set, for a report of a survey
	// with metric and points: its name, and for each of its values a reference, nil for a
	// value in another unit. found is false when ws cannot see the set.
	BenchmarkReferences(ctx context.Context, ws, id bson.ObjectID, metric scoring.Metric, points int) (name string, refs []*scoring.Reference, found bool, err error)
}

// Targets reads the targets a report compares with; survey/target keeps them
// (target.Service), and cmd/surveyd passes it in Options.
type Targets interface {
	// TargetReferences returns ws's targets for metric on points whose period overlaps
	// [from, to), by the dimension and group they are for ("workspace" and "" for the
	// workspace's) and then by start. Each reference's Label is the target's note.
	TargetReferences(ctx context.Context, ws bson.ObjectID, metric scoring.Metric, points int, from, to time.Time) (map[string]map[string][]scoring.Reference, error)
}

// targetWorkspace is the dimension of a target for the whole workspace (target.Workspace).
const targetWorkspace = "workspace"
