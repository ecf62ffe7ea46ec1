// Package customercount owns the customer counts a CRM posts for a period (customers at its
// start, at its end and new), from which reports compute retention and churn (CRR, CCR): it
// stores them, serves /api/v1/customer-counts, and reads them for reports (ReportCounts,
// which survey.CustomerCounts declares).
//
// It imports internal/httpx, internal/store, scoring and survey/rollup (whose engine
// serializes its changes with the rollups'), never survey: a period is read through
// Periods, which survey.Service provides, and cmd/surveyd wires it to the API key
// middleware, to the report and to the demo.
package customercount
