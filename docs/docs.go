// Package docs embeds the API contract so the server can serve it and tests can hold the
// routes to it.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml, the OpenAPI 3.1 description of every route.
//
//go:embed openapi.yaml
var OpenAPI []byte
