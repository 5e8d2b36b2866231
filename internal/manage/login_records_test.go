package manage_test

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginRecordPurge: Purge (the janitor's task login_records) deletes
// what is older than the system configuration's retention (365 days by
// default, also for a configuration stored before the setting existed), and
// nothing when deletion is turned off.
func TestLoginRecordPurge(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const uid = "0f1a2b3c-0000-4000-8000-0000000000b1"
	must(t, st.CreateUser(ctx, storage.User{ID: uid, TenantID: manage.DefaultTenantID, Active: true, Email: "ada@example.test"}))
	for i, age := range []int{400, 366, 364, 1} {
		at := now.AddDate(0, 0, -age).UnixMilli()
		must(t, st.RecordLogin(ctx, storage.Login{UserID: uid, At: at,
			Record: &storage.LoginRecord{ID: string(rune('a' + i)), UserID: uid, TenantID: manage.DefaultTenantID, Instant: at}}))
	}
	lr := &manage.LoginRecords{Store: st}
	sc := &manage.SystemConfig{Store: st, Now: clock}
	count := func() int {
		_, n, err := st.ListLoginRecords(ctx, storage.LoginRecordFilter{Limit: 10, Count: true})
		must(t, err)
		return n
	}
	// A configuration stored without the setting: the default applies.
	c, err := st.GetSystemConfiguration(ctx)
	must(t, err)
	c.LoginRecordConfiguration = nil
	must(t, st.PutSystemConfiguration(ctx, c))
	if n, err := lr.Purge(ctx, now, 10); err != nil || n != 2 || count() != 2 {
		t.Fatalf("default retention purged %d (%v), %d left; want 2 and 2", n, err, count())
	}
	_, err = sc.Update(ctx, func(c storage.SystemConfiguration) (storage.SystemConfiguration, error) {
		c.LoginRecordConfiguration = &storage.LoginRecordConfiguration{Delete: storage.LoginRecordDelete{Enabled: false, NumberOfDaysToRetain: 1}}
		return c, nil
	})
	must(t, err)
	if n, _ := lr.Purge(ctx, now, 10); n != 0 || count() != 2 {
		t.Fatalf("deletion off purged %d", n)
	}
	_, err = sc.Update(ctx, func(c storage.SystemConfiguration) (storage.SystemConfiguration, error) {
		c.LoginRecordConfiguration = &storage.LoginRecordConfiguration{Delete: storage.LoginRecordDelete{Enabled: true, NumberOfDaysToRetain: 30}}
		return c, nil
	})
	must(t, err)
	if n, _ := lr.Purge(ctx, now, 10); n != 1 || count() != 1 {
		t.Fatalf("30 days purged %d, left %d", n, count())
	}
	_, err = sc.Update(ctx, func(c storage.SystemConfiguration) (storage.SystemConfiguration, error) {
		c.LoginRecordConfiguration = &storage.LoginRecordConfiguration{Delete: storage.LoginRecordDelete{Enabled: true}}
		return c, nil
	})
	if got := problems(t, err); len(got) != 1 || got[0] != "[invalid]systemConfiguration.loginRecordConfiguration.delete.numberOfDaysToRetain" {
		t.Fatalf("zero days: %v", got)
	}
}
