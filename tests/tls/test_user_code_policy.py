"""One policy for exceptions in user code (``nodetls.tls.user_code``).

Whatever raises (a hook or a listener, plain or ``async def``): the exception reaches
the loop's exception handler (a custom one here, as an application would install), the
connection it belongs to is destroyed at once (before the handshake: ``'tlsClientError'``
gets that very exception), and the server goes on serving the next client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.support.guard import loop_errors
from tests.tls.tlsutil import serving

KEY = bytes(range(32))


class Boom(Exception):
    """The user's bug."""


def raising_once(good: Callable[..., Any], is_async: bool, boom: Boom) -> Callable[..., Any]:
    """A hook that raises ``boom`` on its first call and behaves like ``good`` after."""
    calls = [0]

    def sync_hook(*args: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise boom
        return good(*args)

    async def async_hook(*args: Any) -> Any:
        calls[0] += 1
        first = calls[0] == 1
        await asyncio.sleep(0)  # raise from the coroutine, after a loop turn
        if first:
            raise boom
        return good(*args)

    return async_hook if is_async else sync_hook


@dataclass
class Case:
    """A server-side hook: how to install it, what the client needs to reach it."""

    install: Callable[[tls.Server, Callable[..., Any]], None]
    good: Callable[..., Any]
    server: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    before_handshake: bool = True
    forms: tuple[bool, ...] = (False, True)  # plain, async def


def _on(name: str) -> Callable[[tls.Server, Callable[..., Any]], None]:
    return lambda server, hook: server.on(name, hook) and None


def _cb_none(*args: Any) -> None:
    args[-1](None, None)


PSK = {"ciphers": "PSK+HIGH", "max_version": "TLSv1.2"}

SERVER_CASES: dict[str, Case] = {
    "sni_callback": Case(lambda s, h: None, _cb_none, client={"servername": "localhost"}),
    "alpn_callback": Case(lambda s, h: None, lambda info: info["protocols"][0],
                          client={"alpn_protocols": ["h2"]}, forms=(False,)),
    "psk_callback": Case(lambda s, h: None, lambda sock, identity: KEY, server=PSK,
                         client={**PSK, "check_server_identity": lambda host, cert: None,
                                 "psk_callback": lambda hint: {"psk": KEY, "identity": "i"}},
                         forms=(False,)),
    "keylog": Case(_on("keylog"), lambda line, sock: None),
    "OCSPRequest": Case(_on("OCSPRequest"), _cb_none, client={"request_ocsp": True}),
    "newSession": Case(_on("newSession"), lambda sid, data, cb: cb(),
                       server={"max_version": "TLSv1.2", "secure_options": tls.SSL_OP_NO_TICKET}),
    "secureConnection": Case(_on("secureConnection"), lambda sock: sock.end(b"ok"),
                             before_handshake=False),
}
OPTION_HOOKS = ("sni_callback", "alpn_callback", "psk_callback")


def _greet(sock: tls.TLSSocket) -> None:
    sock.end(b"ok")


def _forms(cases: dict[str, Any], forms: Callable[[Any], tuple[bool, ...]]) -> list[Any]:
    """(name, is_async) for every form a hook has (ALPN and PSK callbacks answer inside
    an OpenSSL callback, synchronously, as in Node: they have no async def form)."""
    return [pytest.param(name, is_async, id=f"{name}-{'async' if is_async else 'plain'}")
            for name, case in cases.items() for is_async in forms(case)]


@pytest.mark.parametrize(("name", "is_async"), _forms(SERVER_CASES, lambda case: case.forms))
async def test_server_hook_that_raises(certs: Certs, name: str, is_async: bool) -> None:
    case = SERVER_CASES[name]
    boom = Boom(name)
    hook = raising_once(case.good, is_async, boom)
    options = {**case.server}
    if name in OPTION_HOOKS:
        options[name] = hook
    if "ciphers" not in options:
        options.update(key=certs.key, cert=certs.cert)
    greeter = None if name == "secureConnection" else _greet
    client = {"ca": certs.ca, **case.client}
    with loop_errors() as logged:
        async with serving(greeter, **options) as (server, port):
            case.install(server, hook)
            client_errors = event(server, "tlsClientError")
            first = tls.connect(port, "127.0.0.1", **client)
            first.on("error", lambda err: None)
            first.resume()  # read on, to the server's FIN
            await wait(event(first, "close"), "the first client's close")
            if case.before_handshake and not (is_async and name == "keylog"):
                err, sock = await wait(client_errors, "'tlsClientError'")
                assert err is boom and sock.destroyed
            second = await wait(tls.connect(port, "127.0.0.1", **client), "the next client")
            assert await collect(second) == b"ok"  # the server went on serving
    assert [context["exception"] for context in logged] == [boom]
    assert "nodetls" in logged[0]["message"]


async def test_async_alpn_callback_is_refused_under_the_policy(certs: Certs) -> None:
    """OpenSSL waits for the ALPN answer inside its callback: an ``async def`` cannot
    give it, so it is refused clearly instead of its coroutine never being awaited."""

    async def choose(info: dict[str, Any]) -> str:
        return "h2"

    with loop_errors() as logged:
        async with serving(_greet, key=certs.key, cert=certs.cert,
                           alpn_callback=choose) as (server, port):
            client_errors = event(server, "tlsClientError")
            sock = tls.connect(port, "127.0.0.1", ca=certs.ca, alpn_protocols=["h2"])
            sock.on("error", lambda err: None)
            err, _ = await wait(client_errors, "'tlsClientError'")
            await wait(event(sock, "close"))
    assert isinstance(err, TypeError) and "alpn_callback" in str(err)
    assert [context["exception"] for context in logged] == [err]


async def test_secure_connection_async_listener_that_raises_destroys_its_connection(
    certs: Certs,
) -> None:
    """The issue's case: the connection used to stay open forever."""
    boom = Boom("async secureConnection")
    accepted: list[tls.TLSSocket] = []

    async def on_secure(sock: tls.TLSSocket) -> None:
        accepted.append(sock)
        await asyncio.sleep(0)
        raise boom

    with loop_errors() as logged:
        async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
            client = await tls.connect(port, "127.0.0.1", ca=certs.ca)
            assert await collect(client) == b""  # the server closed it
            assert accepted[0].destroyed and accepted[0].errored is boom
    assert [context["exception"] for context in logged] == [boom]


async def test_resume_session_listener_that_raises(certs: Certs) -> None:
    boom = Boom("resumeSession")
    store: dict[bytes, bytes] = {}
    hook = raising_once(lambda sid, cb: cb(None, store.get(sid)), False, boom)
    with loop_errors() as logged:
        async with serving(_greet, key=certs.key, cert=certs.cert, max_version="TLSv1.2",
                           secure_options=tls.SSL_OP_NO_TICKET) as (server, port):
            server.on("newSession", lambda sid, data, cb: (store.update({sid: data}), cb()))
            server.on("resumeSession", hook)
            # TLS 1.2 on both sides: no compatibility-mode session id in the first hello
            options = {"ca": certs.ca, "servername": "localhost", "max_version": "TLSv1.2"}
            first = tls.connect(port, "127.0.0.1", **options)
            session = event(first, "session")
            assert await collect(first) == b"ok"
            (saved,) = await wait(session)
            client_errors = event(server, "tlsClientError")
            failing = tls.connect(port, "127.0.0.1", session=saved, **options)
            failing.on("error", lambda err: None)
            err, _ = await wait(client_errors, "'tlsClientError'")
            assert err is boom
            await wait(event(failing, "close"))
            resumed = await tls.connect(port, "127.0.0.1", session=saved, **options)
            assert resumed.is_session_reused() and await collect(resumed) == b"ok"
    assert [context["exception"] for context in logged] == [boom]


CLIENT_CASES: dict[str, tuple[dict[str, Any], tuple[bool, ...]]] = {
    "check_server_identity": ({}, (False, True)),
    "psk_callback": ({**PSK, "check_server_identity": lambda host, cert: None}, (False,)),
    "keylog": ({}, (False, True)),
}


@pytest.mark.parametrize(("name", "is_async"), _forms(CLIENT_CASES, lambda case: case[1]))
async def test_client_hook_that_raises(certs: Certs, name: str, is_async: bool) -> None:
    extra, _ = CLIENT_CASES[name]
    boom = Boom(name)
    hook = raising_once(lambda *args: None, is_async, boom)
    if name == "psk_callback":
        server: dict[str, Any] = {**PSK, "psk_callback": lambda sock, identity: KEY}
    else:
        server = {"key": certs.key, "cert": certs.cert}
    with loop_errors() as logged:
        async with serving(_greet, **server) as (_, port):
            options = {"ca": certs.ca, **extra}
            if name != "keylog":
                options[name] = hook
            sock = tls.connect(port, "127.0.0.1", **options)
            if name == "keylog":
                sock.on("keylog", hook)
            closed = event(sock, "close")
            if name == "keylog" and is_async:  # the coroutine may end after 'secureConnect'
                sock.on("error", lambda err: None)
                sock.resume()
            else:
                with pytest.raises(Boom) as info:
                    await wait(sock, "the client's failure")
                assert info.value is boom
            await wait(closed)
            assert sock.destroyed and sock.errored is boom
    assert [context["exception"] for context in logged] == [boom]


async def test_async_check_server_identity_is_awaited(certs: Certs) -> None:
    seen: list[str] = []

    async def check(host: str, cert: dict[str, Any]) -> BaseException | None:
        await asyncio.sleep(0)
        seen.append(host)
        return tls.check_server_identity(host, cert)

    async with serving(_greet, key=certs.key, cert=certs.cert) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                                 check_server_identity=check)
        assert sock.authorized and seen == ["localhost"]
        assert await collect(sock) == b"ok"
        with pytest.raises(tls.TLSCertVerificationError) as info:
            await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="example.com",
                              check_server_identity=check)
        assert info.value.code == "ERR_TLS_CERT_ALTNAME_INVALID"
