"""``tls.rootCertificates``: the bundled Mozilla roots, as an immutable tuple of PEM strings.

Node compiles its copy of Mozilla's CA store into the binary and exposes it as a frozen
array, built on first access and the same object afterwards.  We take the list from
``certifi`` (the same Mozilla store, packaged for Python), so the entries follow the
installed certifi release rather than Node's; the shape is Node's: one string per
certificate, ``-----BEGIN CERTIFICATE-----`` ... ``-----END CERTIFICATE-----`` without a
trailing newline.  ``NODE_EXTRA_CA_CERTS``-style additions never appear here, as in Node.

The parsing lives in ``engine.trust_store``, which also builds the shared ``X509_STORE``
that contexts without ``ca`` use, so both always agree.
"""

from __future__ import annotations

from nodetls.engine.trust_store import root_pems

__all__ = ["root_certificates"]


def root_certificates() -> tuple[str, ...]:
    """The bundled roots (cached: every call returns the same tuple)."""
    return root_pems()
