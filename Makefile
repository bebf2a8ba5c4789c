# Entry points, each working on a fresh Debian/Ubuntu machine:
#   make demo   set up what the demo needs (compiler, OpenSSL headers, a venv), then run a
#               real TLS server and client (certificate made on the spot)
#   make test   set everything up (Node, Redis, test tools too), then run ruff,
#               mypy --strict and the whole test suite
#   make docs   build the documentation site into site/ (warnings are errors)
#   make wheel  build the wheel into dist/
PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
DOCS_STAMP := $(VENV)/.installed-docs
BINDING := pyproject.toml setup.py $(wildcard src/nodetls/_openssl/_cdefs/*.py) src/nodetls/_openssl/_build.py

.PHONY: setup demo test lint typecheck pytest pytest-uvloop docs wheel fuzz soak clean

# $(call venv,PROFILE): the system packages PROFILE needs, then the venv with a current pip.
define venv
	scripts/system-deps.sh $(1)
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
endef

setup: $(STAMP)

$(STAMP): $(BINDING)
	$(call venv,test)
	$(VPY) -m pip install -q -e '.[test]'
	touch $(STAMP) $(DEMO_STAMP)

# The demo needs the package and its run-time dependencies only: no Node, Redis or test tools.
$(DEMO_STAMP): $(BINDING)
	$(call venv,demo)
	$(VPY) -m pip install -q -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(VPY) -m nodetls demo

lint: setup
	$(VENV)/bin/ruff check src tests bench

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VPY) -m pytest -q

# The TLS layer again on uvloop (works on the default loop and on uvloop).
# tests/node stays on asyncio: two of its net tests pin the interleaving of two sockets'
# events to asyncio's scheduling, which uvloop orders differently (per-socket order holds).
pytest-uvloop: setup
	NODETLS_TEST_LOOP=uvloop $(VPY) -m pytest -q tests/tls tests/interop

test: lint typecheck pytest pytest-uvloop

# The docs extra only (mkdocstrings reads src/ without importing it: no binding build).
$(DOCS_STAMP): pyproject.toml
	$(call venv,docs)
	$(VPY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["docs"]))' > $(VENV)/docs-requirements.txt
	$(VPY) -m pip install -q -r $(VENV)/docs-requirements.txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

wheel: $(DEMO_STAMP)
	rm -rf dist
	$(VPY) -m pip wheel -q --no-deps -w dist .
	@ls dist/*.whl

# Coverage-guided fuzzing by hand (atheris): every target for FUZZ_SECONDS each, seeds made
# fresh from real handshakes; new inputs and crash-* files go to build/fuzz/.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= engine_receive options pem_der_pfx cert_object identity session ticket_keys
fuzz: setup
	PYTHONPATH=src:. $(VPY) -m tests.fuzz.make_corpus build/fuzz/seeds
	set -e; for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/work/$$t; \
	  PYTHONPATH=src:. $(VPY) tests/fuzz/run_atheris.py $$t build/fuzz/work/$$t \
	    build/fuzz/seeds/$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/; done

# The full soak by hand (about 35 minutes on two shared cores); the suite runs a short one.
soak: setup
	$(VPY) bench/soak.py

clean:
	rm -rf $(VENV) build dist site src/*.egg-info src/nodetls/_openssl/_binding*.so src/nodetls/_openssl/_binding.c
