"""``tls.getCACertificates(type)`` (Node v22.15+/v23.10+): the CA certificates by source.

* ``'default'``: what a context without ``ca`` trusts: the bundled roots, then
  ``NODE_EXTRA_CA_CERTS``'s certificates (Node adds the OS store here too when it runs
  with ``--use-system-ca``; here that is the per-context ``use_system_ca`` option, so
  ``'default'`` is the store of a context without it);
* ``'bundled'``: the bundled roots, the very tuple ``tls.root_certificates`` is;
* ``'system'``: the operating system's store as OpenSSL finds it (``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR`` or OpenSSL's built-in paths), whether or not a context uses it;
* ``'extra'``: ``NODE_EXTRA_CA_CERTS``'s certificates, read once at start (empty if unset).

Each is a tuple of PEM strings in ``root_certificates``' shape, built once and the same
object afterwards (Node caches its arrays too).  Another value is Node's
``ERR_INVALID_ARG_VALUE``; a non-string, ``ERR_INVALID_ARG_TYPE``.
"""

from __future__ import annotations

import threading

from nodetls.engine.ca_sources import extra_certificates, system_certificates
from nodetls.engine.trust_store import root_pems
from nodetls.node.errors import ERR_INVALID_ARG_VALUE
from nodetls.node.validators import validate_string

__all__ = ["get_ca_certificates"]

_lock = threading.Lock()
_default: tuple[str, ...] | None = None


def _default_certificates() -> tuple[str, ...]:
    global _default
    with _lock:
        if _default is None:
            _default = root_pems() + extra_certificates().pems
        return _default


def get_ca_certificates(kind: str = "default") -> tuple[str, ...]:
    """The CA certificates of one source, as PEM strings (Node's ``getCACertificates``)."""
    validate_string(kind, "type")
    if kind == "default":
        return _default_certificates()
    if kind == "bundled":
        return root_pems()
    if kind == "system":
        return system_certificates().pems
    if kind == "extra":
        return extra_certificates().pems
    raise ERR_INVALID_ARG_VALUE("type", kind)
