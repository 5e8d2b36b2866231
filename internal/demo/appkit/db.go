package appkit

import (
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// welcomedSchema records who has visited, so each application can give a
// first visit something visibly loaded from its own database.
const welcomedSchema = `
CREATE TABLE IF NOT EXISTS welcomed (user_id TEXT PRIMARY KEY);`

func openDB(name, path, schema string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer; the demo's load is a person clicking
	if _, err := db.Exec(schema + welcomedSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: migrate %s: %w", name, path, err)
	}
	return db, nil
}

// FirstVisit reports whether this is userID's first visit, and records it:
// true exactly once per user, even for concurrent requests (the insert is
// the test).
func (a *App) FirstVisit(userID string) (bool, error) {
	res, err := a.DB.Exec(`INSERT OR IGNORE INTO welcomed(user_id) VALUES(?)`, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
