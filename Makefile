# Two entry points, both working on a fresh Debian/Ubuntu machine:
#   make demo   set everything up, then run a real TLS server and client (cert made on the spot)
#   make test   set everything up, then run ruff, mypy --strict and the whole test suite
PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: setup demo test lint typecheck pytest pytest-uvloop fuzz soak clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py $(wildcard src/nodetls/_openssl/_cdefs/*.py) src/nodetls/_openssl/_build.py
	scripts/system-deps.sh
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: setup
	$(VPY) -m nodetls demo

lint: setup
	$(VENV)/bin/ruff check src tests bench

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VPY) -m pytest -q

# The TLS layer again on uvloop (DESIGN.md: works on the default loop and on uvloop).
# tests/node stays on asyncio: two of its net tests pin the interleaving of two sockets'
# events to asyncio's scheduling, which uvloop orders differently (per-socket order holds).
pytest-uvloop: setup
	NODETLS_TEST_LOOP=uvloop $(VPY) -m pytest -q tests/tls tests/interop

test: lint typecheck pytest pytest-uvloop

# Coverage-guided fuzzing by hand (atheris): every target for FUZZ_SECONDS each, seeds made
# fresh from real handshakes; new inputs and crash-* files go to build/fuzz/.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= engine_receive options pem_der_pfx cert_object identity session ticket_keys
fuzz: setup
	PYTHONPATH=src:tests $(VPY) -m fuzz.make_corpus build/fuzz/seeds
	set -e; for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/work/$$t; \
	  PYTHONPATH=src:tests $(VPY) tests/fuzz/run_atheris.py $$t build/fuzz/work/$$t \
	    build/fuzz/seeds/$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/; done

# The full soak by hand (about 35 minutes on two shared cores); the suite runs a short one.
soak: setup
	$(VPY) bench/soak.py

clean:
	rm -rf $(VENV) build src/*.egg-info src/nodetls/_openssl/_binding*.so src/nodetls/_openssl/_binding.c
