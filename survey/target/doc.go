// Package target owns targets: a manager's goal for a metric, for the workspace or one
// agent, team, channel or country, over a period. It stores them, serves /api/v1/targets,
// and reads them for reports through a cache of each workspace's (TargetReferences, which
// report.Targets declares).
//
// It imports internal/httpx, internal/store, internal/ttlcache, scoring and survey/benchmark
// (for the scales a target's value is on), never survey: a target's period is read through
// Periods, which survey.Service provides, and cmd/surveyd wires it to the API key
// middleware and to the report.
package target
