"""Opening OS sockets the way libuv does for Node: connect, bind+listen, address helpers.

* ``connect_target`` validates where ``Socket.connect`` goes (Node's checks and
  messages) into a ``ConnectTarget``, whose ``open`` is one of:
* ``connect_tcp`` resolves the host (``lookup.py``: Node's ``lookup``, ``family``,
  ``hints``, ``auto_select_family``), tries the addresses as those options say, and hands
  the connected socket to asyncio with the given ``TransportHandle`` as its protocol.
  Failures come out in Node's shape (``connect ECONNREFUSED 127.0.0.1:1``,
  ``getaddrinfo ENOTFOUND host``).  ``connect_fd`` adopts an already connected socket.
* ``bind_tcp``/``bind_unix`` bind and listen *synchronously*, so ``server.address()`` is
  known as soon as ``listen()`` returns, as in Node; a failure is ``listen EADDRINUSE: ...``.
  Like libuv, TCP listeners set ``SO_REUSEADDR``; the default host is ``::`` in dual-stack
  mode, falling back to ``0.0.0.0`` where IPv6 is unavailable.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from .errors import (
    ERR_INVALID_IP_ADDRESS,
    ERR_MISSING_ARGS,
    NodeAggregateError,
    exception_with_host_port,
    uv_exception,
)
from .lookup import LookupCallback, LookupOptions, ip_version, lookup_options, resolve
from .transport_handle import TransportHandle
from .validators import validate_integer, validate_number, validate_port, validate_string

__all__ = [
    "AddressInfo",
    "ConnectTarget",
    "address_info",
    "bind_tcp",
    "bind_unix",
    "connect_fd",
    "connect_target",
    "connect_tcp",
    "connect_unix",
    "family_name",
    "ip_version",
]

DEFAULT_BACKLOG = 511

def family_name(address: str) -> str:
    return "IPv6" if ":" in address else "IPv4"


class AddressInfo(TypedDict, total=False):
    """Node's ``address()`` object: ``{'address', 'family', 'port'}`` (empty if unknown)."""

    address: str
    family: str
    port: int


def address_info(address: tuple[str, int] | str | None) -> AddressInfo:
    """Node's ``{address, family, port}`` object for a socket address (``{}`` if none)."""
    if not isinstance(address, tuple):
        return {}
    host, port = address
    return {"address": host, "family": family_name(host), "port": port}


@dataclass(frozen=True, slots=True)
class ConnectTarget:
    """Where a connection goes, validated: a connected ``fd``, a unix ``path``, or
    ``host:port`` with its local end and Node's lookup options."""

    host: str = "localhost"
    port: int = 0
    path: str | None = None
    fd: int | None = None
    local_address: str | None = None
    local_port: int | None = None
    lookup: LookupOptions = field(default_factory=LookupOptions)

    @property
    def is_tcp(self) -> bool:
        return self.fd is None and self.path is None

    async def open(self, handle: TransportHandle, on_lookup: LookupCallback | None = None,
                   on_event: Callable[..., None] | None = None,
                   attempted: list[str] | None = None) -> None:
        """Connect ``handle`` (see ``connect_fd``, ``connect_unix``, ``connect_tcp``)."""
        if self.fd is not None:
            await connect_fd(handle, self.fd)
        elif self.path is not None:
            await connect_unix(handle, self.path)
        else:
            await connect_tcp(handle, self.host, self.port, local_address=self.local_address,
                              local_port=self.local_port, options=self.lookup,
                              on_lookup=on_lookup, on_event=on_event, attempted=attempted)


def connect_target(port: object, host: object, *, path: object = None, fd: object = None,
                   local_address: object = None, local_port: object = None,
                   family: object = 0, **lookup: Any) -> ConnectTarget:
    """Node's checks of ``socket.connect(options)``, before anything is opened."""
    if fd is not None:
        validate_integer(fd, "fd", 0, 2**31 - 1)
        return ConnectTarget(fd=_validated_int(fd))
    if path is not None:
        validate_string(path, "options.path")
        assert isinstance(path, str)
        return ConnectTarget(path=path)
    if port is None:
        raise ERR_MISSING_ARGS("options", "port", "path")
    host = "localhost" if host is None else host
    validate_string(host, "options.host")
    if local_address is not None and not ip_version(local_address):
        raise ERR_INVALID_IP_ADDRESS(local_address)
    if local_port is not None:
        validate_number(local_port, "options.local_port")
    assert isinstance(host, str)
    assert local_address is None or isinstance(local_address, str)
    return ConnectTarget(host, validate_port(port), local_address=local_address,
                         local_port=None if local_port is None else _validated_int(local_port),
                         lookup=lookup_options(family=family, local_address=local_address,
                                               **lookup))


def _validated_int(value: object) -> int:
    assert isinstance(value, int | float)  # a validated number
    return int(value)


async def connect_tcp(
    handle: TransportHandle,
    host: str,
    port: int,
    *,
    local_address: str | None = None,
    local_port: int | None = None,
    options: LookupOptions | None = None,
    on_lookup: LookupCallback | None = None,
    on_event: Callable[..., None] | None = None,
    attempted: list[str] | None = None,
) -> None:
    """Connect ``handle`` to ``host:port``; raises Node-shaped errors.

    ``on_event(name, *args)`` hears Node's ``'connectionAttempt'`` ``(address, port,
    family)``, ``'connectionAttemptFailed'`` (``..., err``) and
    ``'connectionAttemptTimeout'``; ``attempted`` collects ``"address:port"`` when there
    is more than one address to try.  When every one of several attempts failed, the
    error is Node's ``AggregateError`` (``NodeAggregateError``)."""
    options = options or LookupOptions()
    report = on_event or _ignore
    loop = asyncio.get_running_loop()
    plan = options.attempts(await resolve(host, options, on_lookup))
    errors: list[BaseException] = []
    for (af, address), bound in plan:
        family = 6 if af == socket.AF_INET6 else 4
        if attempted is not None and len(plan) > 1:
            attempted.append(f"{address}:{port}")
        report("connectionAttempt", address, port, family)
        outcome = await _attempt(af, address, port, bound, local_address, local_port)
        if isinstance(outcome, socket.socket):
            await loop.create_connection(lambda: handle, sock=outcome)
            return
        if outcome is None:  # this attempt's time is up (auto_select_family): the next one
            report("connectionAttemptTimeout", address, port, family)
            outcome = exception_with_host_port(errno.ETIMEDOUT, "connect", address, port)
        else:
            report("connectionAttemptFailed", address, port, family, outcome)
        errors.append(outcome)
    raise errors[0] if len(errors) == 1 else NodeAggregateError(errors)


def _ignore(*_args: object) -> None:
    return None


async def _attempt(af: int, address: str, port: int, bound: float | None,
                   local_address: str | None, local_port: int | None) -> (
    socket.socket | BaseException | None
):
    """One connection attempt: the connected socket, its error, or None if it took
    longer than ``bound`` seconds."""
    sock = socket.socket(af, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        if local_address or local_port:
            local = local_address or ("::" if af == socket.AF_INET6 else "0.0.0.0")
            _bind_local(sock, local, local_port or 0)
        async with asyncio.timeout(bound):
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except TimeoutError:
        sock.close()
        return None
    except OSError as exc:
        sock.close()
        return _connect_error(exc, address, port)
    except BaseException:
        sock.close()
        raise
    return sock


async def connect_fd(handle: TransportHandle, fd: int) -> None:
    """Adopt the connected stream socket ``fd`` (Node's ``new net.Socket({fd})``)."""
    loop = asyncio.get_running_loop()
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise uv_exception(exc.errno or errno.EBADF, "open") from exc
    sock.setblocking(False)
    if sock.family == socket.AF_UNIX:
        await loop.create_unix_connection(lambda: handle, sock=sock)
    else:
        await loop.create_connection(lambda: handle, sock=sock)


def _bind_local(sock: socket.socket, address: str, port: int) -> None:
    try:
        sock.bind((address, port))
    except OSError as exc:
        raise exception_with_host_port(exc.errno or errno.EINVAL, "bind", address, port) from exc


def _connect_error(exc: OSError, address: str, port: int) -> BaseException:
    if exc.errno is None or getattr(exc, "syscall", None) == "bind":
        return exc
    made = exception_with_host_port(exc.errno, "connect", address, port)
    made.__cause__ = exc
    return made


async def connect_unix(handle: TransportHandle, path: str) -> None:
    """Connect ``handle`` to the unix socket at ``path``."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, path)
    except OSError as exc:
        sock.close()
        if exc.errno is None:
            raise
        raise exception_with_host_port(exc.errno, "connect", path) from exc
    except BaseException:
        sock.close()
        raise
    await loop.create_unix_connection(lambda: handle, sock=sock)


def bind_tcp(
    host: str | None, port: int, backlog: int | None = None, ipv6_only: bool = False,
    reuse_port: bool = False,
) -> socket.socket:
    """A listening, non-blocking TCP socket (Node's default host: dual-stack ``::``).

    ``reuse_port`` sets ``SO_REUSEPORT`` (Node's ``reusePort``, v22.12+): several
    processes then listen on one port and the kernel spreads connections over them."""
    if host is None:
        try:
            return _listen(socket.AF_INET6, "::", port, backlog, ipv6_only, reuse_port)
        except OSError as exc:
            if getattr(exc, "errno", None) not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
                raise
        host = "0.0.0.0"
    af = socket.AF_INET6 if ip_version(host) == 6 else socket.AF_INET
    return _listen(af, host, port, backlog, ipv6_only, reuse_port)


def _listen(
    af: int, host: str, port: int, backlog: int | None, ipv6_only: bool, reuse_port: bool
) -> socket.socket:
    sock = socket.socket(af, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if af == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(ipv6_only))
        sock.bind((host, port))
        sock.listen(DEFAULT_BACKLOG if backlog is None else backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise uv_exception(exc.errno or errno.EINVAL, "listen", host, port) from exc
    return sock


def bind_unix(path: str, backlog: int | None = None) -> socket.socket:
    """A listening, non-blocking unix socket at ``path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(DEFAULT_BACKLOG if backlog is None else backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise uv_exception(exc.errno or errno.EINVAL, "listen", path) from exc
    return sock
