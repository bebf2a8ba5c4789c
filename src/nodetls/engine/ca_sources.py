"""Where trusted CA certificates come from: the kinds of Node's ``tls.getCACertificates``.

Theory of operation
-------------------
Three sources besides the bundled Mozilla roots (``trust_store.root_pems``):

* **extra**: the file that ``NODE_EXTRA_CA_CERTS`` names.  Node reads it once, at process
  start; here the variable and the file are read once, when this module is first
  imported (the package imports it), so changing the variable later has no effect, as in
  Node.  A file that cannot be read, or holds a malformed certificate, is a warning and
  not an error, in Node's words: "Ignoring extra certs from `FILE`, load failed: ERROR".
  The certificates read before the bad one are kept all the same, as Node v20 keeps them
  (its verification uses them despite the message).  Text around the PEM blocks is
  ignored, as OpenSSL's reader ignores it; so is a directory (Node reads nothing from it
  and says nothing).
* **system**: the operating system's store as OpenSSL finds it (Node's
  ``--use-system-ca`` on Linux): the file ``SSL_CERT_FILE`` names, else OpenSSL's built-in
  default (``/usr/lib/ssl/cert.pem`` on Debian), and every file in the directories of
  ``SSL_CERT_DIR`` (colon-separated), else the built-in ``certs`` directory.  Read once,
  lazily, on first use; a certificate found in several places (the bundle, its hashed
  links) is kept once; files that are not certificates are skipped silently.

Each source is a ``CaSource``: the parsed ``X509*`` (owned, for the stores) and the same
certificates as PEM strings in Node's ``rootCertificates`` shape (64-column base64, no
trailing newline), made from the DER so every kind looks alike.
"""

from __future__ import annotations

import base64
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from nodetls._openssl import CData, ErrorRecord, clear_errors, consume_errors, ffi, lib
from nodetls.engine.x509 import mem_bio, x509_to_der

__all__ = ["CaSource", "extra_certificates", "system_certificates"]


EXTRA_CA_CERTS_VARIABLE = "NODE_EXTRA_CA_CERTS"


@dataclass(frozen=True, slots=True)
class CaSource:
    """Certificates from one source: parsed (for a store) and as PEM strings."""

    certs: tuple[CData, ...] = ()
    pems: tuple[str, ...] = ()


def pem_of(der: bytes) -> str:
    """Node's PEM shape for one certificate (as ``tls.rootCertificates`` entries)."""
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"])


def read_pem_certificates(data: bytes) -> tuple[list[CData], ErrorRecord | None]:
    """Every certificate in ``data`` up to the first bad one, and that one's error (None
    if the input simply ran out: OpenSSL's "no start line")."""
    bio = mem_bio(data)
    certs: list[CData] = []
    clear_errors()
    while (cert := lib.PEM_read_bio_X509(bio, ffi.NULL, ffi.NULL, ffi.NULL)) != ffi.NULL:
        certs.append(ffi.gc(cert, lib.X509_free))
    records = consume_errors()
    first = records[0] if records else None
    if first is None or (first.lib_code == lib.ERR_LIB_PEM
                         and first.reason_code == lib.PEM_R_NO_START_LINE):
        return certs, None
    return certs, first


def _source(certs: list[CData]) -> CaSource:
    return CaSource(tuple(certs), tuple(pem_of(x509_to_der(cert)) for cert in certs))


# --- NODE_EXTRA_CA_CERTS: read once, at import ------------------------------------------------


def load_extra(path: str | None) -> CaSource:
    """The certificates of ``path`` (Node's ``NODE_EXTRA_CA_CERTS`` rules; see above)."""
    if not path:
        return CaSource()
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        return CaSource()  # OpenSSL opens a directory and reads nothing: Node says nothing
    except OSError as exc:
        _ignored(path, exc.strerror or str(exc))
        return CaSource()
    certs, error = read_pem_certificates(data)
    if error is not None:
        _ignored(path, error.message)
    return _source(certs)


def _ignored(path: str, reason: str) -> None:
    # Attributed to the variable, not to a line of ours: no frame of the user's is involved.
    warnings.warn_explicit(f"Ignoring extra certs from `{path}`, load failed: {reason}",
                           RuntimeWarning, EXTRA_CA_CERTS_VARIABLE, 0, module="nodetls")


_EXTRA = load_extra(os.environ.get(EXTRA_CA_CERTS_VARIABLE))


def extra_certificates() -> CaSource:
    """``NODE_EXTRA_CA_CERTS``'s certificates, as read when the package was imported."""
    return _EXTRA


# --- the operating system's store: read once, when first needed --------------------------------


_lock = threading.Lock()
_system: CaSource | None = None


def _default(env_name: CData, built_in: CData) -> str:
    value = os.environ.get(ffi.string(env_name).decode())
    return value if value else ffi.string(built_in).decode()


def system_paths() -> tuple[str, list[str]]:
    """The store's file and directories, as OpenSSL's default verify paths find them."""
    file = _default(lib.X509_get_default_cert_file_env(), lib.X509_get_default_cert_file())
    dirs = _default(lib.X509_get_default_cert_dir_env(), lib.X509_get_default_cert_dir())
    return file, [d for d in dirs.split(os.pathsep) if d]


def _system_files() -> list[Path]:
    file, dirs = system_paths()
    files = [Path(file)]
    for directory in dirs:
        try:
            files.extend(sorted(p for p in Path(directory).iterdir() if p.is_file()))
        except OSError:
            continue  # no such directory: nothing from it, as OpenSSL
    return files


def _load_system() -> CaSource:
    seen: set[bytes] = set()
    certs: list[CData] = []
    for path in _system_files():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for cert in read_pem_certificates(data)[0]:
            der = x509_to_der(cert)
            if der not in seen:
                seen.add(der)
                certs.append(cert)
    clear_errors()
    return _source(certs)


def system_certificates() -> CaSource:
    """The operating system's trusted certificates (read on the first call)."""
    global _system
    with _lock:
        if _system is None:
            _system = _load_system()
        return _system
