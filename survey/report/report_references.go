package survey

import (
	"context"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Benchmarks reads the benchmark sets a report compares with; survey/benchmark keeps them
// (benchmark.Service), and cmd/surveyd passes it to CompareWith.
type Benchmarks interface {
	// BenchmarkReferences reads set id, ws's own or a starter set, for a report of a survey
	// with metric and points: its name, and for each of its values a reference, nil for a
	// value in another unit. found is false when ws cannot see the set.
	BenchmarkReferences(ctx context.Context, ws, id bson.ObjectID, metric scoring.Metric, points int) (name string, refs []*scoring.Reference, found bool, err error)
}

// Targets reads the targets a report compares with; survey/target keeps them
// (target.Service), and cmd/surveyd passes it to CompareWith.
type Targets interface {
	// TargetReferences returns ws's targets for metric on points whose period overlaps
	// [from, to), by the dimension and group they are for ("workspace" and "" for the
	// workspace's) and then by start. Each reference's Label is the target's note.
	TargetReferences(ctx context.Context, ws bson.ObjectID, metric scoring.Metric, points int, from, to time.Time) (map[string]map[string][]scoring.Reference, error)
}

// targetWorkspace is the dimension of a target for the whole workspace (target.Workspace).
const targetWorkspace = "workspace"
