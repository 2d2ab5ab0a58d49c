# Castellan — build, test and measure.
#   make test         unit + e2e (go test) and the conformance run with real clients
#   make bench        Go benchmarks (numbers for the closing notes)
#   make bench-e2e    castellan serve as its own process vs bare net/http (docs/performance.md)
#   make fuzz         every fuzz target for FUZZTIME each
#   make fuzz-long    every fuzz target for FUZZTIME_LONG (default 10m), new corpus kept in testdata/fuzz
#   make conformance  aws CLI v1/v2, boto3, AWS SDK for JS v3 and curl against a real server
#   make lint         gofmt, go vet, staticcheck
#   make disk-full    the data dir, then the audit dir alone, on a full tmpfs (needs root to mount): fail closed, recover
#   make soak         SOAK (default 10m) of mixed traffic at 70% of capacity: RSS, goroutines, files, p99 stay flat
#   make crash        kill -9 campaign (CRASH_ITERATIONS, default 50): nothing acknowledged lost, every change audited

GO        ?= go
FUZZTIME  ?= 10s
FUZZTIME_LONG ?= 10m
BENCHTIME ?= 1s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build test unit conformance bench bench-e2e fuzz fuzz-long lint run crash disk-full soak
CRASH_ITERATIONS ?= 50


all: build

build:
	$(GO) build -o bin/castellan ./cmd/castellan

run:
	$(GO) run ./cmd/castellan serve

test: unit conformance

unit:
	$(GO) test -count=1 ./...
	@# With PostgreSQL (always in CI, see .ci/run): the e2e suite again on it.
	@if [ -n "$$CASTELLAN_TEST_POSTGRES" ]; then CASTELLAN_E2E_STORE=postgres $(GO) test -count=1 ./test/e2e/; fi

conformance:
	bash test/conformance/run.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./sigv4/ ./policy/ ./internal/... ./test/bench/ ./test/console/

# BENCH_E2E_FLAGS, e.g. -rounds 7 -duration 3s -conns 32 -calls gci,ar -profile prof
# (go run ./test/benche2e -h lists them); PostgreSQL targets run when
# CASTELLAN_TEST_POSTGRES is set.
BENCH_E2E_FLAGS ?=
SOAK ?= 10m
SOAK_FLAGS ?=
bench-e2e:
	$(GO) run ./test/benche2e $(BENCH_E2E_FLAGS)

# One table row per minute; fails when the last minute drifted from the
# first (p99 > 1.5x, or RSS, threads, files, goroutines, bytes per op
# growing by half). SOAK_FLAGS, e.g. -targets pg-on -soak-load 0.5.
soak:
	$(GO) run ./test/benche2e -targets sqlite-on -soak $(SOAK) $(SOAK_FLAGS)

# Each fuzz target runs alone: go test -fuzz accepts one target per package run.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# The long campaign: like fuzz, then the inputs the engine found interesting
# (kept by go test in its cache) are copied into each package's
# testdata/fuzz/<Target>, so the next run (and every go test, which replays
# testdata/fuzz as seeds) starts from them. Commit the ones worth keeping.
fuzz-long:
	@set -e; cache=$$($(GO) env GOCACHE)/fuzz; \
	for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME_LONG))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME_LONG) $$pkg; \
	    if [ -d "$$cache/$$pkg/$$t" ]; then \
	      mkdir -p "$$dir/testdata/fuzz/$$t"; cp -n "$$cache/$$pkg/$$t"/* "$$dir/testdata/fuzz/$$t"/ 2>/dev/null || true; \
	      echo "   corpus: $$(ls "$$dir/testdata/fuzz/$$t" | wc -l) inputs in $$dir/testdata/fuzz/$$t"; \
	    fi; \
	  done; \
	done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# test/crash is a main package: go test ./... does not run it.
crash:
	$(GO) build -o bin/castellan ./cmd/castellan
	$(GO) run ./test/crash -iterations $(CRASH_ITERATIONS) -bin bin/castellan

# Skips with the mount error where tmpfs cannot be mounted (not root).
disk-full:
	CASTELLAN_RELIABILITY=1 $(GO) test -count=1 -run TestDiskFull -v ./test/e2e/
