// Package testenv decides what a test does when an external component it needs is missing:
// skip with the reason on a developer's machine, fail under CI=true (nothing skips in CI).
//
// It is imported only from _test.go files and from other *test packages. It imports only the
// standard library.
package testenv

import (
	"os"
	"testing"
)

// CI reports whether the suite runs under CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Need skips the test (fails it under CI=true) when ok is false.
func Need(tb testing.TB, ok bool, reason string) {
	tb.Helper()
	if ok {
		return
	}
	if CI() {
		tb.Fatalf("CI=true and a required component is missing: %s", reason)
	}
	tb.Skipf("skipped: %s (set CI=true to make this a failure)", reason)
}
