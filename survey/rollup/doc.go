// Package rollup is the rollup engine: it records funnel events and answers into each
// survey's rollup documents by group commit, keeps each month's answers as a log for the
// repeat weight, caches documents when this process is their one writer, rebuilds a survey's
// rollups into a new generation and switches to it, carries out rebuild requests, and reads
// rollups for reports (Reader). The why of it is on Engine's file (rollup.go).
//
// It imports scoring and internal/store only, never survey: the survey package turns its
// invitations and responses into Changes, records them here, feeds rebuilds from its stored
// documents, and its reports read through Reader. It owns the collections CollRollups,
// CollRespondents and CollRequests.
package rollup
