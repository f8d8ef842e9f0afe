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

.PHONY: run test build setup vet unit smoke bench clean

setup:
	@./scripts/setup

# migrated_fynedo: what `fyne build` adds for FyneApp.toml's [Migrations] fyneDo = true.
build: setup
	$(GO) build -tags migrated_fynedo -o $(BIN) ./app

# Opens the GUI on the default library (seeded with the demo catalog on first start).
run: build
	./$(BIN) $(if $(LIBRARY),--library $(LIBRARY))

vet:
	$(GO) vet ./...

unit:
	$(GO) test ./...

# A real window under Xvfb on a temp library: screenshot, check it is a rendered catalog, quit cleanly.
smoke: build
	./scripts/smoke-test $(BIN)

test: setup vet unit smoke

bench: build
	$(GO) test -run xxx -bench . -benchtime 1x ./...

clean:
	rm -rf bin
