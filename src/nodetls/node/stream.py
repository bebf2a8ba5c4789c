"""Node's ``stream`` module: the stream classes and helpers, in one import.

The implementation is split by concept: ``readable``, ``writable``, ``duplex`` (with
``Transform``/``PassThrough``), ``pipe``, ``end_of_stream`` (``finished``),
``async_iterator`` and ``duplexpair``; shared state lives in ``stream_state`` and the
destroy machinery in ``stream_base``.
"""

from __future__ import annotations

from .duplex import Duplex, PassThrough, Transform, TransformCallback
from .duplexpair import DuplexSocket, duplex_pair
from .end_of_stream import finished
from .readable import Readable
from .stream_base import Stream
from .stream_state import DEFAULT_HIGH_WATER_MARK
from .writable import Writable, WriteCallback

__all__ = [
    "DEFAULT_HIGH_WATER_MARK",
    "Duplex",
    "DuplexSocket",
    "PassThrough",
    "Readable",
    "Stream",
    "Transform",
    "TransformCallback",
    "Writable",
    "WriteCallback",
    "duplex_pair",
    "finished",
]
