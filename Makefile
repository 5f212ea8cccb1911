# Every target that runs code depends on `install`, so a fresh machine needs nothing beforehand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo play test lint typecheck run bench soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" --config-settings editable_mode=compat
	touch $(STAMP)

demo: install
	$(BIN)/binhdan demo --out demo-output

play: install
	$(BIN)/binhdan play

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy bot handlers scheduler models migrations tests bench

test: lint typecheck
	$(BIN)/python -m pytest -m "not soak"

soak: install
	$(BIN)/python -m pytest -m soak

run: install
	$(BIN)/binhdan run

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-output .mypy_cache .pytest_cache .ruff_cache
