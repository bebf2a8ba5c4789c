"""What a connection negotiated: the read-only accessors of ``TLSEngine`` (a base class).

Theory of operation.  Each accessor asks OpenSSL about the live ``SSL*`` through
``info``, ``certinfo`` and ``x509`` and returns plain Python values (``str``,
``bytes``, Node's certificate objects, DER): the pointers stay in the engine layer.
Before the handshake they give what Node gives (None, ``{}``, the method's maximum
protocol).
"""

from __future__ import annotations

from nodetls._openssl import CData, ffi, lib
from nodetls.engine import certinfo, info
from nodetls.engine.certinfo import CertObject
from nodetls.engine.errors import EngineStateError
from nodetls.engine.state import HANDSHAKE_STATES, ConnectionState
from nodetls.engine.x509 import own_x509, x509_stack_to_list, x509_to_der


class EngineAccessors:
    """Getters of ``TLSEngine``; the attributes live in ``TLSEngine``'s slots."""

    __slots__ = ()

    _ssl: CData
    _is_server: bool
    _state: ConnectionState

    @property
    def protocol(self) -> str:
        return info.protocol(self._ssl)

    def cipher(self) -> dict[str, str | None] | None:
        return info.cipher(self._ssl)

    def ephemeral_key_info(self) -> dict[str, str | int] | None:
        """Client: the server's key exchange key (``{}`` if none); server: None."""
        return None if self._is_server else info.ephemeral_key_info(self._ssl)

    def peer_dh_bits(self) -> int | None:
        return None if self._is_server else info.peer_dh_bits(self._ssl)

    def finished(self) -> bytes | None:
        return info.finished(self._ssl, peer=False)

    def peer_finished(self) -> bytes | None:
        return info.finished(self._ssl, peer=True)

    def export_keying_material(self, length: int, label: bytes | str,
                               context: bytes | None = None) -> bytes:
        if self._state in HANDSHAKE_STATES or self._state is ConnectionState.FAILED:
            raise EngineStateError("TLS socket connection must be securely established")
        raw = label.encode("utf-8") if isinstance(label, str) else bytes(label)
        return info.export_keying_material(self._ssl, length, raw, context)

    def shared_sigalgs(self) -> list[str]:
        return info.shared_sigalgs(self._ssl)

    def session(self) -> bytes | None:
        return info.session_der(self._ssl)

    def tls_ticket(self) -> bytes | None:
        return info.tls_ticket(self._ssl)

    def is_session_reused(self) -> bool:
        return bool(lib.SSL_session_reused(self._ssl))

    def servername(self) -> str | None:
        return info.servername(self._ssl)

    def alpn_protocol(self) -> str | None:
        return info.alpn_protocol(self._ssl)

    def npn_protocol(self) -> str | None:
        return info.npn_protocol(self._ssl)

    def npn_selected(self) -> bool | None:
        """Client: True if NPN found a protocol both sides list, False if the server
        advertised NPN without overlap (the client then asked for its own first choice,
        or 'http/1.1' without a list), None if the server advertised no NPN."""
        status = int(lib.nodetls_engine_npn_status(self._ssl))
        return None if status < 0 else status == lib.OPENSSL_NPN_NEGOTIATED

    def verify_result(self) -> int:
        """X509 verify code of the peer (0 = ok); Node's ``VerifyPeerCertificate``:
        no certificate is ``UNABLE_TO_GET_ISSUER_CERT`` except for PSK and resumed
        TLS 1.3 sessions."""
        return int(lib.nodetls_engine_verify_error(self._ssl))

    # ------------------------------------------------------- certificates
    # Plain values only: the X509 pointers stay in this layer (``certinfo``/``x509``).
    def peer_certificate(self, detailed: bool = False) -> CertObject:
        """Node's ``getPeerCertificate(detailed)`` object; ``{}`` without a peer cert.
        Issuers the peer did not send come from the store of the context in use."""
        return certinfo.ssl_peer_certificate(self._ssl, detailed)

    def certificate(self) -> CertObject:
        """Node's ``getCertificate()`` object of this side; ``{}`` without one."""
        return certinfo.ssl_certificate(self._ssl)

    def peer_certificate_der(self) -> bytes | None:
        """DER of the peer's leaf certificate (both sides), None without one."""
        cert = lib.SSL_get1_peer_certificate(self._ssl)
        return None if cert == ffi.NULL else x509_to_der(own_x509(cert, borrowed=False))

    def peer_chain_der(self) -> list[bytes]:
        """DER of the chain the peer sent (a server's excludes the leaf, as OpenSSL's)."""
        return [x509_to_der(c) for c in x509_stack_to_list(lib.SSL_get_peer_cert_chain(self._ssl))]

    def certificate_der(self) -> bytes | None:
        """DER of this side's certificate, None without one."""
        cert = lib.SSL_get_certificate(self._ssl)
        return None if cert == ffi.NULL else x509_to_der(cert)
