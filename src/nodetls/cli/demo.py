"""``python -m nodetls demo``: an echo server and a client in one process, then exit.

It makes a certificate on the spot, starts an echo server on 127.0.0.1, connects a
client that trusts exactly that certificate, shows what the client sees, sends a line,
shows the echo, closes both and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import nodetls as tls
from nodetls.cli.common import (
    CLIError,
    as_cli_error,
    connection_report,
    fingerprint256,
    jsonable,
    listening_on,
    once,
)

DEMO_LINE = b"hello over TLS\n"
DEMO_CERT_FIELDS = ("subject", "issuer", "subjectaltname", "valid_from", "valid_to",
                    "fingerprint256", "serialNumber")


async def run_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    key, cert = tls.generate_self_signed()
    print("nodetls demo: a TLS echo server and a client, in one process\n")
    print("server: made a self-signed certificate for localhost, 127.0.0.1 and ::1")
    print(f"        fingerprint256 {fingerprint256(cert)}")

    accepted: list[tls.TLSSocket] = []

    def on_secure_connection(sock: tls.TLSSocket) -> None:
        print(f"server: secureConnection from {sock.remote_address}:{sock.remote_port}, "
              f"servername {sock.servername!r}, alpn {sock.alpn_protocol!r}")
        accepted.append(sock)
        sock.pipe(sock)

    server = tls.create_server(on_secure_connection, key=key, cert=cert,
                               alpn_protocols=["h2", "http/1.1"])
    await server.listen(0, "127.0.0.1")
    _, port = listening_on(server)
    print(f"server: listening on 127.0.0.1:{port} (ALPN h2, http/1.1)")
    try:
        await _demo_client(port, cert)
    except CLIError:
        raise
    except Exception as err:  # a demo that fails says why, in Node's terms
        raise as_cli_error(err) from None
    finally:
        server.close()
        for sock in accepted:  # already closed unless the client failed half-way
            sock.destroy()
        await server.wait_closed()
    print(f"server: closed\n\ndone in {time.perf_counter() - started:.2f} s")
    return 0


async def _demo_client(port: int, cert: bytes) -> None:
    print(f"client: connecting to 127.0.0.1:{port}, servername 'localhost', "
          "ca=[that certificate], ALPN http/1.1")
    sock = await tls.connect(port, "127.0.0.1", ca=[cert], servername="localhost",
                             alpn_protocols=["http/1.1"])
    print("client: secureConnect")
    for line in connection_report(sock):
        print(f"        {line}")
    peer = sock.get_peer_certificate() or {}
    shown = {field: peer[field] for field in DEMO_CERT_FIELDS if field in peer}
    print("        peer certificate (get_peer_certificate(), abridged):")
    for line in json.dumps(jsonable(shown), indent=2).splitlines():
        print(f"          {line}")
    echoed = bytearray()
    done = asyncio.get_running_loop().create_future()

    def on_data(chunk: bytes) -> None:
        echoed.extend(chunk)
        if len(echoed) >= len(DEMO_LINE) and not done.done():
            done.set_result(None)

    sock.on("data", on_data)
    closed = once(sock, "close")
    print(f"client: write {DEMO_LINE!r}")
    sock.write(DEMO_LINE)
    await asyncio.wait([done, closed], return_when=asyncio.FIRST_COMPLETED)
    if not done.done():
        raise CLIError("ECONNRESET", "the connection closed before the echo came back")
    print(f"client: data  {bytes(echoed)!r} (the echo)")
    sock.end()
    await closed
    print("client: closed")


