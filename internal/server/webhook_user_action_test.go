package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestUserActionEvents: taking, modifying and cancelling a temporal action
// each send user.action to a real receiver, with FusionAuth's fields and
// the phase start, modify, cancel (each committed with its change).
func TestUserActionEvents(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserAction}, "")}), 200)
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
	expiry := s.Clock.Now().Add(time.Hour).UnixMilli()
	taken := s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
		"userActionId": lockActionID, "expiry": expiry, "comment": "too many tries", "notifyUser": true}})
	id := taken["action"].(map[string]any)["id"].(string)
	s.apiOK("PUT", "/api/user/action/"+id, map[string]any{"action": map[string]any{"expiry": expiry + 60_000, "comment": "longer"}})
	s.apiOK("DELETE", "/api/user/action/"+id, map[string]any{"action": map[string]any{"comment": "forgiven"}})

	// Deliveries may arrive in any order: index them by phase.
	byPhase := map[string]delivery{}
	for _, d := range rec.waitFor(events.UserAction, 3) {
		byPhase[d.event["phase"].(string)] = d
	}
	got := []delivery{byPhase["start"], byPhase["modify"], byPhase["cancel"]}
	for i, want := range []struct {
		phase, comment string
		expiry         int64
	}{{"start", "too many tries", expiry}, {"modify", "longer", expiry + 60_000}, {"cancel", "forgiven", 0}} {
		ev := got[i].event
		if ev["phase"] != want.phase || ev["comment"] != want.comment || ev["action"] != "Lock" || ev["actionId"] != lockActionID ||
			ev["actioneeUserId"] != aliceID || ev["tenantId"] != tenantID {
			t.Errorf("event %d: %v, want phase %s", i, ev, want.phase)
		}
		if want.expiry != 0 && ev["expiry"] != float64(want.expiry) {
			t.Errorf("event %d: expiry %v, want %d", i, ev["expiry"], want.expiry)
		}
	}
	if got[0].event["notifyUser"] != true {
		t.Errorf("start event lost notifyUser: %v", got[0].event)
	}
}

// TestUserActionEndEvent: when a temporal action whose definition has
// sendEndEvent expires, the janitor (running every 20 ms of real time,
// reading the test's clock) sends user.action with phase "end" to a real
// receiver, once, with the action's fields. Nothing is sent before the
// expiry, for an action cancelled before it, or for a definition without
// sendEndEvent; an action ending later gets its own single end event while
// the first is not sent again however many passes ran since.
func TestUserActionEndEvent(t *testing.T) {
	s := buildStack(t, stackOpts{webhooks: webhookTuning, janitor: 20 * time.Millisecond}, allEvents)
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserAction}, "")}), 200)
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{
		"name": "Suspend", "preventLogin": true, "temporal": true, "sendEndEvent": true}})
	s.apiOK("POST", "/api/user-action/"+awardActionID, map[string]any{"userAction": map[string]any{
		"name": "Quiet", "temporal": true}})
	take := func(def string, expiry int64, comment string) string {
		t.Helper()
		res := s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": def, "expiry": expiry, "comment": comment}})
		return res["action"].(map[string]any)["id"].(string)
	}
	hour := s.Clock.Now().Add(time.Hour).UnixMilli()
	ends := take(lockActionID, hour, "first")
	cancelled := take(lockActionID, hour, "cancelled")
	take(awardActionID, hour, "no end event")
	s.apiOK("DELETE", "/api/user/action/"+cancelled, map[string]any{"action": map[string]any{"comment": "forgiven"}})
	rec.waitFor(events.UserAction, 4) // three starts and the cancel

	isEnd := func(d delivery) bool { return d.event["phase"] == "end" }
	endsOf := func() map[string]int {
		n := map[string]int{}
		for _, d := range rec.deliveries() {
			if isEnd(d) {
				n[d.event["comment"].(string)]++
			}
		}
		return n
	}
	// Passes before the expiry send nothing (a few run in 100 ms; a loaded
	// machine may run fewer, which only weakens this check, never fails it).
	time.Sleep(100 * time.Millisecond)
	if n := endsOf(); len(n) != 0 {
		t.Fatalf("end events before any expiry: %v", n)
	}

	s.Clock.Advance(time.Hour + time.Second)
	ev := rec.waitMatch(t, isEnd).event
	if ev["comment"] != "first" || ev["action"] != "Suspend" || ev["actionId"] != lockActionID ||
		ev["actioneeUserId"] != aliceID || ev["expiry"] != float64(hour) || ev["tenantId"] != tenantID {
		t.Errorf("end event: %v", ev)
	}
	got, _ := s.Store.GetUserActionLog(context.Background(), ends)
	if !got.EndEventSent {
		t.Errorf("the ended action is not marked endEventSent: %+v", got)
	}

	later := s.Clock.Now().Add(time.Minute).UnixMilli()
	take(lockActionID, later, "second")
	s.Clock.Advance(2 * time.Minute)
	rec.waitMatch(t, func(d delivery) bool { return isEnd(d) && d.event["comment"] == "second" })
	if n := endsOf(); len(n) != 2 || n["first"] != 1 || n["second"] != 1 {
		t.Errorf("end events by action: %v, want one each for the two uncancelled Suspend actions", n)
	}
}
