"""How much a ``read(n)`` takes, and taking it: the buffer arithmetic of ``Readable``.

Theory of operation
-------------------
Pure functions over a ``ReadableState`` (Node's ``howMuchToRead``, ``fromList`` and
``computeNewHighWaterMark`` in ``lib/internal/streams/readable.js``), kept apart from the
stream's event logic in ``readable.py``.  ``how_much_to_read`` decides how many bytes
(characters with an encoding, one item in object mode) a ``read(n)`` may return: all of the
buffer for ``read()``, one chunk at a time while flowing, nothing for an ``n`` the buffer
cannot satisfy yet unless the stream has ended.  ``from_list`` removes exactly that much
from the front of ``r.buffer``, splitting a chunk when needed and joining several into
one; the caller adjusts ``r.length``.  ``compute_new_high_water_mark`` raises the mark to
the next power of two when a ``read(n)`` asks for more than it (1 GiB at most).
"""

from __future__ import annotations

from typing import Any

from .errors import ERR_OUT_OF_RANGE
from .stream_state import ReadableState, ReadPhase

__all__ = ["compute_new_high_water_mark", "from_list", "how_much_to_read"]

_MAX_HWM = 0x40000000

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_OPEN = ReadPhase.OPEN


def compute_new_high_water_mark(n: int) -> int:
    if n > _MAX_HWM:
        raise ERR_OUT_OF_RANGE("size", "<= 1GiB", n)
    return 1 << (n - 1).bit_length()  # next power of two, as Node does


def how_much_to_read(r: ReadableState, n: int | None) -> int:
    if (n is not None and n <= 0) or (r.length == 0 and r.phase is not _OPEN):
        return 0
    if r.object_mode:
        return 1
    if n is None:
        if r.flowing and r.length and r.buffer:
            return len(r.buffer[0])  # flowing: one chunk at a time
        return r.length
    if n <= r.length:
        return n
    return r.length if r.phase is not _OPEN else 0


def from_list(r: ReadableState, n: int) -> Any:
    buf = r.buffer
    if r.length == 0 or buf is None:
        return None
    if r.object_mode:
        return buf.popleft()
    if n >= r.length:
        if len(buf) == 1:
            return buf.popleft()
        joiner = "" if r.decoder is not None else b""
        ret = joiner.join(buf)
        buf.clear()
        return ret
    first = buf[0]
    if n < len(first):
        buf[0] = first[n:]
        return first[:n]
    if n == len(first):
        return buf.popleft()
    parts = []
    while n > 0:
        head = buf[0]
        if n >= len(head):
            parts.append(buf.popleft())
            n -= len(head)
        else:
            parts.append(head[:n])
            buf[0] = head[n:]
            n = 0
    return ("" if r.decoder is not None else b"").join(parts)
