# Layerscope. `make run` serves the app; `make test` sets everything up and runs every test.
PY      ?= python3
VENV    ?= .venv
PORT    ?= 8501
BIN     := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
# apt-get needs root; use sudo only when not root already.
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)

# Every recipe line fails fast, pipes included.
SHELL       := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:

export DEBIAN_FRONTEND := noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Browser tests drive Debian's chromium (executable_path), never a Playwright download.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: venv venv-dev run test test-fast bench browser-deps db-deps clean serve serve-deps

# The stamps live in the venv, so a deleted venv or a changed requirements file
# re-runs pip; an unchanged one costs nothing.
$(VENV)/.run.stamp: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev.stamp: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.run.stamp       ## runtime requirements only
venv-dev: $(VENV)/.dev.stamp   ## + test tools

run: venv
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.headless true

# A class on every core: WORKERS `streamlit run` processes behind HAProxy on PORT
# (deploy/serve.py, deploy/haproxy.cfg); by default one per CPU the cgroup quota and the
# affinity mask allow (ui/cpus.py; nproc sees no quota). Ctrl-C stops them all.
WORKERS ?=
SERVE_PKGS := haproxy
serve-deps:
	if ! dpkg -s $(SERVE_PKGS) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(SERVE_PKGS); fi

serve: venv serve-deps
	$(BIN)/python -m deploy.serve $(if $(WORKERS),--workers $(WORKERS)) --port $(PORT)

# The emoji font only makes screenshots show the page icons as a browser would.
BROWSER_PKGS := chromium fonts-noto-color-emoji
browser-deps:
	if ! dpkg -s $(BROWSER_PKGS) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(BROWSER_PKGS); fi

# The class database's tests start a throwaway PostgreSQL server of their own.
DB_PKGS := postgresql
db-deps:
	if ! dpkg -s $(DB_PKGS) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(DB_PKGS); fi

test: venv-dev browser-deps serve-deps db-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: venv-dev
	$(BIN)/python -m pytest -m "not browser and not served" $(PYTEST_ARGS)

bench: venv-dev
	$(BIN)/python -m bench
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.server
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.training

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
