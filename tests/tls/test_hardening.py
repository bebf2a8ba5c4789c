"""The server options beyond Node: ``session_cache_size`` (OpenSSL's own bounded
session-id cache) and ``allow_client_renegotiation=False``.

The cache is exercised with tickets off (``SSL_OP_NO_TICKET``), where resumption needs a
server-side state: TLS 1.2 by session id, TLS 1.3 by stateful ticket.  The renegotiating
client that carries on after the server's ``no_renegotiation`` warning is tlslite-ng (an
OpenSSL client gives up on that alert by design); Node and ``openssl s_client`` peers are
in ``tests/interop/test_hardening_interop.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

import nodetls as tls
from nodetls.engine.context import NativeSecureContext
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.support.tlslite import AlertDescription, AlertLevel, ContentType, renegotiating_client
from tests.tls.tlsutil import serving

VERSIONS = ["TLSv1.3", "TLSv1.2"]
NO_TICKET = tls.SSL_OP_NO_TICKET


async def _session(port: int, certs: Certs, **options: Any) -> tuple[bytes, bool]:
    """One verified connection: its session (the offered one if a TLS 1.2 session was
    resumed, which brings no new 'session') and whether it resumed."""
    sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost", **options)
    sessions: list[bytes] = []
    sock.on("session", sessions.append)
    await wait(sock, "secureConnect")
    reused = sock.is_session_reused()
    await collect(sock)
    if not sessions and reused:
        return options["session"], reused
    assert sessions, "the server issued no session"
    return sessions[-1], reused


def _native(server: tls.Server) -> NativeSecureContext:
    return server._shared_context.context


# --- session_cache_size -----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_cache_resumes_without_listeners(certs: Certs, version: str) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version=version, secure_options=NO_TICKET,
                       session_cache_size=16) as (server, port):
        session, reused = await _session(port, certs)
        assert reused is False
        for _ in range(2):  # TLS 1.3 gets a fresh stateful ticket each time
            session, reused = await _session(port, certs, session=session)
            assert reused is True
        entries, hits = _native(server).session_cache_stats()
        assert hits == 2 and 1 <= entries <= 16


@pytest.mark.parametrize("version", VERSIONS)
async def test_default_is_nodes_no_cache(certs: Certs, version: str) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version=version, secure_options=NO_TICKET) as (server, port):
        session, _ = await _session(port, certs)
        assert (await _session(port, certs, session=session))[1] is False
        assert _native(server).session_cache_stats() == (0, 0)


async def test_cache_is_bounded_and_drops_the_oldest(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", secure_options=NO_TICKET,
                       session_cache_size=2) as (server, port):
        sessions = [(await _session(port, certs))[0] for _ in range(5)]
        assert _native(server).session_cache_stats()[0] == 2
        resumed = [(await _session(port, certs, session=s))[1] for s in sessions[::-1]]
        assert resumed == [True, True, False, False, False]
        assert _native(server).session_cache_stats()[0] == 2  # full handshakes replaced them


@pytest.mark.async_timeout(20)
async def test_cached_sessions_expire_after_session_timeout(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", secure_options=NO_TICKET, session_timeout=1,
                       session_cache_size=8) as (_, port):
        fresh, _ = await _session(port, certs)
        stale, _ = await _session(port, certs)
        assert (await _session(port, certs, session=fresh))[1] is True
        # OpenSSL counts whole seconds: a 1-second session is stale once 2 have passed.
        # No event marks that moment, so this one test waits for the clock.
        await asyncio.sleep(2.2)
        assert (await _session(port, certs, session=stale))[1] is False


@pytest.mark.parametrize("version", VERSIONS)
async def test_listeners_take_precedence(certs: Certs, version: str) -> None:
    """A session cached by OpenSSL is not resumed behind the application's back: once
    'resumeSession' listens, it alone decides (here: no session, a full handshake)."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version=version, secure_options=NO_TICKET,
                       session_cache_size=16) as (server, port):
        cached, _ = await _session(port, certs)
        asked: list[bytes] = []
        store: dict[bytes, bytes] = {}

        def new_session(session_id: bytes, data: bytes, cb: Callable[[], None]) -> None:
            store[session_id] = data
            cb()

        def resume_session(session_id: bytes, cb: Callable[..., None]) -> None:
            asked.append(session_id)
            cb(None, store.get(session_id))

        server.on("resumeSession", resume_session)
        assert (await _session(port, certs, session=cached))[1] is False
        assert len(asked) == 1
        entries, hits = _native(server).session_cache_stats()
        server.on("newSession", new_session)
        own, _ = await _session(port, certs)
        assert (await _session(port, certs, session=own))[1] is True  # from the listener
        assert _native(server).session_cache_stats() == (entries, hits)  # cache untouched
        server.remove_all_listeners("resumeSession")
        server.remove_all_listeners("newSession")
        assert (await _session(port, certs, session=cached))[1] is True  # cache back on


async def test_tickets_stay_stateless_and_the_cache_serves_clients_without(
        certs: Certs) -> None:
    """With tickets on (Node's default) a TLS 1.2 client offering tickets resumes by
    ticket and takes no cache entry (OpenSSL gives it no session id); a client without
    tickets resumes by session id from the cache."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", session_cache_size=4) as (server, port):
        session, _ = await _session(port, certs)
        assert (await _session(port, certs, session=session))[1] is True
        assert _native(server).session_cache_stats()[0] == 0
        session, _ = await _session(port, certs, secure_options=NO_TICKET)
        assert (await _session(port, certs, session=session, secure_options=NO_TICKET))[1]
        assert _native(server).session_cache_stats() == (1, 2)  # hits count tickets too


async def test_set_secure_context_keeps_the_options_unless_given(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", secure_options=NO_TICKET,
                       session_cache_size=4) as (server, port):
        server.set_secure_context(key=certs.key, cert=certs.cert, max_version="TLSv1.2",
                                  secure_options=NO_TICKET)
        session, _ = await _session(port, certs)
        assert (await _session(port, certs, session=session))[1] is True
        server.set_secure_context(key=certs.key, cert=certs.cert, max_version="TLSv1.2",
                                  secure_options=NO_TICKET, session_cache_size=0)
        session, _ = await _session(port, certs)
        assert (await _session(port, certs, session=session))[1] is False


# --- option validation ------------------------------------------------------------------------

BAD = [
    ("session_cache_size", -1, "ERR_OUT_OF_RANGE", ValueError,
     'The value of "options.session_cache_size" is out of range. '
     "It must be >= 0 && <= 2147483647. Received -1"),
    ("session_cache_size", 1.5, "ERR_OUT_OF_RANGE", ValueError,
     'The value of "options.session_cache_size" is out of range. '
     "It must be an integer. Received 1.5"),
    ("session_cache_size", 2**31, "ERR_OUT_OF_RANGE", ValueError, None),
    ("session_cache_size", "100", "ERR_INVALID_ARG_TYPE", TypeError,
     'The "options.session_cache_size" property must be of type number. '
     "Received type string ('100')"),
    ("session_cache_size", True, "ERR_INVALID_ARG_TYPE", TypeError, None),
    ("allow_client_renegotiation", 0, "ERR_INVALID_ARG_TYPE", TypeError,
     'The "options.allow_client_renegotiation" property must be of type boolean. '
     "Received type number (0)"),
    ("allow_client_renegotiation", "no", "ERR_INVALID_ARG_TYPE", TypeError, None),
]


@pytest.mark.parametrize(("option", "value", "code", "kind", "message"), BAD)
@pytest.mark.parametrize("api", ["create_secure_context", "create_server",
                                 "set_secure_context"])
def test_option_validation(certs: Certs, api: str, option: str, value: object, code: str,
                           kind: type[Exception], message: str | None) -> None:
    calls: dict[str, Callable[..., object]] = {
        "create_secure_context": tls.create_secure_context,
        "create_server": tls.create_server,
        "set_secure_context": tls.create_server(key=certs.key,
                                                cert=certs.cert).set_secure_context,
    }
    with pytest.raises(kind) as info:
        calls[api](key=certs.key, cert=certs.cert, **{option: value})
    assert info.value.code == code  # type: ignore[attr-defined]
    if message is not None:
        assert str(info.value) == message


@pytest.mark.parametrize("options", [
    {}, {"session_cache_size": None, "allow_client_renegotiation": None},
    {"session_cache_size": 0, "allow_client_renegotiation": True},
    {"session_cache_size": 2**31 - 1, "allow_client_renegotiation": False},
])
def test_valid_values(certs: Certs, options: dict[str, Any]) -> None:
    context = tls.create_secure_context(key=certs.key, cert=certs.cert, **options)
    assert context.context.session_cache_stats() == (0, 0)


# --- allow_client_renegotiation=False -----------------------------------------------------------


@pytest.mark.parametrize("attempts", [1, 6])
async def test_refused_renegotiation_gets_a_warning_and_the_connection_goes_on(
        certs: Certs, attempts: int) -> None:
    """Each attempt gets the warning; none counts against CLIENT_RENEG_LIMIT (3), so
    six in a row neither start a handshake nor trip ERR_TLS_SESSION_ATTACK."""
    errors: list[BaseException] = []
    handshakes: list[None] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("error", errors.append)
        sock.on("secure", lambda: handshakes.append(None))
        sock.on("data", lambda data: sock.write(b"echo:" + data))

    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       allow_client_renegotiation=False) as (_, port):
        answer = await wait(asyncio.get_running_loop().run_in_executor(
            None, renegotiating_client, port, attempts), "tlslite-ng client")
    warning = [ContentType.alert, AlertLevel.warning, AlertDescription.no_renegotiation]
    assert answer == warning * attempts + [b"echo:ping"]
    assert errors == [] and handshakes == []


async def test_server_initiated_renegotiation_still_works(certs: Certs) -> None:
    """Only the client's requests are refused: the server may still renegotiate (here to
    ask for a client certificate after the handshake, as Node's test does)."""
    queue: asyncio.Queue[tls.TLSSocket] = asyncio.Queue()
    async with serving(queue.put_nowait, key=certs.key, cert=certs.cert, ca=certs.ca,
                       max_version="TLSv1.2", allow_client_renegotiation=False) as (_, port):
        client = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                             key=certs.client_key, cert=certs.client_cert)
        await wait(client, "secureConnect")
        server_side = await wait(queue.get(), "secureConnection")
        assert server_side.get_peer_certificate() == {}
        done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        assert server_side.renegotiate(done.set_result, request_cert=True,
                                       reject_unauthorized=True) is True
        assert await wait(done, "renegotiate callback") is None
        assert server_side.get_peer_certificate()["subject"]
        received = event(server_side, "data")
        client.write(b"after")
        assert (await wait(received, "data"))[0] == b"after"
        client.destroy()


async def test_nodetls_client_renegotiation_is_refused(certs: Certs) -> None:
    """An OpenSSL client (here nodetls's) ends its own connection on the refusal, with
    OpenSSL's 'no renegotiation' error; the server counts no handshake."""
    queue: asyncio.Queue[tls.TLSSocket] = asyncio.Queue()
    async with serving(queue.put_nowait, key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", allow_client_renegotiation=False) as (_, port):
        client = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        await wait(client, "secureConnect")
        server_side = await wait(queue.get(), "secureConnection")
        secure: list[None] = []
        server_side.on("secure", lambda: secure.append(None))
        server_side.on("error", lambda err: None)
        failed = event(client, "error")
        done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        client.renegotiate(done.set_result)
        (err,) = await wait(failed, "client 'error'")
        assert err.code == "ERR_SSL_NO_RENEGOTIATION"
        assert secure == []
