// Package apikey owns the REST API's keys: creating, listing and revoking them (stored hashed,
// shown once), their scopes, and the middleware that authenticates a request's bearer key and
// checks its scope. A handler behind the middleware reads the key, and the workspace every
// query is scoped to, from the request (KeyOf, WorkspaceOf).
//
// It imports only internal/store and the drivers: it is a leaf below the survey core, whose
// handlers use it, as do mailer's API handlers and cmd/surveyd (routes, `surveyd keys`).
package apikey
