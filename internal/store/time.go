package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed width so that text comparison orders like time on SQLite.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Trunc truncates t to the stored precision (microseconds, UTC).
func Trunc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond).Round(0) }

// ts encodes a time parameter (works for TEXT on SQLite and timestamptz on PostgreSQL).
type ts time.Time

func (t ts) Value() (driver.Value, error) { return time.Time(t).UTC().Format(timeLayout), nil }

// tsp encodes an optional time parameter: nil for the zero time.
func tsp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// scanTime scans a time column (text or timestamptz); NULL gives the zero time.
type scanTime struct{ t *time.Time }

func (s scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case time.Time:
		*s.t = Trunc(v)
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported %T", src)
	}
	return nil
}

func (s scanTime) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t, err = time.Parse("2006-01-02 15:04:05.999999999-07:00", v)
		if err != nil {
			return fmt.Errorf("scan time %q: %w", v, err)
		}
	}
	*s.t = Trunc(t)
	return nil
}

func st(t *time.Time) scanTime { return scanTime{t} }
