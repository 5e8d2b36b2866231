package sqlstorage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// testMember is a batcher member numbered in the order it was queued.
type testMember struct {
	ctx context.Context
	n   int
	key string
	out chan error
}

func (m *testMember) caller() context.Context { return m.ctx }
func (m *testMember) fail(err error)          { m.out <- err }

// gatedBatcher runs a batcher whose run reports each group's members (by
// number) on groups, then waits for a value on proceed before answering
// them nil.
type gatedBatcher struct {
	batcher[*testMember]
	groups  chan []int
	proceed chan struct{}
}

func newGatedBatcher(t *testing.T, key func(*testMember) string) *gatedBatcher {
	g := &gatedBatcher{groups: make(chan []int, 64), proceed: make(chan struct{})}
	g.key = key
	g.start(func(live []*testMember) {
		ns := make([]int, len(live))
		for i, m := range live {
			ns[i] = m.n
		}
		g.groups <- ns
		<-g.proceed
		for _, m := range live {
			m.out <- nil
		}
	})
	t.Cleanup(func() {
		close(g.proceed)
		g.stop()
	})
	return g
}

func newTestMember(ctx context.Context, n int, key string) *testMember {
	return &testMember{ctx: ctx, n: n, key: key, out: make(chan error, 1)}
}

// receive returns the next value from ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// next returns the next group run.
func (g *gatedBatcher) next(t *testing.T) []int {
	t.Helper()
	return receive(t, g.groups, "a group")
}

func (g *gatedBatcher) expect(t *testing.T, want ...int) {
	t.Helper()
	if got := g.next(t); !slices.Equal(got, want) {
		t.Fatalf("group %v, want %v", got, want)
	}
}

func answer(t *testing.T, m *testMember) error {
	t.Helper()
	return receive(t, m.out, fmt.Sprintf("the answer to member %d", m.n))
}

func TestBatcherGroupsWhatQueuedWhileAGroupRanUpToMaxGroupInOrder(t *testing.T) {
	// In a bubble, synctest.Wait makes sure the member beyond a full queue
	// is waiting to be queued before the group ahead of it ends.
	synctest.Test(t, func(t *testing.T) {
		g := newGatedBatcher(t, nil)
		ctx := context.Background()
		g.in <- newTestMember(ctx, 0, "")
		g.expect(t, 0) // alone: nothing waits for company
		all := []*testMember{}
		for n := 1; n <= maxGroup+1; n++ {
			all = append(all, newTestMember(ctx, n, ""))
		}
		for _, m := range all[:maxGroup] {
			g.in <- m // fills the queue exactly
		}
		go func() { g.in <- all[maxGroup] }()
		synctest.Wait()
		g.proceed <- struct{}{}
		want := make([]int, maxGroup)
		for i := range want {
			want[i] = i + 1
		}
		g.expect(t, want...)
		g.proceed <- struct{}{}
		g.expect(t, maxGroup+1)
		g.proceed <- struct{}{}
		for _, m := range all {
			if err := answer(t, m); err != nil {
				t.Fatalf("member %d: %v", m.n, err)
			}
		}
	})
}

func TestBatcherHoldsASecondMemberOfAKeyForTheNextGroupAheadOfLaterOnes(t *testing.T) {
	g := newGatedBatcher(t, func(m *testMember) string { return m.key })
	ctx := context.Background()
	g.in <- newTestMember(ctx, 0, "z")
	g.expect(t, 0)
	for i, k := range []string{"a", "a", "b", "a", "c"} {
		g.in <- newTestMember(ctx, i+1, k)
	}
	g.proceed <- struct{}{}
	g.expect(t, 1, 3, 5) // 2 and 4 are held: the group has a rotation of "a"
	g.in <- newTestMember(ctx, 6, "d")
	g.in <- newTestMember(ctx, 7, "a")
	g.proceed <- struct{}{}
	g.expect(t, 2, 6) // the held 2 first; 4 and 7 wait again
	g.proceed <- struct{}{}
	g.expect(t, 4)
	g.proceed <- struct{}{}
	g.expect(t, 7)
	g.proceed <- struct{}{}
}

func TestBatcherAnswersMembersWhoseCallerLeftWithoutRunningThem(t *testing.T) {
	g := newGatedBatcher(t, nil)
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	g.in <- newTestMember(ctx, 0, "")
	g.expect(t, 0)
	left := newTestMember(gone, 1, "")
	g.in <- left
	g.in <- newTestMember(ctx, 2, "")
	g.proceed <- struct{}{}
	g.expect(t, 2) // 1 is not run
	if err := answer(t, left); !errors.Is(err, context.Canceled) {
		t.Fatalf("the member whose caller left: %v, want context.Canceled", err)
	}
	alone := newTestMember(gone, 3, "") // a group of no live member runs nothing
	g.in <- alone
	g.proceed <- struct{}{}
	if err := answer(t, alone); !errors.Is(err, context.Canceled) {
		t.Fatalf("the lone member whose caller left: %v, want context.Canceled", err)
	}
	g.in <- newTestMember(ctx, 4, "")
	g.expect(t, 4)
	g.proceed <- struct{}{}
}

func TestBatcherCallWaitsForItsOutcomeUnlessToldToLeave(t *testing.T) {
	g := newGatedBatcher(t, nil)
	waiting, cancelWaiting := context.WithCancel(context.Background())
	leaving, cancelLeaving := context.WithCancel(context.Background())
	type result struct {
		answer, err error
	}
	stays, leaves := make(chan result, 1), make(chan result, 1)
	go func() {
		m := newTestMember(waiting, 0, "")
		a, err := call(&g.batcher, waiting, m, m.out, false)
		stays <- result{a, err}
	}()
	g.expect(t, 0)
	go func() {
		m := newTestMember(leaving, 1, "")
		a, err := call(&g.batcher, leaving, m, m.out, true)
		leaves <- result{a, err}
	}()
	waitFor(t, "the leaving member to queue", func() bool { return len(g.in) == 1 })
	cancelWaiting()
	cancelLeaving()
	// While group 0 still runs:
	if r := receive(t, leaves, "the caller told to leave to leave"); r.answer != nil || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the leaving caller got %+v, want its context's error", r)
	}
	select {
	case r := <-stays:
		t.Fatalf("the caller that waits for its outcome returned %+v before its group ended", r)
	default:
	}
	g.proceed <- struct{}{}
	if r := <-stays; r.answer != nil || r.err != nil {
		t.Fatalf("the waiting caller got %+v, want its group's answer (nil)", r)
	}
}

func TestBatcherStopFinishesTheRunningGroupAndAnswersEveryQueuedMember(t *testing.T) {
	g := &gatedBatcher{groups: make(chan []int, 64), proceed: make(chan struct{})}
	g.start(func(live []*testMember) {
		g.groups <- nil
		<-g.proceed
		for _, m := range live {
			m.out <- nil
		}
	})
	ctx := context.Background()
	running := newTestMember(ctx, 0, "")
	g.in <- running
	g.next(t)
	queued := []*testMember{newTestMember(ctx, 1, ""), newTestMember(ctx, 2, "")}
	for _, m := range queued {
		g.in <- m
	}
	stopped := make(chan struct{})
	go func() {
		g.stop()
		close(stopped)
	}()
	<-g.quit
	close(g.proceed) // the running group, and any later one, may finish
	<-stopped
	if err := answer(t, running); err != nil {
		t.Fatalf("the running member: %v, want its group's answer", err)
	}
	for _, m := range queued {
		// Run by a last group or answered closed: never left unanswered.
		if err := answer(t, m); err != nil && !errors.Is(err, errStoreClosed) {
			t.Fatalf("queued member %d: %v", m.n, err)
		}
	}
	m := newTestMember(ctx, 3, "")
	if _, err := call(&g.batcher, ctx, m, m.out, false); !errors.Is(err, errStoreClosed) {
		t.Fatalf("a call after stop: %v, want errStoreClosed", err)
	}
}
