# The README's two commands: `make demo` and `make test`. Both install what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
SRC := $(wildcard src tests benchmarks)

.PHONY: demo test venv debs lint typecheck pytest clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

venv: $(VENV)/.installed

debs:
	bash scripts/install-debian-packages.sh

lint: venv
	$(VENV)/bin/ruff check $(SRC)
	$(VENV)/bin/ruff format --check $(SRC)

typecheck: venv
	$(VENV)/bin/mypy src

pytest: venv debs
	bash scripts/pytest.sh

test: lint typecheck pytest

demo: venv debs
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash demo/run.sh

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
