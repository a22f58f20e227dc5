# itsgow: `make run` starts the demo platform, `make test` runs every test.
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: help run build test test-short bench bench-api fuzz fmt lint

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

bench-api: ## requests/s and p99 of GET /api/v1/me on SQLite and PostgreSQL, and demo start time
	scripts/bench-api.sh

fuzz: ## run each fuzz target for 30 s
	scripts/fuzz.sh 30s

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

lint: ## gofmt check and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
