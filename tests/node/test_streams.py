"""Readable / Writable / Duplex / Transform behaviours not covered by the Node-log scenarios."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nodetls.node import (
    Duplex,
    PassThrough,
    Readable,
    Transform,
    Writable,
    duplex_pair,
    finished,
)
from nodetls.node.errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_NULL_VALUES,
    ERR_STREAM_PREMATURE_CLOSE,
)
from nodetls.node.stream import TransformCallback, WriteCallback
from nodetls.node.string_decoder import StringDecoder, encode_string
from tests.support.events import event, until, wait


class Src(Readable):
    def _read(self, size: int) -> None:
        pass


class Sink(Writable):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.chunks: list[Any] = []

    def _write(self, chunk: Any, cb: WriteCallback) -> None:
        self.chunks.append(chunk)
        cb(None)


async def test_defaults_and_properties() -> None:
    d = PassThrough()
    assert d.readable and d.writable
    assert d.readable_high_water_mark == d.writable_high_water_mark == 16384
    assert d.readable_flowing is None and not d.is_paused()
    assert (d.readable_length, d.writable_length) == (0, 0)
    assert not (d.readable_ended or d.writable_ended or d.writable_finished or d.destroyed)
    assert d.allow_half_open
    assert Src(object_mode=True).readable_high_water_mark == 16


async def test_read_n_across_chunks_and_hwm_growth() -> None:
    r = Src()
    r.push(b"abc")
    r.push(b"defg")
    assert r.read(5) == b"abcde"
    assert r.readable_length == 2
    assert r.read(10) is None  # not enough and not ended
    r.push(None)
    assert r.read(10) == b"fg"  # ended: whatever is left
    r2 = Src()
    r2.read(100_000)
    assert r2.readable_high_water_mark == 131072  # next power of two, as Node


async def test_push_returns_false_at_high_water_mark() -> None:
    r = Src(high_water_mark=10)
    assert r.push(b"12345") is True
    assert r.push(b"67890") is False
    assert r.readable_length == 10


async def test_push_and_write_type_errors() -> None:
    r = Src()
    errors: list[BaseException] = []
    r.on("error", errors.append)
    assert r.push(123) is False
    w = Sink()
    with pytest.raises(ERR_INVALID_ARG_TYPE) as info:
        w.write(123)
    assert str(info.value) == (
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or'
        " DataView. Received type number (123)"
    )
    with pytest.raises(ERR_STREAM_NULL_VALUES):
        w.write(None)


async def test_push_type_error_destroys() -> None:
    r = Src()
    errors = event(r, "error")
    r.push(123)
    (err,) = await wait(errors)
    assert isinstance(err, ERR_INVALID_ARG_TYPE)


async def test_strings_and_buffers_are_normalised() -> None:
    w = Sink()
    w.write("héllo")
    w.write("00ff", "hex")
    w.write(bytearray(b"ba"))
    w.write(memoryview(b"mv"))
    assert w.chunks == ["héllo".encode(), b"\x00\xff", b"ba", b"mv"]
    assert all(type(c) is bytes for c in w.chunks)
    r = Src()
    r.push("text")
    r.push(bytearray(b"!"))
    assert r.read() == b"text!"


async def test_missing_implementations() -> None:
    errors: list[BaseException] = []
    r = Readable()
    r.on("error", errors.append)
    r.read(0)
    w = Writable()
    with pytest.raises(ERR_METHOD_NOT_IMPLEMENTED):
        w.write(b"x")


async def test_missing_read_is_reported_as_error() -> None:
    r = Readable()
    errors = event(r, "error")
    r.read(0)
    (err,) = await wait(errors)
    assert isinstance(err, ERR_METHOD_NOT_IMPLEMENTED)
    assert str(err) == "The _read() method is not implemented"


async def test_set_encoding_converts_buffered_data_and_flushes_at_end() -> None:
    r = Src()
    r.push("h€".encode()[:2])
    r.set_encoding("utf8")
    assert r.readable_encoding == "utf8"
    r.push("h€".encode()[2:])
    r.push(None)
    assert r.read() == "h€"


async def test_string_decoder_encodings() -> None:
    d = StringDecoder("base64")
    assert d.write(b"ab") == "" and d.write(b"cd") == "YWJj" and d.end() == "ZA=="
    assert StringDecoder("hex").write(b"\x01\xff") == "01ff"
    assert StringDecoder("latin1").write(b"\xe9") == "é"
    assert StringDecoder("ascii").write(b"\xe9") == "i"
    u = StringDecoder("utf16le")
    assert u.write(b"a\x00b") == "a" and u.end() == "\ufffd"
    assert encode_string("YWJj", "base64") == b"abc"
    assert encode_string("0g12", "hex") == b""
    assert encode_string("é", "latin1") == b"\xe9"


async def test_transform_backpressure_holds_write_callback() -> None:
    class Slow(Transform):
        def _transform(self, chunk: bytes, cb: TransformCallback) -> None:
            cb(None, chunk)

    t = Slow(high_water_mark=4)
    done: list[int] = []
    t.write(b"12345", lambda err: done.append(1))
    t.write(b"6", lambda err: done.append(2))
    await asyncio.sleep(0)
    assert done == [] and t.readable_length == 5  # readable side full: writes wait
    # read() calls _read, which releases the held callback; the next chunk is transformed
    # and pushed synchronously, so read() returns it too (as Node's does).
    assert t.read() == b"123456"
    await until(lambda: done == [1, 2], "write callbacks after read")


async def test_pipe_unpipe_and_ends_dest() -> None:
    src = PassThrough()
    dest = Sink()
    finished_dest = event(dest, "finish")
    assert src.pipe(dest) is dest
    src.write(b"a")
    await until(lambda: dest.chunks == [b"a"], "first chunk piped")
    src.unpipe(dest)
    assert src.is_paused()
    src.write(b"b")
    await asyncio.sleep(0)
    assert dest.chunks == [b"a"]
    src.pipe(dest)
    src.end(b"c")
    await wait(finished_dest)
    assert dest.chunks == [b"a", b"b", b"c"]


async def test_pipe_end_false_keeps_dest_open() -> None:
    src = PassThrough()
    dest = Sink()
    src.pipe(dest, end=False)
    src.end(b"x")
    await wait(event(src, "end"))
    await asyncio.sleep(0)
    assert dest.writable and dest.chunks == [b"x"]


async def test_pipe_to_many_destinations_waits_for_all_drains() -> None:
    src = PassThrough(high_water_mark=4)

    class Gate(Writable):
        def __init__(self) -> None:
            super().__init__(high_water_mark=2)
            self.held: list[WriteCallback] = []
            self.data = b""

        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            self.data += chunk
            self.held.append(cb)

        def release(self) -> None:
            held, self.held = self.held, []
            for cb in held:
                cb(None)

    fast, slow = Gate(), Gate()
    src.pipe(fast)
    src.pipe(slow)
    src.write(b"abc")
    await until(lambda: fast.data == slow.data == b"abc", "both got the chunk")
    assert src.is_paused()
    fast.release()
    await asyncio.sleep(0)
    assert src.is_paused(), "still waiting for the slow destination"
    src.write(b"d")
    slow.release()
    await until(lambda: not src.is_paused(), "resumed after both drained")
    fast.release()
    slow.release()
    await until(lambda: fast.data == slow.data == b"abcd", "the rest flows")


async def test_duplex_with_disabled_sides() -> None:
    class ReadOnly(Duplex):
        def _read(self, size: int) -> None:
            pass

    d = ReadOnly(writable=False)
    assert d.readable and not d.writable and d.writable_finished
    closed = event(d, "close")
    d.push(b"x")
    d.push(None)
    d.resume()
    await wait(closed)  # auto-destroy needs only the readable side


async def test_destroy_callback_and_errored() -> None:
    r = Src()
    seen: list[Any] = []
    r.destroy(None, seen.append)
    assert seen == [None] and r.destroyed
    r.destroy(None, seen.append)
    assert seen == [None, None]
    await wait(event(r, "close"))
    assert r.closed and r.errored is None


async def test_destroy_error_replaced_by_destroy_impl() -> None:
    class Failing(Src):
        def _destroy(self, err: BaseException | None, cb: WriteCallback) -> None:
            cb(KeyError("from _destroy"))

    r = Failing()
    errors = event(r, "error")
    r.destroy()
    (err,) = await wait(errors)
    assert isinstance(err, KeyError) and r.errored is err


async def test_auto_destroy_false_keeps_stream_alive() -> None:
    r = Src(auto_destroy=False)
    r.resume()
    r.push(None)
    await wait(event(r, "end"))
    await asyncio.sleep(0)
    assert not r.destroyed


async def test_async_listener_error_destroys_stream() -> None:
    r = Src()

    async def bad(chunk: bytes) -> None:
        raise RuntimeError("listener failed")

    r.on("data", bad)
    errors = event(r, "error")
    r.push(b"x")
    (err,) = await wait(errors)
    assert str(err) == "listener failed" and r.destroyed


async def test_finished_on_writable_and_cleanup() -> None:
    w = Sink()
    results: list[Any] = []
    cleanup = finished(w, results.append)
    w.end(b"x")
    await wait(event(w, "close"))
    assert results == [None]
    r = Src()
    calls: list[Any] = []
    remove = finished(r, calls.append)
    remove()
    r.destroy()
    await wait(event(r, "close"))
    assert calls == []
    cleanup()


async def test_finished_reports_errors() -> None:
    d, _ = duplex_pair()
    results: list[Any] = []
    finished(d, results.append)
    boom = ValueError("x")
    d.destroy(boom)
    await until(lambda: bool(results), "finished callback")
    assert results == [boom]
    r = Src()
    premature: list[Any] = []
    finished(r, premature.append)
    r.destroy()
    await until(lambda: bool(premature), "premature close")
    assert isinstance(premature[0], ERR_STREAM_PREMATURE_CLOSE)


async def test_async_iteration_break_destroys_quietly() -> None:
    r = Src()
    r.push(b"a")
    errors: list[BaseException] = []
    r.on("error", errors.append)
    closed = event(r, "close")
    iterator = r.__aiter__()
    async for _chunk in iterator:
        break
    await iterator.aclose()  # type: ignore[attr-defined]  # what finalisation does later
    await wait(closed)
    assert r.destroyed and errors == []  # unlike Node: no AbortError (async_iterator.py)


async def test_write_after_destroy_callback() -> None:
    w = Sink()
    w.destroy()
    results: list[Any] = []
    assert w.write(b"x", results.append) is False
    await until(lambda: bool(results), "write callback")
    assert isinstance(results[0], ERR_STREAM_DESTROYED)
    assert str(results[0]) == "Cannot call write after a stream was destroyed"


async def test_end_twice_and_end_after_finish() -> None:
    w = Sink()
    w.end()
    await wait(event(w, "finish"))
    results: list[Any] = []
    w.end(results.append)
    await until(lambda: bool(results), "end callback")
    assert getattr(results[0], "code", None) in (
        "ERR_STREAM_ALREADY_FINISHED",
        "ERR_STREAM_DESTROYED",
    )


async def test_duplex_pair_backpressure_reaches_the_writer() -> None:
    a, b = duplex_pair(high_water_mark=8)
    b.pause()
    results = [a.write(b"12345678") for _ in range(4)]
    assert results[-1] is False
    drained = event(a, "drain")
    b.resume()
    received: list[bytes] = []
    b.on("data", received.append)
    await wait(drained)
    assert b"".join(received) == b"12345678" * 4


async def test_readable_event_then_data_listener() -> None:
    r = Src()
    r.on("readable", lambda: None)
    r.on("data", lambda chunk: None)
    assert r.readable_flowing is False  # 'readable' wins over 'data', as in Node
    r.remove_all_listeners("readable")
    await asyncio.sleep(0)
    assert r.readable_flowing is True


async def test_iterator_without_destroy_on_return() -> None:
    r = Src()
    r.push(b"a")
    async for _chunk in r.iterator(destroy_on_return=False):
        break
    await asyncio.sleep(0)
    assert not r.destroyed
    r.push(b"b")
    r.push(None)
    assert [c async for c in r] == [b"b"]
