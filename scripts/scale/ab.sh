#!/bin/bash
# Interleaved A/B of two latchkey servers, one on an empty database and one
# on a seeded one (latchkey seed), with the same binary and settings
# (docs/performance.md, "1,000,000 users and 10,000,000 refresh tokens").
#
#   BIN=./latchkey EMPTY=empty/l.db SEEDED=seeded/l.db scripts/scale/ab.sh [warm|cold]
#
# warm: ROUNDS rounds; in each, every mode runs on both servers back to
# back, the order of the two flipping every round. cold: both servers are
# stopped, the page cache dropped (root: /proc/sys/vm/drop_caches), both
# started again, and each mode runs on the seeded server first (its first
# requests read the database from disk) and then on the empty one.
# One line per run: round, side, mode, load average, ok/s, server CPU
# ms per request, p99 ms, failed requests. PostgreSQL: set EMPTY and
# SEEDED to two postgres:// URLs. Many users: CLIENTS=10000 RATE=2000 (each
# session is its own user; the bench creates them on both servers).
# Seeded sessions: SEEDED_TOKENS=file makes the refresh runs on the seeded
# server refresh the sessions in that file instead of ones the bench opens
# (latchkey seed --print-tokens N --users 1000000 --tokens 10000000 >file,
# N >= CLIENTS: families at random places of the seeded trees, each of its
# own user); the bench writes their latest values back after each run.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BIN=${BIN:-./latchkey} EMPTY=${EMPTY:?} SEEDED=${SEEDED:?}
EMPTY_PORT=${EMPTY_PORT:-9531} SEEDED_PORT=${SEEDED_PORT:-9532}
ROUNDS=${ROUNDS:-2} DURATION=${DURATION:-8s} CLIENTS=${CLIENTS:-16}
RATE=${RATE:-0} WARMUP=${WARMUP:-0s} # RATE > 0: an open loop of RATE/s over CLIENTS sessions
MODES=${MODES:-refresh-cookie refresh-oauth validate login}
OUT=${OUT:-/tmp/scale-ab}
SEEDED_TOKENS=${SEEDED_TOKENS:-}
APP=5ca1e000-0000-4000-8000-00000000a001
export LATCHKEY_API_KEY=${LATCHKEY_API_KEY:-bench-0123456789abcdef0123456789abcdef0123456789}
export LATCHKEY_BENCH_API_KEY=$LATCHKEY_API_KEY
export LATCHKEY_RATE_LIMITS=login=0/1m,refresh=0/1m,token=0/1m
mkdir -p "$OUT"

start() { # name db port
	"$BIN" serve --addr 127.0.0.1:$3 --database-url "$2" --kickstart "$REPO/scripts/scale/kickstart.json" >>"$OUT/srv-$1.log" 2>&1 &
	echo $!
	for _ in $(seq 300); do curl -fs http://127.0.0.1:$3/api/status >/dev/null && return; sleep 0.1; done
}
run() { # round side port pid mode
	local j="$OUT/$1-$2-$5.json" sessions=()
	if [ "$2" = seeded ] && [ -n "$SEEDED_TOKENS" ] && [ "${5#refresh-}" != "$5" ]; then
		sessions=(--refresh-tokens "$SEEDED_TOKENS")
	fi
	"$BIN" bench --url http://127.0.0.1:$3 --server-pid $4 --application-id $APP --mode $5 --clients $CLIENTS --rate $RATE --warmup $WARMUP --duration $DURATION "${sessions[@]}" --json >"$j" 2>"$j.err"
	local db=$EMPTY; [ "$2" = seeded ] && db=$SEEDED
	# When the janitor's last pass on that database started (its lease is
	# taken for one interval, 5 minutes) and when this server last logged
	# a purge (a pass's end), to tell the runs a pass overlapped.
	local pass=""
	case $db in
	postgres://* | postgresql://*) pass=$(psql "$db" -Atc "SELECT to_char(to_timestamp(expires_at / 1000 - 300) AT TIME ZONE 'UTC', 'HH24:MI:SS') FROM leases WHERE name = 'janitor'" 2>/dev/null) ;;
	*) [ -f "$db" ] && pass=$(sqlite3 -readonly "$db" "SELECT strftime('%H:%M:%S', expires_at / 1000 - 300, 'unixepoch') FROM leases WHERE name = 'janitor'" 2>/dev/null) ;;
	esac
	local purged
	purged=$(grep '"janitor purged"' "$OUT/srv-$2.log" 2>/dev/null | tail -n 1 | sed -n 's/^time=[0-9-]*T\([0-9:]*\).*/\1/p')
	echo -n "$(date -u +%T) janitor start ${pass:--} purged ${purged:--} "
	python3 - "$j" "$1" "$2" "$5" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
f, rnd, side, mode, load = sys.argv[1:]
try:
    r = json.load(open(f))
except Exception as e:
    print(f"{rnd:6} {side:6} {mode:14} load {load}  FAILED ({open(f + '.err').read().strip()[:200]})"); sys.exit()
print(f"{rnd:6} {side:6} {mode:14} load {load}  {r['throughput']:7.0f} ok/s  {r['server']['cpuMsPerRequest']:.3f} ms CPU/req  p99 {r['latencyMs']['p99']:7.2f} ms  failed {r['requests'] - r['ok']}")
PY
}

E=$(start empty "$EMPTY" $EMPTY_PORT)
S=$(start seeded "$SEEDED" $SEEDED_PORT)
trap 'kill $E $S 2>/dev/null; wait' EXIT
if [ "${1:-warm}" = cold ]; then
	kill $E $S; wait $E $S 2>/dev/null
	sync; echo 3 >/proc/sys/vm/drop_caches
	E=$(start empty "$EMPTY" $EMPTY_PORT)
	S=$(start seeded "$SEEDED" $SEEDED_PORT)
	for mode in $MODES; do
		run cold seeded $SEEDED_PORT $S $mode
		run cold empty $EMPTY_PORT $E $mode
	done
	exit
fi
for round in $(seq $ROUNDS); do
	for mode in $MODES; do
		if [ $((round % 2)) = 1 ]; then order="empty seeded"; else order="seeded empty"; fi
		for side in $order; do
			if [ $side = empty ]; then run r$round empty $EMPTY_PORT $E $mode; else run r$round seeded $SEEDED_PORT $S $mode; fi
		done
	done
done
