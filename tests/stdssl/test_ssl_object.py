"""The ``ssl.SSLObject`` protocol of ``nodetls.SSLObject``, driven by hand over memory
BIOs (as asyncio and trio drive it), against itself and Python's own ``SSLObject``."""

from __future__ import annotations

import ssl

import pytest

from nodetls import SSLContext, SSLObject
from nodetls.stdssl import SSLSession
from tests.support.certs import Certs

from .stdutil import (
    Ends,
    client_context,
    server_context,
    stdlib_client_context,
    stdlib_server_context,
)


def test_handshake_then_getters_on_both_ends(certs: Certs) -> None:
    ends = Ends(client_context(certs, alpn_protocols=["h2", "http/1.1"]),
                server_context(certs, alpn_protocols=["http/1.1"]))
    client, server = ends.client, ends.server
    assert isinstance(client, SSLObject) and isinstance(client, ssl.SSLObject)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    with pytest.raises(ValueError, match="handshake not done"):
        client.getpeercert()
    assert client.version() is None and client.cipher() is None
    ends.handshake()
    assert (client.server_side, server.server_side) == (False, True)
    assert client.server_hostname == "localhost" and server.servername == "localhost"
    assert client.version() == server.version() == "TLSv1.3"
    assert client.cipher() == server.cipher() == ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256)
    assert client.shared_ciphers() is None
    assert ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256) in server.shared_ciphers()
    assert client.selected_alpn_protocol() == server.selected_alpn_protocol() == "http/1.1"
    assert client.alpn_protocol == "http/1.1"
    assert client.compression() is None and client.selected_npn_protocol() is None
    assert client.getpeercert()["subjectAltName"][0] == ("DNS", "localhost")
    assert client.getpeercert(True) == client.get_peer_certificate()["raw"]
    assert server.getpeercert() is None  # the client sent no certificate
    assert client.get_channel_binding() == server.get_channel_binding()
    assert len(client.get_channel_binding()) == 48  # SHA-384 Finished
    ekm = client.export_keying_material(32, "EXPORTER-test")
    assert ekm == server.export_keying_material(32, "EXPORTER-test") and len(ekm) == 32
    assert client.get_finished() == server.get_peer_finished()
    assert client.is_session_reused() is False and client.session_reused is False
    assert client.context.config.server_side is False


def test_data_close_notify_and_eof(certs: Certs) -> None:
    ends = Ends(client_context(certs), server_context(certs))
    ends.handshake()
    client, server = ends.client, ends.server
    with pytest.raises(ssl.SSLWantReadError):
        server.read(10)
    assert client.write(b"hello world") == 11
    ends.pump()
    assert server.read(5) == b"hello"
    assert server.pending() == 6
    buffer = bytearray(16)
    assert server.read(16, buffer) == 6 and bytes(buffer[:6]) == b" world"
    with pytest.raises(ssl.SSLWantReadError):
        client.unwrap()  # close_notify sent; the server's not yet here
    ends.pump()
    assert server.read(10) == b""  # the peer's close_notify, as CPython reports it
    assert server.unwrap() is None
    ends.pump()
    assert client.unwrap() is None
    with pytest.raises(ssl.SSLError):
        client.write(b"after close")


def test_transport_eof_without_close_notify_is_ssl_eof_error(certs: Certs) -> None:
    ends = Ends(client_context(certs), server_context(certs))
    ends.handshake()
    ends.s_in.write_eof()
    with pytest.raises(ssl.SSLEOFError) as info:
        ends.server.read(10)
    assert "EOF occurred in violation of protocol" in str(info.value.strerror)


def test_failure_is_sticky_and_carries_nodes_code(certs: Certs) -> None:
    ends = Ends(client_context(certs, max_version="TLSv1.2"),
                server_context(certs, min_version="TLSv1.3"))
    with pytest.raises(ssl.SSLError) as server_error:
        ends.handshake()
    with pytest.raises(ssl.SSLError) as again:
        ends.server.do_handshake()
    assert again.value is server_error.value
    assert server_error.value.code == "ERR_SSL_UNSUPPORTED_PROTOCOL"  # type: ignore[attr-defined]
    ends.pump()  # the alert reaches the client
    with pytest.raises(ssl.SSLError) as client_error:
        ends.client.do_handshake()
    assert client_error.value.code == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"  # type: ignore[attr-defined]


@pytest.mark.parametrize("side", ["nodetls client", "nodetls server"])
def test_against_pythons_own_ssl_object(certs: Certs, side: str) -> None:
    if side == "nodetls client":
        ends = Ends(client_context(certs), stdlib_server_context(certs))
    else:
        ends = Ends(stdlib_client_context(certs), server_context(certs))
    ends.handshake()
    ends.client.write(b"ping")
    ends.pump()
    assert ends.server.read(10) == b"ping"
    ends.server.write(b"pong")
    ends.pump()
    assert ends.client.read(10) == b"pong"
    assert ends.client.version() == ends.server.version() == "TLSv1.3"


def test_session_resumption_through_ssl_session(certs: Certs) -> None:
    server = server_context(certs)
    client = client_context(certs, max_version="TLSv1.2")
    first = Ends(client, server)
    first.handshake()
    session = first.client.session
    assert isinstance(session, SSLSession) and session.has_ticket
    second_in, second_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    ends = Ends(client, server)
    ends.client = client.wrap_bio(second_in, second_out, server_hostname="localhost",
                                  session=session)
    ends.c_in, ends.c_out = second_in, second_out
    ends.handshake()
    assert ends.client.session_reused and ends.server.is_session_reused()


# --- options, validated as Node validates them ---------------------------------------------


def test_unknown_and_connection_options_are_type_errors() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        SSLContext(True, colour="blue")
    with pytest.raises(TypeError, match="unexpected keyword argument 'port'"):
        SSLContext(False, port=443)
    with pytest.raises(TypeError, match="unexpected keyword argument 'servername'"):
        SSLContext(True, servername="x")  # a client option


def test_bad_values_get_nodes_errors(certs: Certs) -> None:
    with pytest.raises(TypeError) as info:
        SSLContext(False, ciphers=1)
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    with pytest.raises(TypeError) as info:
        SSLContext("yes")  # type: ignore[arg-type]
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    with pytest.raises(TypeError) as bad_keys:  # Node: a TypeError
        server_context(certs, ticket_keys=b"x" * 47)
    assert bad_keys.value.code == "ERR_INVALID_ARG_VALUE"  # type: ignore[attr-defined]
    with pytest.raises(Exception) as both:
        server_context(certs, alpn_protocols=["h2"], alpn_callback=lambda info: "h2")
    assert getattr(both.value, "code", None) == "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"
    with pytest.raises(TypeError) as identity:
        SSLContext(False, check_server_identity="no")
    assert identity.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]


def test_a_context_serves_one_side(certs: Certs) -> None:
    with pytest.raises(ValueError, match="server_side=True"):
        client_context(certs).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=True)
    with pytest.raises(ValueError, match="server_side=False"):
        server_context(certs).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_session_timeout_is_the_tickets_lifetime(certs: Certs, version: str) -> None:
    ends = Ends(client_context(certs, max_version=version),
                server_context(certs, session_timeout=123))
    ends.handshake()
    with pytest.raises(ssl.SSLWantReadError):
        ends.client.read(1)  # takes in the TLS 1.3 tickets sent after the handshake
    session = ends.client.session
    assert session is not None and session.ticket_lifetime_hint == 123
