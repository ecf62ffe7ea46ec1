package scoring

// Others pools the filtered answers of a grouped report's groups: all is every group's
// together, others[g] every group's but g's. A group is compared with the rest of the
// company through others[g] (SCORING.md, "Two groups"): the two samples share no answer, so
// the two-sample tests hold, where a group against a total that contains it would be
// compared partly with itself. Both sides leave out the same flags as the group's own
// filtered score, so for agents and teams all is the company score without the
// non-attributable answers the total keeps; all is also the workspace score leaderboards
// shrink toward. Without GroupBy there are no groups and both are empty.
func (spec ReportSpec) Others(cells Bucket) (all Estimate, others map[string]Estimate) {
	exclude := spec.exclude(spec.GroupBy == DimAgent || spec.GroupBy == DimTeam)
	var total Histogram
	groups := map[string]*Histogram{}
	if spec.GroupBy != "" {
		for t, c := range cells {
			if !spec.matches(t) {
				continue
			}
			g := groups[t.Value(spec.GroupBy)]
			if g == nil {
				g = &Histogram{}
				groups[t.Value(spec.GroupBy)] = g
			}
			for k, h := range c.Scores {
				if k.Mask&exclude == 0 {
					g.Merge(*h)
				}
			}
		}
	}
	for _, h := range groups {
		total.Merge(*h)
	}
	others = make(map[string]Estimate, len(groups))
	for k, h := range groups {
		rest := total
		for s := range rest {
			rest[s] -= h[s]
		}
		others[k] = spec.estimate(rest)
	}
	return spec.estimate(total), others
}
