"""``python -m nodetls server``: a TLS echo server, one process or a fleet member.

It echoes every connection (``sock.pipe(sock)``) and logs one line per handshake, until
SIGINT or SIGTERM: then it stops accepting, ends its connections (close_notify), and
destroys whatever is still open after ``--deadline`` seconds.  Without ``--key/--cert``
it makes a certificate and writes it to a temporary file, printed, so a client can
trust it with ``--ca``.  It prints ``listening on HOST:PORT`` once every process
accepts connections: scripts wait for that line.

As a fleet member (``nodetls.fleet``): ``--workers N`` runs N processes on the port
(``SO_REUSEPORT``) sharing ticket keys made once by the parent; ``--redis URL`` takes
the ticket keys from the fleet's ring in Redis instead (rotated by ``fleet rotate``,
or every ``--rotate-ticket-keys`` seconds), and with ``--no-tickets`` shares sessions
by id through Redis.  The configuration crosses to the workers as one frozen
``ServerConfig``; each process builds its own server from it (``serve``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field, replace
from typing import IO, Any, Final

import nodetls as tls
from nodetls import fleet
from nodetls.cli.common import (
    CLIError,
    as_cli_error,
    authorization_text,
    cipher_text,
    common_tls_options,
    error_text,
    fingerprint256,
    listening_on,
    open_keylog,
    read_file,
)

# Servers of one fleet must agree on it (Node's default differs with the command line).
FLEET_SESSION_ID_CONTEXT: Final = "nodetls-fleet"


@dataclass(frozen=True)
class ServerConfig:
    """Everything a server process needs, picklable (it crosses to the workers)."""

    options: dict[str, Any]
    host: str
    port: int
    client_certs: bool = False
    keylog: str | None = None
    redis: str | None = None
    redis_timeout: float = 0.05
    no_tickets: bool = False
    rotate_every: float | None = None
    keep: int = 2
    session_timeout: int = 300
    deadline: float = fleet.DEFAULT_DEADLINE
    ticket_keys: tuple[bytes, ...] = field(default=())


def configure_logging() -> None:
    """The fleet's log lines (outages, rotations, restarts) beside ours, on stdout."""
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s",
                        force=True)


class EchoServer:
    """One process's echo server: its sockets and its keylog file."""

    def __init__(self, config: ServerConfig, worker: int | None = None) -> None:
        self.config = config
        self.sockets: set[tls.TLSSocket] = set()
        self.keylog: IO[bytes] | None = None
        self.tag = "" if worker is None else f" (worker {worker})"

    def on_secure_connection(self, sock: tls.TLSSocket) -> None:
        peer = f"{sock.remote_address}:{sock.remote_port}"
        details = (f"{sock.get_protocol()} {cipher_text(sock)}, "
                   f"alpn {sock.alpn_protocol or 'none'}, servername {sock.servername or 'none'}"
                   f", session {'resumed' if sock.is_session_reused() else 'new'}")
        if self.config.client_certs:
            subject = (sock.get_peer_certificate() or {}).get("subject")
            details += f", client certificate {authorization_text(sock)}"
            details += f" (subject {json.dumps(subject)})" if subject else " (none sent)"
        print(f"[{peer}] secure connection{self.tag}: {details}", flush=True)
        self.sockets.add(sock)
        sock.on("error", lambda err: print(f"[{peer}] error: {error_text(err)}", flush=True))
        sock.on("close", lambda *_: self._closed(sock, peer))
        sock.pipe(sock)

    def _closed(self, sock: tls.TLSSocket, peer: str) -> None:
        self.sockets.discard(sock)
        print(f"[{peer}] closed", flush=True)

    def on_client_error(self, err: BaseException, sock: tls.TLSSocket) -> None:
        peer = f"{sock.remote_address}:{sock.remote_port}"
        print(f"[{peer}] TLS error before the handshake completed: {error_text(err)}",
              flush=True)

    def on_keylog(self, line: bytes, _sock: tls.TLSSocket) -> None:
        if self.keylog is not None:
            self.keylog.write(line)

    def stopping(self) -> None:
        """SIGTERM: no more connections; ask the open ones to close (close_notify)."""
        print(f"stopping{self.tag}", flush=True)
        for sock in list(self.sockets):
            sock.end()

    def create(self) -> tls.Server:
        options = dict(self.config.options)
        if self.config.ticket_keys:
            options["ticket_keys"] = list(self.config.ticket_keys)
        try:
            server = tls.create_server(self.on_secure_connection, **options)
        except Exception as err:  # bad key, certificate or option: Node's error, reported
            raise as_cli_error(err) from None
        server.on("tlsClientError", self.on_client_error)
        if self.config.keylog:
            self.keylog = open_keylog(self.config.keylog)
            server.on("keylog", self.on_keylog)
        return server

    def close(self) -> None:
        if self.keylog is not None:
            self.keylog.close()


@contextlib.asynccontextmanager
async def fleet_member(config: ServerConfig, server: tls.Server) -> AsyncIterator[None]:
    """Attach the Redis session store or ticket ring the configuration asks for."""
    if config.redis is None:
        yield
        return
    link = fleet.RedisLink(config.redis, timeout=config.redis_timeout)
    ring: fleet.RedisTicketRing | None = None
    if config.no_tickets:
        fleet.RedisSessionStore(link, lifetime=config.session_timeout).attach(server)
    else:
        ring = fleet.RedisTicketRing(link, keep=config.keep, rotate_every=config.rotate_every)
        ring.attach(server)
        await ring.start()
    try:
        yield
    finally:
        if ring is not None:
            await ring.aclose()
        await link.aclose()


async def serve(config: ServerConfig, worker: fleet.Worker | None = None) -> None:
    """One server process: build, attach to the fleet, serve until SIGTERM."""
    echo = EchoServer(config, None if worker is None else worker.index)
    try:
        server = echo.create()
        async with fleet_member(config, server):
            if worker is not None:
                await fleet.serve_worker(worker, server, on_stop=echo.stopping)
            else:
                await fleet.serve_until_stopped(
                    server, config.port, config.host, deadline=config.deadline,
                    on_listening=announce, on_stop=echo.stopping)
    finally:
        echo.close()


def announce(server: tls.Server) -> None:
    host, port = listening_on(server)
    print_listening(host, port)


def print_listening(host: str, port: int, workers: int = 1) -> None:
    shown = f"[{host}]" if ":" in host else host
    where = f" with {workers} workers" if workers > 1 else ""
    print(f"listening on {shown}:{port}{where} (Ctrl-C to stop)", flush=True)


async def worker_main(worker: fleet.Worker) -> None:
    """What each worker process runs (module level: spawned processes import it)."""
    configure_logging()
    config: ServerConfig = worker.config
    await serve(replace(config, ticket_keys=worker.ticket_keys), worker)


# -- the parent: options, certificate, one process or a supervisor ------------------------


def credentials(args: argparse.Namespace) -> tuple[bytes, bytes, str | None]:
    """Key and certificate: read, or made and saved to a printed file (the 3rd value)."""
    if args.cert:
        return read_file(args.key), read_file(args.cert), None
    key, cert = tls.generate_self_signed(key_type=args.key_type)
    fd, cert_file = tempfile.mkstemp(prefix="nodetls-", suffix="-cert.pem")
    with os.fdopen(fd, "wb") as f:
        f.write(cert)
    print(f"made a self-signed {args.key_type.upper()} certificate for "
          "localhost, 127.0.0.1 and ::1")
    print(f"  fingerprint256 {fingerprint256(cert)}")
    print(f"  written to {cert_file} (clients: --ca {cert_file})", flush=True)
    return key, cert, cert_file


def server_config(args: argparse.Namespace, key: bytes, cert: bytes) -> ServerConfig:
    options = common_tls_options(args)
    options.update(key=key, cert=cert, session_timeout=args.session_timeout)
    client_certs = bool(args.request_cert or args.require_cert)
    if client_certs:
        options.update(request_cert=True, reject_unauthorized=args.require_cert)
    if args.no_tickets:
        options["secure_options"] = tls.SSL_OP_NO_TICKET
    if args.redis or args.workers > 1:
        options["session_id_context"] = FLEET_SESSION_ID_CONTEXT
    return ServerConfig(
        options=options, host=args.host, port=args.port, client_certs=client_certs,
        keylog=args.keylog, redis=args.redis, redis_timeout=args.redis_timeout,
        no_tickets=args.no_tickets,
        rotate_every=args.rotate_ticket_keys, keep=args.keep_ticket_keys,
        session_timeout=args.session_timeout, deadline=args.deadline)


def run_server(args: argparse.Namespace) -> int:
    """The ``server`` subcommand (synchronous: the supervisor runs no event loop)."""
    configure_logging()
    key, cert, cert_file = credentials(args)
    try:
        config = server_config(args, key, cert)
        if args.workers == 1:
            asyncio_run(serve(config))
        else:
            run_fleet(config, args.workers)
    finally:
        if cert_file is not None:
            os.unlink(cert_file)
    return 0


def run_fleet(config: ServerConfig, workers: int) -> None:
    """Workers on one port; the options are checked here first, so a bad certificate
    is one error from the parent, not a failure in every worker."""
    try:
        tls.create_server(**config.options)
    except Exception as err:  # bad key, certificate or option: Node's error, reported
        raise as_cli_error(err) from None
    try:
        status = fleet.run_workers(
            worker_main, port=config.port, host=config.host, workers=workers,
            deadline=config.deadline, config=config,
            on_ready=lambda port: print_listening(config.host, port, workers),
            on_stop=lambda: print("stopping", flush=True))
    except OSError as err:  # the port could not be reserved
        code = errno.errorcode.get(err.errno or 0, type(err).__name__)
        raise CLIError(code, f"listen {code}: {err.strerror} {config.host}:{config.port}") \
            from None
    if status != 0:
        raise CLIError("ERR_WORKER_FAILED", "a worker exited before it listened (see above)")


def asyncio_run(coroutine: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coroutine)
    except OSError as err:  # listen failed: Node's EADDRINUSE & co.
        raise as_cli_error(err) from None
