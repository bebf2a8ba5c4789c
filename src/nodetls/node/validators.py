"""Node-style argument validation (``lib/internal/validators.js``), with Node's messages.

Each ``validate_*`` raises the ``ERR_*`` error Node raises for the same mistake and otherwise
returns nothing (or the normalised value, where Node's returns one).  ``name`` is the label
used in the message: a plain name (``"port"``) reads *argument*, a dotted one
(``"options.ca"``) reads *property*, exactly as in Node.

JS types are mapped onto Python ones: *number* is ``int``/``float`` but never ``bool``;
*string* is ``str``; *object* is a ``Mapping`` (``dict``); *function* is any callable;
*Buffer/TypedArray/DataView* is ``bytes``/``bytearray``/``memoryview``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeGuard

from .errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_OUT_OF_RANGE,
    ERR_SOCKET_BAD_PORT,
    ERR_UNKNOWN_ENCODING,
)

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "UINT32_MAX",
    "is_buffer_like",
    "is_number",
    "normalize_encoding",
    "validate_array",
    "validate_boolean",
    "validate_buffer",
    "validate_encoding",
    "validate_function",
    "validate_int32",
    "validate_integer",
    "validate_number",
    "validate_object",
    "validate_one_of",
    "validate_port",
    "validate_string",
    "validate_uint32",
]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
MAX_SAFE_INTEGER = 2**53 - 1

BUFFER_TYPES = ("Buffer", "TypedArray", "DataView")


def is_number(value: object) -> TypeGuard[int | float]:
    """JS ``typeof value === 'number'``: ``int``/``float``, excluding ``bool``."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_buffer_like(value: object) -> TypeGuard[bytes | bytearray | memoryview]:
    """Node's ``isArrayBufferView``."""
    return isinstance(value, bytes | bytearray | memoryview)


def _is_integer(value: int | float) -> bool:
    return isinstance(value, int) or (math.isfinite(value) and value.is_integer())


def validate_string(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise ERR_INVALID_ARG_TYPE(name, "string", value)


def validate_boolean(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise ERR_INVALID_ARG_TYPE(name, "boolean", value)


def validate_function(value: object, name: str) -> None:
    if not callable(value):
        raise ERR_INVALID_ARG_TYPE(name, "Function", value)


def validate_object(value: object, name: str, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, Mapping):
        raise ERR_INVALID_ARG_TYPE(name, "Object", value)


def validate_array(value: object, name: str, min_length: int = 0) -> None:
    if not isinstance(value, list | tuple):
        raise ERR_INVALID_ARG_TYPE(name, "Array", value)
    if len(value) < min_length:
        raise ERR_INVALID_ARG_VALUE(name, value, f"must be longer than {min_length}")


def validate_buffer(value: object, name: str = "buffer") -> None:
    if not is_buffer_like(value):
        raise ERR_INVALID_ARG_TYPE(name, BUFFER_TYPES, value)


def _range_text(min_value: float | None, max_value: float | None) -> str:
    parts = []
    if min_value is not None:
        parts.append(f">= {min_value}")
    if max_value is not None:
        parts.append(f"<= {max_value}")
    return " && ".join(parts)


def validate_number(
    value: object, name: str, min_value: float | None = None, max_value: float | None = None
) -> None:
    if not is_number(value):
        raise ERR_INVALID_ARG_TYPE(name, "number", value)
    bounded = min_value is not None or max_value is not None
    if (
        (min_value is not None and value < min_value)
        or (max_value is not None and value > max_value)
        or (bounded and math.isnan(value))
    ):
        raise ERR_OUT_OF_RANGE(name, _range_text(min_value, max_value), value)


def validate_integer(
    value: object, name: str, min_value: int = -MAX_SAFE_INTEGER, max_value: int = MAX_SAFE_INTEGER
) -> None:
    if not is_number(value):
        raise ERR_INVALID_ARG_TYPE(name, "number", value)
    if not _is_integer(value):
        raise ERR_OUT_OF_RANGE(name, "an integer", value)
    if value < min_value or value > max_value:
        raise ERR_OUT_OF_RANGE(name, f">= {min_value} && <= {max_value}", value)


def validate_int32(
    value: object, name: str, min_value: int = INT32_MIN, max_value: int = INT32_MAX
) -> None:
    validate_integer(value, name, min_value, max_value)


def validate_uint32(value: object, name: str, positive: bool = False) -> None:
    validate_integer(value, name, 1 if positive else 0, UINT32_MAX)


def validate_one_of(value: object, name: str, one_of: Sequence[object]) -> None:
    if value not in one_of:
        allowed = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in one_of)
        raise ERR_INVALID_ARG_VALUE(name, value, f"must be one of: {allowed}")


def validate_port(port: object, name: str = "Port", allow_zero: bool = True) -> int:
    """Node's ``validatePort``: a number or numeric string in 0..65535; returns it as int."""
    number: float
    if isinstance(port, bool) or not isinstance(port, int | float | str):
        raise ERR_SOCKET_BAD_PORT(name, port, allow_zero)
    if isinstance(port, str):
        try:
            number = float(port.strip()) if port.strip() else math.nan
        except ValueError:
            number = math.nan
    else:
        number = port
    if isinstance(number, float) and not (math.isfinite(number) and number.is_integer()):
        raise ERR_SOCKET_BAD_PORT(name, port, allow_zero)
    if not 0 <= number <= 0xFFFF or (number == 0 and not allow_zero):
        raise ERR_SOCKET_BAD_PORT(name, port, allow_zero)
    return int(number)


# --- encodings -------------------------------------------------------------------------------

_ENCODINGS: dict[str, str] = {
    "utf8": "utf8",
    "utf-8": "utf8",
    "ucs2": "utf16le",
    "ucs-2": "utf16le",
    "utf16le": "utf16le",
    "utf-16le": "utf16le",
    "latin1": "latin1",
    "binary": "latin1",
    "base64": "base64",
    "base64url": "base64url",
    "hex": "hex",
    "ascii": "ascii",
}


def normalize_encoding(encoding: object) -> str | None:
    """Node's ``normalizeEncoding``: the canonical name, or None if unknown."""
    if encoding is None or encoding == "":
        return "utf8"
    if not isinstance(encoding, str):
        return None
    return _ENCODINGS.get(encoding.lower())


def validate_encoding(encoding: object) -> str:
    """Return the canonical encoding name or raise ``ERR_UNKNOWN_ENCODING``."""
    normalized = normalize_encoding(encoding)
    if normalized is None:
        raise ERR_UNKNOWN_ENCODING(encoding)
    return normalized

