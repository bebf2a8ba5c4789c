"""What a TLS engine tells its driver: small frozen values, returned in order.

Every engine method that drives OpenSSL returns the list of events it produced, in the
order they happened on the wire (a ``HandshakeDone`` from a renegotiation sits between
the ``AppData`` that came before and after it).  The names follow what Node's
``TLSWrap`` reports to JavaScript (``onhandshakestart``, ``onhandshakedone``,
``onnewsession``, ``onkeylog``, ``onocspresponse``, ``oncertcb``, ``onclienthello``,
``onerror``) so the ``tls`` layer maps them one to one.
"""

from __future__ import annotations

from dataclasses import dataclass

from nodetls.engine.errors import TLSError


@dataclass(frozen=True, slots=True)
class HandshakeStarted:
    """A handshake (the first, or a renegotiation) began: Node's ``onhandshakestart``."""


@dataclass(frozen=True, slots=True)
class HandshakeDone:
    """A handshake finished (the first and every renegotiation): ``onhandshakedone``."""


@dataclass(frozen=True, slots=True)
class AppData:
    """Decrypted application data, possibly many records joined."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CloseNotify:
    """The peer sent close_notify: no more data will come (Node's ``'end'``)."""


@dataclass(frozen=True, slots=True)
class TLSFailure:
    """A fatal TLS error; the connection is ``FAILED``.

    Any alert OpenSSL queued for the peer is still returned by ``data_to_send()``:
    flush it before closing the transport, as Node does.
    """

    error: TLSError


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session to cache (Node's ``'session'`` / ``'newSession'``).

    On a server with session callbacks enabled, the engine holds back its output until
    ``new_session_done()`` is called, as Node waits for the ``newSession`` callback.
    """

    session_id: bytes
    der: bytes


@dataclass(frozen=True, slots=True)
class ClientHelloPaused:
    """Server: the handshake waits at the ClientHello (Node's ``onclienthello``).

    Answer with ``resume_client_hello(session_der=...)`` (the ``resumeSession`` result).
    ``servername`` is the SNI name, or None when the client sent none.
    """

    servername: str | None
    session_id: bytes
    has_ticket: bool


@dataclass(frozen=True, slots=True)
class CertCallbackPaused:
    """Server: the handshake waits before choosing a certificate (Node's ``oncertcb``).

    Answer with ``cert_cb_done(context=..., ocsp_response=...)`` (SNICallback and
    OCSPRequest results).
    """

    servername: str | None
    ocsp_requested: bool


@dataclass(frozen=True, slots=True)
class KeylogLine:
    """One NSS key log line, with its trailing newline, as Node's ``'keylog'``."""

    line: bytes


@dataclass(frozen=True, slots=True)
class OCSPResponse:
    """Client that asked for OCSP: the stapled response, or None (``'OCSPResponse'``)."""

    data: bytes | None


Event = (
    HandshakeStarted
    | HandshakeDone
    | AppData
    | CloseNotify
    | TLSFailure
    | NewSession
    | ClientHelloPaused
    | CertCallbackPaused
    | KeylogLine
    | OCSPResponse
)
