"""JavaScript's value rules, as Node's option handling applies them to Python values.

Node reads an options object: a key that is absent is ``undefined``, one set to ``null``
is ``null``, and ``if (options.x)`` is JavaScript's truth test.  Python has one ``None``
and a different truth test, so the rules are written here once:

* :data:`UNDEFINED` is ``undefined`` where a reader must tell "not given" from ``None``
  (``options.get(name, UNDEFINED)``); ``None`` is ``null``.
* :func:`nullish` is ``value == null`` (``null`` or ``undefined``).
* :func:`truthy` is JavaScript's ``Boolean(value)``: ``false``, ``0``, ``NaN``, ``''``,
  ``null`` and ``undefined`` are false; every object is true, even an empty buffer
  (``b''``), an empty list or an empty dict.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["UNDEFINED", "nullish", "truthy"]


class _Undefined:
    """JavaScript's ``undefined``: an option that was not given (a singleton)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:  # Node shows it as "Received undefined"
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()


def nullish(value: object) -> bool:
    """``value == null``: ``None`` or :data:`UNDEFINED`."""
    return value is None or value is UNDEFINED


def truthy(value: object) -> bool:
    """JavaScript's truth test: objects (even empty buffers and lists) are true."""
    if nullish(value) or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True
