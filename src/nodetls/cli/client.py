"""``python -m nodetls client HOST:PORT``: a TLS client, like ``openssl s_client``.

It connects, reports the connection and the peer certificate on stderr (its stdout
carries the peer's bytes only), then copies stdin to the socket (ending its write side
at stdin's EOF) and the socket to stdout, until the socket closes.

stdin is read by a daemon thread with ``os.read``: that works for ttys, pipes and
regular files alike (the event loop's pipe reader refuses regular files), and a thread
blocked in ``read`` never delays the exit.  Each chunk is handed to the loop and the
thread waits until the socket has taken it (``'drain'``), so a fast stdin cannot
outrun a slow peer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

import nodetls as tls
from nodetls.cli.common import (
    as_cli_error,
    common_tls_options,
    connection_report,
    is_ip,
    jsonable,
    once,
    open_keylog,
    read_file,
)

READ_SIZE = 65536


def _client_options(args: argparse.Namespace, host: str) -> dict[str, Any]:
    options = common_tls_options(args)
    if args.cert:
        options.update(key=read_file(args.key), cert=read_file(args.cert))
    if args.insecure:
        options["reject_unauthorized"] = False
    # Node sends SNI only when asked; like openssl s_client, we ask for any host name.
    servername = args.servername if args.servername is not None else host
    if servername and not args.no_sni and not is_ip(servername):
        options["servername"] = servername
    if args.session_in:
        options["session"] = read_file(args.session_in)
    return options


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run_client(args: argparse.Namespace) -> int:
    host, port = args.target
    options = _client_options(args, host)
    keylog = open_keylog(args.keylog) if args.keylog else None
    try:
        return await _client_session(args, host, port, options, keylog)
    finally:
        if keylog is not None:
            keylog.close()


async def _client_session(args: argparse.Namespace, host: str, port: int,
                          options: dict[str, Any], keylog: IO[bytes] | None) -> int:
    try:
        sock = tls.connect(port, host, **options)
    except Exception as err:  # bad key, certificate or option: Node's error, reported
        raise as_cli_error(err) from None
    if keylog is not None:
        sock.on("keylog", keylog.write)
    if args.session_out:
        sock.on("session", lambda session: _write_session(args.session_out, session))
    try:
        await sock
    except Exception as err:
        raise as_cli_error(err) from None
    _say(f"connected to {host}:{port}")
    for line in connection_report(sock):
        _say(line)
    if args.session_in:
        _say(f"session reused: {'yes' if sock.is_session_reused() else 'no'}")
    peer = sock.get_peer_certificate()
    _say("peer certificate: " + (json.dumps(jsonable(peer), indent=2) if peer else "none"))
    return await _pipe_stdio(sock)


def _write_session(path: str, session: bytes) -> None:
    # TLS 1.3 servers send several tickets; the file keeps the latest.
    with open(path, "wb") as f:
        f.write(session)


async def _pipe_stdio(sock: tls.TLSSocket) -> int:
    errors: list[BaseException] = []
    sock.on("error", errors.append)
    sock.on("data", _stdout_writer(sock))
    closed = once(sock, "close")
    _start_stdin_thread(asyncio.get_running_loop(), _stdin_consumer(sock))
    await closed
    if errors:
        raise as_cli_error(errors[0])
    return 0


def _stdout_writer(sock: tls.TLSSocket) -> Callable[[bytes], None]:
    """Copy data to stdout; when the reader of stdout has gone (``| head``), hang up."""

    def write(chunk: bytes) -> None:
        try:
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # Point stdout at /dev/null so that the interpreter's last flush is quiet too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sock.destroy()

    return write


def _stdin_consumer(sock: tls.TLSSocket) -> Callable[[bytes], Any]:
    """Take one stdin chunk into the socket; ``b''`` ends the write side (half-close)."""

    async def consume(chunk: bytes) -> bool:
        if sock.destroyed or sock.writable_ended:
            return False
        if not chunk:
            sock.end()
            return False
        if not sock.write(chunk):
            await once(sock, "drain", "close")
        return True

    return consume


def _start_stdin_thread(loop: asyncio.AbstractEventLoop,
                        consume: Callable[[bytes], Any]) -> None:
    def pump() -> None:
        while True:
            try:
                chunk = os.read(sys.stdin.fileno(), READ_SIZE)
            except (OSError, ValueError):
                chunk = b""
            try:
                wanted = asyncio.run_coroutine_threadsafe(consume(chunk), loop).result()
            except Exception:  # the loop is closed or the task cancelled: the session is over
                return
            if not wanted:
                return

    threading.Thread(target=pump, name="nodetls-stdin", daemon=True).start()


