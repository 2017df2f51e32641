#!/usr/bin/env bash
# Builds the Docker image and runs test/docker/image.test.ts against it (after `npm ci`).
# Uses the engine `docker` already reaches (left running); otherwise starts the stand-in engine
# ($STANDIN_SCRIPT, which .ci/run sets where the machine has one) and stops it on exit.
# No engine to be had: says so plainly and exits 0 (exits 1 with DOCKER_TEST_REQUIRED=1).
# An engine and a failing test: exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
standin=${STANDIN_SCRIPT:-}

not_tested() {
  echo "docker: NOT TESTED: $1; the image was neither built nor run." >&2
  [ "${DOCKER_TEST_REQUIRED:-}" != 1 ] || exit 1
  exit 0
}

if command -v docker >/dev/null && docker version >/dev/null 2>&1; then
  DOCKER_HOST=${DOCKER_HOST:-$(docker context inspect --format '{{.Endpoints.docker.Host}}')}
  export DOCKER_HOST
  echo "docker: using the running engine at $DOCKER_HOST"
elif [ -x "$standin" ]; then
  if ! env_line=$("$standin" start); then not_tested "the stand-in Docker engine could not start (see above)"; fi
  trap '"$standin" stop' EXIT
  eval "$env_line"
  echo "docker: started the stand-in engine at $DOCKER_HOST"
else
  not_tested "no Docker engine answers and no stand-in engine is at hand (STANDIN_SCRIPT: '${standin}')"
fi

base=${DOCKER_TEST_BASE_IMAGE:-node:20-bookworm-slim}
if [ "$(docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$base" 2>/dev/null | grep -c '^NODE_VERSION=standin$')" = 1 ]; then
  echo "docker: base image $base is the local STAND-IN (Debian bookworm + this machine's node), not the official image"
else
  echo "docker: base image $base (as found or pulled by the engine)"
fi
DOCKER_TEST_REQUIRED=1 node --import tsx --test test/docker/image.test.ts
echo "docker: image built and tested in ${SECONDS} s"
