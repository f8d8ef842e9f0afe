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
# OpenMP threads (oneDNN's) wait without spinning in tests too, as the program sets for itself
# (app/ompwait.go): spinning took the two cores from the Go code and the other test packages.
export OMP_WAIT_POLICY ?= PASSIVE

# Build tags for the C libraries installed here (openblas: the GAN's convolutions about 2.5x faster than
# gonum's pure-Go GEMM). scripts/buildtags decides them when a recipe runs, after setup has installed
# what it installs: decided when the Makefile was parsed, a fresh machine's first build had none.
LIBTAGS    = $$(./scripts/buildtags)
E2EBIN    := bin/stylestudio-e2e

.PHONY: run test build setup vet unit unit-purego smoke bench clean race fuzz crash soak e2e e2e-build package package-test realstyles scale

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
	./scripts/layering "$(LIBTAGS)"

unit: setup
	$(GO) test -tags "$(LIBTAGS)" -timeout 30m ./...

# The engine without any C library (no build tags): the pure-Go fallback must pass the same tests,
# the PyTorch parity test included (libvips is not asked for: this build has Go's decoders by design).
unit-purego:
	STYLESTUDIO_REQUIRE_VIPS= $(GO) test ./engine/...

# A real window under Xvfb on a temp library: screenshot, check it is a rendered catalog, quit cleanly.
smoke: build
	./scripts/smoke-test $(BIN)

test: setup vet unit smoke

# The race detector over the packages that run goroutines of their own; -short shrinks the slow tests.
race: setup
	$(GO) test -tags "$(LIBTAGS)" -timeout 30m -race -short ./store/... ./engine/... ./ui/...

# Crash safety (internal/crashtest): the real binary SIGKILLed at CRASHKILLS seeded moments (default 60)
# during import, labeling and undo, training, export, stylize and simulation logging; every kill is
# followed by integrity, object, label and checkpoint checks and a re-run. About two minutes.
CRASHKILLS ?= 60
CRASHSEED  ?= 1
crash: build
	STYLESTUDIO_CRASHTEST=1 STYLESTUDIO_BIN=$(CURDIR)/$(BIN) CRASHTEST_KILLS=$(CRASHKILLS) CRASHTEST_SEED=$(CRASHSEED) \
		$(GO) test -tags "$(LIBTAGS)" -count=1 -timeout 30m -v -run TestCrash ./internal/crashtest

# The real-styles benchmark (outside make test and CI: a few minutes): five Debian card decks as five
# styles of the same 52 cards, imported and classified beside the demo catalog; see scripts/realstyles.
# REALINK=1: only what is drawn on each card (--ink).
REALSET ?= bench
REALINK ?=
realstyles: build
	./scripts/realstyles classify --set $(REALSET) $(if $(REALINK),--ink) --bin $(BIN)

# The 10,000-product library in the real window (outside CI, about 10 minutes); see scripts/scale-window.
scale: build e2e-build
	./scripts/scale-window --bin $(BIN) --e2e-bin $(E2EBIN)

# Memory soak (outside CI): training and a long simulation while RSS is sampled; see scripts/soak.
soak: build
	./scripts/soak --bin $(BIN)

# Every fuzz target for FUZZTIME each (default 20s); fails on a crash (the input lands in testdata/fuzz).
fuzz: setup
	./scripts/fuzz

# The real window end to end (internal/e2e): the e2e build keeps Fyne's thread checks on (no fyneDo
# migration) and reports what its window shows; the suite drives it under Xvfb with xdotool: first start,
# labeling with undo/redo and a restart, a kill during fast labeling, Train's Quick preset with pause,
# resume, cancel and resume from history, Preview's export of ticked products and its comparison with an
# item's real drawing, Feed's Play for 60 s, and
# closing the window while training. About 3 minutes on an idle machine. Screenshots of failed journeys go to E2E_OUT.
E2E_OUT ?= $(CURDIR)/out/e2e
e2e-build: setup
	$(GO) build -tags "e2e $(LIBTAGS)" -o $(E2EBIN) ./app

e2e: e2e-build
	@command -v xdotool >/dev/null || { echo "e2e: xdotool is missing (scripts/setup installs it)"; exit 1; }
	mkdir -p $(E2E_OUT)
	STYLESTUDIO_E2E_BIN=$(CURDIR)/$(E2EBIN) E2E_OUT=$(E2E_OUT) $(GO) test -count=1 -timeout 40m -v ./internal/e2e

# The desktop package Fyne's packaging makes (binary, .desktop entry, icon), with the fyne tool at the
# version pinned here; scripts/package-test installs it into a temp prefix and starts the installed binary.
FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4
FYNE      := bin/fyne
PACKAGE   := bin/stylestudio.tar.xz
$(FYNE):
	GOBIN=$(CURDIR)/bin $(GO) install $(FYNE_TOOL)

package: build $(FYNE)
	cd app && ../$(FYNE) package -os linux --src . --exe $(CURDIR)/$(BIN) --icon $(CURDIR)/assets/icon.png \
		--name stylestudio --app-id com.stylestudio.app --app-version 0.1.0 --app-build 1 --release
	mv app/stylestudio.tar.xz $(PACKAGE)
	@echo "package: $(PACKAGE)"

package-test: package
	./scripts/package-test $(PACKAGE)

bench: build
	$(GO) test -tags "$(LIBTAGS)" -run xxx -bench . -benchtime 1x ./...

clean:
	rm -rf bin
