#!/bin/sh
# Starts (once) a throwaway PostgreSQL for tests on 127.0.0.1 and prints its
# DSN on stdout; everything else goes to stderr. Idempotent: when the server of
# $LATCHKEY_PG_DIR (default /tmp/latchkey-pg) already runs, it only prints its
# DSN. Usage in CI:
#   export LATCHKEY_TEST_POSTGRES_DSN=$(scripts/postgres-test.sh)
# The port is LATCHKEY_PG_PORT if set, else a free one below the kernel's
# ephemeral range (ip_local_port_range): a fixed port inside that range can be
# held at any moment by some outgoing connection, and then the server cannot
# bind it. A port taken by another listener is retried with another.
# Stop it with: su postgres -c "$BIN/pg_ctl -D /tmp/latchkey-pg/data stop"
set -eu

BASE=${LATCHKEY_PG_DIR:-/tmp/latchkey-pg}
DATA=$BASE/data
LOG=$BASE/server.log
DB=latchkey_test

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

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$1" >/dev/null 2>&1; }

# running_port prints the port of the server already running on $DATA
# (line 4 of postmaster.pid), and fails when none runs.
running_port() {
	[ -d "$DATA" ] || return 1
	as_pg "'$BIN/pg_ctl' -D '$DATA' status" >/dev/null 2>&1 || return 1
	as_pg "sed -n 4p '$DATA/postmaster.pid'"
}

# pick_port prints a random port between 10000 and the start of the
# ephemeral range, where no outgoing connection takes its local port.
pick_port() {
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$lo" -gt 11024 ] || lo=11024
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((10000 + r % (lo - 10000)))
}

# start tries to start the server on port $1.
start() {
	as_pg ": > '$LOG'"
	# fsync off: a test database that dies with the machine loses nothing we need.
	as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$LOG' -w -t 30 \
		-o \"-c listen_addresses=127.0.0.1 -p $1 -k '$BASE' -c fsync=off -c max_connections=300\" start" >&2
}

if ! PORT=$(running_port) || [ -z "$PORT" ]; then
	mkdir -p "$BASE"
	if [ "$(id -u)" = 0 ]; then chown postgres "$BASE"; fi
	if [ ! -s "$DATA/PG_VERSION" ]; then
		as_pg "'$BIN/initdb' -D '$DATA' -U postgres --auth=trust --encoding=UTF8 --no-locale" >&2
	fi
	tries=0
	while :; do
		PORT=${LATCHKEY_PG_PORT:-$(pick_port)}
		if start "$PORT"; then
			break
		fi
		tries=$((tries + 1))
		if [ -n "${LATCHKEY_PG_PORT:-}" ] || [ "$tries" -ge 20 ] || ! grep -q "could not bind\|could not create any TCP/IP sockets" "$LOG"; then
			echo "postgres-test: the server did not start; see $LOG" >&2
			exit 1
		fi
		echo "postgres-test: port $PORT is taken; trying another" >&2
	done
fi

i=0
until ready "$PORT"; do
	i=$((i + 1))
	if [ "$i" -gt 60 ]; then
		echo "postgres-test: server on port $PORT did not become ready; see $LOG" >&2
		exit 1
	fi
	sleep 0.5
done

if ! as_pg "'$BIN/psql' -h 127.0.0.1 -p $PORT -U postgres -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"" | grep -q 1; then
	as_pg "'$BIN/createdb' -h 127.0.0.1 -p $PORT -U postgres $DB" >&2
fi
echo "postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"
