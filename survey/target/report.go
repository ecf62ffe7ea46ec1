package target

import (
	"context"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TargetReferences returns the workspace's targets for a report of a survey with metric and
// points whose period overlaps [from, to), as references to compare with, by the dimension
// and group they are for (Workspace and "" for the workspace's) and then by start. Each
// reference's Label is the target's note, which the report words into a label of its own.
func (s *Service) TargetReferences(ctx context.Context, ws bson.ObjectID, metric scoring.Metric, points int, from, to time.Time) (map[string]map[string][]scoring.Reference, error) {
	targets, err := s.TargetsFor(ctx, ws, metric, from, to)
	if err != nil {
		return nil, err
	}
	refs := map[string]map[string][]scoring.Reference{}
	for _, t := range targets {
		if !t.Comparable(metric, points) {
			continue
		}
		if refs[t.Dimension] == nil {
			refs[t.Dimension] = map[string][]scoring.Reference{}
		}
		from, to := t.From.UTC(), t.To.UTC()
		refs[t.Dimension][t.Group] = append(refs[t.Dimension][t.Group],
			scoring.Reference{Kind: scoring.RefTarget, ID: t.ID.Hex(), Label: t.Note, Value: t.Value, From: &from, To: &to})
	}
	return refs, nil
}
