"""ALPN between nodetls peers (issue #4, item 2; Node peers: ``interop/test_node_alpn.py``).

``convert_alpn_protocols``, option validation, the negotiation matrix (server
preference, one side without ALPN, bytes and wire-format lists), the fatal alert with
Node's codes on both ends, ``alpn_callback`` (its argument, refusing, an answer that was
not offered, raising), and a bare server ``TLSSocket`` with ``alpn_protocols``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import nodetls as tls
from nodetls.node import duplex_pair
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving


def ending(record: Callable[[tls.TLSSocket], object]) -> Callable[[tls.TLSSocket], None]:
    """A 'secureConnection' listener: ``record(socket)``, then end the socket."""

    def listener(sock: tls.TLSSocket) -> None:
        record(sock)
        sock.end()

    return listener


def test_convert_alpn_protocols() -> None:
    assert tls.convert_alpn_protocols(["h2", "http/1.1"]) == bytes.fromhex(
        "02683208687474702f312e31")  # what Node's convertALPNProtocols gives
    assert tls.convert_alpn_protocols([b"h2", "é"]) == b"\x02h2\x02\xc3\xa9"
    assert tls.convert_alpn_protocols(b"\x02h2") == b"\x02h2"  # a buffer is taken as wire
    assert tls.convert_alpn_protocols(None) is None
    with pytest.raises(Exception) as info:
        tls.convert_alpn_protocols(["a" * 256])
    assert info.value.code == "ERR_OUT_OF_RANGE"  # type: ignore[attr-defined]
    assert str(info.value) == ("The byte length of the protocol at index 0 exceeds the "
                               "maximum length. It must be <= 255. Received 256")


async def test_option_validation(certs: Certs) -> None:
    with pytest.raises(TypeError) as info:
        tls.create_server(key=certs.key, cert=certs.cert, alpn_callback=lambda o: "a",
                          alpn_protocols=["b", "c"])
    assert info.value.code == "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"  # type: ignore[attr-defined]
    assert str(info.value) == ("The ALPNCallback and ALPNProtocols TLS options are mutually "
                               "exclusive")
    for make in (lambda: tls.create_server(alpn_callback=5),
                 lambda: tls.TLSSocket(None, is_server=True, alpn_callback=5)):
        with pytest.raises(TypeError) as type_info:
            make()
        assert type_info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    for make in (lambda: tls.create_server(alpn_protocols=["a" * 256]),
                 lambda: tls.connect(1, alpn_protocols=["a" * 256])):
        with pytest.raises(Exception) as range_info:
            make()
        assert range_info.value.code == "ERR_OUT_OF_RANGE"  # type: ignore[attr-defined]
    assert tls.TLSSocket().alpn_protocol is None  # before the handshake: Node's null


@pytest.mark.parametrize(("server", "client", "expected"), [
    (["a", "b", "c"], ["a", "b", "c"], "a"),
    (["a", "b", "c"], ["c", "b", "e"], "b"),  # the server's preference
    (["a", "b", "c"], ["x", "y", "c"], "c"),
    (["a", "b", "c"], None, False),
    (None, ["a", "b", "c"], False),
    (None, None, False),
    (b"\x03foo\x03bar", [b"bar", "foo"], "foo"),
])
async def test_negotiation(certs: Certs, server: Any, client: Any, expected: object) -> None:
    seen: list[object] = []
    async with serving(ending(lambda s: seen.append(s.alpn_protocol)), key=certs.key,
                       cert=certs.cert, alpn_protocols=server) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, alpn_protocols=client)
        assert sock.alpn_protocol == expected
        await collect(sock)
    assert seen == [expected]


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
async def test_no_overlap_is_a_fatal_alert(certs: Certs, version: str) -> None:
    async with serving(key=certs.key, cert=certs.cert, alpn_protocols=["foo"]) as (server,
                                                                                 port):
        reported = event(server, "tlsClientError")
        with pytest.raises(Exception) as info:
            await tls.connect(port, "127.0.0.1", ca=certs.ca, alpn_protocols=["bar"],
                              max_version=version)
        err, _ = await wait(reported)
    assert info.value.code == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"  # type: ignore[attr-defined]
    assert info.value.reason == "tlsv1 alert no application protocol"  # type: ignore[attr-defined]
    assert err.code == "ERR_SSL_NO_APPLICATION_PROTOCOL"
    assert err.library == "SSL routines"


async def test_alpn_callback_choices(certs: Certs) -> None:
    offers: list[dict[str, Any]] = []
    answers = iter(["b", None, "http/5"])

    def choose(offer: dict[str, Any]) -> str | None:
        offers.append(offer)
        return next(answers)

    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       alpn_callback=choose) as (server, port):
        errors: list[BaseException] = []
        server.on("tlsClientError", lambda err, sock: errors.append(err))
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                                 alpn_protocols=["a", "b"])
        assert sock.alpn_protocol == "b"
        await collect(sock)
        with pytest.raises(Exception) as refused:  # None refuses: the fatal alert
            await tls.connect(port, "127.0.0.1", ca=certs.ca, alpn_protocols=["a", "b"])
        with pytest.raises(OSError) as invalid:  # not offered: destroyed, a reset
            await tls.connect(port, "127.0.0.1", ca=certs.ca, alpn_protocols=["a", "b"])
        plain = await tls.connect(port, "127.0.0.1", ca=certs.ca)  # no ALPN: not asked
        assert plain.alpn_protocol is False
        await collect(plain)
    assert offers == [{"servername": "localhost", "protocols": ["a", "b"]},
                      {"servername": False, "protocols": ["a", "b"]},
                      {"servername": False, "protocols": ["a", "b"]}]
    assert refused.value.code == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"  # type: ignore[attr-defined]
    assert invalid.value.code == "ECONNRESET"  # type: ignore[attr-defined]
    assert [getattr(e, "code", None) for e in errors] == [
        "ERR_SSL_NO_APPLICATION_PROTOCOL", "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"]


async def test_bare_server_socket_with_alpn(certs: Certs) -> None:
    x, y = duplex_pair()
    server = tls.TLSSocket(y, is_server=True, key=certs.key, cert=certs.cert,
                           alpn_protocols=["h2", "http/1.1"])
    client = tls.connect(socket=x, ca=certs.ca, servername="localhost",
                         alpn_protocols=["http/1.1", "h2"])
    await wait(client, "'secureConnect'")
    assert await wait(server) is server
    assert client.alpn_protocol == server.alpn_protocol == "h2"
    client.destroy()
    server.destroy()
