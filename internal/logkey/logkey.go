// Package logkey holds the slog attribute keys used across itsgow, so that log lines can be
// searched by one name. It imports nothing.
package logkey

// Attribute keys (snake_case).
const (
	Component  = "component"
	RequestID  = "request_id"
	CustomerID = "customer_id"
	StaffID    = "staff_id"
	ServerID   = "server_id"
	JobID      = "job_id"
	JobKind    = "job_kind"
	NoticeID   = "notice_id"
	Prefix     = "prefix"
	AttackID   = "attack_id"
	Error      = "error"
	Addr       = "addr"
	Method     = "method"
	Path       = "path"
	Status     = "status"
	Duration   = "duration"
	Exporter   = "exporter"
)
