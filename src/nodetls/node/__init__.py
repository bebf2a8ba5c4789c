"""Layer 3: Node's runtime semantics on asyncio (events, streams, net).  Knows nothing of TLS.

Modules, one concept each:

* ``events`` - EventEmitter;  ``scheduling`` - next_tick / set_immediate / timers;
* ``errors`` - NodeError and its ERR_* codes, system errors;  ``validators`` - Node-style
  argument checks;
* streams: ``readable``, ``writable``, ``duplex``, ``pipe``, ``end_of_stream``,
  ``async_iterator``, ``duplexpair``, ``string_decoder`` (facade: ``stream``);
* net: ``handle`` (the StreamHandle contract), ``transport_handle`` (asyncio TCP/unix),
  ``duplex_handle`` (any Duplex), ``os_sockets``, ``lookup`` (name resolution),
  ``onread``, ``net_socket``, ``net_server``, ``net``;  ``abort`` - AbortController.
"""

from __future__ import annotations

from .abort import AbortController, AbortSignal
from .duplex import Duplex, PassThrough, Transform
from .duplex_handle import DuplexHandle
from .duplexpair import DuplexSocket, duplex_pair
from .end_of_stream import finished
from .errors import AbortError, NodeError, NodeRangeError, NodeSystemError, NodeTypeError
from .events import EventEmitter, error_monitor, once
from .handle import HandleListener, StreamHandle, WriteCallback
from .net import (
    connect,
    create_connection,
    create_server,
    is_ip,
    is_ipv4,
    is_ipv6,
)
from .net_server import Server
from .net_socket import Socket
from .readable import Readable
from .scheduling import (
    clear_immediate,
    clear_interval,
    clear_timeout,
    next_tick,
    set_immediate,
    set_interval,
    set_timeout,
)
from .stream_base import Stream
from .transport_handle import TransportHandle
from .writable import Writable

__all__ = [
    "AbortController",
    "AbortError",
    "AbortSignal",
    "Duplex",
    "DuplexHandle",
    "DuplexSocket",
    "EventEmitter",
    "HandleListener",
    "NodeError",
    "NodeRangeError",
    "NodeSystemError",
    "NodeTypeError",
    "PassThrough",
    "Readable",
    "Server",
    "Socket",
    "Stream",
    "StreamHandle",
    "Transform",
    "TransportHandle",
    "Writable",
    "WriteCallback",
    "clear_immediate",
    "clear_interval",
    "clear_timeout",
    "connect",
    "create_connection",
    "create_server",
    "duplex_pair",
    "error_monitor",
    "finished",
    "is_ip",
    "is_ipv4",
    "is_ipv6",
    "next_tick",
    "once",
    "set_immediate",
    "set_interval",
    "set_timeout",
]
