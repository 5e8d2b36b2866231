#!/bin/bash
# Issue 13's storage target: a database under constant load keeps a constant
# size. One server (default settings, the janitor's default 5-minute pass)
# takes a constant open-loop mixed load (logins, cookie refreshes and
# validations at RATE/s over 64 sessions) for DURATION; every login starts a
# new session and abandons the old one, whose refresh token (2-minute
# sliding window, scripts/scale/kickstart-steady.json) expires and is left for
# the janitor. Every SAMPLE seconds one line: minutes since the start, the
# refresh_tokens rows, the login_records rows, the bytes of the login records
# and their indexes (kept 365 days by default: they grow by design), of
# SQLite's user_changes log (a ring of at most 65,536 + 4,096 entries,
# migration 0100; two per login; 0 on PostgreSQL, which has none), of
# everything else, and the database's size (SQLite: the file, then its WAL;
# PostgreSQL: pg_database_size, then 0).
#
#   BIN=./latchkey scripts/scale/steady.sh sqlite
#   BIN=./latchkey DSN=postgres://... scripts/scale/steady.sh postgres
#
# SQLite is read with the sqlite3 shell (its dbstat table), PostgreSQL with
# psql; the PostgreSQL database named by DSN is dropped and created again.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BIN=${BIN:-./latchkey} PORT=${PORT:-9543}
RATE=${RATE:-300} DURATION=${DURATION:-30m} SAMPLE=${SAMPLE:-60}
OUT=${OUT:-/tmp/scale-steady}
APP=5ca1e000-0000-4000-8000-00000000a001
export LATCHKEY_API_KEY=${LATCHKEY_API_KEY:-bench-0123456789abcdef0123456789abcdef0123456789}
export LATCHKEY_BENCH_API_KEY=$LATCHKEY_API_KEY
export LATCHKEY_RATE_LIMITS=login=0/1m,refresh=0/1m,token=0/1m
unset LATCHKEY_SECRET_FILE LATCHKEY_DATABASE_URL
backend=${1:-sqlite}
mkdir -p "$OUT"
dir="$OUT/$backend-db"
rm -rf "$dir"; mkdir -p "$dir"
case $backend in
sqlite) url="$dir/latchkey.db" ;;
postgres)
	: "${DSN:?DSN names the PostgreSQL database to use}"
	db=${DSN##*/}; db=${db%%\?*}
	admin=${DSN%/*}/postgres
	psql -q "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1
	# PostgreSQL nodes share a secret kept out of the database (docs/deploy.md).
	head -c 32 /dev/urandom | base64 >"$dir/secret"; chmod 600 "$dir/secret"
	export LATCHKEY_SECRET_FILE=$dir/secret
	url=$DSN ;;
*) echo "sqlite or postgres" >&2; exit 2 ;;
esac

"$BIN" serve --addr 127.0.0.1:$PORT --database-url "$url" --kickstart "$REPO/scripts/scale/kickstart-steady.json" >>"$OUT/srv-$backend.log" 2>&1 &
SRV=$!
trap 'kill $SRV $BENCH 2>/dev/null; wait' EXIT
BENCH=
for _ in $(seq 300); do
	curl -fs http://127.0.0.1:$PORT/api/status >/dev/null && break
	kill -0 $SRV 2>/dev/null || { echo "server exited: $OUT/srv-$backend.log" >&2; exit 1; }
	sleep 0.1
done
"$BIN" bench --url http://127.0.0.1:$PORT --server-pid $SRV --application-id $APP --mode mixed \
	--rate "$RATE" --clients 64 --duration "$DURATION" --json >"$OUT/bench-$backend.json" 2>"$OUT/bench-$backend.err" &
BENCH=$!

sample() {
	case $backend in
	sqlite)
		local wal=$(stat -c %s "$url-wal" 2>/dev/null || echo 0)
		sqlite3 -readonly "$url" "SELECT (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM login_records),
			(SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%login_records%'),
			(SELECT sum(pgsize) FROM dbstat WHERE name = 'user_changes'),
			(SELECT sum(pgsize) FROM dbstat WHERE name NOT LIKE '%login_records%' AND name <> 'user_changes'),
			$(stat -c %s "$url"), $wal" ;;
	postgres)
		psql -qAt -F'|' "$DSN" -c "SELECT (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM login_records),
			pg_total_relation_size('login_records'), 0,
			(SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			 WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname <> 'login_records'),
			pg_database_size(current_database()), 0" ;;
	esac
}
echo "minute  refresh_tokens  login_records  login_records_bytes  user_changes_bytes  other_bytes  file_bytes  wal_bytes"
start=$SECONDS
while kill -0 $BENCH 2>/dev/null; do
	printf '%6.1f  %s\n' "$(echo "($SECONDS - $start) / 60" | bc -l)" "$(sample | tr '|' ' ')"
	for _ in $(seq "$SAMPLE"); do kill -0 $BENCH 2>/dev/null || break; sleep 1; done
done
printf '%6.1f  %s  (after the bench deleted its users)\n' "$(echo "($SECONDS - $start) / 60" | bc -l)" "$(sample | tr '|' ' ')"
python3 - "$OUT/bench-$backend.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"bench: {r['requests']} requests, {r['ok']} ok, {r['throughput']:.0f} ok/s, p99 {r['latencyMs']['p99']:.1f} ms, errors {r.get('errors') or r.get('errorsByStatus')}")
PY
