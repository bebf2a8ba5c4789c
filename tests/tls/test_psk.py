"""PSK between nodetls peers (issue #4, item 5; Node peers: ``interop/test_node_psk.py``).

Option validation, TLS 1.2 PSK suites and TLS 1.3 without certificates, the callbacks'
arguments and accepted answers, wrong keys on both ends, callbacks that raise.
"""

from __future__ import annotations

from typing import Any

import pytest

import nodetls as tls
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving

KEY = bytes(range(16))


def client_psk(key: bytes, identity: str = "user", seen: list[object] | None = None) -> Any:
    def callback(hint: str | None) -> dict[str, Any]:
        if seen is not None:
            seen.append(hint)
        return {"psk": key, "identity": identity}

    return callback


async def test_option_validation() -> None:
    for make in (lambda: tls.create_server(psk_callback=5),
                 lambda: tls.TLSSocket(None, is_server=True, psk_callback=5),
                 lambda: tls.connect(1, psk_callback=5)):
        with pytest.raises(TypeError) as info:
            make()
        assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    for make in (lambda: tls.create_server(psk_callback=lambda s, i: None,
                                           psk_identity_hint=5),
                 lambda: tls.TLSSocket(None, is_server=True, psk_callback=lambda s, i: None,
                                       psk_identity_hint=5)):
        with pytest.raises(TypeError) as hint_info:
            make()
        assert str(hint_info.value) == ('The "options.psk_identity_hint" property must be of '
                                        "type string. Received type number (5)")


@pytest.mark.parametrize(("version", "answer", "hint"), [
    ("TLSv1.2", KEY, "hint"),
    ("TLSv1.2", {"psk": bytearray(KEY)}, "hint"),
    ("TLSv1.3", memoryview(KEY), None),  # no hint in TLS 1.3
])
async def test_psk_without_certificates(version: str, answer: Any, hint: object) -> None:
    asked: list[tuple[object, str]] = []
    hints: list[object] = []

    def server_psk(socket: tls.TLSSocket, identity: str) -> Any:
        asked.append((socket, identity))
        return answer

    secure: list[tls.TLSSocket] = []

    def greet(sock: tls.TLSSocket) -> None:
        secure.append(sock)
        sock.end(b"hi")

    async with serving(greet, ciphers="PSK+HIGH",
                       psk_callback=server_psk, psk_identity_hint="hint") as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ciphers="PSK+HIGH", max_version=version,
                                 psk_callback=client_psk(KEY, "ünïcode", hints),
                                 check_server_identity=lambda host, cert: None)
        assert sock.get_protocol() == version
        assert sock.authorized is True and sock.authorization_error is None
        assert sock.get_peer_certificate() == {} and sock.get_certificate() == {}
        assert await collect(sock) == b"hi"
    [(socket, identity)] = asked
    assert socket is secure[0] and identity == "ünïcode"
    assert secure[0].authorized is False  # a server without request_cert never authorizes
    assert hints[-1] == hint


@pytest.mark.parametrize(("version", "client_code", "server_code"), [
    ("TLSv1.2", "ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC",
     "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"),
    ("TLSv1.3", "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER", "ERR_SSL_BINDER_DOES_NOT_VERIFY"),
])
async def test_wrong_key(version: str, client_code: str, server_code: str) -> None:
    async with serving(ciphers="PSK+HIGH", max_version=version,
                       psk_callback=lambda s, i: KEY) as (server, port):
        reported = event(server, "tlsClientError")
        with pytest.raises(Exception) as info:
            await tls.connect(port, "127.0.0.1", ciphers="PSK+HIGH",
                              psk_callback=client_psk(bytes(16)),
                              check_server_identity=lambda host, cert: None)
        err, _ = await wait(reported)
    assert info.value.code == client_code  # type: ignore[attr-defined]
    assert err.code == server_code


async def test_raising_callbacks_destroy_the_connection(uncaught: list[BaseException]) -> None:
    def server_fails(socket: tls.TLSSocket, identity: str) -> bytes:
        raise LookupError(identity)

    async with serving(ciphers="PSK+HIGH", max_version="TLSv1.2",
                       psk_callback=server_fails) as (server, port):
        reported = event(server, "tlsClientError")
        with pytest.raises(OSError) as reset:
            await tls.connect(port, "127.0.0.1", ciphers="PSK+HIGH",
                              psk_callback=client_psk(KEY, "who"),
                              check_server_identity=lambda host, cert: None)
        err, _ = await wait(reported)
    assert type(err) is LookupError and str(err) == "who"
    assert reset.value.code == "ECONNRESET"  # type: ignore[attr-defined]

    def client_fails(hint: str | None) -> dict[str, Any]:
        raise KeyError("no key")

    async with serving(ciphers="PSK+HIGH", psk_callback=lambda s, i: KEY) as (server, port):
        reported = event(server, "tlsClientError")
        with pytest.raises(KeyError):
            await tls.connect(port, "127.0.0.1", ciphers="PSK+HIGH", psk_callback=client_fails,
                              check_server_identity=lambda host, cert: None)
        err, _ = await wait(reported)
    assert err.code == "ECONNRESET" and str(err) == "socket hang up"
    # User code that raised is also reported as uncaught (the user-code policy).
    assert [repr(e) for e in uncaught] == ["LookupError('who')", "KeyError('no key')"]
    uncaught.clear()
