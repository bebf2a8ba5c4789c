"""OCSPStapler against a real ``openssl ocsp`` responder over HTTP.

The leaves' AIA extensions point at ports chosen before they were issued: ``port``
(the real responder, one per module, stopped by its PID), ``dead_port`` (nothing
listens) and ``junk_port`` (a small asyncio HTTP server a test fills with junk).
Requests are counted from the responder's own log.  Whatever the stapler serves is
checked by other implementations: ``openssl ocsp -respin``, a TLS handshake through
``openssl s_server -status_file``, and nodetls's own ``tls.Server`` with the stapler's
listener, to ``openssl s_client -status``, Node's ``requestOCSP`` and nodetls clients.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import nodetls as tls
from nodetls.engine.ocsp import certificates_der
from nodetls.tls.ocsp_http import OCSPFetchError, post_ocsp_request
from nodetls.tls.ocsp_stapler import OCSPStapler, StaplerState, combined_listener
from tests.ocsp_pki import Leaf, MiniCA, Responder, leaf_extensions, openssl_check
from tests.support.certs import free_port
from tests.support.node import NODE
from tests.support.openssl import OPENSSL
from tests.support.procs import STDOUT, Peer, stop_popen

pytestmark = pytest.mark.timeout(10)


@dataclass
class Env:
    work: Path
    ca: MiniCA
    responder: Responder
    good: Leaf
    revoked: Leaf
    dead: Leaf
    junk: Leaf
    junk_port: int
    dead_port: int


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    work = tmp_path_factory.mktemp("ocsp-stapler")
    port, dead_port, junk_port = free_port(), free_port(), free_port()
    ca = MiniCA(work, "ca")
    good = ca.issue("good", leaf_extensions(f"http://127.0.0.1:{port}/"))
    revoked = ca.issue("revoked", leaf_extensions(f"http://127.0.0.1:{port}/"))
    ca.revoke(revoked, "keyCompromise")
    dead = ca.issue("dead", leaf_extensions(f"http://127.0.0.1:{dead_port}/"))
    junk = ca.issue("junk", leaf_extensions(f"http://127.0.0.1:{junk_port}/ocsp"))
    with Responder(ca, port, validity=("-nmin", "1")) as responder:
        yield Env(work, ca, responder, good, revoked, dead, junk, junk_port, dead_port)


class FakeClock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Answers:
    """A recording ``cb(err, response)`` for the listener."""

    def __init__(self) -> None:
        self.calls: list[tuple[BaseException | None, bytes | None]] = []
        self.event = asyncio.Event()

    def __call__(self, err: BaseException | None, response: bytes | None) -> None:
        self.calls.append((err, response))
        self.event.set()


def counting() -> tuple[list[str], Callable[[str, bytes, float], Awaitable[bytes]]]:
    """A fetch that records its attempts and then does the real HTTP POST."""
    attempts: list[str] = []

    async def fetch_(url: str, body: bytes, timeout: float) -> bytes:
        attempts.append(url)
        return await post_ocsp_request(url, body, timeout=timeout)

    return attempts, fetch_


def der(holder: Leaf | MiniCA) -> bytes:
    return certificates_der(holder.cert.read_bytes())[0]


# -- the happy path -----------------------------------------------------------


async def test_fetches_verifies_caches_and_serves_a_good_response(env: Env) -> None:
    stapler = OCSPStapler(env.good.pem, env.ca.pem)
    before = env.responder.requests()
    await stapler.start()
    try:
        assert env.responder.requests() == before + 1
        info = stapler.info
        assert info is not None and info.cert_status == "good"
        assert await stapler.get_response() == info.der
        answers = Answers()
        stapler.listener(der(env.good), der(env.ca), answers)
        assert answers.calls == [(None, info.der)]  # at once, from the cache
        assert env.responder.requests() == before + 1  # neither hit the responder
        # What a client does with the staple: OpenSSL accepts it as "good".
        out = openssl_check(env.ca, env.good, info.der, env.work)
        assert "Response verify OK" in out and "good.crt: good" in out
    finally:
        stapler.close()
        await stapler.wait_closed()


async def test_issuer_found_in_the_pem_chain_and_revoked_status_served(env: Env) -> None:
    stapler = OCSPStapler(env.revoked.pem + env.ca.pem)  # no issuer argument
    await stapler.start()
    try:
        info = stapler.info
        assert info is not None
        assert (info.cert_status, info.revocation_reason) == ("revoked", "keyCompromise")
        out = openssl_check(env.ca, env.revoked, info.der, env.work)
        assert "Response verify OK" in out and "revoked.crt: revoked" in out
    finally:
        stapler.close()


async def test_concurrent_requests_share_one_fetch(env: Env) -> None:
    stapler = OCSPStapler(env.good.pem, env.ca.pem)
    before = env.responder.requests()
    results = await asyncio.gather(*(stapler.get_response() for _ in range(5)))
    assert len(set(results)) == 1 and results[0] is not None
    assert env.responder.requests() == before + 1
    stapler.close()


# -- time: refresh before nextUpdate, never serve after it ----------------------


async def test_refreshes_when_due_and_stops_serving_after_next_update(env: Env) -> None:
    # A responder of its own, so that it can be stopped mid-test.
    port = free_port()
    clock = FakeClock()
    with Responder(env.ca, port, validity=("-nmin", "1")) as own:
        stapler = OCSPStapler(
            env.good.pem, env.ca.pem, responder_url=f"http://127.0.0.1:{port}/",
            refresh_margin=20, min_refresh_interval=1, clock=clock,
        )
        await stapler.start()
        first = stapler.info
        assert first is not None and first.next_update is not None
        assert await stapler.get_response() == first.der and own.requests() == 1
        # 45 s later the response (1 minute) is due: refreshed before it is served.
        clock.offset = timedelta(seconds=45)
        assert await stapler.get_response() is not None
        assert own.requests() == 2
        second = stapler.info
        assert second is not None and second.this_update >= first.this_update
        assert stapler.last_error is None
    # The responder is gone.  Due again (5 s before the second nextUpdate, past the
    # half-life floor): the refresh fails, the still-valid response is served meanwhile.
    assert second.next_update is not None
    clock.offset = second.next_update - datetime.now(UTC) - timedelta(seconds=5)
    assert await stapler.get_response() == second.der
    assert isinstance(stapler.last_error, OCSPFetchError)
    # Past nextUpdate: nothing is stapled, neither by get_response nor in a handshake.
    clock.offset += timedelta(seconds=30)
    assert await stapler.get_response() is None
    answers = Answers()
    stapler.listener(der(env.good), der(env.ca), answers)
    assert answers.calls == [(None, None)]
    stapler.close()
    await stapler.wait_closed()


# -- failures: no staple, no crash, bounded retries -----------------------------


async def test_responder_down_gives_no_staple_and_backs_off(env: Env) -> None:
    attempts, fetch = counting()
    clock = FakeClock()
    stapler = OCSPStapler(env.dead.pem, env.ca.pem, fetch=fetch, clock=clock, retry_initial=2)
    await stapler.start()  # does not raise
    assert stapler.info is None and stapler.state is StaplerState.RUNNING
    assert isinstance(stapler.last_error, OCSPFetchError)
    assert stapler.last_error.code == "ERR_OCSP_FETCH_FAILED"
    answers = Answers()
    stapler.listener(der(env.dead), der(env.ca), answers)
    assert await stapler.get_response() is None
    assert answers.calls == [(None, None)]
    assert attempts == [f"http://127.0.0.1:{env.dead_port}/"]  # backoff: no new attempt
    clock.offset = timedelta(seconds=3)  # past the first backoff (2 s)
    assert await stapler.get_response() is None
    assert len(attempts) == 2
    clock.offset = timedelta(seconds=4)  # second backoff is 4 s: not yet
    assert await stapler.get_response() is None
    assert len(attempts) == 2
    stapler.close()
    await stapler.wait_closed()


def http_200(body: bytes) -> bytes:
    return b"HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n" + (
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )


@pytest.mark.parametrize(("reply", "code"), [
    (http_200(b"\x30\x82\x01\x00 certainly not an OCSP response"), "ERR_OCSP_MALFORMED_RESPONSE"),
    (http_200(bytes.fromhex("3003 0a0103")), "ERR_OCSP_RESPONSE_STATUS"),
    (b"HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", "ERR_OCSP_HTTP_STATUS"),
    (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "ERR_OCSP_BAD_HTTP_RESPONSE"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nshort", "ERR_OCSP_FETCH_FAILED"),
    ("another certificate's real response", "ERR_OCSP_NO_STATUS"),
])
async def test_junk_from_the_responder_is_rejected(
    env: Env, reply: bytes | str, code: str
) -> None:
    if isinstance(reply, str):  # a genuine, signed response, but about the revoked leaf
        other = OCSPStapler(env.revoked.pem, env.ca.pem)
        body = await other.get_response()
        assert body is not None
        reply = http_200(body)
    hits: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        hits.append(head + await reader.readexactly(length))
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", env.junk_port)
    try:
        stapler = OCSPStapler(env.junk.pem, env.ca.pem)
        assert await stapler.get_response() is None
        assert stapler.last_error is not None
        assert getattr(stapler.last_error, "code", None) == code
        assert len(hits) == 1 and hits[0].startswith(b"POST /ocsp HTTP/1.0\r\n")
        assert b"content-type: application/ocsp-request" in hits[0].lower()
        answers = Answers()
        stapler.listener(der(env.junk), der(env.ca), answers)
        assert answers.calls == [(None, None)]
        stapler.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_slow_responder_times_out(env: Env) -> None:
    release = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(stall, "127.0.0.1", env.junk_port)
    try:
        stapler = OCSPStapler(env.junk.pem, env.ca.pem, fetch_timeout=0.3)
        assert await stapler.get_response() is None
        assert getattr(stapler.last_error, "code", None) == "ERR_OCSP_FETCH_TIMEOUT"
        stapler.close()
    finally:
        release.set()
        server.close()
        await server.wait_closed()


# -- the listener policy ------------------------------------------------------


async def test_listener_never_waits_by_default_but_starts_a_fetch(env: Env) -> None:
    stapler = OCSPStapler(env.good.pem, env.ca.pem)  # not started: nothing cached
    answers = Answers()
    stapler.listener(der(env.good), der(env.ca), answers)
    assert answers.calls == [(None, None)]  # synchronously, no staple
    response = await stapler.get_response()  # joins the fetch the listener started
    assert response is not None
    stapler.listener(der(env.good), der(env.ca), answers)
    assert answers.calls[1] == (None, response)
    stapler.close()


async def test_listener_waits_up_to_handshake_wait_when_asked(env: Env) -> None:
    stapler = OCSPStapler(env.good.pem, env.ca.pem, handshake_wait=5)
    answers = Answers()
    stapler.listener(der(env.good), der(env.ca), answers)
    assert answers.calls == []  # answered later, once the fetch is done
    await answers.event.wait()
    assert answers.calls[0][1] is not None and answers.calls[0][1] == stapler.info.der  # type: ignore[union-attr]
    stapler.close()


async def test_close_answers_waiting_handshakes_and_stops(env: Env) -> None:
    release = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(stall, "127.0.0.1", env.junk_port)
    try:
        stapler = OCSPStapler(env.junk.pem, env.ca.pem, handshake_wait=60)
        answers = Answers()
        stapler.listener(der(env.junk), der(env.ca), answers)
        stapler.listener(der(env.junk), der(env.ca), answers)
        await asyncio.sleep(0)  # the first waiter starts waiting on the fetch...
        stapler.listener(der(env.junk), der(env.ca), answers)  # ...this one never runs
        assert answers.calls == []
        stapler.close()
        assert answers.calls == [(None, None)] * 3  # at once, each exactly once
        await stapler.wait_closed()
        assert answers.calls == [(None, None)] * 3
        assert stapler.state is StaplerState.CLOSED
        assert await stapler.get_response() is None
    finally:
        release.set()
        server.close()
        await server.wait_closed()


async def test_listener_ignores_other_certificates_and_combined_dispatches(env: Env) -> None:
    good = OCSPStapler(env.good.pem, env.ca.pem)
    revoked = OCSPStapler(env.revoked.pem, env.ca.pem)
    await good.start()
    await revoked.start()
    answers = Answers()
    good.listener(der(env.revoked), der(env.ca), answers)  # not its certificate
    assert answers.calls == [(None, None)]
    listener = combined_listener(good, revoked)
    listener(der(env.revoked), der(env.ca), answers)
    listener(der(env.good), der(env.ca), answers)
    listener(der(env.dead), der(env.ca), answers)
    assert [a[1] for a in answers.calls[1:]] == [
        revoked.info.der, good.info.der, None,  # type: ignore[union-attr]
    ]
    good.close()
    revoked.close()


def test_constructor_refuses_unusable_input(env: Env) -> None:
    from nodetls.engine.ocsp import OCSPError

    other = MiniCA(env.work, "other")
    no_aia = env.ca.issue("noaia", leaf_extensions(None))
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: OCSPStapler(env.good.pem, other.pem), "ERR_OCSP_INVALID_CERTIFICATE"),
        (lambda: OCSPStapler(env.good.pem), "ERR_OCSP_NO_ISSUER"),
        (lambda: OCSPStapler(no_aia.pem, env.ca.pem), "ERR_OCSP_NO_RESPONDER"),
        (lambda: OCSPStapler(b"junk", env.ca.pem), "ERR_OCSP_INVALID_CERTIFICATE"),
    ]
    for make, code in cases:
        with pytest.raises(OCSPError) as exc:
            make()
        assert exc.value.code == code
    with pytest.raises(ValueError, match="retry_initial"):
        OCSPStapler(env.good.pem, env.ca.pem, retry_initial=0)


# -- end to end: the staple in a real TLS handshake ------------------------------


def await_accept_line(proc: subprocess.Popen[bytes]) -> None:
    """s_server is listening once it prints ``ACCEPT`` (after some chatter)."""
    assert proc.stdout is not None
    while line := proc.stdout.readline():
        if line.startswith(b"ACCEPT"):
            return
    raise RuntimeError("openssl s_server exited before listening")


async def test_staple_reaches_a_tls_client(env: Env) -> None:
    stapler = OCSPStapler(env.good.pem, env.ca.pem)
    response = await stapler.get_response()
    stapler.close()
    assert response is not None
    status_file = env.work / "staple.der"
    status_file.write_bytes(response)
    port = free_port()
    server = subprocess.Popen(
        [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(env.good.cert),
         "-key", str(env.good.key), "-status_file", str(status_file), "-naccept", "1",
         "-www"],  # -www: does not read stdin, whose EOF would drop the connection
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        await asyncio.wait_for(asyncio.to_thread(await_accept_line, server), 5)
        text = await s_client_status(port, env)
        assert "OCSP Response Status: successful" in text
        assert "Cert Status: good" in text
        assert "Verify return code: 0 (ok)" in text
    finally:
        stop_popen(server)


# -- end to end through nodetls's own tls.Server ----------------------------------

NODE_CLIENT = r"""
const tls = require('tls'), fs = require('fs');
const [port, ca] = process.argv.slice(1);
const sock = tls.connect({port: +port, host: '127.0.0.1', ca: fs.readFileSync(ca),
                          servername: 'localhost', requestOCSP: true});
sock.on('OCSPResponse', (r) => console.log('OCSPResponse ' + (r ? r.toString('hex') : 'null')));
sock.on('secureConnect', () => { console.log('authorized ' + sock.authorized); sock.end(); });
sock.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
"""


async def run(*argv: str) -> str:
    """A client process, bounded in time and killed by its PID if it overruns."""
    peer = await Peer.start(*argv, stdin=False, stderr=STDOUT)
    try:
        out, _ = await peer.output(5)
    finally:
        await peer.stop()
    return out.decode(errors="replace")


async def s_client_status(port: int, env: Env) -> str:
    return await run(OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-status",
                     "-CAfile", str(env.ca.cert), "-servername", "localhost")


async def stapling_server(env: Env, stapler: OCSPStapler) -> tuple[tls.Server, int]:
    server = tls.create_server(lambda sock: sock.end(b"bye"), key=env.good.key.read_bytes(),
                               cert=env.good.pem + env.ca.pem)
    server.on("OCSPRequest", stapler.listener)
    await server.listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    return server, int(address["port"])


async def test_nodetls_server_staples_for_openssl_node_and_nodetls_clients(env: Env) -> None:
    stapler = OCSPStapler(env.good.pem, env.ca.pem)
    await stapler.start()
    assert stapler.info is not None
    staple = stapler.info.der
    server, port = await stapling_server(env, stapler)
    try:
        out = await s_client_status(port, env)
        assert "OCSP Response Status: successful" in out and "Cert Status: good" in out
        out = await run(NODE, "-e", NODE_CLIENT, str(port), str(env.ca.cert))
        assert f"OCSPResponse {staple.hex()}" in out and "authorized true" in out
        got: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        sock = tls.connect(port, "127.0.0.1", ca=[env.ca.pem], servername="localhost",
                           request_ocsp=True)
        sock.on("OCSPResponse", got.set_result)
        await sock
        assert await asyncio.wait_for(got, 5) == staple
        sock.destroy()
    finally:
        server.close()
        await server.wait_closed()
        stapler.close()


async def test_nodetls_server_handshake_waits_only_when_told_to(env: Env) -> None:
    # Default policy: the first handshake gets no staple (the fetch runs meanwhile)...
    stapler = OCSPStapler(env.good.pem, env.ca.pem)
    server, port = await stapling_server(env, stapler)
    try:
        out = await s_client_status(port, env)
        assert "OCSP response: no response sent" in out and "Verify return code: 0" in out
        assert await stapler.get_response() is not None  # the fetch it started
        assert "Cert Status: good" in await s_client_status(port, env)
    finally:
        server.close()
        await server.wait_closed()
        stapler.close()
    # ...with handshake_wait, the first handshake waits for the fetch and gets it.
    stapler = OCSPStapler(env.good.pem, env.ca.pem, handshake_wait=5)
    server, port = await stapling_server(env, stapler)
    try:
        assert "Cert Status: good" in await s_client_status(port, env)
    finally:
        server.close()
        await server.wait_closed()
        stapler.close()
