package multinode

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to count rows
)

// TestSimultaneousStartOnEmptySchema: four nodes started at once on an empty
// schema all come up; the migrations, the Kickstart and the first signing
// keys happen exactly once (a second Kickstart would also have failed its
// fixed-id requests and stopped that node).
func TestSimultaneousStartOnEmptySchema(t *testing.T) {
	const n = 4
	c := startCluster(t, n)
	_, want := jwks(t, c.nodes[0])
	for _, nd := range c.nodes[1:] {
		if _, got := jwks(t, nd); got != want {
			t.Fatalf("%s publishes another key set:\n%s\nvs\n%s", nd.name, got, want)
		}
	}
	db, err := sql.Open("pgx", c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts := []struct {
		name, query string
		want        int
	}{
		{"signing keys: one ES256 and one RS256", `SELECT count(*) FROM signing_keys`, 2},
		{"active signing keys", `SELECT count(*) FROM signing_keys WHERE state = 'active'`, 2},
		{"kickstart claim", `SELECT count(*) FROM kickstart`, 1},
		{"the Kickstart's API key", `SELECT count(*) FROM api_keys`, 1},
		{"applications", `SELECT count(*) FROM applications`, 4},
		{"users", `SELECT count(*) FROM users`, 2},
		{"registrations", `SELECT count(*) FROM registrations`, 5},
		{"default tenant", `SELECT count(*) FROM tenants`, 1},
	}
	for _, tc := range counts {
		t.Run(tc.name, func(t *testing.T) {
			var got int
			if err := db.QueryRowContext(context.Background(), tc.query).Scan(&got); err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			if got != tc.want {
				t.Fatalf("%s = %d, want %d", tc.query, got, tc.want)
			}
		})
	}
	for _, nd := range c.nodes {
		login(t, nd, userEmail, raceApp)
	}
}
