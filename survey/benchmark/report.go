package benchmark

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkReferences reads set id, the workspace's own or a starter set, for a report of a
// survey with metric and points: its name, and for each of its values a reference to
// compare with, nil for a value in another unit. found is false when ws cannot see the set.
func (s *Service) BenchmarkReferences(ctx context.Context, ws, id bson.ObjectID, metric scoring.Metric, points int) (name string, refs []*scoring.Reference, found bool, err error) {
	set, err := s.cachedSet(ctx, ws, id)
	if errors.Is(err, ErrNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	refs = make([]*scoring.Reference, len(set.Values))
	for j, v := range set.Values {
		if v.Comparable(metric, points) {
			refs[j] = &scoring.Reference{Kind: scoring.RefBenchmark, ID: set.ID.Hex(), Label: label(set, v), Value: v.Value}
		}
	}
	return set.Name, refs, true, nil
}

// label names a benchmark value for a reader: set, segment, statistic, source, year.
func label(set *Set, v Value) string {
	var seg []string
	for _, s := range []string{v.Segment.Industry, v.Segment.Region, v.Segment.Channel} {
		if s != "" {
			seg = append(seg, s)
		}
	}
	label := set.Name
	if len(seg) > 0 {
		label += ": " + strings.Join(seg, ", ")
	}
	if v.Statistic != "" {
		label += " (" + strings.ReplaceAll(v.Statistic, "_", " ") + ")"
	}
	return fmt.Sprintf("%s — %s, %d", label, v.Source, v.Year)
}
