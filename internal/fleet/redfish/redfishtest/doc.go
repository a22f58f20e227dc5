// Package redfishtest runs an in-process Redfish service for tests: an httptest.Server that
// serves recorded vendor resource trees (Dell iDRAC 9, HPE iLO 5, Supermicro X12; JSON under
// testdata/, embedded), answers like those BMCs do (basic auth or SessionService sessions,
// ETags and If-Match, ComputerSystem.Reset checked against the allowable values or ActionInfo,
// Boot override PATCH, VirtualMedia insert and eject by action or PATCH, Redfish error bodies
// with @Message.ExtendedInfo), keeps the state those calls change, and records every request
// so that tests assert the exact calls a driver made. Hooks inject faults: fixed answers (500,
// HTML, garbage, redirects) or a BMC that never answers.
//
// It is imported only from _test.go files. It imports internal/fleet, net/http/httptest,
// testing and the standard library. A *Server is safe for concurrent use.
package redfishtest
