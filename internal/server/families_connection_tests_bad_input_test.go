package server_test

import (
	"strings"
	"testing"
)

// TestFamilyAndConnectionTestBadInput (adversarial): NUL bytes, wrong JSON
// types, huge values and non-UUID ids on the family, connection test and
// pending link endpoints are answered 400 or 404 (413 for a body over the
// limit), never 500, on both backends (a pending children search for an
// address with a NUL finds nobody); the family is unchanged.
func TestFamilyAndConnectionTestBadInput(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	huge := strings.Repeat("a", 200000)
	for _, c := range []struct {
		m, p string
		b    any
	}{
		{"POST", "/api/user/family", map[string]any{"familyMember": map[string]any{"userId": "0f1a2b3c-0000-4000-8000-0000000fa00\x003", "role": "Adult"}}},
		{"POST", "/api/user/family", map[string]any{"familyMember": map[string]any{"userId": adult2ID, "role": "Adu\x00lt"}}},
		{"POST", "/api/user/family", `{"familyMember":{"userId":5,"role":["Adult"],"owner":"yes"}}`},
		{"POST", "/api/user/family", `[]`},
		{"PUT", "/api/user/family/" + familyID, map[string]any{"familyMember": map[string]any{"userId": famChildID, "role": "Child", "data": map[string]any{"x": huge}}}},
		{"GET", "/api/user/family?userId=%00", nil},
		{"GET", "/api/user/family/%00", nil},
		{"DELETE", "/api/user/family/" + familyID + "/%00", nil},
		{"POST", "/api/user/family/request", map[string]any{"parentEmail": "mum\x00@x.test"}},
		{"POST", "/api/identity-provider/test", map[string]any{"identityProviderId": "\x00"}},
		{"POST", "/api/identity-provider/test", `{"identityProviderId":{"a":1}}`},
		{"GET", "/api/identity-provider/test?connectionTestId=%00", nil},
		{"GET", "/api/identity-provider/test?connectionTestId=" + strings.Repeat("a", 4000), nil},
		{"GET", "/api/identity-provider/link/pending/%00", nil},
		{"POST", "/api/identity-provider/link", map[string]any{"pendingIdPLinkId": "a\x00b", "identityProviderLink": map[string]any{"userId": "x\x00"}}},
		{"POST", "/api/identity-provider/link", map[string]any{"pendingIdPLinkId": huge}},
		{"GET", "/oauth2/federate/" + familyID + "?connectionTestId=%00&client_id=" + forumsApp, nil},
	} {
		if res := s.api(c.m, c.p, c.b); res.status >= 500 || res.status < 400 {
			t.Errorf("%s %.80q = %d: %.300s", c.m, c.p, res.status, res.body)
		}
	}
	// A parent email with a NUL names nobody's parent (no stored one holds one).
	if res := s.api("GET", "/api/user/family/pending?parentEmail=a%00@x.test", nil); res.status != 200 || strings.TrimSpace(string(res.body)) != `{"users":[]}` {
		t.Errorf("pending children of a NUL address: %d %s", res.status, res.body)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); len(got) != 1 {
		t.Fatalf("the family after the refusals: %v", got)
	}
}

// TestFamilyPutHoldsTheOwnerAge (adversarial): PUT makes nobody an owner
// that Create would refuse: a child (born 2016, the tenant's
// minimumOwnerAge 21) added or updated as an Adult owner is
// [tooYoung]familyMember.userId and the family is unchanged; as a Child it
// is added.
func TestFamilyPutHoldsTheOwnerAge(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	before := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil))
	res := s.api("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Adult", true))
	if res.status != 400 || !strings.Contains(string(res.body), "[tooYoung]familyMember.userId") {
		t.Fatalf("a child as an Adult owner: %d %s", res.status, res.body)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Fatalf("the refused PUT changed the family: %v, was %v", got, before)
	}
	s.apiOK("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Child", false))
	res = s.api("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Adult", true))
	if res.status != 400 || !strings.Contains(string(res.body), "[tooYoung]") {
		t.Fatalf("a member child updated to an Adult owner: %d %s", res.status, res.body)
	}
}
