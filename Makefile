# The README's two commands: `make demo` and `make test`. Both install what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
SRC := $(wildcard src tests benchmarks deploy)

.PHONY: demo test venv debs lint typecheck pytest clean image zipapp deploy-check

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

# Deployment (docs/deploy.md). `make image`: the OCI image from Debian packages and PyPI wheels
# (mmdebstrap + buildah, as root); `make zipapp`: one self-contained watcloud.pyz for login nodes;
# `make deploy-check`: renders and validates everything under deploy/, builds and runs the image.
IMAGE_TAG ?= watcloud:dev

image: venv debs
	PYTHON=$(CURDIR)/$(PY) bash deploy/image/build.sh --tag $(IMAGE_TAG)

ZIPAPP ?= build/watcloud.pyz

zipapp: $(ZIPAPP)

$(ZIPAPP): venv pyproject.toml $(shell find src -name '*.py' -o -name '*.yaml' -o -name '*.j2' 2>/dev/null)
	mkdir -p $(dir $@)
	$(VENV)/bin/shiv --quiet --console-script watcloud --python '/usr/bin/env python3' \
	  --compressed --reproducible --output-file $@ .
	@ls -l $@

deploy-check: venv debs
	bash scripts/pytest.sh tests/deploy

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build
