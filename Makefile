# Registro: `make run` starts the server on the embedded store; `make test` runs every
# test (vet, formatting, the race detector included; the browser tests skip when no
# Chromium is installed).
GO      ?= go
BIN     := bin/registro
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build run test check test-browser screenshots lint bench clean

build:
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/registro

run: build
	./$(BIN) serve

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Under -race the compiler also checks every unsafe pointer conversion (checkptr). The
# embedded store's SQLite is C translated to Go (modernc.org), made of such
# conversions: checking them was a quarter of the suite's time and tests none of our
# code. The race detector still instruments it; our own code has no unsafe.
RACE_FLAGS := -race -gcflags='modernc.org/...=-d=checkptr=0'

test: lint
	$(GO) test $(RACE_FLAGS) -count=1 -timeout 15m ./...

# The fast tier for one's own loop (under 90 s): vet, gofmt and the tests in short
# mode without the race detector: the randomized attacker runs fewer organizations,
# the tests that start extra processes or stores and the browser tests are left to
# `make test`, and the server's fixtures hash passwords at test cost.
check: lint
	$(GO) test -short -count=1 -timeout 10m ./...

# The pages in headless Chromium at phone size; fails rather than skips without it.
test-browser:
	REGISTRO_BROWSER_REQUIRED=1 $(GO) test -count=1 -v -timeout 10m ./scripts/browser/

# The same tests, saving screenshots of the main pages for the README.
screenshots:
	REGISTRO_BROWSER_REQUIRED=1 REGISTRO_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -v -timeout 10m ./scripts/browser/

# Benchmarks of the case store, authorization and the pages; figures go to docs/benchmarks.md.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x -timeout 60m ./cases/ ./authz/
	$(GO) test -run '^$$' -bench BenchmarkPages -benchtime 100x -timeout 30m ./server/

clean:
	rm -rf bin
