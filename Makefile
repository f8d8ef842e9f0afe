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

# OpenBLAS makes the GAN's convolutions about 2.5x faster than gonum's pure-Go GEMM; build with it
# when its library is installed (scripts/setup installs libopenblas-dev), without it otherwise.
OPENBLAS  := $(shell test -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h && echo openblas)
# oneDNN (libdnnl-dev, the library PyTorch itself calls on CPU) runs the convolutions several times faster
# than OpenBLAS GEMM; build with it when its header is installed (scripts/setup installs libdnnl-dev).
ONEDNN    := $(shell test -e /usr/include/dnnl.h && echo onednn)
ENGINE_TAGS := $(strip $(OPENBLAS) $(ONEDNN))
TAGS      := migrated_fynedo $(ENGINE_TAGS)
GOTAGS    := $(if $(ENGINE_TAGS),-tags "$(ENGINE_TAGS)")

.PHONY: run test build setup vet unit unit-purego smoke bench clean race fuzz crash soak

setup:
	@./scripts/setup

# migrated_fynedo: what `fyne build` adds for FyneApp.toml's [Migrations] fyneDo = true.
build: setup
	$(GO) build -tags "$(TAGS)" -o $(BIN) ./app

# Opens the GUI on the default library (seeded with the demo catalog on first start).
run: build
	./$(BIN) $(if $(LIBRARY),--library $(LIBRARY))

vet:
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l app ui engine store internal); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(GOTAGS) ./...

unit:
	$(GO) test $(GOTAGS) ./...

# The engine without any C library (no build tags): the pure-Go fallback must pass the same tests,
# the PyTorch parity test included.
unit-purego:
	$(GO) test ./engine/...

# A real window under Xvfb on a temp library: screenshot, check it is a rendered catalog, quit cleanly.
smoke: build
	./scripts/smoke-test $(BIN)

test: setup vet unit smoke

# The race detector over the packages that run goroutines of their own; -short shrinks the slow tests.
race: setup
	$(GO) test $(GOTAGS) -race -short ./store/... ./engine/... ./ui/...

# Crash safety (internal/crashtest): the real binary SIGKILLed at CRASHKILLS seeded moments (default 60)
# during import, labeling and undo, training, export, stylize and simulation logging; every kill is
# followed by integrity, object, label and checkpoint checks and a re-run. About two minutes.
CRASHKILLS ?= 60
CRASHSEED  ?= 1
crash: build
	STYLESTUDIO_CRASHTEST=1 STYLESTUDIO_BIN=$(CURDIR)/$(BIN) CRASHTEST_KILLS=$(CRASHKILLS) CRASHTEST_SEED=$(CRASHSEED) \
		$(GO) test $(GOTAGS) -count=1 -timeout 30m -v -run TestCrash ./internal/crashtest

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
