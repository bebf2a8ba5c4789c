"""Build the cffi binding against the system OpenSSL 3 (out-of-line API mode).

Run by setuptools through ``setup.py``'s ``cffi_modules``; produces
``nodetls._openssl._binding``.  Declarations live in ``_cdefs/*.py``, one module per
area of OpenSSL, each defining four strings (the pyca/cryptography layout):

* ``INCLUDES``       C ``#include`` lines and local typedefs for the C source;
* ``TYPES``          cdef text: opaque types, structs and constants;
* ``FUNCTIONS``      cdef text: prototypes, macros declared as functions, and
                     ``extern "Python"`` callbacks;
* ``CUSTOMIZATIONS`` C code compiled into the module: small helpers for hot loops
                     and the static parts of callbacks.

All ``TYPES`` are declared before all ``FUNCTIONS`` so that fragments may use each
other's types.  Only OpenSSL >= 3.0 is supported: the C source refuses to compile
otherwise, with a message that says so.
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

_PRELUDE = """
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/opensslv.h>
#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3
#error "nodetls needs OpenSSL >= 3.0 headers (Debian/Ubuntu: apt-get install libssl-dev)"
#endif
"""


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_nodetls_cdef_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fragments() -> list[ModuleType]:
    return [_load(p) for p in sorted(_CDEFS.glob("*.py")) if not p.name.startswith("_")]


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
    source = "\n".join(
        [_PRELUDE]
        + [f.INCLUDES for f in fragments]
        + [f.CUSTOMIZATIONS for f in fragments]
    )
    builder.set_source(
        "nodetls._openssl._binding",
        source,
        libraries=["ssl", "crypto"],  # ssl before crypto: link order matters
        include_dirs=include_dirs,
        library_dirs=library_dirs,
        py_limited_api=True,
    )
    return builder


ffibuilder = build_ffi()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
