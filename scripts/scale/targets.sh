#!/bin/bash
# Issue 13's refresh targets on SQLite, as docs/performance.md's quiet-machine
# tables measure them: each part on a fresh server and database (default
# settings, synchronous=FULL; rate limits off; scripts/scale/kickstart.json).
#
#   BIN=./latchkey scripts/scale/targets.sh [closed] [open]
#
# closed: ROUNDS rounds of refresh-cookie and refresh-oauth, 16 clients,
#         3 s warm-up, 10 s measured (target: >= 4,000/s, <= 0.35 ms CPU).
# open:   RUNS runs of refresh-oauth and of refresh-cookie at 2,000/s over
#         64 sessions, 5 s warm-up, 20 s measured (target: p99 < 10 ms).
# login:  ROUNDS runs of login, 16 clients, 10 s warm-up, 15 s measured, with
#         the hash ceiling measured in the same run (--ceiling 10s; target:
#         logins/s >= 90 % of hashes/s); the ratios follow the line.
# One line per run: mode, load average, ok/s, server CPU ms per request,
# p50/p99/p99.9 ms, unsent and failed requests, and the CPUs other processes
# used during the run (the machine is quiet when that is about 0).
# The JSON reports stay in OUT.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BIN=${BIN:-./latchkey} PORT=${PORT:-9541}
ROUNDS=${ROUNDS:-3} RUNS=${RUNS:-3}
OUT=${OUT:-/tmp/scale-targets}
APP=5ca1e000-0000-4000-8000-00000000a001
export LATCHKEY_API_KEY=${LATCHKEY_API_KEY:-bench-0123456789abcdef0123456789abcdef0123456789}
export LATCHKEY_BENCH_API_KEY=$LATCHKEY_API_KEY
export LATCHKEY_RATE_LIMITS=login=0/1m,refresh=0/1m,token=0/1m
unset LATCHKEY_SECRET_FILE LATCHKEY_DATABASE_URL
mkdir -p "$OUT"
PARTS=${*:-closed open login}

SRV=
start() { # part
	local dir="$OUT/$1-db"
	rm -rf "$dir"; mkdir -p "$dir"
	if curl -fs http://127.0.0.1:$PORT/api/status >/dev/null; then
		echo "port $PORT is in use: another server would be measured (set PORT)" >&2; exit 1
	fi
	"$BIN" serve --addr 127.0.0.1:$PORT --database-url "$dir/latchkey.db" --kickstart "$REPO/scripts/scale/kickstart.json" >>"$OUT/srv-$1.log" 2>&1 &
	SRV=$!
	for _ in $(seq 300); do
		if curl -fs http://127.0.0.1:$PORT/api/status >/dev/null; then
			kill -0 $SRV 2>/dev/null && return
			break
		fi
		sleep 0.1
	done
	echo "server did not start: $OUT/srv-$1.log" >&2; exit 1
}
stop() { kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; SRV=; }
trap stop EXIT
run() { # name mode bench-flags...
	local j="$OUT/$1.json" name=$1 mode=$2; shift 2
	"$BIN" bench --url http://127.0.0.1:$PORT --server-pid $SRV --application-id $APP --mode $mode --json "$@" >"$j" 2>"$j.err"
	python3 - "$j" "$name" "$mode" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
f, name, mode, load = sys.argv[1:]
try:
    r = json.load(open(f))
except Exception:
    print(f"{name:12} {mode:14} FAILED ({open(f + '.err').read().strip()[:200]})"); sys.exit()
m, l = r.get("machine") or {}, r["latencyMs"]
other = m.get("busyCpus", 0) - m.get("serverCpus", 0) - m.get("benchCpus", 0)
print(f"{name:12} {mode:14} load {load}  {r['throughput']:6.0f} ok/s  {r['server']['cpuMsPerRequest']:.3f} ms CPU/req"
      f"  p50 {l['p50']:.2f} p99 {l['p99']:.2f} p99.9 {l['p999']:.2f} ms  unsent {r.get('unsent', 0)} failed {r['requests'] - r['ok']}"
      f"  other CPUs {other:.2f}")
c = r.get("ceiling")
if c:
    print(f"{'':12} ceiling {c['scheme']} x {c['factor']}: {c['hashesPerSecond']:.1f} hashes/s at {c['cpuMsPerHash']:.2f} ms"
          f"  server {c.get('serverCpuMsPerLogin', 0):.2f} ms/login  ratios {c['throughputRatio']:.2f} (throughput), {c.get('cpuRatio', 0):.2f} (CPU)")
PY
}

for part in $PARTS; do
	case $part in
	closed)
		start closed
		for round in $(seq "$ROUNDS"); do
			for mode in refresh-cookie refresh-oauth; do
				run closed-r$round $mode --clients 16 --warmup 3s --duration 10s
			done
		done
		stop ;;
	open)
		start open
		for i in $(seq "$RUNS"); do
			for mode in refresh-oauth refresh-cookie; do
				run open-r$i $mode --rate 2000 --clients 64 --warmup 5s --duration 20s
			done
		done
		stop ;;
	login)
		start login
		for round in $(seq "$ROUNDS"); do
			run login-r$round login --clients 16 --warmup 10s --duration 15s --ceiling 10s
		done
		stop ;;
	*) echo "unknown part $part (closed, open, login)" >&2; exit 2 ;;
	esac
done
