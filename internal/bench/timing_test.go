package bench

import "testing"

// The timing report's verdict follows issue 15's bar: within 5% at the
// median and p > 0.01 passes; a real account's path 10% slower fails.
func TestCompareTimingVerdict(t *testing.T) {
	same, slower := map[string][]float64{}, map[string][]float64{}
	for i := range 200 {
		v := 10 + float64(i%20)/10
		same[KindUnknown] = append(same[KindUnknown], v)
		same[KindUnknownLater] = append(same[KindUnknownLater], v)
		same[KindFirst] = append(same[KindFirst], v+0.001*float64(i%3))
		same[KindLater] = append(same[KindLater], v)
		slower[KindUnknown] = append(slower[KindUnknown], v)
		slower[KindUnknownLater] = append(slower[KindUnknownLater], v)
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

// A later failure is compared with an unknown id's later failure, not with
// its first: later failures that are faster than first ones for every login
// id alike (an update of the attempt counters, not an insert) show nothing,
// and a real account's later failure slower than an unknown id's later one
// fails the bar even when it matches the unknown id's first.
func TestCompareTimingComparesLikeWithLike(t *testing.T) {
	laterFaster, leak := map[string][]float64{}, map[string][]float64{}
	for i := range 200 {
		v := 10 + float64(i%20)/10
		laterFaster[KindUnknown] = append(laterFaster[KindUnknown], v)
		laterFaster[KindFirst] = append(laterFaster[KindFirst], v)
		laterFaster[KindUnknownLater] = append(laterFaster[KindUnknownLater], v*0.9)
		laterFaster[KindLater] = append(laterFaster[KindLater], v*0.9)
		leak[KindUnknown] = append(leak[KindUnknown], v)
		leak[KindFirst] = append(leak[KindFirst], v)
		leak[KindUnknownLater] = append(leak[KindUnknownLater], v*0.9)
		leak[KindLater] = append(leak[KindLater], v)
	}
	if _, cmp, ok := compareTiming(laterFaster); !ok || cmp[1].Against != KindUnknownLater {
		t.Fatalf("later failures faster for every id judged a leak: %+v", cmp)
	}
	if _, cmp, ok := compareTiming(leak); ok || cmp[1].Equal || cmp[1].MedianDiffPct < 9 {
		t.Fatalf("a real account's later failure 10%% slower than an unknown id's passed: %+v", cmp)
	}
}
