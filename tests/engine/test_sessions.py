"""Sessions: the client's NewSession events, resumption, and the server-side cache
hooks Node builds ``newSession``/``resumeSession`` on."""

from __future__ import annotations

import pytest
import trustme

from nodetls._openssl import lib
from nodetls.engine import (
    ClientHelloPaused,
    CloseNotify,
    ConnectionState,
    HandshakeDone,
    NewSession,
)
from nodetls.engine.x509 import x509_list_from_pem, x509_to_der

from .pair import Pair

S = ConnectionState


def session_pair(client_ctx, server_ctx, session: bytes | None = None,
                 **client) -> Pair:
    pair = Pair(client_ctx, server_ctx)
    pair.client.enable_session_callbacks()
    if session is not None:
        assert pair.client.set_session(session)
    pair.handshake()
    return pair


def test_tls13_client_gets_two_sessions_and_resumes(client_ctx, server_ctx) -> None:
    cctx, sctx = client_ctx(), server_ctx()
    first = session_pair(cctx, sctx)
    sessions = first.of(first.client, NewSession)
    assert len(sessions) == 2  # OpenSSL sends two TLS 1.3 tickets
    assert all(len(s.der) > 100 and s.session_id for s in sessions)
    assert not first.client.is_session_reused()
    assert not first.of(first.server, NewSession)  # server callbacks not enabled
    second = session_pair(cctx, sctx, sessions[-1].der)
    assert second.client.is_session_reused() and second.server.is_session_reused()
    assert second.client.verify_result() == 0
    assert second.client.protocol == "TLSv1.3"


def test_tls12_ticket_resumption(client_ctx, server_ctx) -> None:
    cctx, sctx = client_ctx(max_version="TLSv1.2"), server_ctx()
    first = session_pair(cctx, sctx)
    (new,) = first.of(first.client, NewSession)
    ticket = first.client.tls_ticket()
    assert ticket is not None and len(ticket) > 100
    assert first.client.session() is not None
    second = session_pair(cctx, sctx, new.der)
    assert second.client.is_session_reused() and second.server.is_session_reused()
    assert second.client.session() == second.client.session()


def test_unusable_session_is_refused(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    assert pair.client.set_session(b"not a session") is False
    pair.handshake()
    assert not pair.client.is_session_reused()


def test_server_session_id_cache(client_ctx, server_ctx) -> None:
    """Node's newSession/resumeSession with session ids (tickets off, TLS 1.2)."""
    cctx = client_ctx(max_version="TLSv1.2")
    sctx = server_ctx(options=lib.SSL_OP_NO_TICKET)
    cache: dict[bytes, bytes] = {}

    def connect(session: bytes | None) -> Pair:
        pair = Pair(cctx, sctx)
        pair.server.enable_session_callbacks()
        pair.client.enable_session_callbacks()
        if session is not None:
            pair.client.set_session(session)
        pair.start()
        pair.flush(pair.client)
        (hello,) = pair.of(pair.server, ClientHelloPaused)
        assert pair.server.state is S.HELLO_PAUSED
        assert pair.server.data_to_send() == b""  # nothing said before the answer
        assert hello.has_ticket is False and hello.servername is None
        found = cache.get(hello.session_id)
        assert (found is not None) is (session is not None)
        pair.record(pair.server, pair.server.resume_client_hello(session_der=found))
        pair.pump()
        return pair

    first = connect(None)
    (server_new,) = first.of(first.server, NewSession)
    # Output is held until the application has stored the session (Node's newSession).
    assert first.server.data_to_send() == b""
    assert first.client.state is S.HANDSHAKING
    cache[server_new.session_id] = server_new.der
    first.record(first.server, first.server.new_session_done())
    first.pump()
    assert first.client.state is S.OPEN
    (client_new,) = first.of(first.client, NewSession)
    assert client_new.session_id == server_new.session_id

    second = connect(client_new.der)
    assert second.client.is_session_reused() and second.server.is_session_reused()
    assert not second.of(second.server, NewSession)  # a resumed session is not new


def test_client_hello_pause_reports_tls13_legacy_id_and_sni(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.server.enable_session_callbacks()
    pair.client.set_servername("sni.example")
    pair.client.send(b"queued")
    pair.start()
    pair.flush(pair.client)
    (hello,) = pair.of(pair.server, ClientHelloPaused)
    # TLS 1.3 clients offer a random legacy session id, so Node's resumeSession fires.
    assert len(hello.session_id) == 32 and hello.servername == "sni.example"
    assert pair.server.receive(b"") == []  # nothing moves while paused
    pair.client.enable_session_callbacks()
    pair.record(pair.server, pair.server.resume_client_hello(session_der=b"junk"))
    pair.pump()
    # TLS 1.3: the server issues its two tickets after the client's Finished; only the
    # tickets are held back, the client is already done and its data arrived.
    assert len(pair.of(pair.server, NewSession)) == 2
    assert pair.server.state is S.OPEN and pair.client.state is S.OPEN
    assert pair.received(pair.server) == b"queued"
    assert pair.server.pending_output_size() > 0 and pair.server.data_to_send() == b""
    assert not pair.of(pair.client, NewSession)
    for _ in range(2):  # one done per new session: the output waits for both
        pair.record(pair.server, pair.server.new_session_done())
    pair.pump()
    assert len(pair.of(pair.client, NewSession)) == 2
    assert not pair.server.is_session_reused()
    assert [type(e) for e in pair.events[pair.server]].count(HandshakeDone) == 1


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_resume_client_hello_with_context(client_ctx, server_ctx, ec_server_ctx,
                                          ec_server_cert: trustme.LeafCert,
                                          version: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.server.enable_session_callbacks()
    pair.start()
    pair.flush(pair.client)
    pair.record(pair.server, pair.server.resume_client_hello(context=ec_server_ctx()))
    for _ in range(3):  # one held flight per new session
        pair.pump()
        pair.record(pair.server, pair.server.new_session_done())
    pair.pump()
    assert pair.client.state is S.OPEN and pair.server.state is S.OPEN
    expected = x509_list_from_pem(ec_server_cert.cert_chain_pems[0].bytes())[0]
    peer = pair.client.peer_certificate_der()
    assert peer is not None and peer == x509_to_der(expected)


def test_new_session_done_after_close_notify_reads_nothing_twice(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.server.enable_session_callbacks()
    pair.start()
    pair.flush(pair.client)
    pair.record(pair.server, pair.server.resume_client_hello())
    pair.pump()
    pair.client.shutdown()
    pair.pump()
    assert pair.server.state is S.RECEIVED_CLOSE
    for _ in pair.of(pair.server, NewSession):  # TLS 1.3: two, each answered
        pair.record(pair.server, pair.server.new_session_done())
    assert [type(e) for e in pair.events[pair.server]].count(CloseNotify) == 1
    assert pair.server.state is S.RECEIVED_CLOSE
    assert pair.server.data_to_send()  # the held tickets finally go out
