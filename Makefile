# Every target that runs code depends on `install`, so a fresh machine needs nothing beforehand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCALES := bot/texts/locales

.PHONY: install demo play test lint typecheck run bench soak clean messages screenshot

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" --config-settings editable_mode=compat
	$(BIN)/pybabel compile --statistics -d $(LOCALES) -D binhdan
	touch $(STAMP)

# After adding messages in code: refresh the template and add the new keys to every catalog.
messages: install
	$(BIN)/pybabel extract --no-default-keywords -k N_ -k t -k plain -k say \
		-o $(LOCALES)/binhdan.pot bot handlers scheduler
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(LOCALES)/binhdan.pot \
		-d $(LOCALES) -D binhdan

demo: install
	$(BIN)/binhdan demo --out demo-output

play: install
	$(BIN)/binhdan play

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy bot handlers scheduler models migrations tests bench

test: lint typecheck
	$(BIN)/python -m pytest -m "not soak" -n 4

soak: install
	$(BIN)/python -m pytest -m soak

run: install
	$(BIN)/binhdan run

bench: install
	$(BIN)/python -m bench

# The playground's picture in docs/, taken by its browser test.
screenshot: install
	PLAYGROUND_SCREENSHOT=docs/playground.png $(BIN)/python -m pytest \
		tests/test_playground_browser.py -k broadcast

clean:
	rm -rf $(VENV) demo-output .mypy_cache .pytest_cache .ruff_cache
	find $(LOCALES) -name '*.mo' -delete
