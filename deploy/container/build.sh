#!/bin/sh
# Builds latchkey's container image from deploy/container/Dockerfile:
# a static binary (CGO_ENABLED=0, -trimpath, the version and commit stamped
# in), the host's CA bundle, and /etc/passwd and /etc/group naming the
# non-root user 65532. Nothing is pulled from a registry (FROM scratch).
#
#   deploy/container/build.sh [tag]      (default latchkey:dev; run from anywhere)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TAG=${1:-latchkey:dev}
CTX=$(mktemp -d /tmp/latchkey-image.XXXXXX)
trap 'rm -rf "$CTX"' EXIT

CA=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$CA" ] || { echo "build.sh: no CA bundle at $CA (apt-get install ca-certificates, or set CA_BUNDLE)" >&2; exit 1; }

COMMIT=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then COMMIT="$COMMIT-dirty"; fi
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X github.com/latchkeyhq/latchkey/internal/app.commit=$COMMIT" \
	-o "$CTX/latchkey" ./cmd/latchkey)
cp "$CA" "$CTX/ca-certificates.crt"
printf 'root:x:0:0:root:/:/sbin/nologin\nlatchkey:x:65532:65532:latchkey:/data:/sbin/nologin\n' >"$CTX/passwd"
printf 'root:x:0:\nlatchkey:x:65532:\n' >"$CTX/group"
mkdir "$CTX/data"
cp "$ROOT/deploy/container/Dockerfile" "$CTX/Dockerfile"
docker build -q -t "$TAG" "$CTX" >"$CTX/build.log" 2>&1 || { cat "$CTX/build.log" >&2; exit 1; }
echo "$TAG"
