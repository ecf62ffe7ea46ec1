// Package report owns a survey's report: its funnel, scores and KPIs over a period, in total
// and per group, with a time series, comparisons (previous period, last year, the rest of the
// company, benchmark sets, targets) and leaderboards; GET /api/v1/surveys/{id}/report and its
// CSV export (SCORING.md).
//
// It imports survey (the core: surveys, workspaces, the period a request names), survey/rollup
// through the Reader the core's engine gives (survey.Service.Rollups), survey/apikey and
// scoring. Benchmark sets, targets and customer counts are read through interfaces declared
// here (Benchmarks, Targets, CustomerCounts), which cmd/surveyd fills with benchmark.Service,
// target.Service and survey.Service. Nothing imports it but cmd/surveyd and tests.
package report
