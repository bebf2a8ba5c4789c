"""OCSP stapling between nodetls peers (issue #4, item 4; Node peers:
``interop/test_node_ocsp.py``).

``'OCSPRequest'`` only when the client asks and the server has a listener at connection
time; answered later, with nothing, with an error, twice, with a raising listener;
``'OCSPResponse'`` before ``'secureConnect'`` and only with ``request_ocsp``; stapling
combined with an SNI context.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving

OCSPCallback = Callable[[BaseException | None, bytes | None], Any]


async def connect_events(port: int, certs: Certs, **options: Any) -> list[object]:
    events: list[object] = []
    sock = tls.connect(port, "127.0.0.1", **{"ca": certs.ca, **options})
    sock.on("OCSPResponse", events.append)
    sock.on("secureConnect", lambda: events.append("secureConnect"))
    await sock
    await collect(sock)
    return events


async def test_answered_later(certs: Certs) -> None:
    asked: list[tuple[bytes, bytes | None]] = []

    def on_request(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> None:
        asked.append((cert, issuer))
        asyncio.get_running_loop().call_later(0.05, cb, None, bytearray(b"resp"))  # type: ignore[arg-type]

    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       ca=certs.ca) as (server, port):
        server.on("OCSPRequest", on_request)
        assert await connect_events(port, certs, request_ocsp=True) == [b"resp",
                                                                        "secureConnect"]
        assert await connect_events(port, certs) == ["secureConnect"]
    leaf = ssl.PEM_cert_to_DER_cert(certs.cert.split(b"-----END CERTIFICATE-----")[0].decode()
                                    + "-----END CERTIFICATE-----\n")
    assert asked == [(leaf, ssl.PEM_cert_to_DER_cert(certs.ca.decode()))]


async def test_listener_count_is_read_per_connection(certs: Certs) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert) as (server, port):
        assert await connect_events(port, certs, request_ocsp=True) == [None, "secureConnect"]
        server.on("OCSPRequest", lambda cert, issuer, cb: cb(None, b"now"))
        assert await connect_events(port, certs, request_ocsp=True) == [b"now",
                                                                        "secureConnect"]


async def test_no_answer(certs: Certs) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert) as (server, port):
        server.on("OCSPRequest", lambda cert, issuer, cb: cb(None, None))
        assert await connect_events(port, certs, request_ocsp=True) == [None, "secureConnect"]


async def _refused(certs: Certs, listener: Callable[..., Any]) -> tuple[BaseException,
                                                                         BaseException]:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        server.on("OCSPRequest", listener)
        reported = event(server, "tlsClientError")
        with pytest.raises(OSError) as info:
            await tls.connect(port, "127.0.0.1", ca=certs.ca, request_ocsp=True)
        err, _ = await wait(reported)
        return err, info.value


async def test_errors_destroy_the_connection(certs: Certs, uncaught: list[BaseException]) -> None:
    refusal = LookupError("no response")

    def twice(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> None:
        cb(None, b"one")
        cb(None, b"two")

    def raises(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> None:
        raise ValueError("listener failed")

    cases: list[tuple[Callable[..., Any], Callable[[BaseException], bool]]] = [
        (lambda c, i, cb: asyncio.get_running_loop().call_later(0.02, cb, refusal, None),
         lambda err: err is refusal),
        (twice, lambda err: getattr(err, "code", None) == "ERR_MULTIPLE_CALLBACK"),
        (raises, lambda err: type(err) is ValueError),
    ]
    for listener, expected in cases:
        err, client_err = await _refused(certs, listener)
        assert expected(err), err
        assert client_err.code == "ECONNRESET"  # type: ignore[attr-defined]
    # User code that raised is also reported as uncaught (the user-code policy).
    assert [repr(e) for e in uncaught] == ["ValueError('listener failed')"]
    uncaught.clear()


async def test_staple_for_the_sni_context(certs: Certs, ec_ca: trustme.CA) -> None:
    leaf = ec_ca.issue_cert("sni.test")
    context = tls.create_secure_context(key=leaf.private_key_pem.bytes(),
                                        cert=leaf.cert_chain_pems[0].bytes(),
                                        ca=ec_ca.cert_pem.bytes())
    asked: list[tuple[bytes, bytes | None]] = []

    def on_request(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> None:
        asked.append((cert, issuer))
        cb(None, b"for " + (b"sni" if issuer else b"default"))

    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       sni_callback=lambda name, cb: cb(None, context)) as (server, port):
        server.on("OCSPRequest", on_request)
        events = await connect_events(port, certs, request_ocsp=True, servername="sni.test",
                                      ca=ec_ca.cert_pem.bytes())
    assert events == [b"for sni", "secureConnect"]
    assert asked == [(ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode()),
                      ssl.PEM_cert_to_DER_cert(ec_ca.cert_pem.bytes().decode()))]


async def test_async_def_listener_returns_the_response(
        certs: Certs, uncaught: list[BaseException]) -> None:
    async def staple(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> bytes:
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.02, answer.set_result, b"async answer")
        return await answer

    async def refuse(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> bytes:
        await asyncio.sleep(0)
        raise PermissionError("async refusal")

    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert) as (server, port):
        server.on("OCSPRequest", staple)
        assert await connect_events(port, certs, request_ocsp=True) == [b"async answer",
                                                                        "secureConnect"]
    err, client_err = await _refused(certs, refuse)
    assert type(err) is PermissionError
    assert client_err.code == "ECONNRESET"  # type: ignore[attr-defined]
    # User code that raised is also reported as uncaught (the user-code policy).
    assert [repr(e) for e in uncaught] == ["PermissionError('async refusal')"]
    uncaught.clear()
