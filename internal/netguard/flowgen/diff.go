package flowgen

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Diff compares two lists of flows regardless of order, as round-trip tests need: encoders
// regroup flows by family or sampling rate. It returns "" when they hold the same flows, else
// a description of the differing entries.
func Diff(want, got []netguard.Flow) string {
	want, got = slices.Clone(want), slices.Clone(got)
	slices.SortStableFunc(want, compareFlows)
	slices.SortStableFunc(got, compareFlows)
	if reflect.DeepEqual(want, got) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "want %d flows, got %d\n", len(want), len(got))
	for i := range max(len(want), len(got)) {
		var w, g any = "-", "-"
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if !reflect.DeepEqual(w, g) {
			fmt.Fprintf(&b, "[%d]\n  want %+v\n  got  %+v\n", i, w, g)
		}
	}
	return b.String()
}

func compareFlows(a, b netguard.Flow) int {
	return cmp.Or(a.Src.Compare(b.Src), a.Dst.Compare(b.Dst), cmp.Compare(a.SrcPort, b.SrcPort),
		cmp.Compare(a.DstPort, b.DstPort), a.Start.Compare(b.Start), cmp.Compare(a.Packets, b.Packets))
}
