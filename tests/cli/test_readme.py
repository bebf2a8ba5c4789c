"""The README's Python example runs as written (on a free port instead of 8000)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readme_echo_example_runs(tmp_path: Path) -> None:
    example = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    script = tmp_path / "example.py"
    script.write_text(example.replace("8000", str(_free_port())))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # the two sides finish their handshakes independently: either may print first
    assert sorted(lines[:2]) == ["client connected authorized", "server connected unauthorized"]
    assert lines[2:] == ["welcome!", "bye"]
    assert out.stderr == ""
