#!/bin/sh
# Runs deploy/nginx.conf for real on loopback: two `latchkey serve` nodes on
# one fresh PostgreSQL schema behind nginx, a login and refreshes through
# nginx (which spreads them over both nodes), then stops everything.
#
#   deploy/try-nginx.sh            (from the repository root)
#
# Needs Go, PostgreSQL (LATCHKEY_TEST_POSTGRES_DSN, else scripts/postgres-test.sh
# starts the throwaway one) and nginx (installed with apt-get when missing and
# running as root). NGINX_PORT (default 18080) is the only port it needs free;
# the nodes listen on ports the kernel picks. Exits non-zero on any failure.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${NGINX_PORT:-18080}
WORK=$(mktemp -d /tmp/latchkey-nginx.XXXXXX)
PIDS=""
SCHEMA=""

say() { echo "try-nginx: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

cleanup() {
	set +e
	if [ -s "$WORK/nginx.pid" ]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; fi
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
	done
	if [ -n "$SCHEMA" ]; then psql -q "$DSN" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1; fi
	if [ "${KEEP:-}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

if ! command -v nginx >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || fail "nginx is not installed (apt-get install nginx)"
	say "installing Debian's nginx"
	apt-get install -y nginx >/dev/null
fi
command -v curl >/dev/null || fail "curl is needed"

DSN=${LATCHKEY_TEST_POSTGRES_DSN:-$("$ROOT/scripts/postgres-test.sh")}
SCHEMA=lk_nginx_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
psql -q "$DSN" -c "CREATE SCHEMA $SCHEMA" >/dev/null
case $DSN in *\?*) DB="$DSN&search_path=$SCHEMA" ;; *) DB="$DSN?search_path=$SCHEMA" ;; esac

say "building latchkey"
(cd "$ROOT" && go build -o "$WORK/latchkey" ./cmd/latchkey)

APP=7a110000-0000-4000-8000-000000000001
KEY=try-nginx-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat >"$WORK/kickstart.json" <<JSON
{
  "apiKeys": [{"key": "$KEY", "description": "try-nginx"}],
  "requests": [
    {"method": "POST", "url": "/api/application/$APP", "body": {"application": {"name": "spa",
      "jwtConfiguration": {"enabled": true, "timeToLiveInSeconds": 300, "refreshTokenTimeToLiveInMinutes": 60,
        "refreshTokenUsagePolicy": "OneTimeUse", "refreshTokenOneTimeUseConfiguration": {"gracePeriodInSeconds": 10}},
      "loginConfiguration": {"requireAuthentication": false, "allowTokenRefresh": true, "generateRefreshTokens": true}}}},
    {"method": "POST", "url": "/api/user/registration", "body": {
      "user": {"email": "nginx@example.com", "password": "try-nginx-password"},
      "registration": {"applicationId": "$APP"}}}
  ]
}
JSON

# Both nodes share one server secret (required with PostgreSQL, never in the database).
head -c 32 /dev/urandom | base64 >"$WORK/secret"
chmod 600 "$WORK/secret"

# Both nodes at once, as a deployment would start them; the Kickstart runs once.
for n in a b; do
	LATCHKEY_ADDR=127.0.0.1:0 LATCHKEY_DATABASE_URL=$DB LATCHKEY_KICKSTART=$WORK/kickstart.json LATCHKEY_SECRET_FILE=$WORK/secret \
		LATCHKEY_ISSUER=http://127.0.0.1:$PORT LATCHKEY_TRUSTED_PROXIES=127.0.0.1/32 LATCHKEY_LOG_LEVEL=debug \
		"$WORK/latchkey" serve >"$WORK/$n.out" 2>"$WORK/$n.log" &
	PIDS="$PIDS $!"
done
addr() { sed -n 's|.* listening on http://||p' "$WORK/$1.out"; }
for n in a b; do
	i=0
	until [ -n "$(addr $n)" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || { cat "$WORK/$n.log" >&2; fail "node $n did not start"; }
		sleep 0.2
	done
done
say "nodes on $(addr a) and $(addr b)"

mkdir -p "$WORK/logs"
sed -e "s|server 127.0.0.1:9021 |server $(addr a) |" -e "s|server 127.0.0.1:9022 |server $(addr b) |" \
	-e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$PORT;|" "$ROOT/deploy/nginx.conf" >"$WORK/nginx.conf"
grep -q "server $(addr a) " "$WORK/nginx.conf" && grep -q "listen 127.0.0.1:$PORT;" "$WORK/nginx.conf" ||
	fail "deploy/nginx.conf no longer has the lines this script rewrites"
nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/logs/error.log" -g "pid $WORK/nginx.pid;" ||
	fail "nginx did not start: $(cat "$WORK/logs/error.log" 2>/dev/null)"
say "nginx on 127.0.0.1:$PORT"

URL=http://127.0.0.1:$PORT
json_get() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# The client talks from 127.0.0.2, so that it is not the trusted proxy
# (127.0.0.1) itself, as in production, and puts a forged address in front.
post() { curl -sS -m 10 --interface 127.0.0.2 -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'X-Forwarded-For: 203.0.113.66' -d "$2" "$URL$1"; }

i=0
until [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/api/status")" = 200 ]; do
	i=$((i + 1)); [ $i -le 50 ] || fail "nginx does not reach the nodes"; sleep 0.2
done

code=$(post /api/login "{\"loginId\":\"nginx@example.com\",\"password\":\"try-nginx-password\",\"applicationId\":\"$APP\"}")
[ "$code" = 200 ] || fail "login through nginx: $code $(cat "$WORK/body")"
RT=$(json_get refreshToken <"$WORK/body")
[ -n "$RT" ] || fail "login answered no refresh token"
say "login through nginx: 200"

# Round-robin sends consecutive requests to alternating nodes: each refresh
# rotates the token on one node and the next uses the successor on the other.
for k in 1 2 3 4; do
	code=$(post /api/jwt/refresh "{\"refreshToken\":\"$RT\"}")
	[ "$code" = 200 ] || fail "refresh $k through nginx: $code $(cat "$WORK/body")"
	NEXT=$(json_get refreshToken <"$WORK/body")
	[ -n "$NEXT" ] && [ "$NEXT" != "$RT" ] || fail "refresh $k did not rotate the token"
	RT=$NEXT
done
say "4 refreshes through nginx: 200, rotated each time"

# Both nodes served refreshes (their debug access logs). The client's
# address reached latchkey through X-Forwarded-For (the nodes' socket peer is
# nginx at 127.0.0.1), and the address the client forged in front was not
# believed: latchkey takes the right-most entry that is not a trusted proxy.
ra=$(grep -c 'route="POST /api/jwt/refresh"' "$WORK/a.log" || true)
rb=$(grep -c 'route="POST /api/jwt/refresh"' "$WORK/b.log" || true)
[ "$ra" -ge 1 ] && [ "$rb" -ge 1 ] || fail "refreshes were not spread over both nodes (a=$ra b=$rb)"
say "node a served $ra refreshes, node b $rb"
if grep -q '203.0.113.66' "$WORK/a.log" "$WORK/b.log"; then
	fail "a client-forged X-Forwarded-For address was taken as the client address"
fi
grep -q 'event=login_success.* ip=127.0.0.2' "$WORK/a.log" "$WORK/b.log" ||
	fail "the login event does not name the client address 127.0.0.2 forwarded by nginx"
say "client address 127.0.0.2 taken from X-Forwarded-For; forged entry ignored"
say "OK"
