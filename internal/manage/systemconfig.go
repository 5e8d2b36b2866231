package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// SystemConfigStore is what SystemConfig uses.
type SystemConfigStore interface {
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
	PutSystemConfiguration(ctx context.Context, c storage.SystemConfiguration, audit ...storage.AuditEntry) error
}

// SystemConfig is the system configuration API (system-configuration.mdx;
// fusionauth-api.md §6.6): one object, CORS settings included.
type SystemConfig struct {
	Store SystemConfigStore
	Now   func() time.Time // nil: time.Now

	updates sync.Mutex // this node's Updates, one at a time
}

func (sc *SystemConfig) now() time.Time {
	if sc.Now == nil {
		return time.Now()
	}
	return sc.Now()
}

// Get returns the stored configuration, or the defaults before the first
// write.
func (sc *SystemConfig) Get(ctx context.Context) (storage.SystemConfiguration, error) {
	c, err := sc.Store.GetSystemConfiguration(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		c = DefaultSystemConfiguration()
		c.Revision = storage.Unstored // an Update of it holds only while nothing is stored
		return c, nil
	}
	lr, ev := LoginRecordSettings(c), EventLogSettings(c)
	c.LoginRecordConfiguration, c.EventLogConfiguration = &lr, &ev
	return c, err
}

// ForPut is what the fields a PUT omits become: the shipped defaults, except
// reportTimezone, which FusionAuth requires on PUT.
func ForPut() storage.SystemConfiguration {
	c := DefaultSystemConfiguration()
	c.ReportTimezone = ""
	return c
}

// Update applies change (a PUT's replacement or a PATCH) to the current
// configuration. An error of change is returned as it is. The write holds
// only while the configuration is as it was read (its revision), and is
// tried again on the configuration as it is then (retryStale): change runs
// once per try, and no acknowledged write is overwritten.
func (sc *SystemConfig) Update(ctx context.Context, change func(storage.SystemConfiguration) (storage.SystemConfiguration, error)) (storage.SystemConfiguration, error) {
	var c storage.SystemConfiguration
	sc.updates.Lock()
	defer sc.updates.Unlock()
	err := retryStale(func() error {
		cur, err := sc.Get(ctx)
		if err != nil {
			return err
		}
		if c, err = change(cur); err != nil {
			return err
		}
		c.Revision = cur.Revision
		if err := validateSystemConfiguration(c).Err(); err != nil {
			return err
		}
		return sc.Store.PutSystemConfiguration(ctx, c, audit(ctx, sc.now(), "", "Updated the system configuration", cur, c))
	})
	return c, err
}

var corsMethodNames = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}

func validateSystemConfiguration(c storage.SystemConfiguration) *Invalid {
	e := &Invalid{}
	const p = "systemConfiguration.corsConfiguration"
	if c.ReportTimezone == "" {
		e.Field("blank", "systemConfiguration.reportTimezone", "You must specify the [systemConfiguration.reportTimezone] property.")
	}
	cc := c.CORSConfiguration
	if lr := c.LoginRecordConfiguration; lr != nil && lr.Delete.Enabled && lr.Delete.NumberOfDaysToRetain < 1 {
		e.Field("invalid", "systemConfiguration.loginRecordConfiguration.delete.numberOfDaysToRetain", "Keep login records for at least one day.")
	}
	if lr := c.LoginRecordConfiguration; lr != nil {
		checkSetting(e, "systemConfiguration.loginRecordConfiguration.delete.numberOfDaysToRetain", lr.Delete.NumberOfDaysToRetain, 0)
	}
	if ev := c.EventLogConfiguration; ev != nil {
		if ev.NumberToRetain < 1 {
			e.Field("invalid", "systemConfiguration.eventLogConfiguration.numberToRetain", "Keep at least one event log entry.")
		}
		checkSetting(e, "systemConfiguration.eventLogConfiguration.numberToRetain", ev.NumberToRetain, 0)
	}
	checkSetting(e, p+".preflightMaxAgeInSeconds", cc.PreflightMaxAgeInSeconds, time.Second)
	for _, m := range cc.AllowedMethods {
		if !slices.Contains(corsMethodNames, m) {
			e.Field("invalid", p+".allowedMethods", "Unknown method ["+truncate(m, 16)+"]. Use GET, POST, PUT, DELETE, HEAD, OPTIONS or PATCH.")
		}
	}
	for _, o := range cc.AllowedOrigins {
		switch {
		case o == "*" && len(cc.AllowedOrigins) > 1:
			e.Field("invalid", p+".allowedOrigins", "The wildcard [*] must be the only allowed origin.")
		case o == "*" && cc.AllowCredentials:
			// A credentialed wildcard would hand every site the refresh
			// cookie (security-bar.md §4.6; the Fetch standard forbids it).
			e.Field("invalid", p+".allowedOrigins", "The wildcard [*] cannot be combined with allowCredentials=true. List the origins.")
		case o != "*" && !validOrigin(o):
			e.Field("invalid", p+".allowedOrigins", "The origin ["+truncate(o, 128)+"] is not a scheme://host[:port] origin.")
		}
	}
	for _, h := range append(slices.Clone(cc.AllowedHeaders), cc.ExposedHeaders...) {
		if h == "" || strings.ContainsAny(h, " \t\r\n,:") {
			e.Field("invalid", p+".allowedHeaders", "Header names must be single tokens.")
			break
		}
	}
	if cc.PreflightMaxAgeInSeconds < 0 {
		e.Field("invalid", p+".preflightMaxAgeInSeconds", "The value must not be negative.")
	}
	return e
}
