"""A reusable conformance suite for connected Duplex pairs (trio's ``check_two_way_stream``).

Every check is ``async def check_x(make_pair) -> None``; ``make_pair(allow_half_open=...)``
is an async factory returning two connected endpoints ``(a, b)``: what ``a`` writes ``b``
reads and vice versa.  Both endpoints must honour ``allow_half_open`` as Node's streams do.
The checks only use Node's stream API (``write``/``end``/``destroy``/events), so the same
suite runs over ``net.Socket`` on TCP or unix sockets, an in-memory ``duplex_pair``, a
Socket over a ``DuplexHandle``, and later ``TLSSocket`` over any of these.

Run them all with ``await run_all(make_pair)``, or parametrise a test over ``ALL_CHECKS``.
Each check cleans up after itself (destroys both ends) and waits only on events or on a
bounded condition poll, never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nodetls.node import Duplex
from nodetls.node.errors import ERR_STREAM_DESTROYED, ERR_STREAM_WRITE_AFTER_END
from tests.support.events import event, until, wait

BIG = 16 * 1024 * 1024
CHUNK = 64 * 1024


class PairFactory(Protocol):
    def __call__(self, *, allow_half_open: bool = False) -> Awaitable[tuple[Duplex, Duplex]]: ...


# --- helpers -----------------------------------------------------------------------------------


class Collector:
    """Collects 'data' chunks and records the lifecycle events of one endpoint."""

    def __init__(self, stream: Duplex, events: tuple[str, ...] = ("end", "finish", "close")):
        self.stream = stream
        self.chunks: list[Any] = []
        self.events: list[str] = []
        self.errors: list[BaseException] = []
        self.close_args: tuple[Any, ...] | None = None
        self.ended = event(stream, "end")
        self.closed = event(stream, "close")
        for name in events:
            stream.on(name, self._recorder(name))
        stream.on("error", self._on_error)

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.events.append(name)
            if name == "close":
                self.close_args = args

        return record

    def _on_error(self, err: BaseException) -> None:
        self.events.append("error")
        self.errors.append(err)

    def consume(self) -> Collector:
        self.stream.on("data", self.chunks.append)
        return self

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


async def write_all(stream: Duplex, payload: bytes, chunk: int = CHUNK) -> None:
    """Write ``payload`` in chunks, honouring backpressure (wait for 'drain' on False)."""
    view = memoryview(payload)
    for offset in range(0, len(payload), chunk):
        if not stream.write(bytes(view[offset : offset + chunk])):
            await wait(event(stream, "drain"), "'drain'")


async def finish(*streams: Duplex) -> None:
    """Destroy the ends that are still alive and wait for their 'close'."""
    waits = []
    for stream in streams:
        if not stream.destroyed:
            waits.append(event(stream, "close"))
            stream.destroy()
    for future in waits:
        await wait(future, "'close' after destroy")


# --- checks ------------------------------------------------------------------------------------


async def check_small_data_both_ways(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    ca, cb = Collector(a).consume(), Collector(b).consume()
    a.write(b"hello from a")
    b.write(b"hello from b")
    a.end()
    await wait(cb.ended, "'end' on b")
    await wait(ca.ended, "'end' on a")
    assert cb.data == b"hello from a"
    assert ca.data == b"hello from b"
    await finish(a, b)


async def check_big_data_sha256(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    payload = os.urandom(BIG)
    digest = hashlib.sha256()
    received = 0

    def on_data(chunk: bytes) -> None:
        nonlocal received
        digest.update(chunk)
        received += len(chunk)

    b.on("data", on_data)
    b_ended = event(b, "end")
    await write_all(a, payload)
    a.end()
    await wait(b_ended, "'end' after 16 MiB")
    assert received == BIG
    assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()
    await finish(a, b)


async def check_big_data_both_directions_at_once(make_pair: PairFactory) -> None:
    a, b = await make_pair(allow_half_open=True)
    size = 4 * 1024 * 1024
    pa, pb = os.urandom(size), os.urandom(size)
    ca, cb = Collector(a).consume(), Collector(b).consume()
    await asyncio.gather(write_all(a, pa), write_all(b, pb))
    a.end()
    b.end()
    await wait(asyncio.gather(ca.ended, cb.ended), "'end' on both")
    assert cb.data == pa and ca.data == pb
    await finish(a, b)


async def check_ordering_many_small_writes(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    cb = Collector(b).consume()
    pieces = [bytes([i % 251]) * (1 + i % 97) for i in range(2000)]
    callbacks: list[int] = []

    def recorder(index: int) -> Callable[[BaseException | None], None]:
        return lambda err: callbacks.append(index if err is None else -1)

    for i, piece in enumerate(pieces):
        a.write(piece, recorder(i))
    a.end()
    await wait(cb.ended, "'end'")
    assert cb.data == b"".join(pieces)
    assert callbacks == list(range(len(pieces))), "write callbacks must run in write order"
    await finish(a, b)


async def check_backpressure_and_drain(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    b.pause()  # nobody reads b: a's writes must eventually report backpressure
    written = 0
    chunk = os.urandom(CHUNK)
    while a.write(chunk):
        written += len(chunk)
        assert written < 256 * 1024 * 1024, "write() never returned False"
        if written % (4 * 1024 * 1024) == 0:
            await asyncio.sleep(0)  # let the transport move data to the peer
    written += len(chunk)
    assert a.writable_length >= a.writable_high_water_mark
    assert a.writable_need_drain
    drained = event(a, "drain")
    received = 0

    def on_data(data: bytes) -> None:
        nonlocal received
        received += len(data)

    b.on("data", on_data)  # b was explicitly paused: adding a listener does not resume it
    assert b.is_paused()
    b.resume()
    await wait(drained, "'drain'")
    assert a.writable_length == 0
    await until(lambda: received == written, "every written byte arrived")
    await finish(a, b)


async def check_pause_resume(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    cb = Collector(b).consume()
    first = event(b, "data")
    a.write(b"one")
    await wait(first, "first 'data'")
    b.pause()
    assert b.is_paused() and b.readable_flowing is False
    a.write(b"two")
    await until(lambda: b.readable_length == 3, "'two' is buffered in b")
    assert cb.data == b"one", "no 'data' while paused"
    resumed = event(b, "data")
    b.resume()
    await wait(resumed, "'data' after resume")
    assert cb.data == b"onetwo"
    assert not b.is_paused() and b.readable_flowing is True
    await finish(a, b)


async def check_end_finish_close_order(make_pair: PairFactory) -> None:
    a, b = await make_pair()  # allow_half_open=False: b answers a's end with its own
    ca, cb = Collector(a).consume(), Collector(b).consume()
    a.write(b"last words")
    a.end()
    await wait(asyncio.gather(ca.closed, cb.closed), "'close' on both ends")
    assert cb.data == b"last words"
    assert cb.events == ["end", "finish", "close"], cb.events
    assert ca.events == ["finish", "end", "close"], ca.events
    for collector in (ca, cb):
        assert collector.close_args in ((), (False,)), collector.close_args
        assert collector.stream.destroyed and collector.stream.readable_ended
        assert collector.stream.writable_finished


async def check_half_open(make_pair: PairFactory) -> None:
    a, b = await make_pair(allow_half_open=True)
    ca, cb = Collector(a).consume(), Collector(b).consume()
    a.end(b"question")
    await wait(cb.ended, "'end' on b")
    assert b.writable, "b must stay writable after the peer's end (allow_half_open)"
    assert not b.writable_ended
    b.write(b"late ")
    b.end(b"answer")
    await wait(asyncio.gather(ca.closed, cb.closed), "'close' on both ends")
    assert cb.data == b"question"
    assert ca.data == b"late answer"
    assert ca.events.index("finish") < ca.events.index("end") < ca.events.index("close")
    assert cb.events.index("end") < cb.events.index("finish") < cb.events.index("close")


async def check_destroy_with_error(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    ca = Collector(a)
    cb = Collector(b).consume()
    peer_done = asyncio.ensure_future(
        asyncio.wait([cb.ended, cb.closed], return_when=asyncio.FIRST_COMPLETED)
    )
    boom = RuntimeError("boom")
    a.destroy(boom)
    assert a.destroyed and not a.writable and not a.readable
    a.destroy(RuntimeError("second"))  # idempotent: no second error
    await wait(ca.closed, "'close' after destroy")
    assert ca.errors == [boom]
    assert ca.events[-2:] == ["error", "close"], ca.events
    assert ca.close_args in ((), (True,)), ca.close_args
    assert a.errored is boom
    results: list[BaseException | None] = []
    a.write(b"x", results.append)
    await until(lambda: bool(results), "write callback after destroy")
    assert isinstance(results[0], ERR_STREAM_DESTROYED)
    await wait(peer_done, "the peer noticing (end or close)")
    await finish(a, b)


async def check_destroy_fails_pending_writes(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    b.pause()
    results: list[BaseException | None] = []
    calls = 0
    chunk = os.urandom(CHUNK)
    while True:
        calls += 1
        more = a.write(chunk, results.append)
        if not more and a._ws.buffered:
            break
        assert calls < 4096, "could not get writes buffered"
        if calls % 64 == 0:
            await asyncio.sleep(0)
    a.on("error", lambda err: None)
    closed = event(a, "close")
    a.destroy(RuntimeError("cut"))
    await wait(closed, "'close'")
    await until(lambda: len(results) == calls, "every write callback")
    assert any(isinstance(r, BaseException) for r in results), results[-3:]
    await finish(a, b)


async def check_write_after_end(make_pair: PairFactory) -> None:
    a, b = await make_pair(allow_half_open=True)
    Collector(b).consume()
    ca = Collector(a, ("close",))
    a.end()
    results: list[BaseException | None] = []
    assert a.write(b"too late", results.append) is False
    await wait(ca.closed, "'close'")
    assert len(results) == 1 and isinstance(results[0], ERR_STREAM_WRITE_AFTER_END)
    assert len(ca.errors) == 1 and ca.errors[0].code == "ERR_STREAM_WRITE_AFTER_END"  # type: ignore[attr-defined]
    assert ca.events == ["error", "close"]
    await finish(a, b)


async def check_empty_write(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    cb = Collector(b).consume()
    done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
    a.write(b"", done.set_result)
    assert await wait(done, "empty write callback") is None
    a.end(b"after")
    await wait(cb.ended, "'end'")
    assert cb.data == b"after"
    await finish(a, b)


async def check_set_encoding_split_chars(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    b.set_encoding("utf8")
    cb = Collector(b).consume()
    text = "h€llo wörld 😀 ✓"
    encoded = text.encode()
    for i in range(len(encoded)):  # one byte per write: every multi-byte char is split
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        a.write(encoded[i : i + 1], done.set_result)
        await wait(done, "write callback")
    a.end()
    await wait(cb.ended, "'end'")
    assert all(isinstance(c, str) for c in cb.chunks)
    assert "".join(cb.chunks) == text
    await finish(a, b)


async def check_async_iteration(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    pieces = [os.urandom(1000) for _ in range(50)]
    for piece in pieces:
        a.write(piece)
    a.end()
    received = [chunk async for chunk in b]
    assert b"".join(received) == b"".join(pieces)
    await finish(a, b)


async def check_async_iteration_raises_error(make_pair: PairFactory) -> None:
    a, b = await make_pair()
    b.on("error", lambda err: None)
    boom = ValueError("iteration boom")
    first = event(b, "readable")
    a.write(b"before")

    async def consume() -> list[bytes]:
        return [chunk async for chunk in b]

    task = asyncio.ensure_future(consume())
    await wait(first, "'readable'")
    b.destroy(boom)
    try:
        await wait(task, "iteration to fail")
    except ValueError as exc:
        assert exc is boom
    else:
        raise AssertionError("async for did not raise the stream's error")
    await finish(a, b)


ALL_CHECKS: list[Callable[[PairFactory], Awaitable[None]]] = [
    check_small_data_both_ways,
    check_big_data_sha256,
    check_big_data_both_directions_at_once,
    check_ordering_many_small_writes,
    check_backpressure_and_drain,
    check_pause_resume,
    check_end_finish_close_order,
    check_half_open,
    check_destroy_with_error,
    check_destroy_fails_pending_writes,
    check_write_after_end,
    check_empty_write,
    check_set_encoding_split_chars,
    check_async_iteration,
    check_async_iteration_raises_error,
]


async def run_all(make_pair: PairFactory) -> None:
    for check in ALL_CHECKS:
        await check(make_pair)
