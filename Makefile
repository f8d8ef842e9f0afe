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
# libvips decodes pictures at the size they are shown (a 100-MP photo's thumbnail without the 400 MB
# of pixels), reads TIFF, HEIC, AVIF, CMYK and 16-bit files and converts ICC profiles to sRGB; build
# with it when installed (scripts/setup installs libvips-dev), with Go's decoders otherwise.
VIPS      := $(shell pkg-config --exists vips 2>/dev/null && echo vips)
TAGS      := migrated_fynedo $(OPENBLAS) $(VIPS)
LIBTAGS   := $(strip $(OPENBLAS) $(VIPS))
GOTAGS    := $(if $(LIBTAGS),-tags "$(LIBTAGS)")

.PHONY: run test build setup vet unit smoke bench clean race fuzz crash soak

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
	$(GO) test $(GOTAGS) -run xxx -bench . -benchtime 1x ./...

clean:
	rm -rf bin
