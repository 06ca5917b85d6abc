# Two-command entry points. Each target creates (or reuses) the local virtualenv .venv,
# installs the package in editable mode when setup.py or requirements/ changed, then runs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.maxsight-installed
CONFIG ?= configs/t2_default.py

.PHONY: tts train test venv clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) setup.py requirements/runtime.txt requirements/tests.txt
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -r requirements/runtime.txt -r requirements/tests.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

train: $(STAMP)
	$(PY) tools/train.py $(CONFIG) --resume

test: $(STAMP)
	$(PY) -m pytest tests -q --durations=15

# optional: the speech engine of tools/demo.py --speak (Debian / Ubuntu)
tts:
	command -v espeak-ng >/dev/null || (apt-get update && apt-get install -y espeak-ng) || \
		(echo "error: could not install espeak-ng; run: sudo apt-get install espeak-ng" >&2; exit 2)

clean-venv:
	rm -rf $(VENV)
