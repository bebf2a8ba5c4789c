"""Node's ``net`` module functions: ``connect``/``create_connection``, ``create_server``,
``is_ip``/``is_ipv4``/``is_ipv6``, over ``Socket`` and ``Server``.

``connect`` follows Node's ``net.connect(options, cb)``: options that shape the socket go to
the ``Socket`` constructor, ``timeout`` becomes ``set_timeout``, the rest go to
``socket.connect``.  The returned socket is awaitable (``await net.connect(port)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .net_server import ConnectionListener, Server
from .net_socket import Socket
from .os_sockets import ip_version

__all__ = [
    "Server",
    "Socket",
    "connect",
    "create_connection",
    "create_server",
    "is_ip",
    "is_ipv4",
    "is_ipv6",
]

_SOCKET_OPTIONS = frozenset(
    {"allow_half_open", "readable", "writable", "high_water_mark", "handle", "onread", "signal"}
)


def connect(
    port: int | str | None = None,
    host: str | Callable[[], object] | None = None,
    connect_listener: Callable[[], object] | None = None,
    *,
    timeout: float | None = None,
    **options: Any,
) -> Socket:
    """``net.connect(port, host, listener)`` or ``net.connect(path=...)``."""
    socket_options = {k: v for k, v in options.items() if k in _SOCKET_OPTIONS}
    connect_options = {k: v for k, v in options.items() if k not in _SOCKET_OPTIONS}
    sock = Socket(**socket_options)
    if timeout:
        sock.set_timeout(timeout)
    return sock.connect(port, host, connect_listener, **connect_options)


create_connection = connect


def create_server(
    connection_listener: ConnectionListener | None = None, **options: Any
) -> Server:
    """``net.createServer(options, connectionListener)``."""
    return Server(connection_listener, **options)


def is_ip(address: object) -> int:
    """6 for an IPv6 address, 4 for IPv4, 0 otherwise."""
    return ip_version(address)


def is_ipv4(address: object) -> bool:
    return ip_version(address) == 4


def is_ipv6(address: object) -> bool:
    return ip_version(address) == 6
