"""Session resumption in one process: client sessions, the server's external session
cache (``'newSession'``/``'resumeSession'``), ticket keys and their rotation.

What Node v20 does in each case was checked against ``node`` on the same OpenSSL;
the cross-process and cross-implementation cases are in ``tests/interop/``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving

VERSIONS = ["TLSv1.3", "TLSv1.2"]


async def _connect(port: int, certs: Certs, **options: Any) -> tuple[tls.TLSSocket, list[bytes]]:
    """A verified client; returns it once 'secureConnect' fired, with its 'session' list."""
    sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost", **options)
    sessions: list[bytes] = []
    sock.on("session", sessions.append)
    await wait(sock, "secureConnect")
    return sock, sessions


async def _resume(port: int, certs: Certs, session: bytes, **options: Any) -> bool:
    sock, _ = await _connect(port, certs, session=session, **options)
    reused = sock.is_session_reused()
    await collect(sock)
    return reused


# --- client sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_events_getters_and_resumption(certs: Certs, version: str) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version=version) as (_, port):
        fresh = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        assert (fresh.get_session(), fresh.get_tls_ticket(), fresh.is_session_reused()) == (
            None, None, False)
        order: list[str] = []
        sessions: list[bytes] = []
        fresh.on("secureConnect", lambda: order.append("secureConnect"))

        def on_session(session: bytes) -> None:
            order.append("session")
            sessions.append(session)

        fresh.on("session", on_session)
        await wait(fresh, "secureConnect")
        if version == "TLSv1.2":
            assert sessions == [fresh.get_session()]  # as Node's ticket test checks
            assert len(fresh.get_tls_ticket() or b"") == 192  # Node's ticket size
        await collect(fresh)
        # TLS 1.3: one event per ticket (OpenSSL sends two); 1.2: the session arrives inside
        # the handshake, before verification, and is held back until after 'secureConnect'.
        expected = 2 if version == "TLSv1.3" else 1
        assert order == ["secureConnect"] + ["session"] * expected
        again, _ = await _connect(port, certs, session=sessions[-1])
        assert again.is_session_reused() is True
        assert again.authorized is True  # a resumed session counts as verified
        await collect(again)


async def test_session_not_emitted_when_verification_fails(certs: Certs) -> None:
    """'session' waits for verification: a rejected connection never emits it."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2") as (_, port):
        sock = tls.connect(port, "127.0.0.1")  # the trustme CA is not trusted
        sessions: list[bytes] = []
        sock.on("session", sessions.append)
        errors, closed = event(sock, "error"), event(sock, "close")
        (err,) = await wait(errors, "'error'")
        assert err.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        await wait(closed, "'close'")
        assert sessions == []
        lax = tls.connect(port, "127.0.0.1", reject_unauthorized=False)
        lax.on("session", sessions.append)
        await wait(lax)
        await collect(lax)
        assert lax.authorized is False and len(sessions) == 1


async def test_tls13_resumption_always_gets_a_fresh_ticket(certs: Certs) -> None:
    """Each resumed TLS 1.3 connection gets a new ticket (OpenSSL's default; Node's
    ticket callback asks for none, so a client using each ticket once runs dry)."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert) as (_, port):
        sock, sessions = await _connect(port, certs)
        await collect(sock)
        for _ in range(3):
            sock, fresh = await _connect(port, certs, session=sessions[-1])
            assert sock.is_session_reused()
            await collect(sock)
            assert len(fresh) == 1
            sessions = fresh


async def test_invalid_session_option_is_a_full_handshake(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert) as (_, port):
        sock, _ = await _connect(port, certs, session=b"not a session")
        assert sock.is_session_reused() is False
        assert await collect(sock) == b"x"


# --- the server's session cache ------------------------------------------------------------


def _cache(server: tls.Server, *, invalid: bool = False) -> dict[str, Any]:
    """newSession/resumeSession backed by a dict, answering on a later loop turn."""
    stats: dict[str, Any] = {"store": {}, "new": 0, "resume": 0}
    loop = asyncio.get_running_loop()

    def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
        stats["new"] += 1
        stats["store"][session_id] = data
        loop.call_soon(cb)

    def resume_session(session_id: bytes, cb: Any) -> None:
        stats["resume"] += 1
        data = stats["store"].get(session_id)
        loop.call_soon(cb, None, b"INVALID SESSION" if invalid and data else data)

    server.on("newSession", new_session)
    server.on("resumeSession", resume_session)
    return stats


@pytest.mark.parametrize("version", VERSIONS)
async def test_stateful_resumption_with_external_cache(certs: Certs, version: str) -> None:
    """With tickets off: TLS 1.2 resumes by session id; TLS 1.3 by its stateful ticket
    (whose identity, a session id, Node never offers to resumeSession: issue #60847)."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version=version, secure_options=tls.SSL_OP_NO_TICKET) as (server,
                                                                                       port):
        stats = _cache(server)
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        sessions: list[bytes] = []
        tickets: list[int | None] = []

        def on_session(session: bytes) -> None:
            sessions.append(session)
            ticket = sock.get_tls_ticket()
            tickets.append(None if ticket is None else len(ticket))

        sock.on("session", on_session)
        await collect(sock)
        # As Node: a TLS 1.2 id-based session has no ticket; a stateful TLS 1.3 ticket is
        # the 32-byte session id.
        assert tickets == ([32, 32] if version == "TLSv1.3" else [None])
        assert stats["new"] == (2 if version == "TLSv1.3" else 1)
        assert await _resume(port, certs, sessions[-1]) is True
        assert stats["resume"] == 2


async def test_invalid_cached_session_is_a_full_handshake(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", secure_options=tls.SSL_OP_NO_TICKET) as (server,
                                                                                       port):
        stats = _cache(server, invalid=True)
        sock, sessions = await _connect(port, certs)
        await collect(sock)
        for _ in range(2):
            assert await _resume(port, certs, sessions[-1]) is False
        assert (stats["new"], stats["resume"]) == (3, 3)


async def test_new_session_holds_the_last_flight(certs: Certs) -> None:
    """Node: the server's Finished (TLS 1.2) waits for the newSession callback, and so
    do 'secureConnection' and the client's 'secureConnect'."""
    loop = asyncio.get_running_loop()
    timeline: list[str] = []
    callbacks: asyncio.Future[Any] = loop.create_future()

    def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
        timeline.append("newSession")
        callbacks.set_result(cb)

    def on_secure(sock: tls.TLSSocket) -> None:
        timeline.append("secureConnection")
        sock.end(b"x")

    async with serving(on_secure, key=certs.key, cert=certs.cert, max_version="TLSv1.2",
                       secure_options=tls.SSL_OP_NO_TICKET) as (server, port):
        server.on("newSession", new_session)
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        sock.on("secureConnect", lambda: timeline.append("secureConnect"))
        cb = await wait(callbacks, "newSession")
        for _ in range(20):  # many loop turns: nothing may move while cb is pending
            await asyncio.sleep(0)
        assert timeline == ["newSession"]
        timeline.append("cb")
        cb()
        cb()  # a second call is ignored, as in Node
        await wait(sock)
        assert await collect(sock) == b"x"
    assert timeline == ["newSession", "cb", "secureConnection", "secureConnect"]


@pytest.mark.parametrize("mode", ["twice", "twice-later", "error"])
async def test_resume_session_callback_misuse(certs: Certs, mode: str) -> None:
    """Node: a second call destroys with ERR_MULTIPLE_CALLBACK, cb(err) with err; both
    reach 'tlsClientError' and the client sees the connection reset."""
    loop = asyncio.get_running_loop()
    boom = RuntimeError("boom")

    def resume_session(session_id: bytes, cb: Any) -> None:
        if mode == "twice":
            cb(None, None)
            cb(None, None)
        elif mode == "twice-later":
            loop.call_soon(lambda: (cb(None, None), loop.call_soon(cb, None, None)))
        else:
            cb(boom)

    async with serving(key=certs.key, cert=certs.cert, max_version="TLSv1.2") as (server, port):
        server.on("resumeSession", resume_session)
        client_error = None
        errors = event(server, "tlsClientError")
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        sock.on("error", lambda err: None)
        err, _ = await wait(errors, "tlsClientError")
        await wait(event(sock, "close"))
        client_error = sock.errored
    if mode == "error":
        assert err is boom
    else:
        assert err.code == "ERR_MULTIPLE_CALLBACK"
        assert str(err) == "Callback called multiple times"
    assert getattr(client_error, "code", None) in ("ECONNRESET", None)


# --- ticket keys -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_ticket_key_rotation(certs: Certs, version: str) -> None:
    """Node's ticket test: rotated keys refuse old tickets silently (full handshake, new
    ticket); putting the old keys back makes them resume again."""
    keys = bytes(range(48))
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       ticket_keys=keys, max_version=version) as (server, port):
        assert server.get_ticket_keys() == keys
        sock, sessions = await _connect(port, certs)
        await collect(sock)
        server.set_ticket_keys(bytes(48))
        assert server.get_ticket_keys() == bytes(48)
        sock, fresh = await _connect(port, certs, session=sessions[-1])
        assert sock.is_session_reused() is False and sock.authorized
        await collect(sock)
        assert fresh, "a refused ticket is replaced by a fresh one"
        server.set_ticket_keys(bytearray(keys))  # type: ignore[arg-type]
        assert await _resume(port, certs, sessions[-1]) is True
        assert await _resume(port, certs, fresh[-1]) is False


@pytest.mark.parametrize("version", VERSIONS)
async def test_ticket_key_ring_rotation_keeps_old_tickets(certs: Certs, version: str) -> None:
    """Beyond Node: ``set_ticket_keys([new, old])`` encrypts with ``new`` and still
    resumes tickets under ``old``; ``get_ticket_keys()`` is the first key."""
    old, new = bytes(range(48)), bytes(range(1, 49))
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       ticket_keys=old, max_version=version) as (server, port):
        sock, sessions = await _connect(port, certs)
        await collect(sock)
        server.set_ticket_keys([new, old])
        assert server.get_ticket_keys() == new
        assert await _resume(port, certs, sessions[-1]) is True
        server.set_ticket_keys([new])
        assert await _resume(port, certs, sessions[-1]) is False


def test_set_ticket_keys_validation(certs: Certs) -> None:
    server = tls.create_server(key=certs.key, cert=certs.cert)
    with pytest.raises(TypeError) as info:
        server.set_ticket_keys(bytes(47))
    assert info.value.code == "ERR_INVALID_ARG_VALUE"  # type: ignore[attr-defined]
    assert str(info.value) == "The argument 'keys' must be exactly 48 bytes. Received 47"
    with pytest.raises(TypeError) as info:
        server.set_ticket_keys("x" * 48)  # type: ignore[arg-type]
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    with pytest.raises(TypeError) as info:
        server.set_ticket_keys([bytes(48), bytes(3)])
    assert str(info.value) == "The argument 'keys[1]' must be exactly 48 bytes. Received 3"
    with pytest.raises(TypeError) as info:
        tls.create_server(key=certs.key, cert=certs.cert, ticket_keys=bytes(3))
    assert str(info.value) == ("The property 'options.ticket_keys' must be exactly 48 bytes. "
                               "Received 3")


async def test_no_ticket_without_cache_does_not_resume(certs: Certs) -> None:
    """Node: with SSL_OP_NO_TICKET and no session listeners nothing resumes (the server
    keeps no session cache of its own)."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", secure_options=tls.SSL_OP_NO_TICKET) as (_, port):
        sock, sessions = await _connect(port, certs)
        await collect(sock)
        assert sock.get_tls_ticket() is None and len(sessions) == 1
        assert await _resume(port, certs, sessions[-1]) is False


async def test_async_def_session_listeners_may_return_their_answer(certs: Certs) -> None:
    """API.md: an ``async def`` 'resumeSession' returns the session (or None) instead of
    calling cb; an ``async def`` 'newSession' is done when it returns."""
    store: dict[bytes, bytes] = {}

    async def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
        await asyncio.sleep(0)
        store[session_id] = data

    async def resume_session(session_id: bytes, cb: Any) -> bytes | None:
        await asyncio.sleep(0)
        return store.get(session_id)

    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       secure_options=tls.SSL_OP_NO_TICKET) as (server, port):
        server.on("newSession", new_session)
        sock, sessions = await _connect(port, certs)
        await collect(sock)
        assert len(store) == 2  # TLS 1.3: two stateful tickets
        server.once("resumeSession", resume_session)  # a once-listener is used once
        assert await _resume(port, certs, sessions[-1]) is True
        assert server.listener_count("resumeSession") == 0


async def test_async_def_resume_session_raising_destroys(
        certs: Certs, uncaught: list[BaseException]) -> None:
    boom = RuntimeError("store unavailable")

    async def resume_session(session_id: bytes, cb: Any) -> bytes:
        raise boom

    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        server.on("resumeSession", resume_session)
        errors = event(server, "tlsClientError")
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        sock.on("error", lambda err: None)
        err, _ = await wait(errors, "tlsClientError")
        assert err is boom
    # User code that raised is also reported as uncaught (the user-code policy).
    assert [repr(e) for e in uncaught] == ["RuntimeError('store unavailable')"]
    uncaught.clear()
