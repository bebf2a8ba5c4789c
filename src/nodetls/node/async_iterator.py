"""``async for chunk in readable`` (Node's ``createAsyncIterator``).

The iterator listens for ``'readable'`` (which puts the stream in paused mode) and takes
whatever is buffered with ``read()``; it sleeps on a future between ``'readable'`` events.
A ``finished`` watcher on the readable side ends the loop on ``'end'`` and raises the
stream's error on ``'error'`` (or ``ERR_STREAM_PREMATURE_CLOSE`` if it closes early).

As in Node, leaving the loop early (``break``) destroys the stream.  Unlike Node, it does
so quietly: Node destroys with an ``AbortError`` that becomes an ``'error'`` event, which
in Python would surface as an unhandled error long after the loop was left (Python
finalises an abandoned async generator on a later loop turn), for the pattern the API
shows (``async for chunk in sock: ...; break``).  Errors of the stream itself still
raise out of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .end_of_stream import finished

if TYPE_CHECKING:
    from .readable import Readable

__all__ = ["destroyer", "iterate"]


class _Unset:
    __slots__ = ()


_UNSET = _Unset()


class _Wakeup:
    """The state shared by the generator and its listeners."""

    __slots__ = ("error", "waiter")

    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None
        self.error: BaseException | _Unset | None = _UNSET

    def wake(self, *_args: Any) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def done(self, err: BaseException | None) -> None:
        if err is not None or isinstance(self.error, _Unset):
            self.error = err if err is not None else None
        self.wake()


def destroyer(stream: Readable, err: BaseException | None) -> None:
    """Destroy the stream when the loop is left (quietly on ``break``: see above)."""
    if not stream.destroyed:
        stream.destroy(err)


async def iterate(stream: Readable, destroy_on_return: bool = True) -> AsyncIterator[Any]:
    state = _Wakeup()
    loop = asyncio.get_running_loop()
    stream.on("readable", state.wake)
    cleanup = finished(stream, state.done, writable=False)
    try:
        while True:
            chunk = None if stream.destroyed else stream.read()
            if chunk is not None:
                yield chunk
            elif isinstance(state.error, BaseException):
                raise state.error
            elif state.error is None:
                return
            else:
                state.waiter = loop.create_future()
                await state.waiter
                state.waiter = None
    except Exception as exc:
        if not isinstance(state.error, BaseException):
            state.error = exc
        raise
    finally:
        error = state.error
        if (isinstance(error, BaseException) or destroy_on_return) and (
            isinstance(error, _Unset) or stream._auto_destroy
        ):
            destroyer(stream, None)
        else:
            stream.remove_listener("readable", state.wake)
            cleanup()
