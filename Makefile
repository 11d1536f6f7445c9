# MiMo2API — run `make help` for the targets.

GO        ?= go
CONF      ?= configs
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd.Version=$(VERSION)

.DEFAULT_GOAL := help

## run: start the gateway on the built-in MiMo simulator (demo upstream, key sk-demo)
.PHONY: run
run:
	$(GO) run ./cmd/mimo2api -conf $(CONF) -demo

## test: run the whole test suite with the race detector
.PHONY: test
test:
	$(GO) test -race -count=1 ./...

## bench: run the benchmarks (gateway vs direct simulator ratios are printed by the e2e benchmarks)
.PHONY: bench
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

## fuzz: run every native fuzzer for FUZZTIME each (default 10s)
.PHONY: fuzz
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for t in $$(grep -h '^func Fuzz' $$f/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "fuzz $$f $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$f; \
		done; \
	done

## generate: regenerate committed code (wire_gen.go)
.PHONY: generate
generate:
	$(GO) generate ./...

## api: regenerate api/**/*.pb.go from the .proto files (needs protoc; see api/admin/v1 for the http part)
.PHONY: api
api:
	protoc --proto_path=./api --proto_path=./third_party \
		--plugin=protoc-gen-go="$$($(GO) tool -n protoc-gen-go)" --go_out=paths=source_relative:./api \
		$$(find api -name '*.proto')

## lint: check formatting and run go vet
.PHONY: lint
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## validate: compile the configuration in CONF and report the first error (a placeholder key stands in for MIMO_API_KEYS when unset)
.PHONY: validate
validate:
	MIMO_API_KEYS="$${MIMO_API_KEYS:-sk-validate-placeholder}" $(GO) run ./cmd/mimo2api validate -conf $(CONF)

## build: build bin/mimo2api and bin/mimosim
.PHONY: build
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/mimo2api ./cmd/mimo2api
	$(GO) build -o bin/mimosim ./cmd/mimosim

## e2e-claude: run Claude Code (pinned npm version) against the gateway on the demo simulator; needs npm, jq (not part of test)
.PHONY: e2e-claude
e2e-claude:
	bash .ci/e2e/claude.sh

## e2e-codex: run the Codex CLI (pinned npm version) against the gateway on the demo simulator; needs npm, jq (not part of test)
.PHONY: e2e-codex
e2e-codex:
	bash .ci/e2e/codex.sh

## golden: rewrite the golden transcripts from the current code
.PHONY: golden
golden:
	$(GO) test ./... -run Golden -update

## help: list the targets
.PHONY: help
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /' | column -t -s ':' 2>/dev/null || grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'
