# Two commands for a fresh machine:  make run  (tag the bundled sample accounts)  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.brandfit-installed
OUT ?= out

.PHONY: run test test-fast install clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,ray,serve,audit]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/brandfit tag data/sample -o $(OUT)/sample_tags.parquet --brand-topic fitness --overwrite
	$(BIN)/brandfit tag data/sample -o $(OUT)/sample_tags_sports.parquet --brand-topic sports_outdoor --overwrite --quiet-summary

test: $(STAMP)
	$(BIN)/python -m pytest --durations 20 $(PYTEST_ARGS)

test-fast: $(STAMP)   # the unit tier: fake embedder, no model, seconds
	$(BIN)/python -m pytest tests/unit -q $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
