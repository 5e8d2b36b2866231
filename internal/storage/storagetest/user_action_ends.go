package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testUserActionEnds: a temporal action taken with sendEndEvent is listed
// as due once its expiry has passed, not before; ending it marks it sent
// and enqueues its event in one write, once: a second end of the same read
// writes nothing. An action without sendEndEvent, one that is not temporal
// and one cancelled before its expiry are never due; one extended after it
// was read is not ended by the stale read, and is due again at its new
// expiry.
func testUserActionEnds(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	now := base.UnixMilli()
	hour := time.Hour.Milliseconds()
	withEnd := func(l storage.UserActionLog) storage.UserActionLog { l.SendEndEvent = true; return l }
	take := func(l storage.UserActionLog) {
		t.Helper()
		_, err := s.TakeUserAction(ctx, l, nil)
		must(t, err)
	}
	take(withEnd(newActionLog("e1", u.ID, true, now+hour)))    // ends in an hour
	take(withEnd(newActionLog("e2", u.ID, false, now+2*hour))) // ends in two hours
	take(newActionLog("e3", u.ID, true, now+hour))             // no sendEndEvent
	take(withEnd(newActionLog("e4", u.ID, false, 0)))          // not temporal
	cancelled := withEnd(newActionLog("e5", u.ID, true, now+hour))
	take(cancelled)
	cancelled.Canceled, cancelled.Expiry = true, now+1
	must(t, s.UpdateUserActionLog(ctx, cancelled))

	due := func(at int64) []string {
		t.Helper()
		ls, err := s.DueUserActionEnds(ctx, at, 10)
		must(t, err)
		ids := []string{}
		for _, l := range ls {
			ids = append(ids, l.ID)
		}
		return ids
	}
	wantEqual(t, "due before any expiry", due(now+hour-1), []string{})
	wantEqual(t, "due at the first expiry", due(now+hour), []string{"e1"})
	wantEqual(t, "due after both", due(now+3*hour), []string{"e1", "e2"})

	ls, err := s.DueUserActionEnds(ctx, now+hour, 10)
	must(t, err)
	e1 := ls[0]
	if !e1.SendEndEvent || !e1.Temporal || e1.EndEventSent {
		t.Fatalf("due action read back as %+v", e1)
	}
	ok, err := s.EndUserActionWith(ctx, e1, []storage.OutboxMessage{outboxMsg("end-e1", base)})
	must(t, err)
	if !ok {
		t.Fatal("ending a due action reported nothing ended")
	}
	again, err := s.EndUserActionWith(ctx, e1, []storage.OutboxMessage{outboxMsg("end-e1-again", base)})
	must(t, err)
	if again {
		t.Fatal("the same end was written twice")
	}
	got, err := s.GetUserActionLog(ctx, "e1")
	must(t, err)
	if !got.EndEventSent {
		t.Errorf("ended action not marked endEventSent: %+v", got)
	}
	wantEqual(t, "outbox after the ends", outboxIDs(claim(t, s, "w", base.Add(time.Minute), 10)), []string{"end-e1"})
	wantEqual(t, "due after e1 ended", due(now+3*hour), []string{"e2"})

	// e2 is read as due, then extended: the stale read ends nothing, and
	// the action is due again at its new expiry.
	ls, err = s.DueUserActionEnds(ctx, now+3*hour, 10)
	must(t, err)
	stale := ls[0]
	extended := stale
	extended.Expiry = now + 5*hour
	must(t, s.UpdateUserActionLog(ctx, extended))
	ok, err = s.EndUserActionWith(ctx, stale, []storage.OutboxMessage{outboxMsg("end-e2-stale", base)})
	must(t, err)
	if ok {
		t.Fatal("a stale read ended an action that was extended since")
	}
	wantEqual(t, "outbox after the stale end", outboxIDs(claim(t, s, "w", base.Add(time.Minute), 10)), []string{})
	wantEqual(t, "due before the new expiry", due(now+5*hour-1), []string{})
	wantEqual(t, "due at the new expiry", due(now+5*hour), []string{"e2"})
}
