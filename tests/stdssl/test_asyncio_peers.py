"""asyncio's and uvloop's TLS plumbing on ``nodetls.SSLContext``, against peers nodetls
did not write: Python's ``ssl`` and Node, in both directions, and ``start_tls``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl

import pytest

import nodetls
from nodetls import SSLContext, SSLObject
from tests.support.certs import Certs
from tests.support.loops import run_on
from tests.support.node import node_peer

from .stdutil import (
    client_context,
    echo_server,
    server_context,
    stdlib_client_context,
    stdlib_server_context,
)

NODE_CLIENT = r"""
const tls = require('tls'), E = process.env;
let got = '', protocol = null;
const s = tls.connect({port: +E.PORT, host: '127.0.0.1', servername: 'localhost', ca: E.CA},
                      () => { protocol = s.getProtocol(); s.write('hello from node\n'); });
s.on('data', (d) => { got += d; if (got.endsWith('\n')) s.end(); });
s.on('error', (e) => { console.log(JSON.stringify({error: e.code || e.message})); });
s.on('close', () => console.log(JSON.stringify({got, authorized: s.authorized, protocol})));
"""

NODE_SERVER = r"""
const tls = require('tls'), E = process.env;
const srv = tls.createServer({key: E.KEY, cert: E.CERT}, (s) => {
  s.on('data', (d) => s.write(String(d).toUpperCase()));
  s.on('end', () => { s.end(); srv.close(); });
});
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: srv.address().port})));
"""


def test_the_context_is_an_ssl_context(certs: Certs) -> None:
    assert isinstance(server_context(certs), ssl.SSLContext)
    assert isinstance(client_context(certs), ssl.SSLContext)
    assert nodetls.SSLContext is SSLContext


def test_python_client_to_nodetls_server(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        async with echo_server(server_context(certs)) as port:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=stdlib_client_context(certs), server_hostname="localhost")
            writer.write(b"hello\n")
            assert await reader.readline() == b"HELLO\n"
            sslobj = writer.get_extra_info("ssl_object")
            assert isinstance(sslobj, ssl.SSLObject) and not isinstance(sslobj, SSLObject)
            assert sslobj.version() == "TLSv1.3"
            writer.close()
            await writer.wait_closed()

    run_on(loop_name, main)


def test_nodetls_client_to_python_server(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        async with echo_server(stdlib_server_context(certs)) as port:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_context(certs), server_hostname="localhost")
            writer.write(b"hello\n")
            assert await reader.readline() == b"HELLO\n"
            sslobj = writer.get_extra_info("ssl_object")
            assert isinstance(sslobj, SSLObject)
            assert sslobj.authorized is True and sslobj.authorization_error is None
            peercert = writer.get_extra_info("peercert")
            assert ("DNS", "localhost") in peercert["subjectAltName"]
            assert writer.get_extra_info("cipher")[1] == "TLSv1.3"
            assert sslobj.get_peer_certificate()["subjectaltname"].startswith("DNS:localhost")
            writer.write_eof() if writer.can_write_eof() else None
            writer.close()
            await writer.wait_closed()

    run_on(loop_name, main)


def test_node_client_to_nodetls_server(certs: Certs, loop_name: str) -> None:
    async def main() -> dict[str, object]:
        async with echo_server(server_context(certs)) as port:
            peer = await node_peer(NODE_CLIENT, PORT=str(port), CA=certs.ca.decode())
            try:
                return await peer.result()
            finally:
                await peer.stop()

    result = run_on(loop_name, main)
    assert result == {"got": "HELLO FROM NODE\n", "authorized": True, "protocol": "TLSv1.3"}


def test_nodetls_client_to_node_server(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        peer = await node_peer(NODE_SERVER, KEY=certs.key.decode(), CERT=certs.cert.decode())
        try:
            assert peer.proc.stdout is not None
            port = json.loads(await peer.proc.stdout.readline())["port"]
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_context(certs), server_hostname="localhost")
            writer.write(b"from asyncio\n")
            assert await reader.readline() == b"FROM ASYNCIO\n"
            assert writer.get_extra_info("ssl_object").is_session_reused() is False
            writer.close()
            await writer.wait_closed()
            assert await asyncio.wait_for(peer.proc.wait(), 10) == 0  # it saw our close
        finally:
            await peer.stop()

    run_on(loop_name, main)


def test_start_tls_upgrades_a_plain_connection(certs: Certs, loop_name: str) -> None:
    """STARTTLS both ways: the server upgrades with nodetls, the client with Python's."""

    async def main() -> None:
        upgraded: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            assert await reader.readline() == b"STARTTLS\n"
            writer.write(b"GO\n")
            await writer.drain()
            await writer.start_tls(server_context(certs))
            upgraded.set_result(await reader.readline())
            writer.write(b"secret received\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"STARTTLS\n")
            assert await reader.readline() == b"GO\n"
            await writer.start_tls(stdlib_client_context(certs), server_hostname="localhost")
            writer.write(b"secret\n")
            assert await upgraded == b"secret\n"
            assert await reader.readline() == b"secret received\n"
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    run_on(loop_name, main)


def test_loop_start_tls_with_a_nodetls_client(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        async with echo_server(stdlib_server_context(certs)) as port:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await loop.create_connection(lambda: protocol, "127.0.0.1", port)
            tls_transport = await loop.start_tls(transport, protocol, client_context(certs),
                                                 server_hostname="localhost")
            assert tls_transport is not None
            tls_transport.write(b"upgraded\n")
            assert await reader.readline() == b"UPGRADED\n"
            assert tls_transport.get_extra_info("ssl_object").version() == "TLSv1.3"
            tls_transport.close()

    run_on(loop_name, main)


# --- verification as Node does it ---------------------------------------------------------


def _connect(port: int, ctx: ssl.SSLContext, hostname: str = "localhost") -> object:
    return asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname=hostname)


def test_unknown_issuer_is_refused_with_nodes_code(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        async with echo_server(stdlib_server_context(certs)) as port:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                await _connect(port, SSLContext(False))  # Mozilla's roots only
        err = info.value
        assert err.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"  # type: ignore[attr-defined]
        assert err.verify_code == 21
        assert err.verify_message == "unable to verify the first certificate"
        assert isinstance(err, ssl.SSLError) and err.reason == "CERTIFICATE_VERIFY_FAILED"

    run_on(loop_name, main)


def test_wrong_host_is_refused_by_check_server_identity(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        async with echo_server(stdlib_server_context(certs)) as port:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                await _connect(port, client_context(certs), "example.com")
            assert info.value.code == "ERR_TLS_CERT_ALTNAME_INVALID"  # type: ignore[attr-defined]
            assert "example.com" in info.value.verify_message
            # reject_unauthorized=False: connected, with Node's authorization_error.
            _, writer = await _connect(port, client_context(certs, reject_unauthorized=False),
                                            "example.com")  # type: ignore[misc]
            sslobj = writer.get_extra_info("ssl_object")
            assert (sslobj.authorized, sslobj.authorization_error) == (
                False, "ERR_TLS_CERT_ALTNAME_INVALID")
            writer.close()

    run_on(loop_name, main)


def test_check_server_identity_option_decides(certs: Certs, loop_name: str) -> None:
    seen: list[tuple[str, str]] = []

    def identity(host: str, cert: dict[str, object]) -> None:
        seen.append((host, str(cert["subjectaltname"])))

    async def main() -> None:
        async with echo_server(stdlib_server_context(certs)) as port:
            _, writer = await _connect(port, client_context(certs, check_server_identity=identity),
                                       "other.example")  # type: ignore[misc]
            assert writer.get_extra_info("ssl_object").authorized is True
            writer.close()

    run_on(loop_name, main)
    assert seen == [("other.example", "DNS:localhost, IP Address:127.0.0.1, "
                    "IP Address:0:0:0:0:0:0:0:1")]


def test_server_requires_a_client_certificate(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        ctx = server_context(certs, request_cert=True, ca=[certs.ca])
        async with echo_server(ctx) as port:
            good = client_context(certs, key=certs.client_key, cert=certs.client_cert)
            reader, writer = await _connect(port, good)  # type: ignore[misc]
            writer.write(b"with cert\n")
            assert await reader.readline() == b"WITH CERT\n"
            writer.close()
            reader, writer = await _connect(port, client_context(certs))  # type: ignore[misc]
            writer.write(b"without\n")
            with contextlib.suppress(ssl.SSLError, ConnectionError):
                # the server failed its handshake: nothing comes back
                assert await reader.readline() == b""
            writer.close()

    run_on(loop_name, main)
