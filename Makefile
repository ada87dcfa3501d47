# The two commands: `make pdf` and `make test`.  Both set up .venv and TeX first.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := pdf

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= build
CONFIG ?=
SET    ?=
PYTEST_ARGS ?=

# Reproducible builds: the date in the PDF is the last commit's, unless given.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1767225600)
export SOURCE_DATE_EPOCH
# Passed through the environment so that quotes in SET survive.
export BUILD_ARGS := $(CONFIG)|$(SET)
export SET

SOURCES := $(shell find solver templates -type f \( -name '*.py' -o -name '*.j2' -o -name '*.toml' \) 2>/dev/null)

.PHONY: pdf test answers tex venv clean help FORCE

## pdf      build $(OUT)/solutions.pdf (after setting up .venv and TeX)
pdf: $(OUT)/solutions.pdf

$(OUT)/solutions.pdf: $(VENV)/.installed $(SOURCES) $(wildcard $(CONFIG)) $(OUT)/.args | tex
	$(PY) -m solver build --out '$(OUT)' $(if $(CONFIG),--config '$(CONFIG)') --sets "$$SET"

# Rewritten only when CONFIG or SET change, so an unchanged `make pdf` does nothing.
$(OUT)/.args: FORCE
	@mkdir -p '$(OUT)'; printf '%s\n' "$$BUILD_ARGS" | cmp -s - $@ || printf '%s\n' "$$BUILD_ARGS" > $@

## test     run the test suite (pytest; PYTEST_ARGS='-k huber' to select)
test: $(VENV)/.installed | tex
	$(PY) -m pytest $(PYTEST_ARGS)

## answers  print the answers as JSON (CONFIG, SET apply)
answers: $(VENV)/.installed
	@$(PY) -m solver answers $(if $(CONFIG),--config '$(CONFIG)') --sets "$$SET"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv)" >&2; \
	  rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	@touch $@

## tex      check for latexmk and pdflatex; install them with apt-get where allowed
tex: $(VENV)/.installed
	@command -v latexmk >/dev/null && command -v pdflatex >/dev/null || $(PY) -m solver tex --install

## clean    remove the build outputs (keeps .venv)
clean:
	rm -rf '$(OUT)'/* '$(OUT)'/.work '$(OUT)'/.args '$(OUT)'/.lock
	@touch build/.gitkeep

## help     this list
help:
	@echo "Targets:"
	@sed -n 's/^## /  make /p' $(MAKEFILE_LIST)
	@echo "Variables:"
	@echo "  CONFIG=FILE        TOML file overriding any subset of solver/defaults.toml"
	@echo "  SET='K=V K=V'      override single keys, e.g. SET='q3.learning_rate=0.1 q2.delta=1'"
	@echo "  OUT=DIR            output directory (default build)"
	@echo "  PYTEST_ARGS=...    arguments for pytest, e.g. PYTEST_ARGS='tests/test_config.py -k set'"
	@echo "  PYTHON=python3     interpreter used to create .venv"
	@echo "  SOURCE_DATE_EPOCH  date printed in the PDF (default: the last commit's)"
