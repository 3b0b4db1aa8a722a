# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PIP = $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test lint bench clean

run: $(VENV)/.installed
	$(BIN)/domus --config development.ini init --demo
	$(BIN)/domus --config development.ini serve --host 127.0.0.1 --port 6543

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/core.py
	$(BIN)/python bench/security.py

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.installed: $(VENV)/.created setup.py constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) var build *.egg-info
