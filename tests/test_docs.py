"""The documentation's generated parts: every option-table marker in ``docs/`` names a
class of ``tls/options.py``, and its table lists that class's options with their Node
names (the full site is built with ``--strict`` by ``make docs`` in CI)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nodetls as tls
from nodetls.tls import options
from tests.support.certs import free_port

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_options", ROOT / "scripts" /
                                                  "docs_options.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_marker_makes_a_table_of_its_options() -> None:
    generator = _generator()
    markers = [m for page in sorted((ROOT / "docs").rglob("*.md"))
               for m in generator.MARKER.finditer(page.read_text())]
    assert len(markers) >= 6
    for marker in markers:
        name, exclude = marker.group(1), marker.group(2)
        expected = set(getattr(options, name).__annotations__)
        if exclude:
            expected -= set(getattr(options, exclude).__annotations__)
        rows = generator.table(name, exclude).splitlines()[2:]
        assert {re.match(r"\| `(\w+)` \|", row).group(1) for row in rows} == expected  # type: ignore[union-attr]


def test_connect_table_gives_node_names() -> None:
    table = _generator().table("ConnectOptions")
    row = "| `reject_unauthorized` | `rejectUnauthorized` | <code>bool &#124; None</code> |"
    assert row in table
    assert "| `session_cache_size` | *beyond Node* |" in table


#: Pages whose programs need peers or libraries of their own, and have their own test
#: (tests/stdssl/test_frameworks_guide.py runs the framework examples).
RUN_ELSEWHERE = {"docs/guides/frameworks.md"}


def _programs() -> list[tuple[str, str]]:
    """The docs' examples that are whole programs (they end in ``asyncio.run``)."""
    return [(str(page.relative_to(ROOT)), block)
            for page in sorted((ROOT / "docs").rglob("*.md"))
            if str(page.relative_to(ROOT)) not in RUN_ELSEWHERE
            for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
            if "asyncio.run(main())" in block]


def test_the_docs_whole_programs_run(tmp_path: Path) -> None:
    """Run in a directory holding the ``key.pem``/``cert.pem`` they read, on a free port."""
    key, cert = tls.generate_self_signed(["localhost"])
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "cert.pem").write_bytes(cert)
    programs = _programs()
    assert [page for page, _ in programs] == ["docs/guides/porting.md", "docs/index.md"]
    outputs = []
    for page, block in programs:
        port = free_port()
        script = tmp_path / "program.py"
        script.write_text(block.replace("8000", str(port)))
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             timeout=30, cwd=tmp_path)
        assert out.returncode == 0, (page, out.stderr)
        outputs.append(out.stdout)
    assert outputs == ["True\nwelcome!\n\n", "TLSv1.3 True\nb'hello\\n'\n"]
