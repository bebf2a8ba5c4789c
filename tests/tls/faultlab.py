"""A TLS peer that dies on cue: after k whole flights, optionally in the middle of a record.

The peer is Python's ``ssl`` (real OpenSSL) driven through an ``SSLObject`` over a raw
blocking socket in a thread, so the test decides exactly which bytes reach the wire before
the peer vanishes.  A *flight* is everything the peer's TLS stack produced in one step
(ClientHello; the server's first flight; the client's Finished; a server's tickets) and,
once the handshake is done, one application-data record.  ``Cut(flights=k)`` sends k
flights whole, then (``partial``) the first half of the next flight's first record, then
vanishes: ``'fin'`` half-closes and waits for the other side to close (a clean FIN, no RST
from unread bytes); ``'rst'`` closes with ``SO_LINGER`` 0, which sends a TCP reset.

Run as a script (``python faultlab.py client|server PORT VERSION FLIGHTS PARTIAL HOW``) it
attaches to any peer; that is how the Node reference behaviour in ``test_faults.py`` was taken.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Literal

#: How long a dying peer waits for the other side to close after its FIN.
LINGER = 5.0
VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


@dataclass(frozen=True)
class Cut:
    flights: int
    partial: bool
    how: Literal["fin", "rst"]

    def __str__(self) -> str:
        return f"{self.flights}{'+half' if self.partial else ''}-{self.how}"


def peer_context(server_side: bool, version: str, cert_file: str | None = None,
                 key_file: str | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    if server_side:
        assert cert_file and key_file
        ctx.load_cert_chain(cert_file, key_file)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def first_record_half(data: bytes) -> bytes:
    """``data`` up to the middle of its first record longer than one byte (TLS 1.3's
    compatibility ChangeCipherSpec, one byte long, cannot be cut)."""
    start = 0
    while True:
        body = int.from_bytes(data[start + 3:start + 5], "big")
        if body > 1:
            return data[: start + 5 + body // 2]
        start += 5 + body


def vanish(sock: socket.socket, how: str) -> None:
    if how == "rst":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(LINGER)
    with contextlib.suppress(OSError):
        while sock.recv(65536):
            pass
    sock.close()


def run_peer(sock: socket.socket, ctx: ssl.SSLContext, server_side: bool, cut: Cut) -> int:
    """Drive the handshake over ``sock`` until the cut; returns the flights sent whole."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_side=server_side)
    sock.settimeout(LINGER)
    sent = 0
    try:
        while True:
            done = _step(tls)
            out = outgoing.read()
            if not out and done:
                tls.write(b"x" * 4000)  # an application-data flight
                out = outgoing.read()
            if out:
                if sent == cut.flights:
                    if cut.partial:
                        sock.sendall(first_record_half(out))
                    return sent
                sock.sendall(out)
                sent += 1
                continue
            data = sock.recv(65536)
            if not data:
                return sent
            incoming.write(data)
    except OSError:
        return sent
    finally:
        vanish(sock, cut.how)


def _step(tls: ssl.SSLObject) -> bool:
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return False
    return True


def client_thread(port: int, ctx: ssl.SSLContext, cut: Cut) -> threading.Thread:
    """A dying client of ``127.0.0.1:port``, started."""
    sock = socket.create_connection(("127.0.0.1", port))
    thread = threading.Thread(target=run_peer, args=(sock, ctx, False, cut), daemon=True)
    thread.start()
    return thread


def server_thread(listener: socket.socket, ctx: ssl.SSLContext, cut: Cut) -> threading.Thread:
    """A dying server for the next connection ``listener`` accepts, started."""

    def serve() -> None:
        listener.settimeout(LINGER)
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        run_peer(sock, ctx, True, cut)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def main(argv: list[str]) -> None:
    role, port, version, flights, partial, how = argv[:6]
    cut = Cut(int(flights), partial == "1", "rst" if how == "rst" else "fin")
    if role == "client":
        client_thread(int(port), peer_context(False, version), cut).join()
        return
    cert_file, key_file = argv[6:8]
    with socket.create_server(("127.0.0.1", int(port))) as listener:
        print("listening", flush=True)
        server_thread(listener, peer_context(True, version, cert_file, key_file), cut).join()


if __name__ == "__main__":
    main(sys.argv[1:])
