"""nodetls against ``openssl s_client``/``s_server`` and Python's own ``ssl``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
from pathlib import Path

import nodetls as tls
from tests.support.certs import Certs, free_port
from tests.support.events import collect, wait
from tests.support.openssl import OPENSSL
from tests.support.procs import process_peer
from tests.tls.tlsutil import serving


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


async def test_openssl_s_client_against_nodetls_server(certs: Certs, tmp_path: Path) -> None:
    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("data", lambda data: sock.end(data.upper()))

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        peer = await process_peer(OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
                                  "-servername", "localhost", "-CAfile",
                                  _write(tmp_path, "ca.pem", certs.ca), "-verify_return_error",
                                  "-quiet", stdin=True)
        out, err = await peer.output(stdin=b"hello from openssl\n")
    assert out == b"HELLO FROM OPENSSL\n", err
    assert peer.proc.returncode == 0


async def test_nodetls_client_against_openssl_s_server(certs: Certs, tmp_path: Path) -> None:
    port = free_port()
    peer = await process_peer(OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-naccept",
                              "1", "-rev", "-key", _write(tmp_path, "key.pem", certs.key),
                              "-cert", _write(tmp_path, "cert.pem", certs.cert))
    try:
        assert peer.proc.stdout is not None
        line = b""
        while b"ACCEPT" not in line:  # s_server is ready
            line = await asyncio.wait_for(peer.proc.stdout.readline(), 10)
            assert line, "s_server exited"
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        assert sock.authorized and sock.get_protocol() == "TLSv1.3"
        sock.write(b"stressed\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = await wait(asyncio.ensure_future(_next_data(sock)))
            reply += chunk
        assert reply.strip().endswith(b"desserts")
        sock.destroy()
    finally:
        await peer.stop()


async def _next_data(sock: tls.TLSSocket) -> bytes:
    future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    sock.once("data", future.set_result)
    return await future


async def test_python_ssl_client_bulk(certs: Certs) -> None:
    payload = os.urandom(4 * 1024 * 1024)
    got: list[bytes] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        def on_data(data: bytes) -> None:
            got.append(data)
            if sum(map(len, got)) == len(payload):  # asyncio's SSL cannot half-close
                sock.end(hashlib.sha256(b"".join(got)).digest())

        sock.on("data", on_data)

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        context = ssl.create_default_context(cadata=certs.ca.decode())
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                       server_hostname="localhost")
        writer.write(payload)
        await writer.drain()
        digest = await wait(reader.read(), "digest")
        writer.close()
    assert digest == hashlib.sha256(payload).digest()


async def test_nodetls_client_against_python_ssl_server(certs: Certs, tmp_path: Path) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(_write(tmp_path, "cert.pem", certs.cert),
                            _write(tmp_path, "key.pem", certs.key))
    payload = os.urandom(2 * 1024 * 1024)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.readexactly(len(payload))
        writer.write(hashlib.sha256(data).digest() + payload)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
    sock.write(payload)
    data = await wait(collect(sock), "python's reply", timeout=10)
    assert data[:32] == hashlib.sha256(payload).digest() and data[32:] == payload
    server.close()
    await server.wait_closed()
