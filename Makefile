# The two commands of the README, and a few more.
#   make demo   = scripts/demo — set up, then run the whole pipeline on the bundled sample
#   make test   = scripts/test — set up (PostGIS, Chromium included), then run the tests
VENV ?= .venv
OUT ?= out
PY := $(VENV)/bin/python

.PHONY: setup setup-test demo test lint bench clean

setup:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test

demo:
	OUT=$(OUT) scripts/demo

test:
	scripts/test $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup-test
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(OUT) .pytest_cache
