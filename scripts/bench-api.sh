#!/usr/bin/env bash
# make bench-api: requests/s and p99 of GET /api/v1/me with a token, on SQLite and PostgreSQL,
# with the load generator in a second process, plus the time from `serve --demo` to a healthy
# /healthz. Loopback only; every load is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
bin=$(mktemp -d)/itsgow
CGO_ENABLED=0 go build -o "$bin" ./cmd/itsgow
pgdir=${ITSGOW_PG_DIR:-/tmp/itsgow-bench-pg}
url=$(scripts/pg.sh start "$pgdir" 55433)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/pg.sh stop "$pgdir"; }
trap cleanup EXIT
port=18090
for run in sqlite postgres sqlite-nocache postgres-nocache; do
  engine=${run%-nocache}
  data=$(mktemp -d)
  env=()
  # -nocache: every request looks the token up in the database (token_cache_ttl=0)
  [ "$run" != "$engine" ] && env+=(ITSGOW_ACCOUNTS_TOKEN_CACHE_TTL=0s)
  if [ "$engine" = postgres ]; then
    db="bench_$$_$port"
    psql "$url" -qc "CREATE DATABASE $db" >/dev/null
    env+=(ITSGOW_DATABASE_URL="$(printf %s "$url" | sed "s#/postgres?#/$db?#")")
  fi
  start=$(date +%s%N)
  env "${env[@]}" ITSGOW_LOG_LEVEL=warn "$bin" serve --demo --data "$data" --http-addr 127.0.0.1:$port >"$data/out" 2>"$data/err" &
  pids+=($!)
  for _ in $(seq 1 500); do
    if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -s "$data/demo-credentials.json" ]; then break; fi
    sleep 0.01
  done
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  token=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['customer']['token'])" "$data/demo-credentials.json")
  echo "== $run: serve --demo to healthy /healthz with demo seeded: ${ready} ms"
  echo -n "   max throughput: "; "$bin" loadgen --url "http://127.0.0.1:$port/api/v1/me" --token "$token" --duration 10s --concurrency 32
  echo -n "   at 1,000 req/s: "; "$bin" loadgen --url "http://127.0.0.1:$port/api/v1/me" --token "$token" --duration 10s --rate 1000 --concurrency 32
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  port=$((port + 1))
done
