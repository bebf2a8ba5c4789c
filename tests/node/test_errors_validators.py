"""Error classes and validator messages, against texts printed by Node v20."""

from __future__ import annotations

import errno

import pytest

from nodetls.node import EventEmitter, Socket
from nodetls.node.errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_MISSING_ARGS,
    ERR_OUT_OF_RANGE,
    ERR_SOCKET_BAD_PORT,
    ERR_STREAM_DESTROYED,
    NodeError,
    NodeRangeError,
    NodeSystemError,
    NodeTypeError,
    errno_exception,
    exception_with_host_port,
    system_error_from_os_error,
    uv_exception,
)
from nodetls.node.validators import (
    BUFFER_TYPES,
    validate_buffer,
    validate_int32,
    validate_integer,
    validate_number,
    validate_object,
    validate_one_of,
    validate_port,
    validate_string,
    validate_uint32,
)


def message(call: object) -> str:
    assert callable(call)
    with pytest.raises(NodeError) as info:
        call()
    return f"{info.value.code}: {info.value}"


def test_invalid_arg_type_messages_match_node() -> None:
    ca = ("string", *BUFFER_TYPES)
    assert message(lambda: validate_string(1, "options.ciphers")) == (
        'ERR_INVALID_ARG_TYPE: The "options.ciphers" property must be of type string.'
        " Received type number (1)"
    )
    assert message(lambda: _raise(ERR_INVALID_ARG_TYPE("options.ca", ca, 1))) == (
        'ERR_INVALID_ARG_TYPE: The "options.ca" property must be of type string or an instance'
        " of Buffer, TypedArray, or DataView. Received type number (1)"
    )
    assert message(lambda: _raise(ERR_INVALID_ARG_TYPE("options.ca", ca, {}))) == (
        'ERR_INVALID_ARG_TYPE: The "options.ca" property must be of type string or an instance'
        " of Buffer, TypedArray, or DataView. Received an instance of Object"
    )
    assert str(ERR_INVALID_ARG_TYPE("msecs", "number", "x")) == (
        'The "msecs" argument must be of type number. Received type string (\'x\')'
    )
    assert str(ERR_INVALID_ARG_TYPE("cb", "Function", None)) == (
        'The "cb" argument must be of type function. Received null'
    )
    assert str(ERR_INVALID_ARG_TYPE("first argument", ["string", "object"], True)) == (
        "The first argument must be one of type string or object. Received type boolean (true)"
    )
    assert str(ERR_INVALID_ARG_TYPE("x", ["a", "b"], [1])) == (
        'The "x" argument must be one of a or b. Received an instance of Array'
    )
    assert str(ERR_INVALID_ARG_TYPE("x", "number", "a" * 40)) == (
        'The "x" argument must be of type number. Received type string '
        "('aaaaaaaaaaaaaaaaaaaaaaaa...)"
    )


def _raise(err: BaseException) -> None:
    raise err


def test_out_of_range_and_ports() -> None:
    assert str(ERR_OUT_OF_RANGE("size", "<= 1GiB", 2**31)) == (
        'The value of "size" is out of range. It must be <= 1GiB. Received 2147483648'
    )
    assert str(ERR_OUT_OF_RANGE("n", ">= 0", 2**40)) == (
        'The value of "n" is out of range. It must be >= 0. Received 1_099_511_627_776'
    )
    assert message(lambda: validate_number(-1, "size", 0, 4294967296)) == (
        'ERR_OUT_OF_RANGE: The value of "size" is out of range. It must be >= 0 && '
        "<= 4294967296. Received -1"
    )
    assert message(lambda: validate_port(-1)) == (
        "ERR_SOCKET_BAD_PORT: Port should be >= 0 and < 65536. Received type number (-1)."
    )
    assert message(lambda: validate_port("abc")) == (
        "ERR_SOCKET_BAD_PORT: Port should be >= 0 and < 65536. Received type string ('abc')."
    )
    assert message(lambda: validate_port(1.5, "options.port")) == (
        "ERR_SOCKET_BAD_PORT: options.port should be >= 0 and < 65536. Received type number"
        " (1.5)."
    )
    assert validate_port("443") == 443 and validate_port(0) == 0
    with pytest.raises(ERR_SOCKET_BAD_PORT):
        validate_port(0, allow_zero=False)
    with pytest.raises(ERR_SOCKET_BAD_PORT):
        validate_port(True)


async def test_node_messages_of_layer3_apis() -> None:
    assert message(lambda: Socket().set_timeout(-1)) == (
        'ERR_OUT_OF_RANGE: The value of "msecs" is out of range. It must be a non-negative '
        "finite number. Received -1"
    )
    assert message(lambda: EventEmitter().set_max_listeners(-1)) == (
        'ERR_OUT_OF_RANGE: The value of "setMaxListeners" is out of range. It must be >= 0.'
        " Received -1"
    )


def test_integer_validators() -> None:
    validate_int32(5, "x")
    with pytest.raises(ERR_OUT_OF_RANGE) as info:
        validate_integer(1.5, "x")
    assert "It must be an integer" in str(info.value)
    with pytest.raises(ERR_OUT_OF_RANGE):
        validate_uint32(-1, "x")
    with pytest.raises(ERR_INVALID_ARG_TYPE):
        validate_int32(True, "x")  # a bool is not a JS number
    validate_uint32(2**32 - 1, "x")


def test_other_validators() -> None:
    validate_object({}, "options")
    with pytest.raises(ERR_INVALID_ARG_TYPE):
        validate_object([], "options")
    validate_buffer(bytearray(b"x"))
    assert message(lambda: validate_buffer("x", "key")) == (
        'ERR_INVALID_ARG_TYPE: The "key" argument must be an instance of Buffer, TypedArray, '
        "or DataView. Received type string ('x')"
    )
    assert message(lambda: validate_one_of("TLSv9", "options.minVersion", ["TLSv1.2", 3])) == (
        "ERR_INVALID_ARG_VALUE: The property 'options.minVersion' must be one of: 'TLSv1.2', 3."
        " Received 'TLSv9'"
    )
    assert str(ERR_INVALID_ARG_VALUE("x", None)) == "The argument 'x' is invalid. Received null"
    assert str(ERR_MISSING_ARGS("options", "port", "path")) == (
        'The "options", "port", and "path" arguments must be specified'
    )


def test_error_class_hierarchy() -> None:
    assert issubclass(ERR_INVALID_ARG_TYPE, TypeError)
    assert issubclass(ERR_INVALID_ARG_TYPE, NodeTypeError)
    assert issubclass(ERR_OUT_OF_RANGE, ValueError)
    assert issubclass(ERR_OUT_OF_RANGE, NodeRangeError)
    err = ERR_STREAM_DESTROYED("write")
    assert err.code == "ERR_STREAM_DESTROYED" and isinstance(err, NodeError)
    assert str(err) == "Cannot call write after a stream was destroyed"


def test_system_errors() -> None:
    refused = exception_with_host_port(errno.ECONNREFUSED, "connect", "127.0.0.1", 80)
    assert isinstance(refused, ConnectionRefusedError) and isinstance(refused, NodeSystemError)
    assert (refused.code, refused.errno, refused.syscall) == (
        "ECONNREFUSED",
        errno.ECONNREFUSED,
        "connect",
    )
    assert str(refused) == "connect ECONNREFUSED 127.0.0.1:80"
    reset = errno_exception(errno.ECONNRESET, "read")
    assert isinstance(reset, ConnectionResetError) and str(reset) == "read ECONNRESET"
    assert reset.address is None and reset.port is None
    in_use = uv_exception(errno.EADDRINUSE, "listen", "::", 8000)
    assert str(in_use) == "listen EADDRINUSE: address already in use :::8000"
    assert isinstance(errno_exception(errno.EPIPE, "write"), BrokenPipeError)
    converted = system_error_from_os_error(OSError(errno.ETIMEDOUT, "x"), "connect", "h", 1)
    assert isinstance(converted, TimeoutError) and str(converted) == "connect ETIMEDOUT h:1"
    other = ValueError("not an OSError")
    assert system_error_from_os_error(other, "read") is other
