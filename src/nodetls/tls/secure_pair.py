"""The legacy ``tls.createSecurePair`` API (deprecated since Node 0.11: ``DEP0064``).

Node rebuilt ``SecurePair`` on ``TLSSocket`` (``lib/internal/tls/secure-pair.js``) and so
do we: a ``duplex_pair()`` joins ``encrypted`` (the ciphertext end, to be piped to and
from any transport) to a ``TLSSocket`` (``cleartext``) that reads and writes the other
end.  The pair is an ``EventEmitter`` that emits ``'secure'`` once the handshake is done.

``encrypted`` and ``cleartext`` stand in for the old ``CryptoStream`` objects; their
``bytes_written`` (deprecated with the ``CryptoStream`` class: ``DEP0042``) counts the
bytes each has written.
"""

from __future__ import annotations

from typing import Any

from nodetls.node.duplexpair import DuplexSocket
from nodetls.node.events import EventEmitter
from nodetls.node.writable import WriteCallback
from nodetls.tls._deprecation import deprecate_once
from nodetls.tls.secure_context import SecureContext, create_secure_context
from nodetls.tls.tls_socket import TLSSocket

__all__ = ["EncryptedStream", "SecurePair", "create_secure_pair"]


class EncryptedStream(DuplexSocket):
    """The ciphertext end of a ``SecurePair`` (Node's ``DuplexSocket``)."""

    __slots__ = ("_written",)

    def __init__(self) -> None:
        super().__init__()
        self._written = 0

    def _write(self, chunk: Any, cb: WriteCallback) -> None:
        self._written += len(chunk)
        if not len(chunk):  # Node: an empty write completes without reaching the peer
            cb(None)
            return
        super()._write(chunk, cb)

    @property
    def bytes_written(self) -> int:
        """Deprecated (``DEP0042``, ``CryptoStream``): bytes written so far."""
        deprecate_once("DEP0042", "tls.CryptoStream is deprecated. Please use "
                                  "tls.TLSSocket instead.")
        return self._written


class SecurePair(EventEmitter):
    """``cleartext`` (a ``TLSSocket``) and ``encrypted`` (a Duplex of ciphertext)."""

    __slots__ = ("cleartext", "credentials", "encrypted", "server")

    def __init__(self, context: SecureContext | None = None, is_server: bool = False,
                 request_cert: bool | None = None, reject_unauthorized: bool = False,
                 **options: Any) -> None:
        super().__init__()
        if context is None:
            context = create_secure_context()
        if request_cert is None:
            request_cert = not is_server
        encrypted, inner = EncryptedStream(), EncryptedStream()
        encrypted._other, inner._other = inner, encrypted
        self.server = options.get("server")
        self.credentials = context
        self.encrypted = encrypted
        self.cleartext = TLSSocket(inner, secure_context=context, is_server=is_server,
                                   request_cert=request_cert,
                                   reject_unauthorized=reject_unauthorized, **options)
        self.cleartext.once("secure", lambda: self.emit("secure"))

    def destroy(self) -> None:
        self.cleartext.destroy()
        self.encrypted.destroy()


def create_secure_pair(context: SecureContext | None = None, is_server: bool = False,
                       request_cert: bool | None = None, reject_unauthorized: bool = False,
                       **options: Any) -> SecurePair:
    """Deprecated (``DEP0064``): a ``SecurePair``; use ``TLSSocket`` instead."""
    deprecate_once("DEP0064", "tls.createSecurePair() is deprecated. Please use "
                              "tls.TLSSocket instead.")
    return SecurePair(context, is_server, request_cert, reject_unauthorized, **options)
