# itsgow: `make run` starts the demo platform, `make test` runs every test.
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: help run build test test-short bench bench-api bench-billing bench-fleet bench-netguard bench-store fuzz fmt lint

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

run: ## start the platform with demo data on http://127.0.0.1:8080 (SQLite in ./itsgow-data)
	$(GO) run ./cmd/itsgow serve --demo

build: ## build ./bin/itsgow
	$(GO) build -o bin/itsgow ./cmd/itsgow

test: ## run the whole suite as CI does (installs PostgreSQL, Chromium...; -race; CI=true)
	CGO_ENABLED=1 scripts/test.sh

test-short: ## quick unit tests, no external components
	$(GO) test -short ./...

bench: ## Go benchmarks of every package
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-fleet: ## deliveries: 1,000 concurrent on simlab (total, p99) and overhead per delivery; one reconcile pass over 100,000 machines
	$(GO) test ./internal/fleet -run '^$$' -bench 'Deliver1000|Reconcile100k|Plan100k' -benchtime=1x
	ITSGOW_BENCH_ENGINE=postgres ITSGOW_TEST_POSTGRES_URL=$${ITSGOW_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable} \
	  $(GO) test ./internal/fleet -run '^$$' -bench 'Deliver1000|Reconcile100k' -benchtime=1x || echo 'bench-fleet: PostgreSQL run skipped (start one with scripts/pg.sh)'

bench-api: ## requests/s and p99 of GET /api/v1/me on SQLite and PostgreSQL, and demo start time
	scripts/bench-api.sh

bench-netguard: ## flow ingest, detection latency and memory per IP: itsgow vs FastNetMon (docs/netguard-bench.md)
	scripts/bench-netguard.sh

bench-store: ## traffic points written per second (the 10-second points of 100,000 active IPs), SQLite and PostgreSQL
	@url=$$(scripts/pg.sh start /tmp/itsgow-bench-store-pg 55434) && \
	  ITSGOW_TEST_POSTGRES_URL=$$url $(GO) test ./internal/store -run '^$$' -bench InsertTraffic -benchtime 5x; \
	  rc=$$?; scripts/pg.sh stop /tmp/itsgow-bench-store-pg; exit $$rc

bench-billing: ## renewal run over 100,000 contracts (contracts/s) and invoices/s with 8 writers, SQLite and PostgreSQL
	scripts/bench-billing.sh

fuzz: ## run each fuzz target for 30 s
	scripts/fuzz.sh 30s

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

lint: ## gofmt check and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
