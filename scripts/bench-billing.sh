#!/usr/bin/env bash
# make bench-billing: a renewal run over ITSGOW_BENCH_CONTRACTS contracts (default 100,000) and
# invoice issuance by 8 concurrent writers, on SQLite and on a throwaway PostgreSQL on loopback.
# Each benchmark runs once (-benchtime 1x) and prints contracts/s and invoices/s.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=${ITSGOW_PG_DIR:-/tmp/itsgow-bench-billing-pg}
url=${ITSGOW_TEST_POSTGRES_URL:-}
if [ -z "$url" ]; then
  scripts/test-deps.sh
  url=$(scripts/pg.sh start "$pgdir" 55434)
  trap 'scripts/pg.sh stop "$pgdir"' EXIT
fi
ITSGOW_TEST_POSTGRES_URL="$url" go test -run '^$' -bench 'Billing' -benchtime 1x -timeout 30m ./internal/billing
