"""Connection facts in the shapes Python's ``ssl`` module returns them.

Theory of operation.  ``nodetls.SSLObject`` answers the ``ssl.SSLObject`` getters from
the engine's ``SSL*``; the Node-shaped getters live in ``info.py``.  The few values
those do not give (a cipher's secret bits, the cipher list of a connection, a
session's lifetimes, the long names of certificate attributes) are read here, with
the same OpenSSL calls CPython's ``_ssl`` makes, so the tuples match the stdlib's.
"""

from __future__ import annotations

from dataclasses import dataclass

from nodetls._openssl import CData, ffi, lib
from nodetls.engine import info
from nodetls.engine.engine import TLSEngine

__all__ = ["SessionFields", "cipher_tuple", "connection_ciphers", "long_name", "session_fields"]


def _cipher_tuple(cipher: CData) -> tuple[str, str, int]:
    name = ffi.string(lib.SSL_CIPHER_get_name(cipher)).decode("ascii")
    version = ffi.string(lib.SSL_CIPHER_get_version(cipher)).decode("ascii")
    return name, version, int(lib.SSL_CIPHER_get_bits(cipher, ffi.NULL))


def cipher_tuple(engine: TLSEngine) -> tuple[str, str, int] | None:
    """``SSLObject.cipher()``: (name, protocol, secret bits); None before a cipher."""
    current = lib.SSL_get_current_cipher(engine._ssl)
    return None if current == ffi.NULL else _cipher_tuple(current)


def connection_ciphers(engine: TLSEngine) -> list[tuple[str, str, int]]:
    """The ciphers this connection can use (``SSL_get1_supported_ciphers``)."""
    stack = lib.SSL_get1_supported_ciphers(engine._ssl)
    if stack == ffi.NULL:
        return []
    try:
        return [_cipher_tuple(lib.sk_SSL_CIPHER_value(stack, i))
                for i in range(lib.sk_SSL_CIPHER_num(stack))]
    finally:
        lib.sk_SSL_CIPHER_free(stack)


@dataclass(frozen=True, slots=True)
class SessionFields:
    """What ``ssl.SSLSession`` exposes, read from a DER session."""

    id: bytes
    time: int
    timeout: int
    ticket_lifetime_hint: int
    has_ticket: bool


def session_fields(der: bytes) -> SessionFields | None:
    session = info.session_from_der(der)
    if session is None:
        return None
    session_id, _ = info.session_info(session)
    return SessionFields(
        id=session_id,
        time=int(lib.SSL_SESSION_get_time(session)),
        timeout=int(lib.SSL_SESSION_get_timeout(session)),
        ticket_lifetime_hint=int(lib.SSL_SESSION_get_ticket_lifetime_hint(session)),
        has_ticket=bool(lib.SSL_SESSION_has_ticket(session)),
    )


def long_name(short: str) -> str:
    """OpenSSL's long name of an attribute short name (``CN`` -> ``commonName``), as
    CPython names the fields of ``getpeercert()``; unknown names are kept."""
    nid = lib.OBJ_sn2nid(short.encode("ascii", "replace"))
    if nid == 0:
        return short
    name = lib.OBJ_nid2ln(nid)
    return short if name == ffi.NULL else str(ffi.string(name).decode("ascii"))
