"""Node's error vocabulary: ``NodeError`` with a ``.code``, and system errors from errno.

Theory of operation
-------------------
Node users (and Node's own tests) match errors by their ``code`` string, never by class, so
every error raised or emitted by this layer carries Node's ``code`` and Node's message text
(``str(err)``).  Python users match by class, so each ``ERR_*`` code is also a class named
after it (``except ERR_STREAM_DESTROYED``), and the class sits under the Python builtin that
plays the role of Node's JS class:

    Node          Python base
    Error         NodeError(Exception)
    TypeError     NodeTypeError(NodeError, TypeError)
    RangeError    NodeRangeError(NodeError, ValueError)

System errors (Node's ``ErrnoException``/``ExceptionWithHostPort``/``UVException``) are
``NodeSystemError(OSError)`` subclasses chosen from the errno, so ``ECONNREFUSED`` is also a
``ConnectionRefusedError``.  They carry Node's fields: ``code`` ('ECONNREFUSED'), ``errno``,
``syscall``, ``address``, ``port``.  One deliberate difference: ``errno`` is the positive
POSIX value Python code compares with the ``errno`` module, not libuv's negative number.

Message texts are Node v20's; ``describe_value``/``inspect`` render Python values the way
Node's ``determineSpecificType``/``util.inspect`` render their JS counterparts (``None`` is
shown as ``null``, ``dict`` as ``Object``, ``list`` as ``Array``).
"""

from __future__ import annotations

import errno as _errno
import os
import re
import socket
from collections.abc import Iterable

__all__ = [
    "ERR_INVALID_ARG_TYPE",
    "ERR_INVALID_ARG_VALUE",
    "ERR_INVALID_IP_ADDRESS",
    "ERR_METHOD_NOT_IMPLEMENTED",
    "ERR_MISSING_ARGS",
    "ERR_MULTIPLE_CALLBACK",
    "ERR_OUT_OF_RANGE",
    "ERR_SERVER_ALREADY_LISTEN",
    "ERR_SERVER_NOT_RUNNING",
    "ERR_SOCKET_BAD_PORT",
    "ERR_SOCKET_CLOSED",
    "ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
    "ERR_STREAM_ALREADY_FINISHED",
    "ERR_STREAM_CANNOT_PIPE",
    "ERR_STREAM_DESTROYED",
    "ERR_STREAM_NULL_VALUES",
    "ERR_STREAM_PREMATURE_CLOSE",
    "ERR_STREAM_PUSH_AFTER_EOF",
    "ERR_STREAM_UNSHIFT_AFTER_END_EVENT",
    "ERR_STREAM_WRAP",
    "ERR_STREAM_WRITE_AFTER_END",
    "ERR_UNHANDLED_ERROR",
    "ERR_UNKNOWN_ENCODING",
    "AbortError",
    "NodeAggregateError",
    "NodeDNSError",
    "NodeError",
    "NodeRangeError",
    "NodeSystemError",
    "NodeTypeError",
    "describe_value",
    "dns_exception",
    "errno_exception",
    "exception_with_host_port",
    "inspect",
    "system_error_from_os_error",
    "uv_exception",
]


class NodeError(Exception):
    """An error with Node's ``code``; ``str(err)`` is Node's message.  ``code`` is None
    where Node's error has none (``err.code === undefined``): none is ever invented."""

    code: str | None = None

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class NodeTypeError(NodeError, TypeError):
    """Node's ``TypeError`` family (bad argument types, unknown options)."""


class NodeRangeError(NodeError, ValueError):
    """Node's ``RangeError`` family (values out of range)."""


class AbortError(NodeError):
    """Node's ``AbortError`` (``code='ABORT_ERR'``)."""

    code = "ABORT_ERR"

    def __init__(self, message: str = "The operation was aborted") -> None:
        super().__init__(message)


# --- rendering values the way Node's messages do ------------------------------------------

_JS_NAMES: dict[type, str] = {dict: "Object", list: "Array", tuple: "Array"}


def inspect(value: object) -> str:
    """A short ``util.inspect``-like rendering of a Python value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return repr(value)


def _js_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def describe_value(value: object) -> str:
    """Node's ``determineSpecificType``: the ``Received ...`` part of argument errors."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float | str):
        shown = inspect(value)
        if len(shown) > 28:
            shown = shown[:25] + "..."
        return f"type {_js_type(value)} ({shown})"
    if callable(value) and not isinstance(value, type) and hasattr(value, "__name__"):
        return f"function {value.__name__}"
    name = _JS_NAMES.get(type(value), type(value).__name__)
    return f"an instance of {name}"


# --- argument errors -------------------------------------------------------------------------

_K_TYPES = ("string", "function", "number", "object", "Function", "Object", "boolean", "bigint")
_CLASS_RE = re.compile(r"^([A-Z][a-z0-9]*)+$")


def _join_or(items: list[str], prefix: str) -> str:
    if len(items) > 2:
        return f"{prefix}{', '.join(items[:-1])}, or {items[-1]}"
    if len(items) == 2:
        return f"{prefix}{items[0]} or {items[1]}"
    return f"{prefix}{items[0]}"


def _expected_text(expected: Iterable[str]) -> str:
    types: list[str] = []
    instances: list[str] = []
    other: list[str] = []
    for value in expected:
        if value in _K_TYPES:
            types.append(value.lower())
        elif _CLASS_RE.match(value):
            instances.append(value)
        else:
            other.append(value)
    # Node outlines 'object' as an instance when other instances are listed.
    if instances and "object" in types:
        types.remove("object")
        instances.append("Object")
    parts: list[str] = []
    if types:
        prefix = "one of type " if len(types) > 1 else "of type "
        parts.append(_join_or(types, prefix))
    if instances:
        parts.append(_join_or(instances, "an instance of "))
    if other:
        if len(other) > 1:
            parts.append(_join_or(other, "one of "))
        else:
            parts.append(("an " if other[0].lower() != other[0] else "") + other[0])
    return " or ".join(parts)


def _arg_label(name: str) -> str:
    if name.endswith(" argument"):
        return name
    kind = "property" if "." in name else "argument"
    return f'"{name}" {kind}'


class ERR_INVALID_ARG_TYPE(NodeTypeError):
    code = "ERR_INVALID_ARG_TYPE"

    def __init__(self, name: str, expected: str | Iterable[str], actual: object) -> None:
        wanted = [expected] if isinstance(expected, str) else list(expected)
        text = f"The {_arg_label(name)} must be {_expected_text(wanted)}. "
        super().__init__(text + f"Received {describe_value(actual)}")


class ERR_INVALID_ARG_VALUE(NodeTypeError):
    code = "ERR_INVALID_ARG_VALUE"

    def __init__(self, name: str, value: object, reason: str = "is invalid") -> None:
        shown = inspect(value)
        if len(shown) > 128:
            shown = shown[:128] + "..."
        kind = "property" if "." in name else "argument"
        super().__init__(f"The {kind} '{name}' {reason}. Received {shown}")


def _add_numerical_separator(text: str) -> str:
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + "_".join([digits, *groups])


class ERR_OUT_OF_RANGE(NodeRangeError):
    code = "ERR_OUT_OF_RANGE"

    def __init__(self, name: str, range_text: str, received: object) -> None:
        if isinstance(received, int) and not isinstance(received, bool) and abs(received) > 2**32:
            shown = _add_numerical_separator(str(received))
        else:
            shown = inspect(received)
        super().__init__(
            f'The value of "{name}" is out of range. It must be {range_text}. Received {shown}'
        )


class ERR_MISSING_ARGS(NodeTypeError):
    code = "ERR_MISSING_ARGS"

    def __init__(self, *names: str) -> None:
        quoted = [f'"{n}"' for n in names]
        if len(quoted) == 1:
            text = f"The {quoted[0]} argument"
        elif len(quoted) == 2:
            text = f"The {quoted[0]} and {quoted[1]} arguments"
        else:
            text = f"The {', '.join(quoted[:-1])}, and {quoted[-1]} arguments"
        super().__init__(text + " must be specified")


class ERR_UNKNOWN_ENCODING(NodeTypeError):
    code = "ERR_UNKNOWN_ENCODING"

    def __init__(self, encoding: object) -> None:
        super().__init__(f"Unknown encoding: {encoding}")


class ERR_INVALID_IP_ADDRESS(NodeTypeError):
    code = "ERR_INVALID_IP_ADDRESS"

    def __init__(self, address: object) -> None:
        super().__init__(f"Invalid IP address: {address}")


class ERR_SOCKET_BAD_PORT(NodeRangeError):
    code = "ERR_SOCKET_BAD_PORT"

    def __init__(self, name: str, port: object, allow_zero: bool = True) -> None:
        op = ">=" if allow_zero else ">"
        super().__init__(
            f"{name} should be {op} 0 and < 65536. Received {describe_value(port)}."
        )


# --- stream and runtime errors -----------------------------------------------------------------


class ERR_MULTIPLE_CALLBACK(NodeError):
    code = "ERR_MULTIPLE_CALLBACK"

    def __init__(self) -> None:
        super().__init__("Callback called multiple times")


class ERR_METHOD_NOT_IMPLEMENTED(NodeError):
    code = "ERR_METHOD_NOT_IMPLEMENTED"

    def __init__(self, method: str) -> None:
        super().__init__(f"The {method} method is not implemented")


class ERR_STREAM_DESTROYED(NodeError):
    code = "ERR_STREAM_DESTROYED"

    def __init__(self, method: str) -> None:
        super().__init__(f"Cannot call {method} after a stream was destroyed")


class ERR_STREAM_ALREADY_FINISHED(NodeError):
    code = "ERR_STREAM_ALREADY_FINISHED"

    def __init__(self, method: str) -> None:
        super().__init__(f"Cannot call {method} after a stream was finished")


class ERR_STREAM_WRITE_AFTER_END(NodeError):
    code = "ERR_STREAM_WRITE_AFTER_END"

    def __init__(self) -> None:
        super().__init__("write after end")


class ERR_STREAM_PUSH_AFTER_EOF(NodeError):
    code = "ERR_STREAM_PUSH_AFTER_EOF"

    def __init__(self) -> None:
        super().__init__("stream.push() after EOF")


class ERR_STREAM_UNSHIFT_AFTER_END_EVENT(NodeError):
    code = "ERR_STREAM_UNSHIFT_AFTER_END_EVENT"

    def __init__(self) -> None:
        super().__init__("stream.unshift() after end event")


class ERR_STREAM_NULL_VALUES(NodeTypeError):
    code = "ERR_STREAM_NULL_VALUES"

    def __init__(self) -> None:
        super().__init__("May not write null values to stream")


class ERR_STREAM_CANNOT_PIPE(NodeError):
    code = "ERR_STREAM_CANNOT_PIPE"

    def __init__(self) -> None:
        super().__init__("Cannot pipe, not readable")


class ERR_STREAM_PREMATURE_CLOSE(NodeError):
    code = "ERR_STREAM_PREMATURE_CLOSE"

    def __init__(self) -> None:
        super().__init__("Premature close")


class ERR_STREAM_WRAP(NodeError):
    code = "ERR_STREAM_WRAP"

    def __init__(self) -> None:
        super().__init__("Stream has StringDecoder set or is in objectMode")


class ERR_SOCKET_CLOSED(NodeError):
    code = "ERR_SOCKET_CLOSED"

    def __init__(self) -> None:
        super().__init__("Socket is closed")


class ERR_SOCKET_CLOSED_BEFORE_CONNECTION(NodeError):
    code = "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"

    def __init__(self) -> None:
        super().__init__("Socket closed before the connection was established")


class ERR_SERVER_NOT_RUNNING(NodeError):
    code = "ERR_SERVER_NOT_RUNNING"

    def __init__(self) -> None:
        super().__init__("Server is not running.")


class ERR_SERVER_ALREADY_LISTEN(NodeError):
    code = "ERR_SERVER_ALREADY_LISTEN"

    def __init__(self) -> None:
        super().__init__("Listen method has been called more than once without closing.")


class ERR_UNHANDLED_ERROR(NodeError):
    """Raised by ``emit('error', value)`` with no listener when ``value`` is not an exception."""

    code = "ERR_UNHANDLED_ERROR"

    def __init__(self, context: object = None) -> None:
        text = "Unhandled error."
        if context is not None:
            text += f" ({inspect(context)})"
        super().__init__(text)
        self.context = context


# --- system errors -------------------------------------------------------------------------------


class NodeSystemError(OSError):
    """A failed system call, shaped like Node's: ``code``, ``errno``, ``syscall``, ``address``,
    ``port``; ``str(err)`` is Node's message (``connect ECONNREFUSED 127.0.0.1:80``)."""

    code: str
    syscall: str
    address: str | None
    port: int | None

    def __init__(
        self,
        err_no: int,
        syscall: str,
        message: str,
        address: str | None = None,
        port: int | None = None,
    ) -> None:
        super().__init__(err_no, os.strerror(err_no))
        self.code = _errno.errorcode.get(err_no, f"Unknown system error {err_no}")
        self.syscall = syscall
        self.address = address
        self.port = port
        self.message = message

    def __str__(self) -> str:
        return self.message


class NodeConnectionRefusedError(NodeSystemError, ConnectionRefusedError):
    """``ECONNREFUSED``."""


class NodeConnectionResetError(NodeSystemError, ConnectionResetError):
    """``ECONNRESET``."""


class NodeConnectionAbortedError(NodeSystemError, ConnectionAbortedError):
    """``ECONNABORTED``."""


class NodeBrokenPipeError(NodeSystemError, BrokenPipeError):
    """``EPIPE``."""


class NodeTimeoutError(NodeSystemError, TimeoutError):
    """``ETIMEDOUT``."""


class NodeFileNotFoundError(NodeSystemError, FileNotFoundError):
    """``ENOENT``."""


class NodePermissionError(NodeSystemError, PermissionError):
    """``EACCES``/``EPERM``."""


_SYSTEM_CLASSES: dict[int, type[NodeSystemError]] = {
    _errno.ECONNREFUSED: NodeConnectionRefusedError,
    _errno.ECONNRESET: NodeConnectionResetError,
    _errno.ECONNABORTED: NodeConnectionAbortedError,
    _errno.EPIPE: NodeBrokenPipeError,
    _errno.ETIMEDOUT: NodeTimeoutError,
    _errno.ENOENT: NodeFileNotFoundError,
    _errno.EACCES: NodePermissionError,
    _errno.EPERM: NodePermissionError,
}

# libuv's uv_strerror texts where they differ from the C library's.
_UV_DESCRIPTIONS: dict[int, str] = {
    _errno.EADDRINUSE: "address already in use",
    _errno.EADDRNOTAVAIL: "address not available",
    _errno.EACCES: "permission denied",
    _errno.ENOENT: "no such file or directory",
    _errno.ECONNREFUSED: "connection refused",
    _errno.ECONNRESET: "connection reset by peer",
    _errno.EPIPE: "broken pipe",
    _errno.ETIMEDOUT: "connection timed out",
    _errno.EINVAL: "invalid argument",
}


def _uv_description(err_no: int) -> str:
    text = _UV_DESCRIPTIONS.get(err_no)
    if text is None:
        text = os.strerror(err_no)
        text = text[:1].lower() + text[1:]
    return text


def _host_port(address: str | None, port: int | None) -> str:
    if address is None:
        return ""
    return f" {address}:{port}" if port is not None and port > 0 else f" {address}"


def _make(err_no: int, syscall: str, message: str, address: str | None, port: int | None) -> (
    NodeSystemError
):
    cls = _SYSTEM_CLASSES.get(err_no, NodeSystemError)
    return cls(err_no, syscall, message, address, port)


def errno_exception(err_no: int, syscall: str, original: str | None = None) -> NodeSystemError:
    """Node's ``ErrnoException``: ``read ECONNRESET``."""
    code = _errno.errorcode.get(err_no, f"Unknown system error {err_no}")
    message = f"{syscall} {code}" + (f" {original}" if original else "")
    return _make(err_no, syscall, message, None, None)


def exception_with_host_port(
    err_no: int, syscall: str, address: str | None, port: int | None = None
) -> NodeSystemError:
    """Node's ``ExceptionWithHostPort``: ``connect ECONNREFUSED 127.0.0.1:80``."""
    code = _errno.errorcode.get(err_no, f"Unknown system error {err_no}")
    message = f"{syscall} {code}{_host_port(address, port)}"
    return _make(err_no, syscall, message, address, port)


def uv_exception(
    err_no: int, syscall: str, address: str | None = None, port: int | None = None
) -> NodeSystemError:
    """Node's ``UVExceptionWithHostPort``: ``listen EADDRINUSE: address already in use ...``."""
    code = _errno.errorcode.get(err_no, f"Unknown system error {err_no}")
    message = f"{syscall} {code}: {_uv_description(err_no)}{_host_port(address, port)}"
    return _make(err_no, syscall, message, address, port)


def system_error_from_os_error(
    exc: BaseException, syscall: str, address: str | None = None, port: int | None = None
) -> BaseException:
    """Turn an ``OSError`` from asyncio/socket into Node's shape; other exceptions pass through.

    ``address`` given means Node's host:port form (connect, bind); otherwise ``read EPIPE``.
    """
    if isinstance(exc, NodeSystemError) or not isinstance(exc, OSError) or exc.errno is None:
        return exc
    if address is not None:
        made = exception_with_host_port(exc.errno, syscall, address, port)
    else:
        made = errno_exception(exc.errno, syscall)
    made.__cause__ = exc
    return made


class NodeAggregateError(OSError):
    """Node's ``AggregateError`` from ``connect`` when every address it tried failed:
    ``errors`` holds each attempt's error; ``code`` and ``errno`` are the first's.
    ``str(err)`` lists the attempts' messages (Node's message is empty)."""

    def __init__(self, errors: Iterable[BaseException]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        err_no = getattr(first, "errno", None)
        self.message = "; ".join(str(err) for err in self.errors)
        super().__init__(err_no, self.message)
        self.code: str | None = getattr(first, "code", None)

    def __str__(self) -> str:
        return self.message


class NodeDNSError(OSError):
    """A failed name lookup, shaped like Node's: ``getaddrinfo ENOTFOUND example.invalid``."""

    def __init__(self, code: str, err_no: int, syscall: str, hostname: str) -> None:
        super().__init__(err_no, f"{syscall} {code} {hostname}")
        self.code = code
        self.syscall = syscall
        self.hostname = hostname
        self.message = f"{syscall} {code} {hostname}"

    def __str__(self) -> str:
        return self.message


_GAI_CODES = {
    getattr(socket, "EAI_NONAME", -2): "ENOTFOUND",
    getattr(socket, "EAI_NODATA", -5): "ENOTFOUND",
    getattr(socket, "EAI_AGAIN", -3): "EAI_AGAIN",
    getattr(socket, "EAI_FAIL", -4): "EAI_FAIL",
}


def dns_exception(exc: OSError, hostname: str, syscall: str = "getaddrinfo") -> NodeDNSError:
    """Node's ``dnsException`` for a ``socket.gaierror``."""
    err_no = exc.errno if exc.errno is not None else 0
    made = NodeDNSError(_GAI_CODES.get(err_no, "ENOTFOUND"), err_no, syscall, hostname)
    made.__cause__ = exc
    return made
