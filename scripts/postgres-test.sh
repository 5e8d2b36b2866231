#!/bin/sh
# Starts (once) a throwaway PostgreSQL for tests on 127.0.0.1:55432 and prints
# its DSN on stdout; everything else goes to stderr. Idempotent: when the
# server already runs, it only prints the DSN. Usage in CI:
#   export LATCHKEY_TEST_POSTGRES_DSN=$(scripts/postgres-test.sh)
# Stop it with: su postgres -c "$BIN/pg_ctl -D /tmp/latchkey-pg/data stop"
set -eu

PORT=${LATCHKEY_PG_PORT:-55432}
BASE=${LATCHKEY_PG_DIR:-/tmp/latchkey-pg}
DATA=$BASE/data
DB=latchkey_test
DSN="postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"

# Debian installs PostgreSQL under /usr/lib/postgresql/<version>/bin; take the newest.
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1 || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
	echo "postgres-test: no PostgreSQL found under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
	exit 1
fi

# initdb and postgres refuse to run as root; run them as the postgres user when we are root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; }

if ! ready; then
	mkdir -p "$BASE"
	if [ "$(id -u)" = 0 ]; then chown postgres "$BASE"; fi
	if [ ! -s "$DATA/PG_VERSION" ]; then
		as_pg "'$BIN/initdb' -D '$DATA' -U postgres --auth=trust --encoding=UTF8 --no-locale" >&2
	fi
	# fsync off: a test database that dies with the machine loses nothing we need.
	as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$BASE/server.log' -w -t 30 \
		-o \"-c listen_addresses=127.0.0.1 -p $PORT -k '$BASE' -c fsync=off -c max_connections=300\" start" >&2
	i=0
	until ready; do
		i=$((i + 1))
		if [ "$i" -gt 60 ]; then
			echo "postgres-test: server did not become ready; see $BASE/server.log" >&2
			exit 1
		fi
		sleep 0.5
	done
fi

if ! as_pg "'$BIN/psql' -h 127.0.0.1 -p $PORT -U postgres -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"" | grep -q 1; then
	as_pg "'$BIN/createdb' -h 127.0.0.1 -p $PORT -U postgres $DB" >&2
fi
echo "$DSN"
