// Package api is the REST API under /api/v1: its routes, their JSON shapes, and the OpenAPI 3.1
// document generated from the same route table (so the document cannot drift from the routes).
// Handlers decode and validate input, call the domain services and answer JSON or problem+json.
//
// It may import httpserver, the domain packages (account, notify, jobs), errs and the standard
// library; never a store or driver adapter. Handlers are safe for concurrent use.
package api
