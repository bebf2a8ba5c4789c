"""Opening OS sockets the way libuv does for Node: connect, bind+listen, address helpers.

* ``connect_tcp`` resolves the host (unless it is an IP literal), tries each address in
  turn, and hands the connected socket to asyncio with the given ``TransportHandle`` as its
  protocol.  Failures come out in Node's shape (``connect ECONNREFUSED 127.0.0.1:1``,
  ``getaddrinfo ENOTFOUND host``).
* ``bind_tcp``/``bind_unix`` bind and listen *synchronously*, so ``server.address()`` is
  known as soon as ``listen()`` returns, as in Node; a failure is ``listen EADDRINUSE: ...``.
  Like libuv, TCP listeners set ``SO_REUSEADDR``; the default host is ``::`` in dual-stack
  mode, falling back to ``0.0.0.0`` where IPv6 is unavailable.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Callable
from typing import TypedDict

from .errors import dns_exception, exception_with_host_port, uv_exception
from .transport_handle import TransportHandle

__all__ = [
    "AddressInfo",
    "address_info",
    "bind_tcp",
    "bind_unix",
    "connect_tcp",
    "connect_unix",
    "family_name",
    "ip_version",
]

DEFAULT_BACKLOG = 511

LookupCallback = Callable[[BaseException | None, str | None, int | None, str], None]


def ip_version(text: object) -> int:
    """Node's ``net.isIP``: 4, 6 or 0."""
    if not isinstance(text, str) or not text:
        return 0
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return 0


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


async def _resolve(
    host: str, port: int, family: int, on_lookup: LookupCallback | None
) -> list[tuple[int, str]]:
    version = ip_version(host)
    if version:
        return [(socket.AF_INET6 if version == 6 else socket.AF_INET, host)]
    hint = {4: socket.AF_INET, 6: socket.AF_INET6}.get(family, socket.AF_UNSPEC)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, family=hint, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        err = dns_exception(exc, host)
        if on_lookup is not None:
            on_lookup(err, None, None, host)
        raise err from exc
    addresses: list[tuple[int, str]] = []
    for info in infos:
        entry = (info[0], str(info[4][0]))
        if entry not in addresses:
            addresses.append(entry)
    if on_lookup is not None and addresses:
        first = addresses[0]
        on_lookup(None, first[1], 6 if first[0] == socket.AF_INET6 else 4, host)
    return addresses


async def connect_tcp(
    handle: TransportHandle,
    host: str,
    port: int,
    *,
    local_address: str | None = None,
    local_port: int | None = None,
    family: int = 0,
    on_lookup: LookupCallback | None = None,
) -> None:
    """Connect ``handle`` to ``host:port``; raises Node-shaped errors."""
    loop = asyncio.get_running_loop()
    last: BaseException | None = None
    for af, address in await _resolve(host, port, family, on_lookup):
        sock = socket.socket(af, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            if local_address or local_port:
                local = local_address or ("::" if af == socket.AF_INET6 else "0.0.0.0")
                _bind_local(sock, local, local_port or 0)
            await loop.sock_connect(sock, (address, port))
        except OSError as exc:
            sock.close()
            last = _connect_error(exc, address, port)
            continue
        except BaseException:
            sock.close()
            raise
        await loop.create_connection(lambda: handle, sock=sock)
        return
    assert last is not None
    raise last


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
