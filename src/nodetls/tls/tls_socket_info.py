"""The ``TLSSocket`` methods that read or tweak the connection (a mixin).

Node proxies most of them straight to the native handle and returns ``null`` when the
socket has no handle any more (destroyed); here they ask the ``TLSEngine`` and return
None.  The actions Node calls on the handle without that test (``setMaxSendFragment``,
``exportKeyingMaterial``, ``setSession``, ``setServername``, ``setKeyCert``) throw V8's
``TypeError`` "Cannot read properties of null (reading 'setSession')" after close, and
so do they here (a plain ``TypeError``, no ``code``, as in Node).  Argument checks come
first and raise Node's errors, as Node validates before it looks at the handle.  The
certificate getters build Node's plain objects with ``engine.certinfo`` (``{}`` when the
peer sent no certificate).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from nodetls.engine.certinfo import CertObject
from nodetls.engine.errors import EngineStateError, TLSError
from nodetls.node.validators import (
    validate_buffer,
    validate_int32,
    validate_string,
    validate_uint32,
)
from nodetls.tls.errors import ERR_TLS_INVALID_STATE, ERR_TLS_SNI_FROM_SERVER
from nodetls.tls.options import SecureContextOptions
from nodetls.tls.secure_context import SecureContext, secure_context_from_options
from nodetls.tls.socket_config import session_buffer
from nodetls.tls.x509_certificate import X509Certificate

if TYPE_CHECKING:
    from nodetls.engine import TLSEngine
    from nodetls.tls.lifecycle import Lifecycle
    from nodetls.tls.socket_config import SocketConfig
    from nodetls.tls.tls_handle import TLSHandle

__all__ = ["TLSSocketInfo"]


def _no_handle(method: str) -> TypeError:
    """What Node throws when ``method`` is called on the handle of a closed socket."""
    return TypeError(f"Cannot read properties of null (reading '{method}')")


class TLSSocketInfo:
    """Getters and small actions of ``TLSSocket`` (mixed into it)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _config: SocketConfig
        _lifecycle: Lifecycle
        _unwrapped_engine: TLSEngine | None

        def _tls(self) -> TLSHandle | None: ...

    def _engine(self) -> TLSEngine | None:
        tls = self._tls()
        return tls.engine if tls is not None else self._unwrapped_engine

    # --- certificates -----------------------------------------------------------------------

    def get_peer_certificate(self, detailed: bool = False) -> CertObject | None:
        """The peer's certificate as Node's object; ``{}`` without one, None when closed.

        With ``detailed``, ``issuerCertificate`` links up the chain (a self-signed root
        points at itself)."""
        engine = self._engine()
        if engine is None:
            return None
        return engine.peer_certificate(bool(detailed))

    def get_certificate(self) -> CertObject | None:
        """This side's certificate as Node's object (``{}`` without one)."""
        engine = self._engine()
        if engine is None:
            return None
        return engine.certificate()

    def get_peer_x509_certificate(self) -> X509Certificate | None:
        """The peer's certificate as an ``X509Certificate``; None without one."""
        cert = self.get_peer_certificate()
        return X509Certificate(cert) if cert else None

    def get_x509_certificate(self) -> X509Certificate | None:
        """This side's certificate as an ``X509Certificate``; None without one."""
        cert = self.get_certificate()
        return X509Certificate(cert) if cert else None

    # --- connection parameters ----------------------------------------------------------------

    def get_cipher(self) -> dict[str, str | None] | None:
        """``{'name', 'standardName', 'version'}``; None before the handshake."""
        engine = self._engine()
        return engine.cipher() if engine is not None else None

    def get_protocol(self) -> str | None:
        """``'TLSv1.3'``, ``'TLSv1.2'``, ... (before the handshake: the highest enabled)."""
        engine = self._engine()
        return engine.protocol if engine is not None else None

    def get_ephemeral_key_info(self) -> dict[str, str | int] | None:
        """Client: ``{'type', 'name', 'size'}`` of the key exchange (``{}`` before);
        server: None."""
        engine = self._engine()
        return engine.ephemeral_key_info() if engine is not None else None

    def get_finished(self) -> bytes | None:
        engine = self._engine()
        return engine.finished() if engine is not None else None

    def get_peer_finished(self) -> bytes | None:
        engine = self._engine()
        return engine.peer_finished() if engine is not None else None

    def get_shared_sigalgs(self) -> list[str] | None:
        engine = self._engine()
        return engine.shared_sigalgs() if engine is not None else None

    def get_session(self) -> bytes | None:
        """The session (DER ``SSL_SESSION``) to pass as ``session=`` for resumption."""
        engine = self._engine()
        return engine.session() if engine is not None else None

    def get_tls_ticket(self) -> bytes | None:
        engine = self._engine()
        return engine.tls_ticket() if engine is not None else None

    def is_session_reused(self) -> bool | None:
        """Whether the session was resumed; None when closed (Node's ``null``)."""
        engine = self._engine()
        return engine.is_session_reused() if engine is not None else None

    def export_keying_material(self, length: int, label: str,
                               context: bytes | None = None) -> bytes:
        """RFC 5705 keying material; ``ERR_TLS_INVALID_STATE`` before the handshake,
        ``TypeError`` after close (as Node)."""
        validate_uint32(length, "length", True)
        validate_string(label, "label")
        if context is not None:
            validate_buffer(context, "context")
        if not self._lifecycle.handshake_done:
            raise ERR_TLS_INVALID_STATE()
        engine = self._engine()
        if engine is None:
            raise _no_handle("exportKeyingMaterial")
        try:
            return engine.export_keying_material(length, label,
                                                 bytes(context) if context is not None else None)
        except EngineStateError:
            raise ERR_TLS_INVALID_STATE() from None

    # --- small actions ----------------------------------------------------------------------

    def set_max_send_fragment(self, size: int) -> bool:
        """True if 512 <= ``size`` <= 16384 was accepted."""
        validate_int32(size, "size")
        engine = self._engine()
        if engine is None:
            raise _no_handle("setMaxSendFragment")
        return engine.set_max_send_fragment(size)

    def set_servername(self, name: str) -> None:
        """Client, before the handshake: the SNI name to send."""
        validate_string(name, "name")
        if self._config.is_server:
            raise ERR_TLS_SNI_FROM_SERVER()
        engine = self._engine()
        if engine is None:
            raise _no_handle("setServername")
        # Node ignores SSL_set_tlsext_host_name's refusal (a NUL in the name, more
        # than 255 bytes): the ClientHello then carries no SNI.
        with contextlib.suppress(TLSError):
            engine.set_servername(name)

    def set_session(self, session: bytes | str) -> None:
        """Client, before the handshake: a session to resume (a string is latin-1)."""
        if isinstance(session, str):
            session = session.encode("latin-1")
        der = session_buffer(session)
        engine = self._engine()
        if engine is None:
            raise _no_handle("setSession")
        engine.set_session(der)

    def set_key_cert(self, context: SecureContext | SecureContextOptions) -> None:
        """Use the certificate and key of ``context`` (a ``SecureContext`` or its options)."""
        engine = self._engine()
        if engine is None:
            raise _no_handle("setKeyCert")
        if not isinstance(context, SecureContext):
            context = secure_context_from_options(context)
        engine.use_context(context.context)

    def enable_trace(self) -> None:
        """Print OpenSSL's trace of this connection to stderr."""
        engine = self._engine()
        if engine is not None:
            engine.enable_trace()
