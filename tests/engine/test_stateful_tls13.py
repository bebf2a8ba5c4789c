"""TLS 1.3 stateful resumption through the server's session cache (``SSL_OP_NO_TICKET``).

OpenSSL's stateful TLS 1.3 ticket is a session id carried as the PSK identity; the
engine reports that identity in ``ClientHelloPaused.session_id`` (not the random legacy
id), so the application's ``resumeSession`` can find it: Node's ClientHello parser never
looks there (nodejs/node#60847).  The session handed back must also survive a
HelloRetryRequest, after which OpenSSL looks it up a second time.
"""

from __future__ import annotations

import pytest

from nodetls._openssl import lib
from nodetls.engine import ClientHelloPaused, NewSession
from nodetls.engine.info import psk_identities

from .pair import Pair


def _ext(*identities: bytes) -> bytes:
    body = b"".join(len(i).to_bytes(2, "big") + i + b"\x00\x00\x00\x07" for i in identities)
    return len(body).to_bytes(2, "big") + body + b"\x00\x21" + b"\x20" + bytes(32)


def test_psk_identities_parser() -> None:
    assert psk_identities(_ext(b"a" * 32)) == [b"a" * 32]
    assert psk_identities(_ext(b"x" * 200, b"b" * 32)) == [b"x" * 200, b"b" * 32]
    assert psk_identities(b"") == []
    assert psk_identities(b"\x00\x10\x00\x20abc") == []  # truncated: nothing clean
    assert psk_identities(_ext(b"ok")[:10]) == [b"ok"]  # binders cut off


def _connect(cctx: object, sctx: object, cache: dict[bytes, bytes],
             session: bytes | None = None) -> tuple[Pair, ClientHelloPaused]:
    pair = Pair(cctx, sctx)
    pair.server.enable_session_callbacks()
    pair.client.enable_session_callbacks()
    if session is not None:
        assert pair.client.set_session(session)
    pair.start()
    pair.flush(pair.client)
    (hello,) = pair.of(pair.server, ClientHelloPaused)
    found = cache.get(hello.session_id)
    pair.record(pair.server, pair.server.resume_client_hello(session_der=found))
    for _ in range(10):  # answer each newSession at once (Node's done())
        pair.pump()
        if not pair.server.output_held:
            break
        for new in pair.of(pair.server, NewSession):
            cache[new.session_id] = new.der
        pair.record(pair.server, pair.server.new_session_done())
    return pair, hello


@pytest.mark.parametrize("groups", [None, "P-256"])
def test_stateful_ticket_identity_reaches_the_cache(client_ctx, server_ctx,
                                                    groups: str | None) -> None:
    """``groups='P-256'``: the client's X25519 key share is refused with a
    HelloRetryRequest (two ClientHellos, one pause)."""
    cctx = client_ctx()
    sctx = server_ctx(options=lib.SSL_OP_NO_TICKET, groups=groups)
    cache: dict[bytes, bytes] = {}
    first, hello = _connect(cctx, sctx, cache)
    assert hello.session_id not in cache  # TLS 1.3's random legacy id
    issued = [e.session_id for e in first.of(first.server, NewSession)]
    assert len(issued) == 2 and set(issued) <= set(cache)
    sessions = first.of(first.client, NewSession)
    assert len(sessions) == 2 and first.client.tls_ticket() is not None

    second, hello = _connect(cctx, sctx, cache, sessions[-1].der)
    assert hello.session_id == issued[-1]
    assert second.client.is_session_reused() and second.server.is_session_reused()
    assert second.client.protocol == "TLSv1.3"


def test_tickets_on_keep_the_legacy_id(client_ctx, server_ctx) -> None:
    """With stateless tickets the PSK identity is the ticket itself (OpenSSL decrypts it);
    resumeSession gets the legacy id, as in Node."""
    cctx, sctx = client_ctx(), server_ctx()
    cache: dict[bytes, bytes] = {}
    first, _ = _connect(cctx, sctx, cache)
    session = first.of(first.client, NewSession)[-1].der
    second, hello = _connect(cctx, sctx, cache, session)
    assert len(hello.session_id) == 32 and hello.session_id not in cache
    assert second.server.is_session_reused()


def test_output_waits_for_every_new_session(client_ctx, server_ctx) -> None:
    """A TLS 1.3 server makes two sessions in one flight: the output (both tickets) is
    held until both are done, so an external cache has stored the second ticket's
    session before the client can offer it elsewhere."""
    pair = Pair(client_ctx(), server_ctx(options=lib.SSL_OP_NO_TICKET))
    pair.server.enable_session_callbacks()
    pair.start()
    pair.flush(pair.client)
    pair.record(pair.server, pair.server.resume_client_hello(session_der=None))
    for _ in range(10):
        pair.pump()
        if len(pair.of(pair.server, NewSession)) == 2:
            break
    assert len(pair.of(pair.server, NewSession)) == 2 and pair.server.output_held
    pair.record(pair.server, pair.server.new_session_done())
    assert pair.server.output_held and pair.server.data_to_send() == b""
    pair.record(pair.server, pair.server.new_session_done())
    assert not pair.server.output_held
    pair.pump()
    assert pair.client.tls_ticket() is not None
