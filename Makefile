# Two commands on a fresh machine: `make site` and `make test`.
# Everything is installed into .venv from a bare Python 3.11+.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SITE_DIR ?= site

# axe-core, the accessibility checker the browser tests inject into pages (from the npm registry)
AXE_VERSION := 4.10.3
AXE_SHA256  := 880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
AXE         := .cache/axe-core-$(AXE_VERSION)/axe.min.js

.PHONY: help setup site serve test test-slow check bench browser-deps postgres-deps screenshots clean

help:
	@echo "make site          set up and build the demo help center into $(SITE_DIR)/"
	@echo "make test          set up and run the test suite"
	@echo "make test-slow     the SIGKILL trials on real processes (CI runs them too)"
	@echo "make serve         live preview of the demo help center"
	@echo "make check         validate the demo knowledge base"
	@echo "make browser-deps  install Debian's chromium + chromium-driver and axe-core for the browser tests"
	@echo "make postgres-deps install Debian's postgresql for the PostgreSQL store's tests (skipped without it)"
	@echo "make screenshots   the demo site as customers see it, desktop and mobile, into screenshots/"
	@echo "make bench         run the benchmarks (needs ../shared/data/clinc150 for some)"

MODEL  := models/kbgen-minilm

$(STAMP): pyproject.toml $(MODEL)/pyproject.toml $(MODEL)/kbgen_minilm/__init__.py
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@# the encoder's weights are a package of their own in this repository (kbgen depends on it)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check ./$(MODEL) -e '.[test]' --config-settings editable_mode=compat
	@# an editable install is not byte-compiled (pip compiles what it installs): compile kbgen too,
	@# so `kbgen ask` and `kbgen log` start fast even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m compileall -q kbgen
	@touch $(STAMP)

setup: $(STAMP)

site: $(STAMP)
	$(BIN)/kbgen build -d $(SITE_DIR)

serve: $(STAMP)
	$(BIN)/kbgen serve

check: $(STAMP)
	$(BIN)/kbgen check

test: $(STAMP)
	$(BIN)/python -m pytest -m "not trials"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m trials

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

browser-deps: $(AXE)
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "chromium and chromedriver are installed"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

postgres-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "postgresql is installed"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; \
	fi

$(AXE):
	@mkdir -p $(dir $(AXE)) .cache/npm
	cd .cache/npm && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf .cache/npm/axe-core-$(AXE_VERSION).tgz -C .cache/npm package/axe.min.js
	echo "$(AXE_SHA256)  .cache/npm/package/axe.min.js" | sha256sum -c --quiet
	mv .cache/npm/package/axe.min.js $(AXE)

screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) $(SITE_DIR) .kbgen-cache .pytest_cache .cache
