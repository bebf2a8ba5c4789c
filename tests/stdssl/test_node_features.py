"""Node's features through ``nodetls.SSLContext`` and asyncio's (or uvloop's) plumbing:
SNI callbacks, ALPN, keylog, OCSP stapling, shared ticket keys, session caches, PSK,
versions, ciphers and signature algorithms, each against a peer nodetls did not write."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

import nodetls
from nodetls import SSLContext
from tests.interop.resumelab import node_client
from tests.ocsp_pki import MiniCA, leaf_extensions, respond
from tests.support.certs import Certs
from tests.support.loops import run_on
from tests.support.node_batch import node_clients, node_servers

from .stdutil import (
    Ends,
    client_context,
    server_context,
    stdlib_client_context,
    stdlib_server_context,
)


async def _bye(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"bye\n")
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def bye_server(context: ssl.SSLContext) -> AsyncIterator[int]:
    """Says ``bye`` and closes each connection once its handshake is done."""
    server = await asyncio.start_server(_bye, "127.0.0.1", 0, ssl=context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def _peer_of(port: int, context: ssl.SSLContext, hostname: str = "localhost") -> Any:
    """Connect, read the greeting, return the client's ``ssl_object``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname=hostname)
    assert await reader.readline() == b"bye\n"
    sslobj = writer.get_extra_info("ssl_object")
    writer.close()
    return sslobj


# --- SNI ----------------------------------------------------------------------------------------


def test_node_sni_callback_answers_with_a_context(certs: Certs, ca: trustme.CA,
                                                  loop_name: str) -> None:
    other = ca.issue_cert("other.test", "third.test")
    other_key, other_cert = other.private_key_pem.bytes(), other.cert_chain_pems[0].bytes()
    answers = {"other.test": nodetls.create_secure_context(key=other_key, cert=other_cert),
               "third.test": SSLContext(True, key=other_key, cert=other_cert)}
    asked: list[str] = []

    def sni(servername: str, cb: Callable[..., None]) -> None:
        asked.append(servername)
        cb(None, answers.get(servername))

    async def main() -> None:
        async with bye_server(server_context(certs, sni_callback=sni)) as port:
            for name in ("other.test", "third.test", "localhost"):
                sslobj = await _peer_of(port, stdlib_client_context(certs), name)
                dns = sslobj.getpeercert()["subjectAltName"][0][1]
                assert dns == ("localhost" if name == "localhost" else "other.test")

    run_on(loop_name, main)
    assert asked == ["other.test", "third.test", "localhost"]


def test_stdlib_sni_callback_switches_the_ssl_object_context(certs: Certs, ca: trustme.CA,
                                                             loop_name: str) -> None:
    other = ca.issue_cert("other.test")
    other_ctx = SSLContext(True, key=other.private_key_pem.bytes(),
                           cert=other.cert_chain_pems[0].bytes())
    seen: list[tuple[str, bool]] = []

    def callback(sslobj: Any, servername: str, ctx: ssl.SSLContext) -> None:
        seen.append((servername, isinstance(sslobj, nodetls.SSLObject)))
        if servername == "other.test":
            sslobj.context = other_ctx

    async def main() -> None:
        server_ctx = server_context(certs)
        server_ctx.sni_callback = callback
        async with bye_server(server_ctx) as port:
            sslobj = await _peer_of(port, stdlib_client_context(certs), "other.test")
            assert sslobj.getpeercert()["subjectAltName"] == (("DNS", "other.test"),)

    run_on(loop_name, main)
    assert seen == [("other.test", True)]


def test_a_hook_that_does_not_answer_in_time_fails_the_handshake(certs: Certs) -> None:
    kept: list[Any] = []
    ends = Ends(client_context(certs),
                server_context(certs, sni_callback=lambda name, cb: kept.append(cb)))
    with pytest.raises(ssl.SSLError) as info:
        ends.handshake()
    assert info.value.code == "ERR_NODETLS_HOOK_NOT_ANSWERED"  # type: ignore[attr-defined]
    assert "sni_callback did not call cb" in str(info.value)
    assert "nodetls.create_server" in str(info.value)
    assert len(kept) == 1

    async def later(session_id: bytes, cb: Any) -> None:
        cb(None, None)

    server = server_context(certs, secure_options=nodetls.SSL_OP_NO_TICKET)
    server.on("resumeSession", later)
    first = Ends(client_context(certs, max_version="TLSv1.2"), server)
    first.handshake()
    client = client_context(certs, max_version="TLSv1.2", session=first.client.get_session())
    with pytest.raises(ssl.SSLError, match="'resumeSession' listener did not call cb"):
        Ends(client, server).handshake()


# --- ALPN, keylog, versions, ciphers ----------------------------------------------------------


def test_alpn_protocols_and_callback(certs: Certs, loop_name: str) -> None:
    offers: list[dict[str, Any]] = []

    def choose(info: dict[str, Any]) -> str:
        offers.append(info)
        return "h2"

    async def main() -> None:
        client = stdlib_client_context(certs)
        client.set_alpn_protocols(["h2", "http/1.1"])
        async with bye_server(server_context(certs, alpn_protocols=["http/1.1"])) as port:
            assert (await _peer_of(port, client)).selected_alpn_protocol() == "http/1.1"
        async with bye_server(server_context(certs, alpn_callback=choose)) as port:
            assert (await _peer_of(port, client)).selected_alpn_protocol() == "h2"
        ours = client_context(certs)
        ours.set_alpn_protocols(["spdy/1", "http/1.1"])  # the stdlib setter, as httpcore does
        stdlib_server = stdlib_server_context(certs)
        stdlib_server.set_alpn_protocols(["http/1.1"])
        async with bye_server(stdlib_server) as port:
            sslobj = await _peer_of(port, ours)
            assert sslobj.selected_alpn_protocol() == sslobj.alpn_protocol == "http/1.1"

    run_on(loop_name, main)
    assert offers == [{"servername": "localhost", "protocols": ["h2", "http/1.1"]}]


def test_keylog_lines_match_pythons_own(certs: Certs, tmp_path: Path, loop_name: str) -> None:
    lines: list[bytes] = []
    objects: list[Any] = []

    def on_keylog(line: bytes, sslobj: Any) -> None:
        lines.append(line)
        objects.append(sslobj)

    async def main() -> None:
        server = server_context(certs)
        server.on("keylog", on_keylog)
        client = stdlib_client_context(certs)
        client.keylog_filename = str(tmp_path / "python.keys")
        async with bye_server(server) as port:
            await _peer_of(port, client)

    run_on(loop_name, main)
    python_lines = [line + b"\n" for line in (tmp_path / "python.keys").read_bytes().splitlines()
                    if not line.startswith(b"#")]
    assert len(lines) == 5 and sorted(lines) == sorted(python_lines)
    assert all(isinstance(obj, nodetls.SSLObject) and obj.server_side for obj in objects)


def test_keylog_filename_setter_on_a_client(certs: Certs, tmp_path: Path) -> None:
    client = client_context(certs)
    client.keylog_filename = str(tmp_path / "ours.keys")
    ends = Ends(client, stdlib_server_context(certs))
    ends.handshake()
    labels = {line.split()[0] for line in (tmp_path / "ours.keys").read_bytes().splitlines()}
    assert b"CLIENT_TRAFFIC_SECRET_0" in labels and b"SERVER_HANDSHAKE_TRAFFIC_SECRET" in labels


def test_sigalgs_restrict_the_shared_list(certs: Certs) -> None:
    ends = Ends(stdlib_client_context(certs), server_context(certs, sigalgs="ECDSA+SHA256"))
    ends.handshake()
    assert ends.server.get_shared_sigalgs() == ["ECDSA+SHA256"]


def test_versions_and_ciphers(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        client = client_context(certs, max_version="TLSv1.2",
                                ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")
        async with bye_server(stdlib_server_context(certs)) as port:
            sslobj = await _peer_of(port, client)
        assert sslobj.version() == "TLSv1.2"
        assert sslobj.cipher() == ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLSv1.2", 128)
        modern = server_context(certs, min_version="TLSv1.3")
        async with bye_server(modern) as port:
            with pytest.raises((ssl.SSLError, ConnectionResetError)):
                await _peer_of(port, client)

    run_on(loop_name, main)


# --- OCSP ---------------------------------------------------------------------------------------

NODE_STAPLE_CLIENT = r"""
(async () => {
  await client('staple', {port: +E.PORT, ca: E.CA, servername: 'localhost', requestOCSP: true},
               {setup: (s, r) => {
                 s.on('OCSPResponse', (b) => { r.staple = hex(b); });
                 s.resume();  // read the server's greeting, so that 'close' comes
               }});
  done();
})();
"""

NODE_STAPLE_SERVER = r"""
serveAll([server('staple', {key: E.KEY, cert: E.CERT},
                 {setup: (srv) => srv.on('OCSPRequest', (c, i, cb) =>
                                        cb(null, Buffer.from(E.RESPONSE, 'hex')))})]);
"""


def test_stapled_ocsp_both_ways(tmp_path: Path, loop_name: str) -> None:
    ca = MiniCA(tmp_path, "ca")
    leaf = ca.issue("localhost", leaf_extensions("http://127.0.0.1:9/"))  # never fetched
    response = respond(ca, leaf, tmp_path)

    async def fetch(url: str, body: bytes, timeout: float) -> bytes:
        return response

    async def main() -> tuple[dict[str, Any], list[Any]]:
        stapler = nodetls.OCSPStapler(leaf.pem, ca.pem, fetch=fetch)
        await stapler.start()
        server = SSLContext(True, key=leaf.key.read_bytes(), cert=leaf.pem + ca.pem)
        server.on("OCSPRequest", stapler.listener)
        try:
            async with bye_server(server) as port:
                got = await node_clients(NODE_STAPLE_CLIENT, PORT=str(port),
                                         CA=ca.pem.decode())
        finally:
            stapler.close()
        seen: list[Any] = []
        client = SSLContext(False, ca=[ca.pem], request_ocsp=True)
        client.on("OCSPResponse", lambda data, sslobj: seen.append((data, sslobj.server_side)))
        async with node_servers(NODE_STAPLE_SERVER, KEY=leaf.key.read_text(),
                                CERT=leaf.pem.decode(), RESPONSE=response.hex()) as node:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", node.ports["staple"], ssl=client, server_hostname="localhost")
            await reader.read()
            writer.close()
        return got, seen

    got, seen = run_on(loop_name, main)
    assert got["staple"]["authorized"] is True
    assert got["staple"]["staple"] == response.hex()
    assert seen == [(response, False)]


# --- sessions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_servers_sharing_ticket_keys_resume_each_others_sessions(
        certs: Certs, version: str, loop_name: str) -> None:
    keys = os.urandom(48)

    async def main() -> list[dict[str, Any]]:
        first, second = server_context(certs, ticket_keys=keys), server_context(certs)
        second.set_ticket_keys(keys)
        assert first.get_ticket_keys() == second.get_ticket_keys() == keys
        stranger = server_context(certs)
        async with bye_server(first) as a, bye_server(second) as b, bye_server(stranger) as c:
            one = await node_client(a, certs.ca, max_version=version)
            session = bytes.fromhex(one["sessions"][-1])
            two = await node_client(b, certs.ca, session, max_version=version)
            three = await node_client(c, certs.ca, session, max_version=version)
        return [one, two, three]

    one, two, three = run_on(loop_name, main)
    assert [r["protocol"] for r in (one, two, three)] == [version] * 3
    assert [one["reused"], two["reused"], three["reused"]] == [False, True, False]


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_a_ticket_key_ring_decrypts_tickets_under_an_older_key(
        certs: Certs, version: str, loop_name: str) -> None:
    old, new = os.urandom(48), os.urandom(48)

    async def main() -> list[dict[str, Any]]:
        first, rotated = server_context(certs, ticket_keys=old), server_context(certs)
        rotated.set_ticket_keys([new, old])
        assert rotated.get_ticket_keys() == new  # the key that encrypts, as Node's getter
        async with bye_server(first) as a, bye_server(rotated) as b:
            one = await node_client(a, certs.ca, max_version=version)
            two = await node_client(b, certs.ca, bytes.fromhex(one["sessions"][-1]),
                                    max_version=version)
        return [one, two]

    one, two = run_on(loop_name, main)
    assert [one["reused"], two["reused"]] == [False, True]


def test_set_ticket_keys_refuses_a_wrong_key_with_nodes_error(certs: Certs) -> None:
    context = server_context(certs)
    with pytest.raises(TypeError) as info:  # Node's ERR_INVALID_ARG_VALUE is a TypeError
        context.set_ticket_keys([os.urandom(48), os.urandom(47)])
    assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_VALUE"


def test_session_id_cache_through_context_events(certs: Certs, loop_name: str) -> None:
    store: dict[bytes, bytes] = {}
    events: list[str] = []

    def new_session(session_id: bytes, der: bytes, cb: Callable[[], None]) -> None:
        events.append("newSession")
        store[session_id] = der
        cb()

    def resume_session(session_id: bytes, cb: Callable[..., None]) -> None:
        events.append("resumeSession")
        cb(None, store.get(session_id))

    async def main() -> list[dict[str, Any]]:
        server = server_context(certs, secure_options=nodetls.SSL_OP_NO_TICKET)
        server.on("newSession", new_session)
        server.on("resumeSession", resume_session)
        async with bye_server(server) as port:
            one = await node_client(port, certs.ca, max_version="TLSv1.2")
            two = await node_client(port, certs.ca, bytes.fromhex(one["sessions"][-1]),
                                    max_version="TLSv1.2")
        return [one, two]

    one, two = run_on(loop_name, main)
    assert (one["reused"], two["reused"]) == (False, True)
    assert events == ["newSession", "resumeSession"]
    assert len(store) == 1


NODE_PSK_CLIENT = r"""
(async () => {
  await client('psk', {port: +E.PORT, ciphers: 'PSK+HIGH', maxVersion: 'TLSv1.2',
                       checkServerIdentity: () => undefined,
                       pskCallback: (hint) => ({psk: Buffer.from(E.KEY, 'hex'),
                                                identity: 'client-' + hint})},
               {setup: (s) => s.resume()});
  done();
})();
"""


def test_psk_server_with_a_node_client(loop_name: str) -> None:
    key = os.urandom(32)
    identities: list[tuple[str, bool]] = []

    def psk(sslobj: Any, identity: str) -> bytes:
        identities.append((identity, sslobj.server_side))
        return key

    async def main() -> dict[str, Any]:
        server = SSLContext(True, ciphers="PSK+HIGH", psk_callback=psk, psk_identity_hint="hint")
        async with bye_server(server) as port:
            return await node_clients(NODE_PSK_CLIENT, PORT=str(port), KEY=key.hex())

    got = run_on(loop_name, main)
    assert got["psk"]["events"] == ["secureConnect"] and got["psk"]["protocol"] == "TLSv1.2"
    assert "error" not in got["psk"]
    assert identities == [("client-hint", True)]
