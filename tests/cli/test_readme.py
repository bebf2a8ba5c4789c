"""Every snippet of the README runs as written, and the README points only inside the
repository (it is also the package's long description, so it has no links at all).

Python blocks run as scripts (the echo example on a free port instead of 8000);
``python -m nodetls`` lines of the shell blocks run as commands.  The other shell lines
build a clone (``make demo``, ``make test``, ``make wheel``, ...): they cannot run inside
the suite they build, CI (``.ci/run``) runs ``make test`` and the wheel, and a test pins
their list so that a new one is looked at.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.support.certs import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
TEXT = README.read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)
SHELL_LINES = [line.split("#")[0].strip()
               for block in re.findall(r"```sh\n(.*?)```", TEXT, re.S)
               for line in block.splitlines() if line.split("#")[0].strip()]


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "example.py"
    script.write_text(source)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=30, cwd=tmp_path)


def test_readme_has_two_python_examples() -> None:
    assert len(PYTHON_BLOCKS) == 2


def test_readme_echo_example_runs(tmp_path: Path) -> None:
    out = _run(tmp_path, PYTHON_BLOCKS[0].replace("8000", str(free_port())))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # the two sides finish their handshakes independently: either may print first
    assert sorted(lines[:2]) == ["client connected authorized", "server connected unauthorized"]
    assert lines[2:] == ["welcome!", "bye"]
    assert out.stderr == ""


def test_readme_more_of_the_api_runs(tmp_path: Path) -> None:
    out = _run(tmp_path, PYTHON_BLOCKS[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "TLSv1.3 http/1.1 localhost DNS:localhost",
        "32 bytes of keying material",
        "ERR_TLS_CERT_ALTNAME_INVALID",
        "b'hello\\n'",
        "resumed: True keylog lines: True",
    ]
    assert out.stderr == ""


def test_readme_commands_run(tmp_path: Path) -> None:
    commands = [line for line in SHELL_LINES if line.startswith("python -m nodetls")]
    assert len(commands) == 2
    for command in commands:
        argv = [sys.executable, *shlex.split(command)[1:]]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=tmp_path)
        assert out.returncode == 0, (command, out.stderr)
        assert "demo" in out.stdout


def test_the_other_shell_lines_are_the_ones_ci_runs() -> None:
    others = [line for line in SHELL_LINES if not line.startswith("python -m nodetls")]
    assert others == ["make demo", "make test", "make setup", "scripts/build-binding",
                      ".venv/bin/pytest tests/engine -q", "make wheel"]


def test_readme_points_only_inside_the_repository() -> None:
    assert "](" not in TEXT  # no links: on the package index a relative link is dead
    assert "../" not in TEXT
    root = README.parent
    for path in re.findall(r"`((?:docs|scripts|bench|src|tests)/[\w./-]+)`", TEXT):
        assert (root / path).exists(), path
