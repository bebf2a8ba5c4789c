"""The ``onread`` option of sockets: reads land in the user's buffer, not in ``'data'``.

Theory of operation
-------------------
``onread={'buffer': buf, 'callback': fn}`` (Node's ``{buffer, callback}``): every chunk
the socket reads is copied into ``buf`` (a ``bytearray``/``memoryview``, or a function
returning one, called once per chunk as Node calls it), piece by piece when the chunk is
larger, and ``fn(nread, buf)`` is called for each piece; no ``'data'`` is emitted.  A
callback returning ``False`` pauses the socket (``socket.resume()`` reads on), as in
Node; the rest of a chunk already read is still delivered.  Node ignores a malformed
``onread``; here it is ``ERR_INVALID_ARG_VALUE`` (no option is accepted and ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from .errors import ERR_INVALID_ARG_VALUE

__all__ = ["OnRead"]


class OnRead:
    """A validated ``onread`` option."""

    __slots__ = ("buffer", "callback")

    def __init__(self, option: object) -> None:
        buffer = option.get("buffer") if isinstance(option, Mapping) else None
        callback = option.get("callback") if isinstance(option, Mapping) else None
        writable = isinstance(buffer, bytearray) or (
            isinstance(buffer, memoryview) and not buffer.readonly)
        if not (writable or callable(buffer)) or not callable(callback):
            raise ERR_INVALID_ARG_VALUE("options.onread", option,
                                        "must be a dict with a writable 'buffer' (or a "
                                        "function returning one) and a 'callback'")
        self.buffer = cast("bytearray | memoryview | Callable[[], Any]", buffer)
        self.callback = cast("Callable[[int, Any], Any]", callback)

    def deliver(self, data: bytes | memoryview) -> bool:
        """Hand ``data`` to the callback; False when it asked to pause."""
        keep_reading = True
        offset, total = 0, len(data)
        while offset < total:
            target = self.buffer() if callable(self.buffer) else self.buffer
            view = memoryview(target).cast("B")
            size = min(len(view), total - offset)
            if size == 0:
                raise ERR_INVALID_ARG_VALUE("options.onread", target, "is an empty buffer")
            view[:size] = data[offset:offset + size]
            offset += size
            if self.callback(size, target) is False:
                keep_reading = False
        return keep_reading
