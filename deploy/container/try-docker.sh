#!/bin/sh
# Builds latchkey's FROM-scratch image and runs it for real (issue 14,
# "Deploying it"): host networking on loopback only, a mounted data volume,
# GET /api/status, a login, a stop on SIGTERM that exits 0 after draining,
# a restart on the same volume that keeps the data (the refresh token from
# before the restart still refreshes), and `latchkey version` in the image.
#
#   deploy/container/try-docker.sh          (from anywhere; as root it installs
#                                             Debian's docker.io and starts dockerd)
#
# Exit 0: passed. Exit 3: skipped because Docker cannot run here (the reason
# is printed); scripts/test makes that a failure under LATCHKEY_REQUIRE_ALL=1.
# Any other non-zero exit is a failure. DOCKER_TRY_PORT (default 19011) is
# the one port it needs free on 127.0.0.1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${DOCKER_TRY_PORT:-19011}
WORK=$(mktemp -d /tmp/latchkey-docker.XXXXXX)
TAG=latchkey:try-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
NAME=latchkey-try-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
DOCKERD_PID=""

say() { echo "try-docker: $*" >&2; }
fail() { say "FAIL: $*"; [ -f "$WORK/run.log" ] && tail -20 "$WORK/run.log" >&2; exit 1; }
skip() { say "SKIP: $*"; exit 3; }

cleanup() {
	set +e
	docker rm -f "$NAME" >/dev/null 2>&1
	docker rmi "$TAG" >/dev/null 2>&1
	if [ -n "$DOCKERD_PID" ]; then
		kill "$DOCKERD_PID" 2>/dev/null
		i=0
		while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# 1. Docker: Debian's docker.io, and a daemon (ours if none answers). The
# daemon gets no bridge and touches no iptables: the container uses the
# host's network, on loopback.
if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing Debian's docker.io"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io ca-certificates >/dev/null ||
			skip "apt-get install docker.io failed"
	else
		skip "docker is not installed and this is not root with apt-get"
	fi
fi
if ! docker info >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || skip "no Docker daemon answers and only root can start one"
	say "starting dockerd (no bridge, no iptables)"
	dockerd --bridge=none --iptables=false --ip6tables=false --pidfile "$WORK/dockerd.pid" \
		--host "unix:///var/run/docker.sock" >"$WORK/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	i=0
	until docker info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
			tail -5 "$WORK/dockerd.log" >&2
			skip "dockerd did not start (its last lines are above)"
		fi
		sleep 0.2
	done
fi

# 2. The image.
say "building $TAG (FROM scratch)"
"$ROOT/deploy/container/build.sh" "$TAG" >/dev/null
docker run --rm "$TAG" version >"$WORK/version" || fail "latchkey version in the image"
grep -q 'commit' "$WORK/version" || fail "latchkey version names no commit: $(cat "$WORK/version")"
say "$(head -1 "$WORK/version")"

# 3. A data volume owned by the image's user, and a Kickstart with one app,
# one user and an API key.
mkdir "$WORK/data"
APP=7a110000-0000-4000-8000-0000000000d1
KEY=try-docker-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat >"$WORK/data/kickstart.json" <<JSON
{
  "apiKeys": [{"key": "$KEY", "description": "try-docker"}],
  "requests": [
    {"method": "POST", "url": "/api/application/$APP", "body": {"application": {"name": "spa",
      "jwtConfiguration": {"enabled": true, "timeToLiveInSeconds": 300, "refreshTokenTimeToLiveInMinutes": 60},
      "loginConfiguration": {"requireAuthentication": false, "allowTokenRefresh": true, "generateRefreshTokens": true}}}},
    {"method": "POST", "url": "/api/user/registration", "body": {
      "user": {"email": "docker@example.com", "password": "try-docker-password"},
      "registration": {"applicationId": "$APP"}}}
  ]
}
JSON
chown -R 65532:65532 "$WORK/data"

run() {
	docker run -d --name "$NAME" --network host -v "$WORK/data:/data" \
		-e LATCHKEY_ADDR=127.0.0.1:$PORT -e LATCHKEY_ISSUER=http://127.0.0.1:$PORT \
		-e LATCHKEY_KICKSTART=/data/kickstart.json "$TAG" >/dev/null || fail "docker run"
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/status")" = 200 ]; do
		i=$((i + 1))
		if [ $i -gt 150 ] || [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" != true ]; then
			docker logs "$NAME" >"$WORK/run.log" 2>&1
			fail "/api/status never answered 200"
		fi
		sleep 0.2
	done
}

# stop sends SIGTERM (docker stop) and checks a clean exit within the drain.
stop() {
	t0=$(date +%s)
	docker stop -t 30 "$NAME" >/dev/null
	t1=$(date +%s)
	code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
	docker logs "$NAME" >"$WORK/run.log" 2>&1
	[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
	[ $((t1 - t0)) -lt 25 ] || fail "SIGTERM took $((t1 - t0)) s (killed, not drained)"
	grep -q '"latchkey stopping"' "$WORK/run.log" || fail "no drain logged after SIGTERM"
	docker rm "$NAME" >/dev/null
}

login() {
	curl -s -f -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/login" \
		-d "{\"loginId\":\"docker@example.com\",\"password\":\"try-docker-password\",\"applicationId\":\"$APP\"}"
}

say "first start"
run
curl -s "http://127.0.0.1:$PORT/api/status" | grep -q '"ok"' || fail "/api/status body"
login >"$WORK/login1" || fail "login"
RT=$(sed -n 's/.*"refreshToken":"\([^"]*\)".*/\1/p' "$WORK/login1")
[ -n "$RT" ] || fail "login gave no refresh token: $(cat "$WORK/login1")"
stop

say "restart on the same volume"
run
curl -s -f -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/jwt/refresh" \
	-d "{\"refreshToken\":\"$RT\"}" >"$WORK/refresh" || fail "the refresh token from before the restart was refused"
grep -q '"token"' "$WORK/refresh" || fail "refresh answer: $(cat "$WORK/refresh")"
login >/dev/null || fail "login after restart"
stop
[ -s "$WORK/data/latchkey.db" ] || fail "no database file on the volume"
say "ok: image built FROM scratch, status, login, restart with data kept, clean SIGTERM stops"
