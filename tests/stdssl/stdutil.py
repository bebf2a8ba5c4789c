"""Helpers for the ``nodetls.SSLContext`` tests.

* The tests take the loop as a parameter (``loop_name``) and run on it with
  ``tests.support.loops.run_on``, so that both ``SSLProtocol`` implementations are
  always exercised, whatever ``NODETLS_TEST_LOOP`` says.
* ``echo_server(ssl)``: an ``asyncio.start_server`` that answers each line upper-cased.
* ``bio_pair``/``pump``: two ``SSLObject``-like ends connected in memory, for the
  ``ssl.SSLObject`` protocol itself (real OpenSSL on both ends, no sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from nodetls import SSLContext


async def _upper_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def echo_server(context: ssl.SSLContext | None) -> AsyncIterator[int]:
    """A line upper-casing server on 127.0.0.1; yields its port."""
    server = await asyncio.start_server(_upper_lines, "127.0.0.1", 0, ssl=context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


def stdlib_server_context(certs: Any) -> ssl.SSLContext:
    """A server context on Python's own ``ssl`` with the test certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        with open(cert, "wb") as f:
            f.write(certs.cert)
        with open(key, "wb") as f:
            f.write(certs.key)
        ctx.load_cert_chain(cert, key)
    return ctx


def stdlib_client_context(certs: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=certs.ca.decode())


class Ends:
    """A client and a server ``SSLObject`` joined by memory: ``pump`` moves bytes."""

    def __init__(self, client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext,
                 server_hostname: str | None = "localhost") -> None:
        self.c_in, self.c_out, self.s_in, self.s_out = (ssl.MemoryBIO() for _ in range(4))
        self.client: Any = client_ctx.wrap_bio(self.c_in, self.c_out, server_side=False,
                                               server_hostname=server_hostname)
        self.server: Any = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def pump(self) -> int:
        moved = 0
        for src, dst in ((self.c_out, self.s_in), (self.s_out, self.c_in)):
            data = src.read()
            moved += len(data)
            if data:
                dst.write(data)
        return moved

    def handshake(self) -> None:
        done = {"client": False, "server": False}
        for _ in range(20):
            for name, obj in (("client", self.client), ("server", self.server)):
                if not done[name]:
                    try:
                        obj.do_handshake()
                        done[name] = True
                    except ssl.SSLWantReadError:
                        pass
            moved = self.pump()
            if all(done.values()) and not moved:
                return
        raise AssertionError(f"handshake did not finish: {done}")


def server_context(certs: Any, **options: Any) -> SSLContext:
    return SSLContext(True, key=certs.key, cert=certs.cert, **options)


def client_context(certs: Any, **options: Any) -> SSLContext:
    return SSLContext(False, ca=[certs.ca], **options)
