# The two commands a new user needs: `make demo` and `make test`. `make check` runs the linters and types (mypy on
# src, tests and bench: the files of [tool.mypy] in pyproject.toml).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
NODE_DEPS := $(if $(wildcard package.json),$(NODE_STAMP))

.PHONY: install demo test check format bench lock clean

install: $(STAMP) $(NODE_DEPS)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded,redis]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/alpaca-dash demo

test: install
	$(BIN)/pytest

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

# requirements.lock: the image's exact packages (production dependencies and the Redis client), with hashes
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra redis --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes --custom-compile-command 'make lock' --output-file requirements.lock

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
