# `make test` and `make demo` work from a fresh clone: they build the virtualenv first.
# The virtualenv's interpreter: the system's /usr/bin/python3.11 where there is one (on
# Debian built with profile-guided and link-time optimisation: about a tenth less CPU per
# till sale than pyenv's default build: README, "In production"), else python3.11 on the PATH.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
TYPED := regulars/orgs regulars/customers regulars/commerce regulars/imports regulars/segments \
         regulars/messaging regulars/tracking regulars/loyalty regulars/integrations
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: setup lint fmt test test-sqlite test-postgres test-browser demo bench messages clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*; touch $@

lint: setup
	$(BIN)/ruff check regulars tests bench
	$(BIN)/ruff format --check regulars tests bench
	$(BIN)/mypy $(TYPED)

fmt: setup
	$(BIN)/ruff check --fix regulars tests bench
	$(BIN)/ruff format regulars tests bench

test: lint test-sqlite

test-sqlite: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: setup
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-browser: setup
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

# Every domain app and back-office area keeps its own catalogue in its locale/ folder.
messages: setup
	for dir in $(dir $(wildcard regulars/*/locale regulars/web/*/locale)); do \
	  (cd $$dir && $(CURDIR)/$(BIN)/regulars makemessages -l da -l nb --no-obsolete \
	    --extension html,py,js && $(CURDIR)/$(BIN)/regulars compilemessages) || exit 1; done

demo: setup
	$(BIN)/regulars migrate --no-input
	$(BIN)/regulars demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
