# Set-up and run. Every target first creates or updates .venv from requirements.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV)/bin)
STAMP := $(VENV)/.installed
TORCH := $(shell grep '^torch==' requirements.txt)
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
export PATH := $(BIN):$(PATH)

.PHONY: demo test test-fast lab lessons bench bundle grade check site

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Python 3.10 or newer is needed (PYTHON=$(PYTHON))."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# On Linux, PyPI's torch bundles CUDA (several GB): take the CPU build from PyTorch's index when it answers.
	@if [ "$$(uname -s)" = Linux ] && ! $(BIN)/python -c 'import torch' 2>/dev/null; then \
	    $(BIN)/python -m pip install --index-url $(TORCH_CPU_INDEX) --timeout 15 --retries 0 "$(TORCH)" \
	    || echo "PyTorch's CPU index did not answer: $(TORCH) comes from PyPI with the rest"; fi
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## grade the bundled example class with real nbgrader and print the gradebook
	$(BIN)/python -m autograder.instructor.demo

test: $(STAMP)  ## the course's own tests, all of them
	$(BIN)/python -m pytest -n auto

test-fast: $(STAMP)  ## the inner loop: every module once, the slow grading runs left out (about 2 minutes)
	$(BIN)/python -m pytest -n auto -m "not slow"

lab: $(STAMP)  ## JupyterLab on the lessons
	$(BIN)/jupyter lab lessons

lessons: $(STAMP)  ## regenerate lessons/ from solutions/ with nbgrader, and the reference from the solution cells
	for lesson in $$($(BIN)/python -c "from autograder.instructor.lessons import names; print(*names())"); do $(BIN)/nbgrader generate_assignment $$lesson --no-db --force || exit 1; done
	$(BIN)/python -m autograder.instructor.lessons

bench: $(STAMP)  ## time each notebook: executed in full, and autograded
	$(BIN)/python -m autograder.instructor.bench

grade: $(STAMP)  ## grade every collected submission of a course: make grade [COURSE=dir] [LESSONS="01_gates ..."] [SCHEDULER=tcp://host:8786]
	$(BIN)/python -m autograder.instructor.grade --course $(or $(COURSE),.) $(LESSONS) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) --report

check: $(STAMP)  ## grade your own notebook in lessons/, hidden tests included: make check LESSON=03_lstm_cell
	@test -n "$(LESSON)" || { echo "Say which lesson: make check LESSON=03_lstm_cell"; exit 2; }
	$(BIN)/python -m autograder.instructor.check $(LESSON)

bundle: $(STAMP)  ## build dist/student_bundle.zip, what instructors release to students
	$(BIN)/python -m autograder.instructor.bundle

site: $(STAMP)  ## build the course as a static HTML site in site/: each lesson as a learner meets it, with a right solution's outputs
	$(BIN)/python -m autograder.instructor.site
