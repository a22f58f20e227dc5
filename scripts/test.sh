#!/usr/bin/env bash
# Runs the whole test suite the way CI does: installs what it needs from Debian, starts a
# throwaway PostgreSQL on 127.0.0.1, and runs every test with the race detector and CI=true
# (a test whose component is missing fails instead of skipping).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
pgdir=${ITSGOW_PG_DIR:-/tmp/itsgow-test-pg}
pgport=${ITSGOW_PG_PORT:-55432}
url=$(scripts/pg.sh start "$pgdir" "$pgport")
trap 'scripts/pg.sh stop "$pgdir"' EXIT
export ITSGOW_TEST_POSTGRES_URL="$url"
export CI=true
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed on: $unformatted"; exit 1; fi
go vet ./...
go test -race -count=1 -timeout 20m "$@" ./...
