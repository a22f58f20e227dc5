package collector

import (
	"testing"
	"time"
	"unsafe"
)

// since gives what time.Time.Sub gives, saturation included, for the times records carry.
func TestSince(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 26, 1, 0, 0, 500_000_000, time.UTC)
	tests := []struct {
		name string
		a, b time.Time
	}{
		{"equal", base, base},
		{"one second record", base.Add(time.Second), base},
		{"lag across a second", base.Add(1400 * time.Millisecond), base.Add(900 * time.Millisecond)},
		{"end before start", base, base.Add(3 * time.Second)},
		{"no start (zero time)", base, time.Time{}},
		{"no end (zero time)", time.Time{}, base},
		{"far future", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), base},
		{"far past", time.Date(1500, 1, 1, 0, 0, 0, 1, time.UTC), base},
		{"monotonic reading", time.Now(), base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.a.Sub(tt.b)
			if tt.name == "monotonic reading" {
				want = tt.a.Round(0).Sub(tt.b) // records carry no monotonic reading
			}
			got := since(tt.a.Unix(), int64(tt.a.Nanosecond()), tt.b.Unix(), int64(tt.b.Nanosecond()))
			if got != want {
				t.Errorf("since = %v, want %v", got, want)
			}
		})
	}
}

// The headers recvmmsg reads are struct mmsghdr of the kernel: a 56-byte msghdr and the
// length received, padded to 64 bytes.
func TestMmsghdrLayout(t *testing.T) {
	if got := unsafe.Sizeof(mmsghdr{}); got != 64 {
		t.Fatalf("sizeof(mmsghdr) = %d, want 64", got)
	}
	if got := unsafe.Offsetof(mmsghdr{}.n); got != 56 {
		t.Fatalf("offsetof(mmsghdr.n) = %d, want 56", got)
	}
}
