// Package survey is the core every feature of surveyd shares: workspaces, surveys,
// invitations and their signed links, responses and the answer recorder (group commit), flag
// overrides, link visits, and the REST API for those. It counts every event into the rollups
// through survey/rollup, and queues emails through the Distributor that mailer provides.
//
// The features are sub-packages built on top of it, and it imports none of them but the
// leaves below it (survey/apikey, survey/rollup):
//
//	survey/apikey      API keys, scopes and the authentication middleware (a leaf)
//	survey/rollup      the rollup engine: recording, answer logs, cache, rebuilds (a leaf)
//	survey/respondent  the customer's pages, GET/POST /s/{token} and the thank-you page
//	survey/intake      the CRM intake: integrations, the signed interaction webhook, rules
//	survey/benchmark   benchmark sets and their CSV import (a leaf)
//	survey/target      targets (a leaf)
//	survey/customercount  the customer counts behind retention and churn
//	survey/report      a survey's report, its comparisons and CSV export
//	survey/demo        the demo workspace, seeded through the core and the features
//
// What the features need of the core beyond its public API is in features.go.
package survey
