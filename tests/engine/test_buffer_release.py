"""``receive`` gives the caller's buffer back before it returns, even when a callback
raises or keeps the exception (and so the frames of the read) alive.

The transport lends its read buffer as a ``memoryview``; if the engine's ``from_buffer``
cdata outlives the call in a traceback, the view stays exported, and CPython crashes
when the garbage collector breaks the cycle (``memory_dealloc``).  Releasing the view
is the check: it raises ``BufferError`` while something still holds an export.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from nodetls.engine import TLSEngine

from .pair import Pair


class Boom(Exception):
    pass


def _lent(data: bytes) -> memoryview:
    """``data`` as a slice of a bigger buffer, as the transport passes it."""
    backing = bytearray(len(data) + 64)
    backing[: len(data)] = data
    return memoryview(backing)[: len(data)]


def _client_hello(client_ctx: Any, server_ctx: Any) -> tuple[Pair, bytes]:
    pair = Pair(client_ctx(), server_ctx())
    pair.client.set_alpn_protocols(b"\x02h2")
    pair.start()
    return pair, pair.client.data_to_send()


def test_view_released_when_the_callback_raises(client_ctx: Any, server_ctx: Any) -> None:
    pair, hello = _client_hello(client_ctx, server_ctx)

    def explode(servername: str | None, protocols: list[str]) -> str:
        raise Boom("alpn")

    pair.server.set_alpn_callback(explode)
    view = _lent(hello)
    with pytest.raises(Boom) as info:
        pair.server.receive(view)
    assert info.value.__traceback__ is not None  # the frames are still alive...
    view.release()  # ...but the buffer is not exported any more


def test_view_released_when_the_exception_is_kept(client_ctx: Any, server_ctx: Any) -> None:
    kept: list[BaseException] = []

    def swallow(servername: str | None, protocols: list[str]) -> str | None:
        try:
            raise Boom("kept")
        except Boom as exc:  # its frames link back (f_back) to the engine's read
            kept.append(exc)
            exc.cycle = kept  # type: ignore[attr-defined]
        return None

    for _ in range(20):
        pair, hello = _client_hello(client_ctx, server_ctx)
        pair.server.set_alpn_callback(swallow)
        view = _lent(hello)
        pair.server.receive(view)
        view.release()
        kept.clear()
        gc.collect()


def test_bytes_and_plain_views_still_work(client_ctx: Any, server_ctx: Any) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.start()
    hello = pair.client.data_to_send()
    server: TLSEngine = pair.server
    server.receive(_lent(hello))
    pair.pump()
    assert pair.client.alpn_protocol() is None and server.protocol == "TLSv1.3"
