package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testSystemConfiguration(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, err := s.GetSystemConfiguration(ctx)
	wantErr(t, err, storage.ErrNotFound)
	c := storage.SystemConfiguration{ReportTimezone: "UTC", CORSConfiguration: storage.CORSConfiguration{
		Enabled: true, AllowCredentials: true, AllowedOrigins: []string{"https://store.example.com"},
		AllowedMethods: []string{"GET", "POST"}, PreflightMaxAgeInSeconds: 1800}}
	for i := range 2 { // the second Put replaces the first
		c.CORSConfiguration.PreflightMaxAgeInSeconds += i
		must(t, s.PutSystemConfiguration(ctx, c))
		got, err := s.GetSystemConfiguration(ctx)
		must(t, err)
		c.Revision = int64(i + 1) // 1 for the new row, raised by each write
		wantEqual(t, "system configuration", got, c)
	}
}
