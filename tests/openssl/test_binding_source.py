"""The binding's C source (``_openssl/csrc``): warning-free, and one prefix for its names.

The compile check runs the C compiler the binding is built with over the exact
translation unit cffi generates (``emit_c_code``), with the build's warning flags and
``-Werror``; ``-fsyntax-only`` keeps it fast (the warnings that need the optimiser are
left to the real build).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sysconfig
from pathlib import Path
from types import ModuleType

import nodetls._openssl

OPENSSL_DIR = Path(nodetls._openssl.__file__).resolve().parent
CSRC = OPENSSL_DIR / "csrc"


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_nodetls_build", OPENSSL_DIR / "_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_c_compiles_without_a_warning(tmp_path: Path) -> None:
    build = _build_module()
    source = tmp_path / "binding.c"
    build.ffibuilder.emit_c_code(str(source))
    include_dirs, _ = build._pkg_config()
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")
    command = [
        *cc, "-fsyntax-only", "-Werror", *build._WARNINGS,
        f"-I{CSRC}", f"-I{sysconfig.get_paths()['include']}",
        *(f"-I{d}" for d in include_dirs), str(source),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=50)
    # The strict set is switched on by pragmas, which -Werror does not turn into errors.
    assert (result.returncode, result.stderr) == (0, "")


def test_the_strict_warnings_apply_to_every_c_file() -> None:
    build = _build_module()
    text = build._c_source()
    files = sorted(CSRC.glob("*.c"))
    assert len(files) >= 5
    push, pop = text.index("diagnostic push"), text.index("diagnostic pop")
    for path in files:
        assert push < text.index(f'#line 1 "{path}"') < pop


def test_every_name_of_ours_has_the_one_prefix() -> None:
    """``nodetls_`` (``NODETLS_`` for constants and macros), never ``Nodetls_``."""
    sources = [*CSRC.glob("*.[ch]"), *(OPENSSL_DIR / "_cdefs").glob("*.py"),
               *(OPENSSL_DIR.parent / "engine").glob("*.py")]
    names = {m.group(0) for path in sources
             for m in re.finditer(r"\b(?i:nodetls)_\w+", path.read_text())}
    assert "nodetls_engine_new" in names and "NODETLS_HAS_ENGINE" in names
    assert sorted(n for n in names if not n.startswith(("nodetls_", "NODETLS_"))) == []


def test_no_function_of_the_c_is_exported() -> None:
    """Every C function is static: only cffi's wrappers call them, from the same unit."""
    definition = re.compile(r"^(?!static\b|typedef\b|#)[A-Za-z_][\w \*]*\b(\w+)\(", re.M)
    exported = [(path.name, m.group(1)) for path in sorted(CSRC.glob("*.c"))
                for m in definition.finditer(path.read_text())]
    assert exported == []
