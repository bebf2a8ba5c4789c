"""What the subcommands share: errors, files, reports of a connection, TLS arguments.

Errors are reported as ``error: <Node code>: <message>`` with exit status 1 (``CLIError``
carries the code); usage errors exit with 2.  Only the public ``nodetls`` API is used.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import ipaddress
import os
from collections.abc import Callable
from typing import IO, Any

import nodetls as tls

VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class CLIError(Exception):
    """A failure to report as ``error: <code>: <message>``."""

    def __init__(self, code: str, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def code_of(err: BaseException) -> str:
    """Node's ``err.code`` where there is one; the exception's class name otherwise."""
    return str(getattr(err, "code", None) or type(err).__name__)


def error_text(err: BaseException) -> str:
    return f"{code_of(err)}: {err}"


def as_cli_error(err: BaseException) -> CLIError:
    return CLIError(code_of(err), str(err))


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise CLIError("ENOENT" if isinstance(err, FileNotFoundError) else "EIO",
                       f"cannot read {path}: {err.strerror}", EXIT_USAGE) from None


def fingerprint256(cert_pem: bytes) -> str:
    """Node's ``fingerprint256`` of the first certificate in a PEM blob."""
    body = cert_pem.split(b"-----")[2]
    digest = hashlib.sha256(base64.b64decode(b"".join(body.split()))).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def jsonable(value: Any) -> Any:
    """A certificate object as JSON can hold it: bytes as hex, ``raw`` left out."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "raw"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def cipher_text(sock: tls.TLSSocket) -> str:
    cipher = sock.get_cipher() or {}
    name, standard = cipher.get("name"), cipher.get("standardName")
    return str(name) if standard in (None, name) else f"{name} ({standard})"


def authorization_text(sock: tls.TLSSocket) -> str:
    if sock.authorized:
        return "authorized"
    return f"not authorized: {sock.authorization_error}"


def connection_report(sock: tls.TLSSocket) -> list[str]:
    return [
        f"protocol: {sock.get_protocol()}",
        f"cipher: {cipher_text(sock)}",
        f"alpn: {sock.alpn_protocol or 'none'}",
        f"authorization: {authorization_text(sock)}",
    ]


def once(emitter: Any, *events: str) -> asyncio.Future[tuple[str, tuple[Any, ...]]]:
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


def open_keylog(path: str) -> IO[bytes]:
    # As Node's --tls-keylog: appended to, readable by the owner only (secrets inside).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "ab", buffering=0)


def common_tls_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.ca:
        options["ca"] = [read_file(path) for path in args.ca]
    if args.alpn:
        options["alpn_protocols"] = args.alpn
    if args.min_version:
        options["min_version"] = args.min_version
    if args.max_version:
        options["max_version"] = args.max_version
    if args.ciphers:
        options["ciphers"] = args.ciphers
    return options


def host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


def listening_on(server: tls.Server) -> tuple[str, int]:
    address = server.address()
    if not isinstance(address, dict):  # a unix socket path, or closed: not ours
        raise CLIError("ERR_SERVER_NOT_RUNNING", f"unexpected server address {address!r}")
    return str(address["address"]), int(address["port"])


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True




def comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca", action="append", metavar="FILE",
                        help="PEM certificates to trust instead of the default roots "
                             "(repeatable)")
    parser.add_argument("--cert", metavar="FILE", help="PEM certificate (chain) to present")
    parser.add_argument("--key", metavar="FILE", help="PEM private key of --cert")
    parser.add_argument("--alpn", type=comma_list, metavar="LIST",
                        help="ALPN protocols, e.g. h2,http/1.1")
    parser.add_argument("--min-version", choices=VERSIONS)
    parser.add_argument("--max-version", choices=VERSIONS)
    parser.add_argument("--ciphers", metavar="LIST", help="OpenSSL cipher list")
    parser.add_argument("--keylog", metavar="FILE",
                        help="append TLS secrets in NSS key log format (for Wireshark)")


