# Two entry points a newcomer needs: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench docs needles clean

$(BIN)/podmortem: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/podmortem
	$(BIN)/podmortem demo

test: $(BIN)/podmortem
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2

lint: $(BIN)/podmortem
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BIN)/podmortem
	$(BIN)/python benchmarks/run.py

docs: $(BIN)/podmortem
	$(BIN)/python -m podmortem.docgen docs
	$(BIN)/python tests/e2e/remedies.py docs/remedies.md

# After a rule's pattern changes (tests/core/test_needle_table.py says when): the table of needles.
needles: $(BIN)/podmortem
	$(BIN)/python -c "from podmortem.patterns_index import write_needle_table; write_needle_table()"

clean:
	rm -rf $(VENV) build *.egg-info
