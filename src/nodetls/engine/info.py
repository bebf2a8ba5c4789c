"""Read-only facts about a connection, in the shapes Node's ``TLSWrap`` returns them.

Each function takes the ``SSL*`` and returns plain Python values: the engine's
accessors are one-line wrappers around these.  Where Node returns ``undefined`` we
return None; the ``tls`` layer turns None into ``False`` where Node says ``false``
(``servername``, ``alpnProtocol``).  The shapes were checked against Node v20.20.2 on
the same OpenSSL (see ``tests/engine/test_accessors.py``).
"""

from __future__ import annotations

from nodetls._openssl import CData, clear_errors, consume_errors, ffi, lib
from nodetls.engine.errors import TLSError

_MAX_FINISHED = 64  # EVP_MAX_MD_SIZE: the longest Finished verify_data

# Node's GetSharedSigalgs names the signature part itself for these; the rest use
# OpenSSL's short name (which already gives 'gost2001', 'gost2012_256', ...).
_SIGN_NAMES = {
    lib.EVP_PKEY_RSA: "RSA",
    lib.EVP_PKEY_RSA_PSS: "RSA-PSS",
    lib.EVP_PKEY_DSA: "DSA",
    lib.EVP_PKEY_EC: "ECDSA",
    lib.EVP_PKEY_ED25519: "Ed25519",
    lib.EVP_PKEY_ED448: "Ed448",
}
_ECDH_TYPES = frozenset({lib.EVP_PKEY_EC, lib.EVP_PKEY_X25519, lib.EVP_PKEY_X448})


def _text(ptr: CData) -> str | None:
    # OpenSSL's names are ASCII; Node reads them as one-byte strings (latin-1).
    return None if ptr == ffi.NULL else ffi.string(ptr).decode("latin-1")


def protocol(ssl: CData) -> str:
    """``SSL_get_version``: 'TLSv1.3', ...; before the handshake the method's maximum."""
    return _text(lib.SSL_get_version(ssl)) or "unknown"


def cipher(ssl: CData) -> dict[str, str | None] | None:
    """Node's ``getCipher()``: ``{name, standardName, version}``, None before a cipher."""
    current = lib.SSL_get_current_cipher(ssl)
    if current == ffi.NULL:
        return None
    return {
        "name": _text(lib.SSL_CIPHER_get_name(current)),
        "standardName": _text(lib.SSL_CIPHER_standard_name(current)),
        "version": _text(lib.SSL_CIPHER_get_version(current)),
    }


def ephemeral_key_info(ssl: CData) -> dict[str, str | int]:
    """Node's ``GetEphemeralKey`` (client side): the server's key exchange key.

    ``{'type': 'ECDH', 'name': 'X25519', 'size': 253}``, ``{'type': 'DH', 'size': 2048}``,
    or ``{}`` when there is none (before the handshake, RSA key exchange).
    """
    out = ffi.new("int[3]")
    if not lib.nodetls_engine_peer_tmp_key(ssl, out, out + 1, out + 2):
        clear_errors()
        return {}
    kind, bits, nid = out[0], out[1], out[2]
    if kind == lib.EVP_PKEY_DH:
        return {"type": "DH", "size": bits}
    if kind in _ECDH_TYPES:
        return {"type": "ECDH", "name": _text(lib.OBJ_nid2sn(nid)) or "", "size": bits}
    return {}


def peer_dh_bits(ssl: CData) -> int | None:
    """Size of the server's finite-field DH key, for ``minDHSize``; None if not DH."""
    info = ephemeral_key_info(ssl)
    size = info.get("size") if info.get("type") == "DH" else None
    return size if isinstance(size, int) else None


def finished(ssl: CData, *, peer: bool) -> bytes | None:
    """The (peer's) Finished verify_data: 12 bytes in TLS 1.2, the hash size in 1.3."""
    buf = ffi.new("unsigned char[]", _MAX_FINISHED)
    get = lib.SSL_get_peer_finished if peer else lib.SSL_get_finished
    n = get(ssl, buf, _MAX_FINISHED)
    return bytes(ffi.buffer(buf, min(n, _MAX_FINISHED))) if n else None


def export_keying_material(ssl: CData, length: int, label: bytes,
                           context: bytes | None) -> bytes:
    """RFC 5705 / 8446 exporter; raises ``TLSError`` when OpenSSL refuses."""
    out = ffi.new("unsigned char[]", max(length, 1))
    ctx = context if context is not None else b""
    clear_errors()
    ok = lib.SSL_export_keying_material(ssl, out, length, label, len(label),
                                        ctx, len(ctx), 1 if context is not None else 0)
    if ok != 1:
        raise TLSError(consume_errors(), "SSL_export_keying_material")
    return bytes(ffi.buffer(out, length))


def shared_sigalgs(ssl: CData) -> list[str]:
    """Node's ``getSharedSigalgs()``: 'RSA-PSS+SHA256', 'ECDSA+SHA256', 'Ed25519+UNDEF'."""
    count = lib.SSL_get_shared_sigalgs(ssl, 0, ffi.NULL, ffi.NULL, ffi.NULL,
                                       ffi.NULL, ffi.NULL)
    sign, digest = ffi.new("int *"), ffi.new("int *")
    names = []
    for i in range(count):
        lib.SSL_get_shared_sigalgs(ssl, i, sign, digest, ffi.NULL, ffi.NULL, ffi.NULL)
        head = _SIGN_NAMES.get(sign[0]) or _text(lib.OBJ_nid2sn(sign[0])) or "UNDEF"
        names.append(f"{head}+{_text(lib.OBJ_nid2sn(digest[0])) or 'UNDEF'}")
    return names


def session_der(ssl: CData) -> bytes | None:
    """``i2d_SSL_SESSION`` of the current session (Node's ``getSession()``)."""
    session = lib.SSL_get_session(ssl)
    if session == ffi.NULL:
        return None
    size = lib.i2d_SSL_SESSION(session, ffi.NULL)
    if size <= 0:
        return None
    buf = ffi.new("unsigned char[]", size)
    lib.i2d_SSL_SESSION(session, ffi.new("unsigned char **", buf))
    return bytes(ffi.buffer(buf, size))


def session_from_der(der: bytes) -> CData | None:
    """An owned ``SSL_SESSION*`` from DER, or None if OpenSSL cannot parse it."""
    buf = ffi.from_buffer(der)
    clear_errors()
    session = lib.d2i_SSL_SESSION(ffi.NULL, ffi.new("const unsigned char **", buf), len(buf))
    if session == ffi.NULL:
        clear_errors()
        return None
    return ffi.gc(session, lib.SSL_SESSION_free)


def session_info(session: CData) -> tuple[bytes, bytes]:
    """(session id, DER) of a session OpenSSL hands to the new-session callback."""
    id_len = ffi.new("unsigned int *")
    id_ptr = lib.SSL_SESSION_get_id(session, id_len)
    size = lib.i2d_SSL_SESSION(session, ffi.NULL)
    buf = ffi.new("unsigned char[]", max(size, 1))
    lib.i2d_SSL_SESSION(session, ffi.new("unsigned char **", buf))
    return bytes(ffi.buffer(id_ptr, id_len[0])), bytes(ffi.buffer(buf, size))


def tls_ticket(ssl: CData) -> bytes | None:
    """The session ticket the server gave us (Node's ``getTLSTicket()``), or None."""
    session = lib.SSL_get_session(ssl)
    if session == ffi.NULL:
        return None
    ticket = ffi.new("const unsigned char **")
    length = ffi.new("size_t *")
    lib.SSL_SESSION_get0_ticket(session, ticket, length)
    return None if ticket[0] == ffi.NULL else bytes(ffi.buffer(ticket[0], length[0]))


def servername(ssl: CData) -> str | None:
    return _text(lib.SSL_get_servername(ssl, lib.TLSEXT_NAMETYPE_host_name))


def alpn_protocol(ssl: CData) -> str | None:
    data = ffi.new("const unsigned char **")
    length = ffi.new("unsigned int *")
    lib.SSL_get0_alpn_selected(ssl, data, length)
    if length[0] == 0:
        return None
    return bytes(ffi.buffer(data[0], length[0])).decode("latin-1")


def npn_protocol(ssl: CData) -> str | None:
    data = ffi.new("const unsigned char **")
    length = ffi.new("unsigned int *")
    lib.SSL_get0_next_proto_negotiated(ssl, data, length)
    if length[0] == 0:
        return None
    return bytes(ffi.buffer(data[0], length[0])).decode("latin-1")


def ocsp_response(ssl: CData) -> bytes | None:
    """The stapled OCSP response the server sent (client side), or None."""
    data = ffi.new("const unsigned char **")
    length = lib.SSL_get_tlsext_status_ocsp_resp(ssl, data)
    if data[0] == ffi.NULL or length < 0:
        return None
    return bytes(ffi.buffer(data[0], length))


def client_hello(ssl: CData) -> tuple[str | None, bytes, bool]:
    """(servername, session id, has a non-empty session ticket) of a ClientHello.

    What Node's ClientHello parser reports to ``onclienthello``, with one fix (Node
    issue #60847): on a server with ``SSL_OP_NO_TICKET``, a TLS 1.3 client resumes with
    a *stateful* ticket whose identity, in the pre_shared_key extension, is the 32-byte
    session id OpenSSL will look up through the get-session callback.  That identity is
    the session id reported here; the legacy session id of a TLS 1.3 ClientHello is
    random and never matches.
    """
    name = ffi.new("const unsigned char **")
    name_len = lib.nodetls_engine_client_hello_servername(ssl, name)
    host = bytes(ffi.buffer(name[0], name_len)).decode("latin-1") if name_len else None
    ext = ffi.new("const unsigned char **")
    ext_len = ffi.new("size_t *")
    session_id = _stateful_psk_identity(ssl, ext, ext_len)
    if session_id is None:
        sid = ffi.new("const unsigned char **")
        sid_len = lib.SSL_client_hello_get0_session_id(ssl, sid)
        session_id = bytes(ffi.buffer(sid[0], sid_len)) if sid_len else b""
    has_ticket = bool(
        lib.SSL_client_hello_get0_ext(ssl, lib.TLSEXT_TYPE_session_ticket, ext, ext_len)
        and ext_len[0] > 0
    )
    return host, session_id, has_ticket


def _stateful_psk_identity(ssl: CData, ext: CData, ext_len: CData) -> bytes | None:
    """The first PSK identity that OpenSSL would look up as a session id: only with
    ``SSL_OP_NO_TICKET`` (stateful tickets) and only one of exactly
    ``SSL_MAX_SSL_SESSION_ID_LENGTH`` bytes (OpenSSL's ``tls_get_stateful_ticket``)."""
    if not lib.SSL_get_options(ssl) & lib.SSL_OP_NO_TICKET:
        return None
    if not lib.SSL_client_hello_get0_ext(ssl, lib.TLSEXT_TYPE_psk, ext, ext_len):
        return None
    for identity in psk_identities(bytes(ffi.buffer(ext[0], ext_len[0]))):
        if len(identity) == lib.SSL_MAX_SSL_SESSION_ID_LENGTH:
            return identity
    return None


def psk_identities(body: bytes) -> list[bytes]:
    """The identities of a pre_shared_key extension (RFC 8446 4.2.11): a 2-byte length
    of the identity list, then (2-byte length, identity, 4-byte obfuscated age) each.
    A malformed list yields what parsed cleanly; OpenSSL rejects the hello itself."""
    if len(body) < 2:
        return []
    end = min(len(body), 2 + int.from_bytes(body[:2], "big"))
    found, pos = [], 2
    while pos + 2 <= end:
        size = int.from_bytes(body[pos:pos + 2], "big")
        if pos + 2 + size + 4 > end:
            break
        found.append(body[pos + 2:pos + 2 + size])
        pos += 2 + size + 4
    return found


def alpn_offer(wire: CData, length: int) -> list[bytes]:
    """Split an ALPN wire list (length-prefixed names) from the ClientHello."""
    raw = bytes(ffi.buffer(wire, length))
    names, pos = [], 0
    while pos < len(raw):
        size = raw[pos]
        names.append(raw[pos + 1 : pos + 1 + size])
        pos += 1 + size
    return names
