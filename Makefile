# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= cpu,train,dev
# The demo and the app need no PyTorch: a newcomer's first command installs about 0.5 GB, not
# the 6 GB of the train extra (which `make test` adds to the same venv).
APP_EXTRAS := cpu

.PHONY: setup demo test test-all test-gpu app lint

setup: $(VENV)/.installed-$(EXTRAS)

# One stamp per set of extras: the app's venv is completed, not rebuilt, for the tests.
$(VENV)/.installed-%: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[$*]'
	touch $@

# Index the bundled sample photos with the bundled default model, ask for the photos most like
# one of them, then list the groups of near-identical photos. State goes to .cache/demo-home.
DEMO_HOME ?= .cache/demo-home
demo: $(VENV)/.installed-$(APP_EXTRAS)
	LOOKALIKE_HOME=$(DEMO_HOME) $(BIN)/lookalike index resources/sample-photos
	LOOKALIKE_HOME=$(DEMO_HOME) $(BIN)/lookalike similar -k 5 resources/sample-photos/flower-marigold.jpg
	LOOKALIKE_HOME=$(DEMO_HOME) $(BIN)/lookalike duplicates
	@echo "A distance is how many bits of two photos' codes differ (0: the same code; the default"
	@echo "model's codes have 96 bits). Next: 'make app' opens the app on these photos."

# The app on the sample photos, with the demo's library (not the user's own).
app: $(VENV)/.installed-$(APP_EXTRAS)
	LOOKALIKE_HOME=$(DEMO_HOME) $(BIN)/lookalike resources/sample-photos

# pytest exits 5 when it collects no test; make would turn that into its own exit 2, so map it here.
test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow and not gpu"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5)"; exit 0; fi; exit $$rc

test-all: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not gpu"

# On a machine with a CUDA GPU: the trainer's GPU-only paths (tests/trainer/test_device_paths.py).
test-gpu: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m gpu

lint: setup
	$(BIN)/ruff check desktop_app trainer tests bench
