PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench bench-quick clean

$(BIN)/simulate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/simulate
	$(BIN)/simulate configs/successor2.toml
	$(BIN)/simulate report results/successor2

test: $(BIN)/simulate
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(BIN)/simulate
	$(BIN)/python benchmarks/run.py

bench-quick: $(BIN)/simulate
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) results/*/
