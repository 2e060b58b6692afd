# Two entry points for a fresh machine with python3 (>= 3.11) and make:
#   make run   - set up .venv and run the bot on the console adapter
#   make test  - set up .venv and run lint, types, layer contracts and the tests
#   make bench - set up .venv and run the benchmarks (ARGS='--quick', '--only dispatch', '--runs 3')
# Both are idempotent: the venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench setup clean services

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "botloop needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The store tests run against a real redis-server on 127.0.0.1, the web chat's in a
# headless chromium driven by chromium-driver (never skipped): Debian's packages,
# installed once if the machine lacks them.
services:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian) for the store tests"; \
	  apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }; }
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { \
	  echo "installing chromium and chromium-driver (Debian) for the web chat's browser tests"; \
	  apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }; }

test: lint services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
