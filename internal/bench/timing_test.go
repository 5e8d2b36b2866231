package bench

import "testing"

// The timing report's verdict follows issue 15's bar: within 5% at the
// median and p > 0.01 passes; a real account's path 10% slower fails.
func TestCompareTimingVerdict(t *testing.T) {
	same, slower := map[string][]float64{}, map[string][]float64{}
	for i := range 200 {
		v := 10 + float64(i%20)/10
		same[KindUnknown] = append(same[KindUnknown], v)
		same[KindFirst] = append(same[KindFirst], v+0.001*float64(i%3))
		same[KindLater] = append(same[KindLater], v)
		slower[KindUnknown] = append(slower[KindUnknown], v)
		slower[KindFirst] = append(slower[KindFirst], v*1.1)
		slower[KindLater] = append(slower[KindLater], v)
	}
	if _, cmp, ok := compareTiming(same); !ok || !cmp[0].Equal || !cmp[1].Equal {
		t.Fatalf("equal samples judged different: %+v", cmp)
	}
	_, cmp, ok := compareTiming(slower)
	if ok || cmp[0].Equal || cmp[0].MedianDiffPct < 9 || cmp[0].P > 0.01 || !cmp[1].Equal {
		t.Fatalf("a 10%% slower first failure passed: %+v", cmp)
	}
	if _, _, ok := compareTiming(map[string][]float64{}); ok {
		t.Fatal("no samples judged equal")
	}
}
