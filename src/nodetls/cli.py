"""``python -m nodetls``: a TLS echo server, a TLS client and a demo, on the public API.

Theory of operation.  Three subcommands, in the spirit of ``openssl s_server`` and
``openssl s_client``, each one coroutine run by ``asyncio.run``:

* ``demo`` makes a certificate on the spot, starts an echo server on 127.0.0.1, connects
  a client that trusts exactly that certificate, shows what the client sees, sends a
  line, shows the echo, closes both and exits;
* ``server`` echoes every connection (``sock.pipe(sock)``) and logs one line per
  handshake, until SIGINT or SIGTERM.  Without ``--key/--cert`` it makes a certificate
  and writes it to a temporary file, so a client can trust it with ``--ca``;
* ``client`` connects, reports the connection and the peer certificate on stderr, then
  copies stdin to the socket (ending its write side at stdin's EOF) and the socket to
  stdout, until the socket closes.

Only ``import nodetls as tls`` is used, as an application would.  Everything a person
reads goes to stderr for the client (its stdout carries the peer's bytes only) and to
stdout for the server and the demo.  The server prints ``listening on HOST:PORT`` once it
accepts connections: scripts wait for that line.  Errors are reported as
``error: <Node code>: <message>`` with exit status 1; usage errors exit with 2.

stdin is read by a daemon thread with ``os.read``: that works for ttys, pipes and
regular files alike (the event loop's pipe reader refuses regular files), and a thread
blocked in ``read`` never delays the exit.  Each chunk is handed to the loop and the
thread waits until the socket has taken it (``'drain'``), so a fast stdin cannot
outrun a slow peer.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from importlib import metadata
from typing import IO, Any

import nodetls as tls

__all__ = ["main"]

_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_READ_SIZE = 65536
_DEMO_LINE = b"hello over TLS\n"
_DEMO_CERT_FIELDS = ("subject", "issuer", "subjectaltname", "valid_from", "valid_to",
                     "fingerprint256", "serialNumber")
_EXIT_ERROR, _EXIT_USAGE, _EXIT_INTERRUPTED = 1, 2, 130


class CLIError(Exception):
    """A failure to report as ``error: <code>: <message>``."""

    def __init__(self, code: str, message: str, status: int = _EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (getattr(args, "cert", None) is None) != (getattr(args, "key", None) is None):
        parser.error("--cert and --key go together")
    try:
        status: int = asyncio.run(args.command(args))
    except KeyboardInterrupt:
        return _EXIT_INTERRUPTED
    except CLIError as err:
        print(f"error: {err.code}: {err}", file=sys.stderr)
        return err.status
    return status


# -- helpers shared by the subcommands -----------------------------------------------


def _code_of(err: BaseException) -> str:
    """Node's ``err.code`` where there is one; the exception's class name otherwise."""
    return str(getattr(err, "code", None) or type(err).__name__)


def _error_text(err: BaseException) -> str:
    return f"{_code_of(err)}: {err}"


def _as_cli_error(err: BaseException) -> CLIError:
    return CLIError(_code_of(err), str(err))


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise CLIError("ENOENT" if isinstance(err, FileNotFoundError) else "EIO",
                       f"cannot read {path}: {err.strerror}", _EXIT_USAGE) from None


def _fingerprint256(cert_pem: bytes) -> str:
    """Node's ``fingerprint256`` of the first certificate in a PEM blob."""
    body = cert_pem.split(b"-----")[2]
    digest = hashlib.sha256(base64.b64decode(b"".join(body.split()))).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _jsonable(value: Any) -> Any:
    """A certificate object as JSON can hold it: bytes as hex, ``raw`` left out."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "raw"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def _cipher_text(sock: tls.TLSSocket) -> str:
    cipher = sock.get_cipher() or {}
    name, standard = cipher.get("name"), cipher.get("standardName")
    return str(name) if standard in (None, name) else f"{name} ({standard})"


def _authorization_text(sock: tls.TLSSocket) -> str:
    if sock.authorized:
        return "authorized"
    return f"not authorized: {sock.authorization_error}"


def _connection_report(sock: tls.TLSSocket) -> list[str]:
    return [
        f"protocol: {sock.get_protocol()}",
        f"cipher: {_cipher_text(sock)}",
        f"alpn: {sock.alpn_protocol or 'none'}",
        f"authorization: {_authorization_text(sock)}",
    ]


def _once(emitter: Any, *events: str) -> asyncio.Future[tuple[str, tuple[Any, ...]]]:
    """A future for the first of ``events``: ``(event, args)``."""
    future: asyncio.Future[tuple[str, tuple[Any, ...]]] = (
        asyncio.get_running_loop().create_future())

    def listener_for(event: str) -> Callable[..., None]:
        def listener(*args: Any) -> None:
            if not future.done():
                future.set_result((event, args))
        return listener

    for event in events:
        emitter.once(event, listener_for(event))
    return future


def _open_keylog(path: str) -> IO[bytes]:
    # As Node's --tls-keylog: appended to, readable by the owner only (secrets inside).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "ab", buffering=0)


def _common_tls_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.ca:
        options["ca"] = [_read_file(path) for path in args.ca]
    if args.alpn:
        options["alpn_protocols"] = args.alpn
    if args.min_version:
        options["min_version"] = args.min_version
    if args.max_version:
        options["max_version"] = args.max_version
    if args.ciphers:
        options["ciphers"] = args.ciphers
    return options


def _host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


def _listening_on(server: tls.Server) -> tuple[str, int]:
    address = server.address()
    if not isinstance(address, dict):  # a unix socket path, or closed: not ours
        raise CLIError("ERR_SERVER_NOT_RUNNING", f"unexpected server address {address!r}")
    return str(address["address"]), int(address["port"])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- demo ----------------------------------------------------------------------------


async def _demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    key, cert = tls.generate_self_signed()
    print("nodetls demo: a TLS echo server and a client, in one process\n")
    print("server: made a self-signed certificate for localhost, 127.0.0.1 and ::1")
    print(f"        fingerprint256 {_fingerprint256(cert)}")

    accepted: list[tls.TLSSocket] = []

    def on_secure_connection(sock: tls.TLSSocket) -> None:
        print(f"server: secureConnection from {sock.remote_address}:{sock.remote_port}, "
              f"servername {sock.servername!r}, alpn {sock.alpn_protocol!r}")
        accepted.append(sock)
        sock.pipe(sock)

    server = tls.create_server(on_secure_connection, key=key, cert=cert,
                               alpn_protocols=["h2", "http/1.1"])
    await server.listen(0, "127.0.0.1")
    _, port = _listening_on(server)
    print(f"server: listening on 127.0.0.1:{port} (ALPN h2, http/1.1)")
    try:
        await _demo_client(port, cert)
    except CLIError:
        raise
    except Exception as err:  # a demo that fails says why, in Node's terms
        raise _as_cli_error(err) from None
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
    for line in _connection_report(sock):
        print(f"        {line}")
    peer = sock.get_peer_certificate() or {}
    shown = {field: peer[field] for field in _DEMO_CERT_FIELDS if field in peer}
    print("        peer certificate (get_peer_certificate(), abridged):")
    for line in json.dumps(_jsonable(shown), indent=2).splitlines():
        print(f"          {line}")
    echoed = bytearray()
    done = asyncio.get_running_loop().create_future()

    def on_data(chunk: bytes) -> None:
        echoed.extend(chunk)
        if len(echoed) >= len(_DEMO_LINE) and not done.done():
            done.set_result(None)

    sock.on("data", on_data)
    closed = _once(sock, "close")
    print(f"client: write {_DEMO_LINE!r}")
    sock.write(_DEMO_LINE)
    await asyncio.wait([done, closed], return_when=asyncio.FIRST_COMPLETED)
    if not done.done():
        raise CLIError("ECONNRESET", "the connection closed before the echo came back")
    print(f"client: data  {bytes(echoed)!r} (the echo)")
    sock.end()
    await closed
    print("client: closed")


# -- server --------------------------------------------------------------------------


class _EchoServer:
    """The ``server`` subcommand's state: the server, its sockets, its files."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sockets: set[tls.TLSSocket] = set()
        self.cert_file: str | None = None
        self.keylog: IO[bytes] | None = None

    def credentials(self) -> tuple[bytes, bytes]:
        if self.args.cert:
            return _read_file(self.args.key), _read_file(self.args.cert)
        key, cert = tls.generate_self_signed(key_type=self.args.key_type)
        fd, self.cert_file = tempfile.mkstemp(prefix="nodetls-", suffix="-cert.pem")
        with os.fdopen(fd, "wb") as f:
            f.write(cert)
        print(f"made a self-signed {self.args.key_type.upper()} certificate for "
              "localhost, 127.0.0.1 and ::1")
        print(f"  fingerprint256 {_fingerprint256(cert)}")
        print(f"  written to {self.cert_file} (clients: --ca {self.cert_file})")
        return key, cert

    def options(self) -> dict[str, Any]:
        key, cert = self.credentials()
        options = _common_tls_options(self.args)
        options.update(key=key, cert=cert)
        if self.args.request_cert or self.args.require_cert:
            options.update(request_cert=True, reject_unauthorized=self.args.require_cert)
        return options

    def on_secure_connection(self, sock: tls.TLSSocket) -> None:
        peer = f"{sock.remote_address}:{sock.remote_port}"
        details = (f"{sock.get_protocol()} {_cipher_text(sock)}, "
                   f"alpn {sock.alpn_protocol or 'none'}, servername {sock.servername or 'none'}")
        if self.args.request_cert or self.args.require_cert:
            subject = (sock.get_peer_certificate() or {}).get("subject")
            details += f", client certificate {_authorization_text(sock)}"
            details += f" (subject {json.dumps(subject)})" if subject else " (none sent)"
        print(f"[{peer}] secure connection: {details}", flush=True)
        self.sockets.add(sock)
        sock.on("error", lambda err: print(f"[{peer}] error: {_error_text(err)}", flush=True))
        sock.on("close", lambda *_: self._closed(sock, peer))
        sock.pipe(sock)

    def _closed(self, sock: tls.TLSSocket, peer: str) -> None:
        self.sockets.discard(sock)
        print(f"[{peer}] closed", flush=True)

    def on_client_error(self, err: BaseException, sock: tls.TLSSocket) -> None:
        peer = f"{sock.remote_address}:{sock.remote_port}"
        print(f"[{peer}] TLS error before the handshake completed: {_error_text(err)}",
              flush=True)

    def on_keylog(self, line: bytes, _sock: tls.TLSSocket) -> None:
        if self.keylog is not None:
            self.keylog.write(line)

    async def run(self) -> int:
        try:
            server = tls.create_server(self.on_secure_connection, **self.options())
        except CLIError:
            raise
        except Exception as err:  # bad key, certificate or option: Node's error, reported
            raise _as_cli_error(err) from None
        server.on("tlsClientError", self.on_client_error)
        if self.args.keylog:
            self.keylog = _open_keylog(self.args.keylog)
            server.on("keylog", self.on_keylog)
        try:
            await server.listen(self.args.port, self.args.host)
        except OSError as err:
            raise _as_cli_error(err) from None
        host, port = _listening_on(server)
        shown = f"[{host}]" if ":" in host else host
        async with _stop_signals() as stop:  # installed before anyone can read the line
            print(f"listening on {shown}:{port} (Ctrl-C to stop)", flush=True)
            await stop.wait()
        print("stopping", flush=True)
        server.close()
        for sock in list(self.sockets):
            sock.destroy()
        await server.wait_closed()
        return 0

    def cleanup(self) -> None:
        if self.cert_file is not None:
            os.unlink(self.cert_file)
        if self.keylog is not None:
            self.keylog.close()


@contextlib.asynccontextmanager
async def _stop_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _server(args: argparse.Namespace) -> int:
    echo = _EchoServer(args)
    try:
        return await echo.run()
    finally:
        echo.cleanup()


# -- client --------------------------------------------------------------------------


def _client_options(args: argparse.Namespace, host: str) -> dict[str, Any]:
    options = _common_tls_options(args)
    if args.cert:
        options.update(key=_read_file(args.key), cert=_read_file(args.cert))
    if args.insecure:
        options["reject_unauthorized"] = False
    # Node sends SNI only when asked; like openssl s_client, we ask for any host name.
    servername = args.servername if args.servername is not None else host
    if servername and not args.no_sni and not _is_ip(servername):
        options["servername"] = servername
    if args.session_in:
        options["session"] = _read_file(args.session_in)
    return options


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _client(args: argparse.Namespace) -> int:
    host, port = args.target
    options = _client_options(args, host)
    keylog = _open_keylog(args.keylog) if args.keylog else None
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
        raise _as_cli_error(err) from None
    if keylog is not None:
        sock.on("keylog", keylog.write)
    if args.session_out:
        sock.on("session", lambda session: _write_session(args.session_out, session))
    try:
        await sock
    except Exception as err:
        raise _as_cli_error(err) from None
    _say(f"connected to {host}:{port}")
    for line in _connection_report(sock):
        _say(line)
    if args.session_in:
        _say(f"session reused: {'yes' if sock.is_session_reused() else 'no'}")
    peer = sock.get_peer_certificate()
    _say("peer certificate: " + (json.dumps(_jsonable(peer), indent=2) if peer else "none"))
    return await _pipe_stdio(sock)


def _write_session(path: str, session: bytes) -> None:
    # TLS 1.3 servers send several tickets; the file keeps the latest.
    with open(path, "wb") as f:
        f.write(session)


async def _pipe_stdio(sock: tls.TLSSocket) -> int:
    errors: list[BaseException] = []
    sock.on("error", errors.append)
    sock.on("data", _stdout_writer(sock))
    closed = _once(sock, "close")
    _start_stdin_thread(asyncio.get_running_loop(), _stdin_consumer(sock))
    await closed
    if errors:
        raise _as_cli_error(errors[0])
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
            await _once(sock, "drain", "close")
        return True

    return consume


def _start_stdin_thread(loop: asyncio.AbstractEventLoop,
                        consume: Callable[[bytes], Any]) -> None:
    def pump() -> None:
        while True:
            try:
                chunk = os.read(sys.stdin.fileno(), _READ_SIZE)
            except (OSError, ValueError):
                chunk = b""
            try:
                wanted = asyncio.run_coroutine_threadsafe(consume(chunk), loop).result()
            except Exception:  # the loop is closed or the task cancelled: the session is over
                return
            if not wanted:
                return

    threading.Thread(target=pump, name="nodetls-stdin", daemon=True).start()


# -- argument parsing ----------------------------------------------------------------


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def _add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca", action="append", metavar="FILE",
                        help="PEM certificates to trust instead of the default roots "
                             "(repeatable)")
    parser.add_argument("--cert", metavar="FILE", help="PEM certificate (chain) to present")
    parser.add_argument("--key", metavar="FILE", help="PEM private key of --cert")
    parser.add_argument("--alpn", type=_comma_list, metavar="LIST",
                        help="ALPN protocols, e.g. h2,http/1.1")
    parser.add_argument("--min-version", choices=_VERSIONS)
    parser.add_argument("--max-version", choices=_VERSIONS)
    parser.add_argument("--ciphers", metavar="LIST", help="OpenSSL cipher list")
    parser.add_argument("--keylog", metavar="FILE",
                        help="append TLS secrets in NSS key log format (for Wireshark)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nodetls",
        description="Node's tls module for Python: demo, echo server and client.")
    parser.add_argument("--version", action="version", version=f"nodetls {_version()}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="echo server + client in one process, then exit",
                               description="Start an echo server with a certificate made "
                                           "on the spot, connect to it, echo a line, exit.")
    demo.set_defaults(command=_demo)

    server = commands.add_parser("server", help="TLS echo server (like openssl s_server)",
                                 description="Echo every byte back; log each handshake.")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    _add_tls_arguments(server)
    server.add_argument("--key-type", choices=("ec", "rsa"), default="ec",
                        help="key of the certificate made when --cert is not given")
    server.add_argument("--request-cert", action="store_true",
                        help="ask clients for a certificate; log whether it verifies")
    server.add_argument("--require-cert", action="store_true",
                        help="ask for a client certificate and refuse clients without a "
                             "valid one")
    server.set_defaults(command=_server)

    client = commands.add_parser("client", help="TLS client (like openssl s_client)",
                                 description="Connect, report the connection on stderr, "
                                             "then copy stdin to the peer and the peer "
                                             "to stdout.")
    client.add_argument("target", type=_host_port, metavar="HOST:PORT")
    client.add_argument("--servername", help="SNI name and name to check "
                                             "(default: HOST unless it is an IP address)")
    client.add_argument("--no-sni", action="store_true", help="send no server name")
    client.add_argument("--insecure", action="store_true",
                        help="do not reject an unverified server (reject_unauthorized=False)")
    _add_tls_arguments(client)
    client.add_argument("--session-out", metavar="FILE", help="save the session for resuming")
    client.add_argument("--session-in", metavar="FILE", help="resume the session in FILE")
    client.set_defaults(command=_client)
    return parser


def _version() -> str:
    try:
        return metadata.version("nodetls")
    except metadata.PackageNotFoundError:
        return "unknown"
