"""The legacy ``tls.createSecurePair`` API (deprecated since Node 0.11: ``DEP0064``).

Node rebuilt ``SecurePair`` on ``TLSSocket`` (``lib/internal/tls/secure-pair.js``) and so
do we: a ``duplex_pair()`` joins ``encrypted`` (the ciphertext end, to be piped to and
from any transport) to a ``TLSSocket`` (``cleartext``) that reads and writes the other
end.  The pair is an ``EventEmitter`` that emits ``'secure'`` once the handshake is done.

Two things the v0.6-v4 docs describe and Node v20 lost are kept (Node v20's pair has no
``_start`` for a client, so a client-mode pair never sends its ClientHello, and nothing
sets ``cleartext.authorized``):

* a client-mode pair (``is_server=False``) starts its handshake at once: its ClientHello
  is the first thing ``encrypted`` emits;
* before ``'secure'``, ``cleartext.authorized`` is decided as the docs ask the reader to
  check it: a client, by the chain verification against the context's CAs (and, if the
  pair has a ``servername``, ``check_server_identity``); a server, only if it asked for a
  certificate (``request_cert``), by that certificate's verification.  A failure sets
  ``authorization_error``, and with ``reject_unauthorized`` destroys ``cleartext`` with it.

``encrypted`` stands in for the old ``CryptoStream``; its ``bytes_written`` (deprecated
with the ``CryptoStream`` class: ``DEP0042``) is what the docs say, the bytes written
toward the underlying socket (the ciphertext ``encrypted`` emits, TLS overhead included).
``cleartext`` is a ``TLSSocket`` and keeps its ``bytes_written``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nodetls.node.duplexpair import DuplexSocket
from nodetls.node.events import EventEmitter
from nodetls.node.writable import WriteCallback
from nodetls.tls._deprecation import deprecate_once
from nodetls.tls.identity import check_server_identity
from nodetls.tls.secure_context import SecureContext, create_secure_context
from nodetls.tls.socket_config import check_options, socket_config
from nodetls.tls.tls_socket import TLSSocket, new_socket, start_handshake
from nodetls.tls.verification import Authorization

__all__ = ["EncryptedStream", "SecurePair", "create_secure_pair"]


class EncryptedStream(DuplexSocket):
    """The ciphertext end of a ``SecurePair`` (Node's ``DuplexSocket``); ``cleartext``
    reads and writes another one, whose ``_written`` counts the records TLS produced."""

    __slots__ = ("_written",)

    def __init__(self) -> None:
        super().__init__()
        self._written = 0  # bytes written into this end (its peer reads them)

    def _write(self, chunk: Any, cb: WriteCallback) -> None:
        self._written += len(chunk)
        if not len(chunk):  # Node: an empty write completes without reaching the peer
            cb(None)
            return
        super()._write(chunk, cb)

    @classmethod
    def linked(cls) -> tuple[EncryptedStream, EncryptedStream]:
        """Two ends, each reading what the other is written."""
        one, two = cls(), cls()
        one._other, two._other = two, one
        return one, two

    @property
    def bytes_written(self) -> int:
        """Deprecated (``DEP0042``, ``CryptoStream``): the bytes written to the underlying
        socket so far, TLS overhead included: what the TLS side wrote for this end to emit."""
        deprecate_once("DEP0042", "tls.CryptoStream is deprecated. Please use "
                                  "tls.TLSSocket instead.")
        other = self._other
        return other._written if isinstance(other, EncryptedStream) else 0


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
        encrypted, inner = EncryptedStream.linked()
        self.server = options.get("server")
        self.credentials = context
        self.encrypted = encrypted
        tls_options = {"secure_context": context, "is_server": is_server,
                       "request_cert": request_cert,
                       "reject_unauthorized": reject_unauthorized, **options}
        check_options(tls_options, "TLSSocket")
        hook = _PairAuthorizer(is_server, bool(reject_unauthorized), options.get("servername"))
        self.cleartext = cleartext = new_socket(socket_config(tls_options), inner, hook=hook,
                                                stream_options=tls_options)
        cleartext.once("secure", lambda: self.emit("secure"))
        if not is_server:
            start_handshake(cleartext)

    def destroy(self) -> None:
        self.cleartext.destroy()
        self.encrypted.destroy()


class _PairAuthorizer:
    """A pair's ``SecureHook``: decides ``cleartext.authorized`` (see the module
    docstring) before the ``'secure'`` listeners; it announces nothing."""

    __slots__ = ("is_server", "reject_unauthorized", "servername")

    awaited_event: ClassVar[str] = "secure"
    owns_errors: ClassVar[bool] = False

    def __init__(self, is_server: bool, reject_unauthorized: bool, servername: Any) -> None:
        self.is_server = is_server
        self.reject_unauthorized = reject_unauthorized
        self.servername = servername

    def attach(self, sock: TLSSocket, auth: Authorization) -> None:
        pass

    def on_session(self, sock: TLSSocket, auth: Authorization, der: bytes) -> None:
        pass  # a pair's cleartext emits no 'session' (as a bare TLSSocket)

    def on_secure(self, sock: TLSSocket, auth: Authorization) -> None:
        if self.is_server and not auth.request_cert:
            return
        error: BaseException | None = auth.verify_error()
        if error is None and self.servername and not self.is_server:
            cert = sock.get_peer_certificate(True) or {}
            error = check_server_identity(self.servername, cert)
        if error is None:
            auth.grant()
            return
        auth.authorization_error = getattr(error, "code", None) or str(error)
        if self.reject_unauthorized:
            sock.destroy(error)


def create_secure_pair(context: SecureContext | None = None, is_server: bool = False,
                       request_cert: bool | None = None, reject_unauthorized: bool = False,
                       **options: Any) -> SecurePair:
    """Deprecated (``DEP0064``): a ``SecurePair``; use ``TLSSocket`` instead."""
    deprecate_once("DEP0064", "tls.createSecurePair() is deprecated. Please use "
                              "tls.TLSSocket instead.")
    return SecurePair(context, is_server, request_cert, reject_unauthorized, **options)
