# Style Studio — the two commands: `make run` and `make test`.
GO        ?= go
BIN       := bin/stylestudio
LIBRARY   ?=
export LANG ?= C.UTF-8
export CGO_ENABLED := 1
# Fyne cannot parse the C locale (it logs an error at start); C means untranslated English, so say so.
ifneq (,$(filter C C.% POSIX,$(LANG)))
export LANGUAGE ?= en
endif

# Build tags for the C libraries installed here (openblas: the GAN's convolutions about 2.5x faster than
# gonum's pure-Go GEMM). scripts/buildtags decides them when a recipe runs, after setup has installed
# what it installs: decided when the Makefile was parsed, a fresh machine's first build had none.
LIBTAGS    = $$(./scripts/buildtags)
E2EBIN    := bin/stylestudio-e2e

.PHONY: run test build setup vet unit smoke bench clean race fuzz crash soak e2e e2e-build package

setup:
	@./scripts/setup

# migrated_fynedo: what `fyne build` adds for FyneApp.toml's [Migrations] fyneDo = true.
build: setup
	$(GO) build -tags "migrated_fynedo $(LIBTAGS)" -o $(BIN) ./app

# Opens the GUI on the default library (seeded with the demo catalog on first start).
run: build
	./$(BIN) $(if $(LIBRARY),--library $(LIBRARY))

vet:
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l app ui engine store internal); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags "$(LIBTAGS)" ./...

unit: setup
	$(GO) test -tags "$(LIBTAGS)" ./...

# A real window under Xvfb on a temp library: screenshot, check it is a rendered catalog, quit cleanly.
smoke: build
	./scripts/smoke-test $(BIN)

test: setup vet unit smoke

# The race detector over the packages that run goroutines of their own; -short shrinks the slow tests.
race: setup
	$(GO) test -tags "$(LIBTAGS)" -race -short ./store/... ./engine/... ./ui/...

# Crash safety (internal/crashtest): the real binary SIGKILLed at CRASHKILLS seeded moments (default 60)
# during import, labeling and undo, training, export, stylize and simulation logging; every kill is
# followed by integrity, object, label and checkpoint checks and a re-run. About two minutes.
CRASHKILLS ?= 60
CRASHSEED  ?= 1
crash: build
	STYLESTUDIO_CRASHTEST=1 STYLESTUDIO_BIN=$(CURDIR)/$(BIN) CRASHTEST_KILLS=$(CRASHKILLS) CRASHTEST_SEED=$(CRASHSEED) \
		$(GO) test -tags "$(LIBTAGS)" -count=1 -timeout 30m -v -run TestCrash ./internal/crashtest

# Memory soak (outside CI): training and a long simulation while RSS is sampled; see scripts/soak.
soak: build
	./scripts/soak --bin $(BIN)

# Every fuzz target for FUZZTIME each (default 20s); fails on a crash (the input lands in testdata/fuzz).
fuzz: setup
	./scripts/fuzz

bench: build
	$(GO) test -run xxx -bench . -benchtime 1x ./...

clean:
	rm -rf bin
