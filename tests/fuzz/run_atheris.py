"""Coverage-guided runs with atheris (libFuzzer): ``make fuzz`` calls this per target.

    PYTHONPATH=src:. python tests/fuzz/run_atheris.py TARGET WORK_DIR SEED_DIR \\
        -max_total_time=SECONDS

nodetls is imported under atheris's instrumentation, so new Python branches in it guide
the mutations (OpenSSL itself is not instrumented).  New inputs go to ``WORK_DIR``; a
crash (a ``Finding`` or anything else escaping the target) is written by libFuzzer as
``crash-<sha1>`` in the current directory: turn it into a regression test in
``tests/fuzz/test_regressions.py`` and fix the source.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["nodetls"]):
    import nodetls  # noqa: F401

from tests.fuzz.targets import TARGETS


def main() -> None:
    name, *libfuzzer_args = sys.argv[1:]
    target = TARGETS[name]
    atheris.Setup([sys.argv[0], *libfuzzer_args], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
