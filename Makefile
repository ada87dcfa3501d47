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

# The date in the PDF is the day it is built, unless SET="student.date='...'" gives one or the user
# sets SOURCE_DATE_EPOCH (reproducible builds: the same bytes from the same inputs).  A value given
# reaches the build unexpanded.
ifneq ($(origin SOURCE_DATE_EPOCH),undefined)
override SOURCE_DATE_EPOCH := $(value SOURCE_DATE_EPOCH)
export SOURCE_DATE_EPOCH
endif

# OUT, CONFIG and SET are data, never make or shell code.  make would expand `$(...)` in
# them wherever they are referenced (and when it exports them), and a shell would run a
# `;` or `$(...)` spliced into a recipe.  So their raw text ($(value ...)) reaches the
# recipes only through the environment, as HW_OUT, HW_CONFIG and HW_SET; the recipes use
# them as "$$HW_..." inside double quotes, which the shell does not re-parse, or leave
# them to scripts/make_outputs.py, which hands them to the solver as argv.
override HW_OUT    := $(value OUT)
override HW_CONFIG := $(value CONFIG)
override HW_SET    := $(value SET)
export HW_OUT HW_CONFIG HW_SET
unexport OUT CONFIG SET

# `make pdf SET=q3.learning_rate=0.1 q2.delta=1` (the quotes forgotten) hands make a variable `q2.delta`
# that nothing reads: a command-line variable named like a configuration key (with a dot) is an error
# showing the SET that works.  $(value ...) keeps the text raw, as above.
HW_STRAY := $(strip $(foreach v,$(sort $(.VARIABLES)),$(if $(and $(filter command line,$(origin $v)),$(findstring .,$v)),$v=$(value $v))))
ifneq ($(HW_STRAY),)
$(error $(HW_STRAY): outside SET, make takes this for a make variable and ignores it; give every KEY=VALUE in SET, quoted as one word, e.g. SET="$(strip $(value SET) $(HW_STRAY))")
endif

# `make variants` and `make problems` (teaching staff): the same, for N, SEED, JOBS, ROSTER, and OUT
# only when given (variants default to build/variants).
override HW_N      := $(value N)
override HW_SEED   := $(value SEED)
override HW_JOBS   := $(value JOBS)
override HW_ROSTER := $(value ROSTER)
override HW_OUT_GIVEN := $(if $(filter file,$(origin OUT)),,$(value OUT))
export HW_N HW_SEED HW_JOBS HW_ROSTER HW_OUT_GIVEN
unexport N SEED JOBS ROSTER

# The helper's lines start with `+`, so `make -n` runs them too, with --dry-run: they print
# what they would run or remove.  Under `make -s` it does not print the command it runs.
HELPER_FLAGS := $(if $(findstring n,$(firstword -$(MAKEFLAGS))),--dry-run)$(if $(findstring s,$(firstword -$(MAKEFLAGS))), --quiet)
# Ctrl-C while Python itself starts, before the solver can answer it with one line, waits until then:
# GNU env (coreutils 8.31 or later) starts the command with SIGINT blocked, and the solver unblocks it
# once its own handler is in place.  Where env cannot, the command starts as it is.
BLOCK_INT := $(shell env --block-signal=INT true >/dev/null 2>&1 && echo env --block-signal=INT)
HELPER  := $(BLOCK_INT) $(firstword $(wildcard $(PY)) $(PYTHON)) -I -S scripts/make_outputs.py
SOLVER  := $(BLOCK_INT) $(PY) -m solver

.PHONY: pdf test answers watch variants problems tex venv lock clean help bench

## pdf      build $(OUT)/solutions.pdf (after setting up .venv and TeX)
# Rebuilt when missing, older than solver/ (templates included) or .venv, or when CONFIG's path or
# contents, SET, SOURCE_DATE_EPOCH or (without it) today's date differ from the last build's (OUT/.args).
pdf: $(VENV)/.installed | tex
	+@$(HELPER) pdf --python=$(PY) --after=$(VENV)/.installed $(HELPER_FLAGS)

## test     run the test suite (pytest; PYTEST_ARGS='-k huber' to select)
# The tests read PDFs with pdftotext (poppler-utils), installed with apt-get where allowed.
test: $(VENV)/.installed | tex
	@command -v pdftotext >/dev/null || { echo "installing poppler-utils (pdftotext) for the tests" >&2; \
	  export DEBIAN_FRONTEND=noninteractive; { apt-get update -qq && \
	  apt-get install -y -qq --no-install-recommends poppler-utils; } >/dev/null 2>&1 || { \
	  echo "error: the tests need pdftotext: install poppler-utils (sudo apt-get install poppler-utils)" >&2; exit 1; }; }
	$(PY) -m pytest $(PYTEST_ARGS)

## answers  print the answers as JSON (CONFIG, SET apply)
answers: $(VENV)/.installed
	@$(SOLVER) answers $${HW_CONFIG:+"--config=$$HW_CONFIG"} --sets="$$HW_SET"

## watch    build, then rebuild whenever CONFIG or the sources change (Ctrl-C to stop)
watch: $(VENV)/.installed | tex
	@$(SOLVER) watch --out="$$HW_OUT" $${HW_CONFIG:+"--config=$$HW_CONFIG"} --sets="$$HW_SET"

## worksheet  write a fill-in worksheet for check (WORKSHEET=mywork.toml, never over an existing one unless FORCE=1)
## check    check a student's work: make check WORK=mywork.toml [PDF=feedback.pdf] (CONFIG, SET apply)
## grade    mark a class: make grade SUBMISSIONS=DIR [ROSTER=students.csv] [RUBRIC=rubric.toml] [VARIANTS=VDIR] [GRADES=grades.csv]
# WORK, WORKSHEET, PDF, SUBMISSIONS, VARIANTS and GRADES are data, like OUT, CONFIG and SET: their raw
# text reaches the recipes only through the environment, quoted, after `--` where it is a file.
WORKSHEET   ?= mywork.toml
GRADES      ?= grades.csv
override HW_WORK        := $(value WORK)
override HW_WORKSHEET   := $(value WORKSHEET)
override HW_PDF         := $(value PDF)
override HW_SUBMISSIONS := $(value SUBMISSIONS)
override HW_VARIANTS    := $(value VARIANTS)
override HW_GRADES      := $(value GRADES)
override HW_FORCE       := $(value FORCE)
override HW_RUBRIC      := $(value RUBRIC)
export HW_WORK HW_WORKSHEET HW_PDF HW_SUBMISSIONS HW_VARIANTS HW_GRADES HW_FORCE HW_RUBRIC
unexport WORK WORKSHEET PDF SUBMISSIONS VARIANTS GRADES FORCE RUBRIC
.PHONY: worksheet check grade

worksheet: $(VENV)/.installed
	@$(SOLVER) worksheet $${HW_CONFIG:+"--config=$$HW_CONFIG"} --sets="$$HW_SET" --out="$$HW_WORKSHEET" \
	  $${HW_FORCE:+--force}

check: $(VENV)/.installed
	@test -n "$$HW_WORK" || { echo "error: give the file to check, e.g. make check WORK=mywork.toml" >&2; exit 2; }
	@$(SOLVER) check $${HW_CONFIG:+"--config=$$HW_CONFIG"} --sets="$$HW_SET" $${HW_PDF:+"--pdf=$$HW_PDF"} -- "$$HW_WORK"

grade: $(VENV)/.installed
	@test -n "$$HW_SUBMISSIONS" || { echo "error: give the folder of submissions, e.g. make grade SUBMISSIONS=class/" >&2; exit 2; }
	@$(SOLVER) grade $${HW_VARIANTS:+"--variants=$$HW_VARIANTS"} $${HW_CONFIG:+"--config=$$HW_CONFIG"} \
	  $${HW_SET:+"--sets=$$HW_SET"} $${HW_ROSTER:+"--roster=$$HW_ROSTER"} $${HW_RUBRIC:+"--rubric=$$HW_RUBRIC"} \
	  --out="$$HW_GRADES" -- "$$HW_SUBMISSIONS"

# The compiled forms an install gives: the modules' bytecode (compileall) and the templates' (in
# templates/__pycache__, render.precompile).  With PYTHONDONTWRITEBYTECODE set nothing else writes
# them, and every run would compile again what was edited since (about 0.07 s for one question's template).
COMPILE := $(PY) -m compileall -q solver && $(PY) -c "from solver import render; render.precompile()"

## bench    time each kind of rebuild against LaTeX alone (median of 5; writes build/bench.json; FULL=1 adds a 300-student class)
# COMPILE first, so that nothing edited since the install is compiled again on every run timed.
bench: $(VENV)/.installed | tex
	$(COMPILE)
	$(PY) scripts/bench.py $(if $(FULL),--full)

## variants N seeded variants (N=6 SEED=1, or ROSTER=students.csv SEED=1) into build/variants
variants: $(VENV)/.installed | tex
	@$(SOLVER) variants $${HW_ROSTER:+"--roster=$$HW_ROSTER"} $${HW_N:+"--n=$$HW_N"} --seed="$$HW_SEED" \
	  --out="$${HW_OUT_GIVEN:-build/variants}" $${HW_JOBS:+"--jobs=$$HW_JOBS"} \
	  $${HW_CONFIG:+"--config=$$HW_CONFIG"} --sets="$$HW_SET"

## problems the problem sheet $(OUT)/problems.pdf: the questions with the config's numbers, no solutions
problems: $(VENV)/.installed | tex
	@$(SOLVER) problems --out="$$HW_OUT" $${HW_CONFIG:+"--config=$$HW_CONFIG"} --sets="$$HW_SET"

## venv     set up .venv from requirements.lock (pdf and test do this first)
venv: $(VENV)/.installed

# Exactly the pinned, hash-checked versions of requirements.lock, then the project itself
# (editable, no dependencies, built with the locked setuptools).  Quiet unless it fails.
# COMPILE: the package's bytecode, as pip writes it for an installed wheel; an editable
# install gets none, and with PYTHONDONTWRITEBYTECODE set every run would compile the
# sources again (about 0.04 s of a 0.8 s rebuild).  An edited module is recompiled as usual.
# editable_mode=compat: the checkout goes on sys.path by a plain .pth line, where setuptools'
# default loads an import finder in every interpreter's start-up (12 ms, during which a Ctrl-C
# gets Python's traceback rather than the solver's one line).  An editable install leaves out what the
# wheel puts at the root of site-packages, scripts/_hw1_solver_start.pth (setup.py says what it does):
# it is copied there.
$(VENV)/.installed: pyproject.toml setup.py requirements.lock scripts/_hw1_solver_start.pth
	@if test -x $(PY); then echo "updating $(VENV) from requirements.lock"; \
	 else echo "setting up $(VENV) from requirements.lock (first time: about a minute)"; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv)" >&2; \
	  rm -rf $(VENV); exit 1; }
	@{ $(PY) -m pip install --disable-pip-version-check --require-hashes -r requirements.lock && \
	   $(PY) -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e . --config-settings editable_mode=compat && \
	   $(PY) -c 'import shutil, sysconfig; shutil.copy("scripts/_hw1_solver_start.pth", sysconfig.get_paths()["purelib"])' && \
	   $(COMPILE) ; } \
	  > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log >&2; \
	  echo "error: installing into $(VENV) failed (the log above is $(VENV)/install.log)" >&2; exit 1; }
	@touch $@

## lock     (maintainers) re-resolve pyproject.toml into requirements.lock with pip-tools
# pip-compile runs from a throwaway venv; pins already in requirements.lock are kept where
# pyproject.toml still allows them (delete the file first to move everything to the newest).
PIP_TOOLS := pip-tools==7.6.2
lock:
	@echo "resolving pyproject.toml into requirements.lock with $(PIP_TOOLS) (about a minute)"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp" && \
	"$$tmp/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip '$(PIP_TOOLS)' && \
	CUSTOM_COMPILE_COMMAND='make lock' "$$tmp/bin/pip-compile" --quiet --generate-hashes --extra test \
	  --all-build-deps --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements.lock pyproject.toml

## tex      check for pdflatex; install TeX (and the Chinese fonts) with apt-get where allowed
tex: $(VENV)/.installed
	@command -v pdflatex >/dev/null || $(PY) -m solver tex --install

## clean    remove the build outputs in $(OUT) (keeps .venv)
# Only the files the solver writes, only in a directory below the project that it made.
clean:
	+@$(HELPER) clean $(HELPER_FLAGS)

## help     this list
help:
	@echo "Targets:"
	@sed -n 's/^## /  make /p' $(MAKEFILE_LIST)
	@echo "Variables:"
	@echo "  CONFIG=FILE        TOML file overriding any subset of solver/defaults.toml"
	@echo "  SET='K=V K=V'      override single keys, all in one quoted SET, e.g. SET='q3.learning_rate=0.1 q2.delta=1';"
	@echo "                     a value with spaces quoted inside it: SET=\"student.name='Ada Lovelace' q2.delta=1\""
	@echo "  OUT=DIR            output directory (default build)"
	@echo "  N=6 SEED=1 JOBS=2  make variants: how many, from which seed, built how many at once"
	@echo "  ROSTER=FILE        make variants: one per student of a CSV file (columns id, name)"
	@echo "  PYTEST_ARGS=...    arguments for pytest, e.g. PYTEST_ARGS='tests/test_config.py -k set'"
	@echo "  PYTHON=python3     interpreter used to create .venv"
	@echo "  SOURCE_DATE_EPOCH  seconds since 1970: the date printed in the PDF (default: today; or SET=\"student.date='...'\")"
