"""``nodetls.net``: the ``net`` base classes TLS builds on (Node's ``net`` module)."""

from __future__ import annotations

from .node import (
    Server,
    Socket,
    connect,
    create_connection,
    create_server,
    is_ip,
    is_ipv4,
    is_ipv6,
)

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
