"""Build the cffi binding against the system OpenSSL 3 (out-of-line API mode).

Run by setuptools through ``setup.py``'s ``cffi_modules``; produces
``nodetls._openssl._binding``.  Two kinds of input, one per area of OpenSSL:

* ``_cdefs/<area>.py``  the cdef text cffi parses, as two strings (the pyca/cryptography
                        layout): ``TYPES`` (opaque types, structs, constants) and
                        ``FUNCTIONS`` (prototypes, macros declared as functions, and
                        ``extern "Python"`` callbacks).  All ``TYPES`` are declared before
                        all ``FUNCTIONS`` so that modules may use each other's types.
* ``csrc/<area>.c``     the C compiled into the module: small helpers for hot loops and
                        the static parts of callbacks.  ``csrc/nodetls.h`` holds what they
                        share (the OpenSSL >= 3.0 check, the includes, the ``STACK_OF``
                        typedefs).

The C source is one translation unit: the header, then every ``.c`` file in name order,
each after a ``#line`` directive so that compilers and debuggers name the real file.
cffi's generated wrappers follow; they call the C helpers, which are all ``static``.
The whole unit compiles with ``-Wall -Wextra``; our own files also with the stricter
warnings of ``_STRICT``, switched on for them alone (cffi's code casts away ``const``).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
from pathlib import Path
from types import ModuleType

from cffi import FFI

_HERE = Path(__file__).resolve().parent
_CDEFS = _HERE / "_cdefs"
_CSRC = _HERE / "csrc"

_WARNINGS = ["-Wall", "-Wextra"]
# Only for csrc/*.c: these catch silent int/size_t truncation, shadowed names and
# helpers that are not static.  Spelled so that GCC and Clang both know them.
_STRICT = [
    "-Wconversion", "-Wshadow", "-Wmissing-prototypes", "-Wstrict-prototypes",
    "-Wformat=2", "-Wundef", "-Wpointer-arith", "-Wvla",
]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_nodetls_cdef_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fragments() -> list[ModuleType]:
    return [_load(p) for p in sorted(_CDEFS.glob("*.py")) if not p.name.startswith("_")]


def _c_source() -> str:
    """The header, then csrc/*.c in name order under the strict warnings, each at its line 1."""
    parts = ['#include "nodetls.h"', "#pragma GCC diagnostic push"]
    parts += [f'#pragma GCC diagnostic warning "{flag}"' for flag in _STRICT]
    for path in sorted(_CSRC.glob("*.c")):
        quoted = str(path).replace("\\", "\\\\").replace('"', '\\"')
        parts += [f'#line 1 "{quoted}"', path.read_text()]
    # What follows is cffi's: its own warnings, and no file of ours to point at.
    parts += ["#pragma GCC diagnostic pop", '#line 1 "<cffi wrappers>"']
    return "\n".join(parts)


def _pkg_config() -> tuple[list[str], list[str]]:
    """Honour pkg-config for non-default OpenSSL locations; fall back to the defaults."""
    try:
        out = subprocess.run(
            ["pkg-config", "--cflags", "--libs", "openssl"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return [], []
    flags = shlex.split(out)
    include_dirs = [f[2:] for f in flags if f.startswith("-I")]
    library_dirs = [f[2:] for f in flags if f.startswith("-L")]
    return include_dirs, library_dirs


def _check_headers(include_dirs: list[str]) -> None:
    candidates = [*include_dirs, "/usr/include", "/usr/local/include"]
    extra = os.environ.get("CFLAGS", "")
    if "-I" in extra or any((Path(d) / "openssl" / "ssl.h").exists() for d in candidates):
        return
    raise SystemExit(
        "nodetls: OpenSSL 3 development headers not found (openssl/ssl.h).\n"
        "Install them first: Debian/Ubuntu `apt-get install libssl-dev`, "
        "Fedora `dnf install openssl-devel`, macOS `brew install openssl@3` "
        "and set CFLAGS/LDFLAGS."
    )


def build_ffi() -> FFI:
    fragments = _fragments()
    builder = FFI()
    builder.cdef("\n".join(f.TYPES for f in fragments))
    builder.cdef("\n".join(f.FUNCTIONS for f in fragments))
    include_dirs, library_dirs = _pkg_config()
    _check_headers(include_dirs)
    builder.set_source(
        "nodetls._openssl._binding",
        _c_source(),
        libraries=["ssl", "crypto"],  # ssl before crypto: link order matters
        include_dirs=[str(_CSRC), *include_dirs],
        extra_compile_args=_WARNINGS,
        library_dirs=library_dirs,
        py_limited_api=True,
    )
    return builder


ffibuilder = build_ffi()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
