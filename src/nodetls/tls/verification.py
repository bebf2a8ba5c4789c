"""The peer's verification for one ``TLSSocket``, and who decides it.

Theory of operation
-------------------
An ``Authorization`` holds what a socket asks of its peer (``request_cert``,
``reject_unauthorized``: Node's ``_requestCert``/``_rejectUnauthorized``, which
``renegotiate()`` may change) and the verdict (``authorized``, ``authorization_error``),
next to the socket's ``Lifecycle``.  It does not decide: when a handshake is done the
socket hands it to its ``SecureHook``, the object of whoever made the socket, which
runs before the user's ``'secure'`` listeners (Node registers its listener first):

* ``tls.connect``'s ``ClientVerifier`` (``connect.py``): DH size, the chain, the server's
  identity, then ``'secureConnect'``;
* ``tls.Server``'s ``ServerAuthorizer`` (``server.py``): the client's certificate when
  one was requested, then ``'secureConnection'``;
* ``SecurePair``'s (``secure_pair.py``): only the verdict.

A bare ``TLSSocket`` has no hook: it emits ``'secure'`` and stays SECURE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from nodetls.engine.verify import verify_failure
from nodetls.tls.errors import TLSCertVerificationError
from nodetls.tls.lifecycle import Lifecycle

if TYPE_CHECKING:
    from nodetls.tls.tls_socket import TLSSocket

__all__ = ["Authorization", "SecureHook"]


class Authorization:
    """One socket's verification policy and verdict."""

    __slots__ = ("_verify_result", "authorization_error", "authorized", "lifecycle",
                 "reject_unauthorized", "request_cert")

    def __init__(self, lifecycle: Lifecycle, request_cert: bool,
                 reject_unauthorized: bool) -> None:
        self.lifecycle = lifecycle
        self._verify_result = 0  # X509_V_OK until a handshake is done
        self.request_cert = request_cert  # ask the peer for a certificate (policy)
        self.reject_unauthorized = reject_unauthorized  # refuse a failed one (policy)
        self.authorized = False  # the verdict (Node's socket.authorized)
        self.authorization_error: str | None = None

    def handshake_done(self, verify_result: int) -> None:
        """The engine's verification result for the handshake just done."""
        self._verify_result = verify_result

    def verify_error(self) -> TLSCertVerificationError | None:
        """Node's ``handle.verifyError()``: the chain's verification failure, if any."""
        failure = verify_failure(self._verify_result)
        if failure is None:
            return None
        return TLSCertVerificationError(failure.message, failure.code,
                                        verify_code=failure.value)

    def grant(self) -> None:
        self.authorized = True

    def refuse(self, code: str | None) -> None:
        self.authorized = False
        self.authorization_error = code

    def set_policy(self, request_cert: bool, reject_unauthorized: bool) -> bool:
        """``renegotiate()``'s options; True when they changed (the engine must know)."""
        if (request_cert, reject_unauthorized) == (self.request_cert,
                                                   self.reject_unauthorized):
            return False
        self.request_cert, self.reject_unauthorized = request_cert, reject_unauthorized
        return True


class SecureHook(Protocol):
    """What the maker of a socket does once its handshakes are done."""

    @property
    def awaited_event(self) -> str:
        """What ``await sock`` waits for: ``'secureConnect'`` or ``'secure'``."""

    @property
    def owns_errors(self) -> bool:
        """True: TLS errors are the socket's ``'error'`` from the start (``tls.connect``)."""

    def attach(self, sock: TLSSocket, auth: Authorization) -> None:
        """The socket was just made."""

    def on_secure(self, sock: TLSSocket, auth: Authorization) -> None:
        """A handshake is done (each renegotiation too), before ``'secure'``'s listeners."""

    def on_session(self, sock: TLSSocket, auth: Authorization, der: bytes) -> None:
        """A client got a session (``'session'``)."""
