// Package benchmark owns benchmark sets: published figures (CSAT, NPS, CES with their scale,
// segment, source and year) that reports compare scores with. It keeps the workspaces' own
// sets and the starter sets migrations/benchmarks installs, checks values sent as JSON or
// imported from a CSV file, serves /api/v1/benchmark-sets, and reads sets for reports
// through a cache (BenchmarkReferences, which report.Benchmarks declares).
//
// It imports internal/httpx, internal/store, internal/ttlcache and scoring, never survey:
// cmd/surveyd wires it to the API key middleware and to the report. survey/target uses its
// scales.
package benchmark
