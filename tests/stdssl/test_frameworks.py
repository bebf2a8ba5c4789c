"""``nodetls.SSLContext`` under real frameworks, each against a peer nodetls did not write:
an aiohttp server reached by curl and by httpx, uvicorn serving an ASGI app, trio's
``SSLStream`` and anyio's TLS streams talking to a Node server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import trio
import uvicorn
from aiohttp import web

from nodetls import SSLContext
from tests.support.certs import Certs
from tests.support.loops import run_on
from tests.support.node import NODE
from tests.support.procs import Peer, stop_popen

from .stdutil import client_context, server_context

TIMEOUT = 15.0


async def _hello(request: web.Request) -> web.Response:
    sslobj = request.transport.get_extra_info("ssl_object") if request.transport else None
    return web.json_response({"path": request.path, "secure": request.secure,
                              "tls": sslobj.version() if sslobj else None,
                              "nodetls": type(sslobj).__module__.startswith("nodetls")})


@contextlib.asynccontextmanager
async def aiohttp_site(context: Any) -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/{name}", _hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def _curl(*args: str) -> tuple[int, bytes, bytes]:
    peer = await Peer.start("curl", "-sS", "--max-time", "10", *args, stdin=False)
    proc = peer.proc
    try:
        out, err = await peer.output(TIMEOUT)
    finally:
        await peer.stop()
    assert proc.returncode is not None
    return proc.returncode, out, err


def test_aiohttp_server_reached_by_curl_and_httpx(certs: Certs, tmp_path: Path,
                                                   loop_name: str) -> None:
    cafile = tmp_path / "ca.pem"
    cafile.write_bytes(certs.ca)

    async def main() -> None:
        async with aiohttp_site(server_context(certs, alpn_protocols=["http/1.1"])) as port:
            url = f"https://localhost:{port}"
            rc, out, err = await _curl("--cacert", str(cafile), "--resolve",
                                       f"localhost:{port}:127.0.0.1", f"{url}/curl")
            assert rc == 0, err
            assert json.loads(out) == {"path": "/curl", "secure": True, "tls": "TLSv1.3",
                                       "nodetls": True}
            async with httpx.AsyncClient(verify=client_context(certs), timeout=TIMEOUT) as client:
                for name in ("one", "two"):  # the second request reuses the connection
                    response = await client.get(f"https://127.0.0.1:{port}/{name}")
                    assert response.json()["path"] == f"/{name}"
                    assert response.extensions["network_stream"].get_extra_info(
                        "ssl_object").alpn_protocol == "http/1.1"
            async with httpx.AsyncClient(verify=SSLContext(False), timeout=TIMEOUT) as client:
                with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                    await client.get(f"https://127.0.0.1:{port}/refused")

    run_on(loop_name, main)


async def _asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    body = json.dumps({"scheme": scope["scheme"], "path": scope["path"]}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def test_uvicorn_serves_with_a_nodetls_context(certs: Certs, loop_name: str) -> None:
    async def main() -> None:
        config = uvicorn.Config(_asgi_app, lifespan="off", log_level="warning")
        config.load()
        config.ssl = server_context(certs)  # uvicorn's own slot for the SSLContext it serves
        server = uvicorn.Server(config)
        listening = socket.create_server(("127.0.0.1", 0))  # connections queue until served
        port = listening.getsockname()[1]
        task = asyncio.create_task(server.serve(sockets=[listening]))
        try:
            async with httpx.AsyncClient(verify=client_context(certs), timeout=TIMEOUT) as client:
                response = await client.get(f"https://localhost:{port}/asgi")
            assert response.json() == {"scheme": "https", "path": "/asgi"}
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, TIMEOUT)
            listening.close()

    run_on(loop_name, main)


NODE_SERVER = r"""
const tls = require('tls'), E = process.env;
const srv = tls.createServer({key: E.KEY, cert: E.CERT, ALPNProtocols: ['x-echo']}, (s) => {
  s.on('data', (d) => s.write(String(d).toUpperCase()));
  s.on('end', () => s.end());
});
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: srv.address().port})));
"""


@pytest.fixture
def node_port(certs: Certs) -> Iterator[int]:
    """An upper-casing Node TLS server, stopped by its PID."""
    proc = subprocess.Popen([NODE, "-e", NODE_SERVER], stdout=subprocess.PIPE,
                            env={**os.environ, "KEY": certs.key.decode(),
                                 "CERT": certs.cert.decode()})
    try:
        assert proc.stdout is not None
        yield int(json.loads(proc.stdout.readline())["port"])
    finally:
        stop_popen(proc)


def test_trio_ssl_stream_to_a_node_server(certs: Certs, node_port: int) -> None:
    async def main() -> tuple[bytes, str | None]:
        with trio.fail_after(TIMEOUT):
            tcp = await trio.open_tcp_stream("127.0.0.1", node_port)
            stream = trio.SSLStream(tcp, client_context(certs, alpn_protocols=["x-echo"]),
                                    server_hostname="localhost")
            await stream.do_handshake()
            await stream.send_all(b"hello from trio\n")
            data = b""
            while not data.endswith(b"\n"):
                data += await stream.receive_some()
            alpn = stream.selected_alpn_protocol()
            await stream.aclose()
            return data, alpn

    assert trio.run(main) == (b"HELLO FROM TRIO\n", "x-echo")


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_tls_stream_to_a_node_server(certs: Certs, node_port: int, backend: str) -> None:
    async def main() -> tuple[bytes, str]:
        with anyio.fail_after(TIMEOUT):
            stream = await anyio.connect_tcp("127.0.0.1", node_port, tls_hostname="localhost",
                                             ssl_context=client_context(certs))
            async with stream:
                await stream.send(b"hello from anyio\n")
                data = b""
                while not data.endswith(b"\n"):
                    data += await stream.receive()
                return data, stream.extra(anyio.streams.tls.TLSAttribute.tls_version)

    assert anyio.run(main, backend=backend) == (b"HELLO FROM ANYIO\n", "TLSv1.3")
