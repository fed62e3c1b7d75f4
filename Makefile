# The course's commands. `make run` and `make test` are the two Quick-start commands in README.md.
# Both create the virtual environment on first use (or when pyproject.toml changes).

# Python 3.11, 3.12 or 3.13 (TensorFlow 2.21's wheels); the whole suite is run on 3.11 in CI.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV   ?= .venv
EXTRAS ?= course,test
PY     := $(VENV)/bin/python
# Extra papermill parameters for `make run`, e.g. PARAMS="-p DATASET fashion_mnist -p N_TRAIN 5000"
PARAMS ?=
# Parallel processes for the test stages (pytest-xdist, run_lessons.py --jobs): one per core.
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# `make run GPU=1` also installs the CUDA libraries for TensorFlow (Linux x86_64 with an NVIDIA GPU).
ifeq ($(GPU),1)
EXTRAS := $(EXTRAS),gpu
endif
comma  := ,
# Re-install when pyproject.toml or the chosen extras change.
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

export PATH := $(abspath $(VENV))/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
# No MPLBACKEND here: every kernel started below (make lab, make run) would inherit it and show
# no figure. Tests and the grader choose a non-interactive backend for themselves.
# Options for `make lab`, e.g. LAB_ARGS="--port 9000 --no-browser".
LAB_ARGS ?=
# JupyterLab refuses to run as root (Docker images, CI machines) unless told it may.
ifeq ($(shell id -u),0)
LAB_ARGS += --allow-root
endif

.PHONY: help setup run test unit lint gpu-check site browser notebooks check-notebooks lab tensorboard bench autograder grade release clean

help:
	@echo "make setup      create the virtual environment .venv and install the course (run/test/lab do it too)"
	@echo "make run        set up, then execute every lesson into build/executed (HTML in build/html)"
	@echo "make test       set up, then run the whole test suite"
	@echo "make browser    the lessons in JupyterLab in headless Chromium (needs apt-get install chromium)"
	@echo "make lab        open JupyterLab on notebooks/ [LAB_ARGS=\"--port 9000 --no-browser\"]"
	@echo "make tensorboard  serve the TensorBoard logs of the lessons (build/tensorboard) at http://localhost:6006"
	@echo "make bench      time each lesson at its defaults (build/bench.json)"
	@echo "make lint       ruff check and mypy on course_utils (maintainers)"
	@echo "make site       static HTML site of the executed lessons in build/site (after make run or make test)"
	@echo "make gpu-check  does TensorFlow see a GPU; a lesson model timed on GPU vs CPU [GPU=1 installs CUDA]"
	@echo "make notebooks  regenerate notebooks/ from solutions/ (instructors and maintainers)"
	@echo "make autograder build the otter autograder zips into build/autograder (see README, For instructors)"
	@echo "make grade SUBMISSIONS=folder [LESSON=10] [TIMEOUT=600] [JOBS=2]"
	@echo "                grade every notebook in folder (no Docker): build/grades.csv, build/feedback/"
	@echo "make release    the learner-facing course, without solutions or hidden tests, in build/release"
	@echo "make clean      remove build/ (the virtual environment stays)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV) with '$(PYTHON)'. The course needs Python 3.11, 3.12 or 3.13: install one"; \
	  echo "(e.g. with pyenv or your package manager) or run 'make ... PYTHON=/path/to/python3.11'."; exit 1; }
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12), (3, 13)) else "$(VENV) runs Python " + sys.version.split()[0] + "; the course needs 3.11, 3.12 or 3.13. Delete $(VENV) and rerun with PYTHON=/path/to/python3.11.")'
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

# JupyterLab settings for the course's own JupyterLab (make lab): never ask to fetch Jupyter's news (a
# toast over the notebook, and a request to the internet); wrap long code lines, so that a
# learner with a narrow window or the file browser open sees every line of a cell.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): tools/lab/overrides.json $(STAMP)
	@mkdir -p $(dir $@)
	cp tools/lab/overrides.json $@

setup: $(STAMP) $(LAB_SETTINGS)

run: setup
	$(PY) tools/run_lessons.py --html $(PARAMS)

unit: setup
	$(PY) -m pytest tests/unit -q

# Maintainer checks ([tool.ruff] and [tool.mypy] in pyproject.toml): ruff's lint rules on every
# Python file (notebooks excluded) and mypy on course_utils. Neither rewrites anything; both run,
# and lint fails if either found something.
lint: setup
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	exit $$status

# What a learner sees: lessons 01, 03, 04 and 10 opened in this JupyterLab in headless Chromium (Playwright),
# run with Run All Cells and checked in the page; screenshots in build/browser/. Skipped, with the
# reason, without Chromium or Playwright; under CI=true that is a failure. The last stage of `make test`.
browser: setup
	$(PY) -m pytest tests/browser -q

# The whole suite, in the order of the pipeline: lint (ruff and mypy), unit tests, papermill execution of every lesson
# at its defaults into build/executed and build/html (the run whose numbers the claim tests and
# the learner-view tests check), nbval on a
# second execution at the lessons' quick parameters (build/quick: nbval re-executes every cell and
# compares the cells tagged nbval-check-output; at the defaults that would double the suite's
# time; --dist loadfile keeps each notebook's cells, in order, on one of the $(JOBS) workers),
# then the claims each lesson makes, notebook hygiene and the exercise checks.
test: setup
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest tests/unit -q -n $(JOBS)
	$(PY) tools/run_lessons.py --html --out build/executed
	$(PY) tools/run_lessons.py --quick --out build/quick
	MPLBACKEND=Agg PYTHONPATH=tests $(PY) -m pytest -q -p no:cacheprovider -p nbval_stdout_only --nbval-lax --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=900 \
	    -n $(JOBS) --dist loadfile build/quick
	$(PY) -m pytest tests/lessons -q -n $(JOBS) --dist loadscope
	$(PY) -m pytest tests/browser -q

# Does TensorFlow see a GPU, and how much faster does lesson 03's CNN train on it than on the CPU
# (printed, and in build/gpu_check.json)? Exits 1 without a GPU. `make gpu-check GPU=1` installs
# the CUDA libraries first; GPU_CHECK_ARGS="--dataset fashion_mnist --epochs 5" for other runs.
gpu-check: setup
	$(PY) tools/gpu_check.py $(GPU_CHECK_ARGS)

# The course site (tools/build_site.py: Sphinx + myst-nb + sphinx-book-theme, offline): the README as
# home page, one page per executed lesson of build/executed with its figures, a table of contents,
# previous/next links. Run `make run` (or `make test`) first; open build/site/index.html.
site: setup
	$(PY) tools/build_site.py

bench: setup
	$(PY) tools/run_lessons.py --bench --out build/bench $(PARAMS)

notebooks: setup
	$(PY) tools/sync_notebooks.py

check-notebooks: setup
	$(PY) tools/sync_notebooks.py --check

# The otter zips, then their Gradescope-ready copies (tools/gradescope.py: the image installs
# TensorFlow and course_utils with pyproject's pins) in build/autograder/gradescope/.
autograder: setup
	$(PY) tools/sync_notebooks.py --check
	@ls -1 build/autograder/*.zip
	$(PY) tools/gradescope.py

# Grade a folder of submitted notebooks without Docker (tools/grade.py): one bubblewrap sandbox and
# time limit per submission, scores decided outside it by tools/judge.py; writes build/grades.csv
# and build/feedback/<file name>.txt. JOBS=N on the command line grades N at once (default 1 here:
# the JOBS default above is for the test stages).
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "Usage: make grade SUBMISSIONS=path/to/folder [LESSON=10] [TIMEOUT=600] [JOBS=2]"; exit 2; }
	$(PY) tools/grade.py "$(SUBMISSIONS)" $(if $(LESSON),--lesson $(LESSON)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(filter command line,$(origin JOBS)),--jobs $(JOBS))

# What a graded class publishes instead of this repository (tools/release.py): lessons, course_utils,
# pyproject, a learner README and environment.yml; checked to hold no solution or hidden test.
release: setup
	$(PY) tools/release.py

lab: setup
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

# The logs that lesson 05 (and any run with keras.callbacks.TensorBoard under build/) wrote; a
# local server only (TB_ARGS="--port 6007" for another port).
TB_ARGS ?=
tensorboard: setup
	@mkdir -p build/tensorboard
	$(VENV)/bin/tensorboard --logdir build/tensorboard --host localhost $(TB_ARGS)

clean:
	rm -rf build
