// Package httpserver is the HTTP front of itsgow: the http.Server, the middleware every request
// goes through (recover, request id, access log, security headers, metrics, authentication),
// problem+json errors (RFC 9457), strict JSON decoding and CSRF tokens. The api and web packages
// mount their routes on it.
//
// It may import account, errs, clock, logkey, the Prometheus client and the standard library.
// A *Server is safe for concurrent use once Run started.
package httpserver
