"""``nodetls.SSLContext``: an ``ssl.SSLContext`` whose connections run on nodetls.

Theory of operation
-------------------
Every Python library that speaks TLS takes an ``ssl.SSLContext`` and calls only two of
its methods for connections: ``wrap_bio`` (asyncio, uvloop, trio, anyio: the
``SSLObject`` protocol over two ``MemoryBIO``) and ``wrap_socket`` (``http.client``,
urllib3, requests: a blocking ``SSLSocket``).  This subclass passes every
``isinstance(ctx, ssl.SSLContext)`` check and answers both with objects driven by the
nodetls engine (``ssl_object.py``, ``ssl_socket.py``); CPython's ``_ssl`` context it
inherits from is never used for a connection.

It is configured with Node's options: ``SSLContext(server_side=True, **options)`` takes
``create_server``'s, ``SSLContext(server_side=False, **options)`` those of ``connect``,
validated by the same code with the same errors (``options.py``).  The validated
configuration is one frozen ``ContextConfig``; the stdlib setters that frameworks call
(``load_cert_chain``, ``verify_mode``, ...; ``stdlib_settings.py``) change an option
and rebuild it, keeping the session ticket keys, so existing connections keep theirs
and new ones see the change.

The context is an ``EventEmitter`` (``emitter.py``): ``'keylog'`` ``(line,
ssl_object)``, ``'OCSPResponse'`` ``(response, ssl_object)`` for a client that set
``request_ocsp``, and the server hooks ``'OCSPRequest'``, ``'newSession'``,
``'resumeSession'``, whose ``cb`` must be called before the listener returns
(``hooks.py``).
"""

from __future__ import annotations

import socket as _socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from nodetls.engine.context import NativeSecureContext
from nodetls.node.events import EventEmitter
from nodetls.stdssl.emitter import EmitterFacade
from nodetls.stdssl.options import ContextConfig, context_config
from nodetls.stdssl.session import SSLSession
from nodetls.stdssl.ssl_object import SSLObject
from nodetls.stdssl.ssl_socket import SSLSocket
from nodetls.stdssl.stdlib_settings import REMOVE, StdlibSettings
from nodetls.tls.ticket_keys import ticket_key_ring

__all__ = ["SSLContext"]



class SSLContext(EmitterFacade, StdlibSettings):
    """``SSLContext(server_side, **options)``: Node's options, the stdlib's interface."""

    sslobject_class = SSLObject
    sslsocket_class = SSLSocket  # type: ignore[assignment]

    def __new__(cls, server_side: bool = False, **options: Any) -> Self:
        protocol = ssl.PROTOCOL_TLS_SERVER if server_side is True else ssl.PROTOCOL_TLS_CLIENT
        return super().__new__(cls, protocol)

    def __init__(self, server_side: bool = False, **options: Any) -> None:
        self.events = EventEmitter()
        self.stdlib_sni_callback: Callable[..., Any] | None = None
        self._keylog_filename: str | None = None
        self._options: dict[str, Any] = dict(options)
        self._config = context_config(server_side, self._options)

    # --- configuration ------------------------------------------------------------------

    @property
    def config(self) -> ContextConfig:
        """The validated options new connections are made with."""
        return self._config

    @property
    def server_side(self) -> bool:
        return self._config.server_side

    def native_context(self) -> NativeSecureContext:
        """The engine's context (also what an SNI callback may answer with)."""
        return self._config.context.context

    def _reconfigure(self, changes: Mapping[str, object]) -> None:
        """Apply option changes (``REMOVE`` deletes one); errors leave all unchanged."""
        options = dict(self._options)
        for name, value in changes.items():
            if value is REMOVE:
                options.pop(name, None)
            else:
                options[name] = value
        config = context_config(self._config.server_side, options)
        if "ticket_keys" not in options:  # the same keys: earlier tickets still resume
            config.context.context.set_ticket_keys(self.native_context().get_ticket_key_ring())
        self._options, self._config = options, config

    def get_ticket_keys(self) -> bytes:
        """The 48-byte key that encrypts new tickets (Node's layout; with a ring, its first
        key), as ``Server.get_ticket_keys``."""
        return self.native_context().get_ticket_keys()

    def set_ticket_keys(self, keys: bytes | Sequence[bytes]) -> None:
        """Replace the ticket keys of this context (its open connections included): one
        48-byte key, or a ring (a list: the first encrypts, all decrypt), as
        ``Server.set_ticket_keys``."""
        self.native_context().set_ticket_keys(ticket_key_ring(keys, "keys", buffer_name="buffer"))

    # --- events the connections report ------------------------------------------------------

    def wants_keylog(self) -> bool:
        return bool(self.events.listener_count("keylog") or self._keylog_filename)

    def on_keylog(self, line: bytes, ssl_object: SSLObject) -> None:
        """Node's ``'keylog'`` ``(line, ssl_object)``; the stdlib's ``keylog_filename``."""
        if self._keylog_filename:
            with open(self._keylog_filename, "ab") as log:
                log.write(line)
        self.events.emit("keylog", line, ssl_object)

    # --- connections ----------------------------------------------------------------------

    def _check_side(self, server_side: bool) -> None:
        if bool(server_side) != self._config.server_side:
            made = "server" if self._config.server_side else "client"
            wanted = "server" if server_side else "client"
            raise ValueError(f"this nodetls.SSLContext was made for the {made} side "
                             f"(server_side={self._config.server_side}); a {wanted} "
                             f"connection needs SSLContext(server_side={bool(server_side)}, ...)")

    def wrap_bio(self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO,
                 server_side: bool = False, server_hostname: str | bytes | None = None,
                 session: SSLSession | bytes | None = None) -> SSLObject:  # type: ignore[override]
        """An ``SSLObject`` over the two BIOs, on the nodetls engine."""
        self._check_side(server_side)
        return SSLObject(self, incoming, outgoing, server_side=bool(server_side),
                         server_hostname=_hostname(server_hostname), session=session)

    def wrap_socket(  # type: ignore[override]  # a socket.socket, as ssl.SSLSocket is
            self, sock: _socket.socket, server_side: bool = False,
            do_handshake_on_connect: bool = True, suppress_ragged_eofs: bool = True,
            server_hostname: str | bytes | None = None,
            session: SSLSession | bytes | None = None) -> SSLSocket:
        """A blocking ``SSLSocket`` taking over ``sock`` (which is detached)."""
        self._check_side(server_side)
        return SSLSocket.create(sock, self, server_side=bool(server_side),
                                do_handshake_on_connect=do_handshake_on_connect,
                                suppress_ragged_eofs=suppress_ragged_eofs,
                                server_hostname=_hostname(server_hostname), session=session)


def _hostname(value: str | bytes | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode("idna")
    return value or None
