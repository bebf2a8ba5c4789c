"""The hooks Node builds its events on: keylog, cert callback (SNI/OCSP), ALPN, PSK,
renegotiation, and exceptions raised inside any of them."""

from __future__ import annotations

import pytest
import trustme

from nodetls._openssl import lib
from nodetls.engine import (
    AppData,
    CertCallbackPaused,
    ConnectionState,
    EngineError,
    EngineStateError,
    HandshakeDone,
    HandshakeStarted,
    KeylogLine,
    OCSPResponse,
    TLSError,
    TLSFailure,
)
from nodetls.engine.x509 import x509_list_from_pem, x509_to_der

from .pair import Pair

S = ConnectionState
TLS13_KEYLOG = {"SERVER_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET", "SERVER_TRAFFIC_SECRET_0",
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"}


@pytest.mark.parametrize(("version", "labels"), [
    ("TLSv1.3", TLS13_KEYLOG), ("TLSv1.2", {"CLIENT_RANDOM"})])
def test_keylog(client_ctx, server_ctx, version: str, labels: set[str]) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.client.enable_keylog()
    pair.server.enable_keylog()
    pair.handshake()
    for side in (pair.client, pair.server):
        lines = [e.line for e in pair.of(side, KeylogLine)]
        assert {line.split()[0].decode() for line in lines} == labels
        assert len(lines) == len(labels)
        assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    # Both ends log the same secrets (in their own order).
    assert set(pair.of(pair.client, KeylogLine)) == set(pair.of(pair.server, KeylogLine))


def test_keylog_is_per_connection(client_ctx, server_ctx) -> None:
    sctx = server_ctx()
    quiet, loud = Pair(client_ctx(), sctx), Pair(client_ctx(), sctx)
    loud.server.enable_keylog()  # installs the context's callback for both
    quiet.handshake()
    loud.handshake()
    assert not quiet.of(quiet.server, KeylogLine)
    assert len(loud.of(loud.server, KeylogLine)) == 5


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_cert_callback_switches_context_and_staples(client_ctx, server_ctx, ec_server_ctx,
                                                    ec_server_cert: trustme.LeafCert,
                                                    version: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.server.enable_cert_callback()
    pair.client.set_servername("ec.example")
    pair.client.request_ocsp()
    pair.start()
    pair.flush(pair.client)
    (paused,) = pair.of(pair.server, CertCallbackPaused)
    assert paused == CertCallbackPaused(servername="ec.example", ocsp_requested=True)
    assert pair.server.state is S.CERT_PAUSED
    assert pair.server.data_to_send() == b""
    pair.record(pair.server, pair.server.cert_cb_done(context=ec_server_ctx(),
                                                      ocsp_response=b"stapled!"))
    pair.pump()
    assert pair.client.state is S.OPEN and pair.server.state is S.OPEN
    assert pair.of(pair.client, OCSPResponse) == [OCSPResponse(b"stapled!")]
    expected = x509_list_from_pem(ec_server_cert.cert_chain_pems[0].bytes())[0]
    assert pair.client.peer_certificate_der() == x509_to_der(expected)
    assert len(pair.of(pair.server, CertCallbackPaused)) == 1


def test_ocsp_without_response_and_without_request(client_ctx, server_ctx) -> None:
    asked = Pair(client_ctx(), server_ctx())
    asked.client.request_ocsp()
    asked.handshake()
    assert asked.of(asked.client, OCSPResponse) == [OCSPResponse(None)]
    silent = Pair(client_ctx(), server_ctx())
    silent.server.set_ocsp_response(b"unasked")
    silent.handshake()
    assert not silent.of(silent.client, OCSPResponse)


def test_cert_callback_input_waits_while_paused(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.server.enable_cert_callback()
    pair.start()
    hello = pair.client.data_to_send()
    assert pair.server.receive(hello[:10]) == [HandshakeStarted()]
    assert pair.server.receive(hello[10:]) == [CertCallbackPaused(None, False)]
    # Bytes that arrive while paused wait in the BIO, untouched.
    assert pair.server.receive(b"\x17\x03\x03\x00\x01x") == []
    assert pair.server.state is S.CERT_PAUSED
    events = pair.server.cert_cb_done()  # the junk is read only now, under handshake keys
    assert isinstance(events[-1], TLSFailure)
    assert events[-1].error.reason == "decryption failed or bad record mac"


def test_alpn_no_overlap_is_fatal(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.client.set_alpn_protocols(b"\x02h2")
    pair.server.set_alpn_protocols(b"\x08http/1.1")
    pair.handshake()
    (client_fail,) = pair.of(pair.client, TLSFailure)
    (server_fail,) = pair.of(pair.server, TLSFailure)
    assert client_fail.error.code == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"
    assert server_fail.error.code == "ERR_SSL_NO_APPLICATION_PROTOCOL"


def test_alpn_callback(client_ctx, server_ctx) -> None:
    seen = []

    def choose(servername: str | None, protocols: list[str]) -> str | None:
        seen.append((servername, protocols))
        return protocols[-1]

    pair = Pair(client_ctx(), server_ctx())
    pair.client.set_alpn_protocols(b"\x02h2\x08http/1.1\x03foo")
    pair.server.set_alpn_callback(choose)
    pair.handshake()
    assert seen == [(None, ["h2", "http/1.1", "foo"])]
    assert pair.client.alpn_protocol() == pair.server.alpn_protocol() == "foo"

    refused = Pair(client_ctx(), server_ctx())
    refused.client.set_alpn_protocols(b"\x02h2")
    refused.server.set_alpn_callback(lambda name, protos: None)
    refused.handshake()
    assert refused.of(refused.server, TLSFailure)[0].error.reason == "no application protocol"


def test_alpn_callback_choosing_unoffered_protocol_raises(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.client.set_alpn_protocols(b"\x02h2")
    pair.server.set_alpn_callback(lambda name, protos: "spdy/1")
    pair.start()
    with pytest.raises(EngineError, match="did not offer"):
        pair.flush(pair.client)
    assert pair.server.state is S.FAILED


class Boom(Exception):
    pass


def test_exception_in_callback_is_reraised(client_ctx, server_ctx) -> None:
    def explode(servername: str | None, protocols: list[str]) -> str:
        raise Boom("from the ALPN callback")

    pair = Pair(client_ctx(), server_ctx())
    pair.client.set_alpn_protocols(b"\x02h2")
    pair.server.set_alpn_callback(explode)
    pair.start()
    with pytest.raises(Boom):
        pair.flush(pair.client)
    assert pair.server.state is S.FAILED
    assert lib.ERR_peek_error() == 0  # nothing left on the queue for the next caller
    # The alert OpenSSL queued is still there to flush, and the engine stays quiet.
    assert pair.server.data_to_send()[:1] == b"\x15"
    assert pair.server.receive(b"more") == []


PSK_KEY = bytes(range(32))


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_psk(client_ctx, version: str) -> None:
    from .conftest import MiniContext

    calls: list[tuple] = []

    def server_psk(identity: str, max_len: int) -> bytes | None:
        calls.append(("server", identity, max_len))
        return PSK_KEY if identity == "client-1" else None

    def client_psk(hint: str | None, max_psk: int, max_identity: int) -> tuple[str, bytes]:
        calls.append(("client", hint, max_psk, max_identity))
        return "client-1", PSK_KEY

    options = {"max_version": version, "ciphers": "PSK-AES128-GCM-SHA256",
               "suites": "TLS_AES_128_GCM_SHA256"}
    pair = Pair(MiniContext(**options), MiniContext(sid_ctx=b"psk", **options))
    pair.server.set_psk_identity_hint("hint!")
    pair.server.set_psk_callback(server_psk)
    pair.client.set_psk_callback(client_psk)
    pair.handshake()
    assert pair.client.state is S.OPEN and pair.server.state is S.OPEN
    assert ("server", "client-1", lib.PSK_MAX_PSK_LEN) in calls
    hint = "hint!" if version == "TLSv1.2" else None  # Node: TLS 1.3 clients get null
    assert ("client", hint, lib.PSK_MAX_PSK_LEN, lib.PSK_MAX_IDENTITY_LEN) in calls
    assert pair.client.verify_result() == 0  # PSK counts as verified, as in Node
    pair.client.send(b"psk data")
    pair.pump()
    assert pair.received(pair.server) == b"psk data"


@pytest.mark.parametrize(("cipher", "server_code"), [
    ("PSK-AES256-CBC-SHA", "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"),
    # AES-GCM: the provider's error is the root cause (Node v20.20.2 reports the same).
    ("PSK-AES128-GCM-SHA256", "ERR_SSL_CIPHER_OPERATION_FAILED"),
])
def test_psk_mismatch_tls12(cipher: str, server_code: str) -> None:
    from .conftest import MiniContext

    options = {"max_version": "TLSv1.2", "ciphers": cipher}
    pair = Pair(MiniContext(**options), MiniContext(**options))
    pair.server.set_psk_callback(lambda identity, size: b"\x01" * 16)
    pair.client.set_psk_callback(lambda hint, size, ids: ("id", b"\x02" * 16))
    pair.handshake()
    assert pair.of(pair.client, TLSFailure)[0].error.code == "ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC"
    assert pair.of(pair.server, TLSFailure)[0].error.code == server_code


def test_exception_in_psk_callback(client_ctx) -> None:
    from .conftest import MiniContext

    def boom(hint: str | None, size: int, ids: int) -> tuple[str, bytes]:
        raise Boom("psk")

    options = {"max_version": "TLSv1.2", "ciphers": "PSK-AES128-GCM-SHA256"}
    pair = Pair(MiniContext(**options), MiniContext(**options))
    pair.server.set_psk_callback(lambda identity, size: PSK_KEY)
    pair.client.set_psk_callback(boom)
    pair.start()
    pair.flush(pair.client)
    with pytest.raises(Boom):
        pair.flush(pair.server)  # the client's callback runs on the ServerHelloDone
    assert pair.client.state is S.FAILED
    with pytest.raises(EngineStateError):
        pair.client.send(b"x")


def test_renegotiation_tls12(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(max_version="TLSv1.2"), server_ctx())
    pair.handshake()
    pair.client.send(b"before")
    pair.record(pair.client, pair.client.renegotiate())
    pair.pump()
    pair.client.send(b"after")
    pair.server.send(b"reply")
    pair.pump()
    kinds = [type(e) for e in pair.events[pair.server]]
    assert kinds == [HandshakeStarted, HandshakeDone, AppData, HandshakeStarted, HandshakeDone,
                     AppData]
    assert [e.data for e in pair.of(pair.server, AppData)] == [b"before", b"after"]
    assert [type(e) for e in pair.events[pair.client]].count(HandshakeDone) == 2
    assert pair.received(pair.client) == b"reply"
    assert pair.client.state is S.OPEN and pair.server.state is S.OPEN


def test_renegotiation_keeps_wire_order_in_one_receive(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(max_version="TLSv1.2"), server_ctx())
    pair.handshake()
    pair.client.send(b"one")
    pair.client.renegotiate()
    wire = pair.client.data_to_send()  # app data record, then the new ClientHello
    kinds = [(type(e), getattr(e, "data", None)) for e in pair.server.receive(wire)]
    assert kinds[:2] == [(AppData, b"one"), (HandshakeStarted, None)]


def test_renegotiation_refused_on_tls13(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    with pytest.raises(TLSError) as info:
        pair.client.renegotiate()
    assert info.value.code == "ERR_SSL_WRONG_SSL_VERSION"
    assert pair.client.state is S.OPEN  # Node: renegotiate() returns false, nothing else
    assert lib.ERR_peek_error() == 0


def test_reentrant_call_from_callback_is_refused(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())

    def reenter(servername: str | None, protocols: list[str]) -> str:
        pair.server.receive(b"")
        return protocols[0]

    pair.client.set_alpn_protocols(b"\x02h2")
    pair.server.set_alpn_callback(reenter)
    pair.start()
    with pytest.raises(EngineStateError, match="re-entered"):
        pair.flush(pair.client)


def test_send_during_renegotiation_is_queued(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(max_version="TLSv1.2"), server_ctx())
    pair.handshake()
    pair.client.renegotiate()
    # OpenSSL cannot write application data until the server answers the new hello.
    assert pair.client.send(b"during") == []
    assert pair.client.pending_cleartext_size() == 6
    assert pair.client.send(b" reneg") == []
    pair.pump()
    assert pair.client.pending_cleartext_size() == 0
    assert pair.received(pair.server) == b"during reneg"
    assert [type(e) for e in pair.events[pair.client]].count(HandshakeDone) == 2


def test_both_pause_points_in_one_handshake(client_ctx, server_ctx) -> None:
    from nodetls.engine import ClientHelloPaused

    pair = Pair(client_ctx(), server_ctx())
    pair.server.enable_session_callbacks()
    pair.server.enable_cert_callback()
    pair.client.request_ocsp()
    pair.start()
    pair.flush(pair.client)
    assert pair.server.state is S.HELLO_PAUSED
    assert [type(e) for e in pair.server.resume_client_hello()] == [CertCallbackPaused]
    assert pair.server.state is S.CERT_PAUSED
    assert pair.of(pair.server, ClientHelloPaused)
    pair.server.cert_cb_done()
    pair.pump()
    pair.server.new_session_done()
    pair.pump()
    assert pair.client.state is S.OPEN and pair.server.state is S.OPEN
    assert pair.of(pair.client, OCSPResponse) == [OCSPResponse(None)]


def test_ocsp_response_set_up_front(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(max_version="TLSv1.2"), server_ctx())
    pair.client.request_ocsp()
    pair.server.set_ocsp_response(b"\x30\x03\x0a\x01\x00")
    pair.handshake()
    assert pair.of(pair.client, OCSPResponse) == [OCSPResponse(b"\x30\x03\x0a\x01\x00")]


def test_use_context_brings_its_trust_store(client_ctx, server_ctx, ec_server_ctx,
                                            ca: trustme.CA,
                                            client_cert: trustme.LeafCert) -> None:
    """Node's SetCACerts: the SNI context's CAs verify the client's certificate."""
    from .conftest import leaf_material

    def connect(switch: bool) -> Pair:
        pair = Pair(client_ctx(**leaf_material(client_cert)), ec_server_ctx())
        pair.server.set_verify_mode(request_cert=True, reject_unauthorized=False)
        pair.server.enable_cert_callback()
        pair.start()
        pair.flush(pair.client)
        pair.server.cert_cb_done(server_ctx(ca=[ca.cert_pem.bytes()]) if switch else None)
        pair.pump()
        assert pair.server.state is S.OPEN
        return pair

    assert connect(switch=False).server.verify_result() != 0
    assert connect(switch=True).server.verify_result() == 0
