"""Fatal errors: alerts both ways, junk input, refused client certificates, misuse."""

from __future__ import annotations

import pytest
import trustme

from nodetls._openssl import ErrorRecord, OpenSSLError, lib
from nodetls.engine import (
    ConnectionState,
    EngineError,
    EngineStateError,
    HandshakeDone,
    TLSEngine,
    TLSError,
    TLSFailure,
    node_crypto_code,
    node_ssl_code,
)
from nodetls.engine.openssl_errors import PEER_DID_NOT_RETURN_A_CERTIFICATE

from .conftest import leaf_material
from .pair import Pair

S = ConnectionState


def failure(pair: Pair, side: TLSEngine) -> TLSError:
    failures = pair.of(side, TLSFailure)
    assert len(failures) == 1, pair.events[side]
    assert side.state is S.FAILED
    error: TLSError = failures[0].error
    return error


@pytest.mark.parametrize(("client", "server"), [
    ({"min_version": "TLSv1.3"}, {"max_version": "TLSv1.2"}),
    ({"max_version": "TLSv1.2"}, {"min_version": "TLSv1.3"}),
])
def test_version_mismatch(client_ctx, server_ctx, client, server) -> None:
    pair = Pair(client_ctx(**client), server_ctx(**server))
    pair.handshake()
    client_error, server_error = failure(pair, pair.client), failure(pair, pair.server)
    assert (client_error.library, client_error.reason) == ("SSL routines",
                                                           "tlsv1 alert protocol version")
    assert client_error.code == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"
    assert server_error.reason == "unsupported protocol"
    assert server_error.code == "ERR_SSL_UNSUPPORTED_PROTOCOL"
    assert server_error.records[0].lib_code == lib.ERR_LIB_SSL
    # The server's alert reached the client through data_to_send() after the failure.
    assert pair.wire[pair.server][-1][:1] == b"\x15"


@pytest.mark.parametrize(("junk", "reason", "alert"), [
    (b"garbage bytes here!!", "wrong version number", False),
    (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "http request", False),
    (b"\x16\x03\x09\x00\x05hello", "unexpected message", True),
])
def test_junk_input(server_ctx, junk: bytes, reason: str, alert: bool) -> None:
    server = TLSEngine(server_ctx(), is_server=True)
    events = server.receive(junk)
    assert isinstance(events[-1], TLSFailure)
    assert events[-1].error.reason == reason
    assert events[-1].error.code == "ERR_SSL_" + reason.upper().replace(" ", "_")
    assert server.state is S.FAILED
    # Node writes nothing back to a plain HTTP request; an alert only where OpenSSL made one.
    assert (server.data_to_send()[:1] == b"\x15") is alert
    assert server.receive(b"more") == []  # ignored after a failure
    with pytest.raises(EngineStateError):
        server.send(b"x")


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_required_client_cert_missing(client_ctx, server_ctx, version: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.server.set_verify_mode(request_cert=True, reject_unauthorized=True)
    pair.handshake()
    assert failure(pair, pair.server).reason == "peer did not return a certificate"
    client_error = failure(pair, pair.client)
    if version == "TLSv1.3":
        # The client finished its side first (Node: 'secureConnect', then the error).
        assert pair.of(pair.client, HandshakeDone)
        assert client_error.reason == "tlsv13 alert certificate required"
    else:
        assert not pair.of(pair.client, HandshakeDone)
        assert client_error.reason == "sslv3 alert handshake failure"


def test_requested_client_cert_optional(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.server.set_verify_mode(request_cert=True, reject_unauthorized=False)
    pair.handshake()
    assert pair.server.state is S.OPEN
    assert pair.server.peer_certificate_der() is None
    assert pair.server.verify_result() == 2  # UNABLE_TO_GET_ISSUER_CERT, as Node


def test_client_cert_verified(client_ctx, server_ctx, ca: trustme.CA,
                              client_cert: trustme.LeafCert) -> None:
    pair = Pair(client_ctx(**leaf_material(client_cert)),
                server_ctx(ca=[ca.cert_pem.bytes()]))
    pair.server.set_verify_mode(request_cert=True, reject_unauthorized=True)
    pair.handshake()
    assert pair.server.state is S.OPEN
    assert pair.server.verify_result() == 0
    assert pair.server.peer_certificate_der() is not None


def test_untrusted_client_cert_is_reported_not_fatal(client_ctx, server_ctx,
                                                     client_cert: trustme.LeafCert) -> None:
    pair = Pair(client_ctx(**leaf_material(client_cert)), server_ctx())
    pair.server.set_verify_mode(request_cert=True, reject_unauthorized=True)
    pair.handshake()
    assert pair.server.state is S.OPEN
    # The client's context trusts the root, and auto-chaining (Node clears
    # SSL_MODE_NO_AUTO_CHAIN) sends it along: SELF_SIGNED_CERT_IN_CHAIN; Node rejects later.
    assert pair.server.verify_result() == 19


def test_misuse_raises_state_errors(client_ctx, server_ctx) -> None:
    client = TLSEngine(client_ctx(), is_server=False)
    server = TLSEngine(server_ctx(), is_server=True)
    with pytest.raises(EngineStateError):
        server.start()
    with pytest.raises(EngineStateError):
        client.receive(b"\x16")
    with pytest.raises(EngineStateError) as info:
        client.export_keying_material(8, "label")
    assert info.value.code == "ERR_TLS_INVALID_STATE"
    for call in (server.cert_cb_done, server.resume_client_hello, client.renegotiate):
        with pytest.raises(EngineStateError):
            call()
    client.start()
    with pytest.raises(EngineStateError):
        client.start()
    with pytest.raises(EngineStateError):
        client.set_servername("too.late")


def test_shutdown_during_handshake_closes(client_ctx) -> None:
    client = TLSEngine(client_ctx(), is_server=False)
    client.start()
    assert client.shutdown() == []
    assert client.state is S.CLOSED
    with pytest.raises(EngineStateError):
        client.send(b"x")


def test_one_error_rule(client_ctx, server_ctx) -> None:
    """A connection's failure is the binding's ``OpenSSLError`` (records, texts, codes)
    with Node's code; the decision numbers are OpenSSL's, the code comes from the rule."""
    pair = Pair(client_ctx(), server_ctx())
    pair.server.set_verify_mode(request_cert=True, reject_unauthorized=True)
    pair.handshake()
    error = failure(pair, pair.server)
    assert isinstance(error, OpenSSLError) and isinstance(error, EngineError)
    assert error.codes == PEER_DID_NOT_RETURN_A_CERTIFICATE
    assert error.codes == (lib.ERR_LIB_SSL, lib.SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    assert error.code == node_ssl_code(error.reason) == node_crypto_code(error.records[0])
    assert error.code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"
    assert TLSError([], "SSL_read").codes is None
    assert TLSError([], "SSL_read").code == "ERR_SSL_UNKNOWN"
    assert str(TLSError([], "SSL_read")) == "SSL_read failed"


def test_node_crypto_code_names_the_library() -> None:
    def record(lib_code: int, reason: str) -> ErrorRecord:
        return ErrorRecord(packed=0, library="", reason=reason, message="", lib_code=lib_code,
                           reason_code=1)

    assert node_crypto_code(record(lib.ERR_LIB_SSL, "no cipher match")) \
        == "ERR_SSL_NO_CIPHER_MATCH"
    assert node_crypto_code(record(lib.ERR_LIB_PEM, "no start line")) \
        == "ERR_OSSL_PEM_NO_START_LINE"
    assert node_crypto_code(record(57, "bad decrypt")) == "ERR_OSSL_BAD_DECRYPT"  # provider
    assert node_crypto_code(record(lib.ERR_LIB_SSL, "")) is None
