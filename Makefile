# The two commands of the README, and a few more.
#   make demo   — set up, then run the whole pipeline on the bundled Lu'an sample
#   make test   — set up (PostGIS, Chromium included), then run the test suite
VENV ?= .venv
OUT ?= out
PY := $(VENV)/bin/python

.PHONY: setup setup-test demo test lint bench clean

setup:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test

demo: setup
	$(VENV)/bin/devzone demo --out $(OUT)

test: setup-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup-test
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(OUT) .pytest_cache
