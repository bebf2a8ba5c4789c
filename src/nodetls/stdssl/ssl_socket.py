"""``nodetls.SSLSocket``: the blocking socket ``wrap_socket`` returns.

Theory of operation.  Like the stdlib's ``ssl.SSLSocket`` it is a ``socket.socket``
that took over the file descriptor of the socket it wraps (which is detached), so
``http.client``, urllib3 and requests use it as they use the stdlib's: ``send``,
``sendall``, ``recv``, ``recv_into``, ``makefile``, timeouts.  Underneath it is the
``SSLObject`` of ``ssl_object.py`` over two private ``MemoryBIO``: every TLS operation
runs in ``_io``, which sends what the engine wrote and, on ``SSLWantReadError``, reads
from the socket (blocking, with the socket's timeout) into the incoming BIO and tries
again.  A non-blocking socket surfaces ``SSLWantReadError`` to the caller instead, as
the stdlib's does.  ``close()`` closes the descriptor without a close_notify, as the
stdlib's does; ``unwrap()`` sends one and returns the plain socket.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

from nodetls.stdssl import errors
from nodetls.stdssl.session import SSLSession
from nodetls.stdssl.ssl_object import SSLObject

if TYPE_CHECKING:
    from nodetls.stdssl.context import SSLContext

__all__ = ["SSLSocket"]

T = TypeVar("T")
_RECV_SIZE: Final = 256 * 1024


class SSLSocket(socket.socket):
    """A blocking TLS socket on the nodetls engine (``SSLContext.wrap_socket``)."""

    _sslobj: SSLObject | None
    _context: SSLContext
    _server_side: bool
    _server_hostname: str | None
    _session: SSLSession | bytes | None
    _handshake_on_connect: bool
    suppress_ragged_eofs: bool

    @classmethod
    def create(cls, sock: socket.socket, context: SSLContext, *, server_side: bool,
               do_handshake_on_connect: bool, suppress_ragged_eofs: bool,
               server_hostname: str | None, session: SSLSession | bytes | None) -> SSLSocket:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) != socket.SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        timeout = sock.gettimeout()
        self = cls(sock.family, sock.type, sock.proto, fileno=sock.fileno())
        sock.detach()
        self.settimeout(timeout)
        self._context = context
        self._server_side = server_side
        self._server_hostname = server_hostname
        self._session = session
        self._handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self._sslobj = None
        try:
            self.getpeername()
        except OSError:
            return self  # not connected yet: connect() starts TLS
        self._start()
        return self

    def _start(self) -> None:
        self._sslobj = SSLObject(self._context, ssl.MemoryBIO(), ssl.MemoryBIO(),
                                 server_side=self._server_side,
                                 server_hostname=self._server_hostname, session=self._session)
        if self._handshake_on_connect:
            self.do_handshake()

    def _obj(self) -> SSLObject:
        if self._sslobj is None:
            raise OSError(107, "Transport endpoint is not connected")  # ENOTCONN
        return self._sslobj

    # --- the I/O loop -----------------------------------------------------------------------

    def _io(self, operation: Callable[[], T]) -> T:
        obj = self._obj()
        while True:
            try:
                result = operation()
            except ssl.SSLWantReadError:
                self._send_pending(obj)
                self._receive(obj)
                continue
            except ssl.SSLError:
                self._send_pending(obj)  # the alert
                raise
            self._send_pending(obj)
            return result

    def _send_pending(self, obj: SSLObject) -> None:
        out = obj._outgoing.read()
        if out:
            socket.socket.sendall(self, out)

    def _receive(self, obj: SSLObject) -> None:
        try:
            data = socket.socket.recv(self, _RECV_SIZE)
        except BlockingIOError:
            raise errors.want_read() from None
        if data:
            obj._incoming.write(data)
        else:
            obj._incoming.write_eof()

    # --- TLS operations ---------------------------------------------------------------------

    def do_handshake(self, block: bool = False) -> None:
        self._io(self._obj().do_handshake)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        obj = self._obj()
        try:
            return self._io(lambda: obj.read(len, buffer))
        except ssl.SSLEOFError:
            if not self.suppress_ragged_eofs:
                raise
            return 0 if buffer is not None else b""

    def write(self, data: Any) -> int:
        obj = self._obj()
        return self._io(lambda: obj.write(data))

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        self._no_flags(flags, "recv")
        result: bytes = self.read(buflen)
        return result

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._no_flags(flags, "recv_into")
        nbytes = nbytes or memoryview(buffer).nbytes
        result: int = self.read(nbytes, buffer)
        return result

    def send(self, data: Any, flags: int = 0) -> int:
        self._no_flags(flags, "send")
        return self.write(data)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._no_flags(flags, "sendall")
        self.write(data)

    @staticmethod
    def _no_flags(flags: int, method: str) -> None:
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to {method}() on SSLSocket")

    def _not_for_tls(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("datagram and message calls are not allowed on an SSLSocket")

    sendto = recvfrom = recvfrom_into = sendmsg = recvmsg = recvmsg_into = _not_for_tls

    def pending(self) -> int:
        return self._sslobj.pending() if self._sslobj is not None else 0

    def unwrap(self) -> socket.socket:
        """Send close_notify, wait for the peer's, and return the plain socket."""
        self._io(self._obj().unwrap)
        self._sslobj = None
        return socket.socket(self.family, self.type, self.proto, fileno=self.detach())

    # --- connecting -------------------------------------------------------------------------

    def connect(self, address: Any) -> None:
        socket.socket.connect(self, address)
        self._start()

    def connect_ex(self, address: Any) -> int:
        code = socket.socket.connect_ex(self, address)
        if code == 0:
            self._start()
        return code

    def accept(self) -> tuple[SSLSocket, Any]:
        sock, address = socket.socket.accept(self)
        return self._context.wrap_socket(sock, server_side=True,
                                         do_handshake_on_connect=self._handshake_on_connect,
                                         suppress_ragged_eofs=self.suppress_ragged_eofs), address

    def dup(self) -> SSLSocket:
        raise NotImplementedError(f"Can't dup() {type(self).__name__} instances")

    # --- getters (the SSLObject's) ----------------------------------------------------------

    @property
    def context(self) -> SSLContext:
        return self._context

    @property
    def ssl_object(self) -> SSLObject | None:
        """The ``nodetls.SSLObject`` underneath: Node's getters live there."""
        return self._sslobj

    @property
    def server_side(self) -> bool:
        return self._server_side

    @property
    def server_hostname(self) -> str | None:
        return self._server_hostname

    @property
    def session(self) -> SSLSession | None:
        return self._sslobj.session if self._sslobj is not None else None

    @property
    def session_reused(self) -> bool | None:
        return self._sslobj.session_reused if self._sslobj is not None else None

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self._obj().getpeercert(binary_form)

    def cipher(self) -> tuple[str, str, int] | None:
        return self._sslobj.cipher() if self._sslobj is not None else None

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        return self._sslobj.shared_ciphers() if self._sslobj is not None else None

    def version(self) -> str | None:
        return self._sslobj.version() if self._sslobj is not None else None

    def selected_alpn_protocol(self) -> str | None:
        return self._sslobj.selected_alpn_protocol() if self._sslobj is not None else None

    def selected_npn_protocol(self) -> str | None:
        return self._sslobj.selected_npn_protocol() if self._sslobj is not None else None

    def compression(self) -> None:
        return None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        return self._sslobj.get_channel_binding(cb_type) if self._sslobj is not None else None

    def verify_client_post_handshake(self) -> None:
        self._obj().verify_client_post_handshake()
