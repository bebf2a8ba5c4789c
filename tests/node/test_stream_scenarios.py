"""Stream semantics, checked against logs recorded from Node v20 running the same scenarios.

Each ``scenario_*`` below is a line-by-line port of a Node script (the JS is in each
docstring); ``NODE_LOGS`` holds what Node v20.20 printed for it.  The test runs the Python
port and compares the logs exactly, which pins event *order*, not just events.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from nodetls.node import (
    Duplex,
    PassThrough,
    Readable,
    Transform,
    Writable,
    finished,
    next_tick,
    set_immediate,
    set_timeout,
)
from nodetls.node.stream import TransformCallback, WriteCallback

NODE_LOGS: dict[str, list[str]] = {
    'flowing_pause_resume': [
        'sync true false 2',
        'resume',
        'data a',
        'data b',
        'pause',
        'paused true',
        'len 1',
        'data c',
        'resume',
        'end',
        'close',
    ],
    'paused_mode_hwm': [
        '_read 4 0',
        '_read 4 1',
        'read xyxy',
        '_read 4 2',
        'read xy',
        '_read 4 3',
        'readable done',
        'readable done',
        'readable done',
        'readable done',
        'end',
        'close',
    ],
    'unshift': [
        'read hello ',
        'len 11',
        'again hello world',
        'end',
    ],
    'cork_writev': [
        'write a',
        'writev b|c',
        'write d',
        'write e',
        'cb a',
        'cb b',
        'cb c',
        'cb d',
        'end cb',
        'finish',
        'close',
    ],
    'pipe_backpressure': [
        'pipe',
        'resume',
        'write bbbbbb false',
        'pause',
        'write cccccc true',
        'drain',
        'resume',
        'write dddddd false',
        'pause',
        'write eeeeee true',
        'drain',
        'resume',
        'write ffffff false',
        'pause',
        'end',
        'write gggggg true',
        'finish',
        'unpipe',
    ],
    'transform_flush': [
        'data AB',
        'data CD',
        'data !',
        'prefinish',
        'end',
        'finish',
        'close',
    ],
    'passthrough_end': [
        'data x',
        'end',
        'finish',
        'close',
    ],
    'duplex_no_half_open': [
        'end',
        'final',
        'prefinish',
        'finish',
        'close',
    ],
    'destroy_error': [
        '_destroy boom',
        'sync true true',
        'error boom',
        'close true true boom',
    ],
    'multiple_callback': [
        'error ERR_MULTIPLE_CALLBACK',
        'close',
    ],
    'push_after_eof': [
        'error ERR_STREAM_PUSH_AFTER_EOF stream.push() after EOF',
        'close',
    ],
    'finished_ok_and_premature': [
        'finished2 ERR_STREAM_PREMATURE_CLOSE',
        'finished null',
    ],
    'object_mode': [
        'data {"a":1}',
        'data 2',
        'end 0',
    ],
    'writable_drain': [
        '_write ab',
        'ret true',
        'ret false',
        'ret false',
        '_write cd',
        'cb1',
        '_write ef',
        'cb2',
        'drain',
        '_write gh',
        'ret true',
        'cb3',
        'cb4',
        'end cb',
        'finish',
        'close',
    ],
    'sync_final': [
        'final called',
        'prefinish',
        'after end',
        'write cb',
        'end cb',
        'finish',
        'tick1',
        'close',
    ],
    'write_after_end': [
        'ret false',
        'cb ERR_STREAM_WRITE_AFTER_END',
        'error ERR_STREAM_WRITE_AFTER_END',
        'close',
    ],
    'destroy_buffered': [
        '_write a',
        'state true false true false',
        'error boom',
        'close ',
        'cb a null',
        'cb b boom',
        'end cb boom',
    ],
    'readable_iter_break': [
        'chunk ab',
        'after loop true',
        'error AbortError ABORT_ERR',
        'close',
    ],
    'readable_iter_end': [
        'end',
        'close',
        'chunk ab',
        'after loop true',
    ],
    'encoding_split': [
        'data h',
        'data €llo',
        'data �',
        'end',
    ],
}


def js(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode()
    return json.dumps(value, separators=(",", ":"))


class Log(list[str]):
    def __call__(self, *parts: Any) -> None:
        self.append(" ".join(js(p) for p in parts))

    def rec(self, name: str) -> Callable[..., None]:
        return lambda *args: self(name)


def err_message(err: BaseException | None) -> str | None:
    return None if err is None else str(err)


class Src(Readable):
    """``new Readable({ read() {} })``."""

    def _read(self, size: int) -> None:
        pass


SCENARIOS: dict[str, Callable[[Log], None]] = {}
_TASKS: set[asyncio.Future[None]] = set()  # keeps scenario tasks alive until they finish


def spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


def scenario(fn: Callable[[Log], None]) -> Callable[[Log], None]:
    SCENARIOS[fn.__name__.removeprefix("scenario_")] = fn
    return fn


@scenario
def scenario_flowing_pause_resume(log: Log) -> None:
    r = Src()
    for name in ("pause", "resume", "end", "close"):
        r.on(name, log.rec(name))
    r.on("data", lambda d: log("data", d))
    r.push(b"a")
    r.push(b"b")
    log("sync", r.readable_flowing, r.is_paused(), r.readable_length)

    def later() -> None:
        r.pause()
        log("paused", r.is_paused())
        r.push(b"c")
        log("len", r.readable_length)
        r.resume()
        r.push(None)

    next_tick(later)


@scenario
def scenario_paused_mode_hwm(log: Log) -> None:
    n = 0

    class R(Readable):
        def _read(self, size: int) -> None:
            nonlocal n
            log("_read", size, n)
            if n < 3:
                n += 1
                self.push(b"xy")
            elif n == 3:
                n += 1
                self.push(None)

    r = R(high_water_mark=4)

    def on_readable() -> None:
        while (chunk := r.read()) is not None:
            log("read", chunk)
        log("readable done")

    r.on("readable", on_readable)
    r.on("end", log.rec("end"))
    r.on("close", log.rec("close"))


@scenario
def scenario_unshift(log: Log) -> None:
    r = Src()
    r.push(b"hello world")

    def on_readable() -> None:
        chunk = r.read(6)
        log("read", chunk)
        r.unshift(chunk)
        log("len", r.readable_length)
        log("again", r.read())
        r.push(None)
        r.resume()

    r.once("readable", on_readable)
    r.on("end", log.rec("end"))


@scenario
def scenario_cork_writev(log: Log) -> None:
    class W(Writable):
        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            log("write", chunk)
            cb(None)

        def _writev(self, chunks: list[bytes], cb: WriteCallback) -> None:
            log("writev", "|".join(c.decode() for c in chunks))
            cb(None)

    w = W()
    w.write(b"a", log.rec("cb a"))
    w.cork()
    w.write(b"b", log.rec("cb b"))
    w.write(b"c", log.rec("cb c"))
    w.uncork()
    w.write(b"d", log.rec("cb d"))
    w.end(b"e", log.rec("end cb"))
    w.on("finish", log.rec("finish"))
    w.on("close", log.rec("close"))


@scenario
def scenario_pipe_backpressure(log: Log) -> None:
    produced = 0

    class R(Readable):
        def _read(self, size: int) -> None:
            nonlocal produced
            if produced < 6:
                produced += 1
                self.push(bytes([97 + produced]) * 6)
            else:
                self.push(None)

    r = R(high_water_mark=10)

    class W(Writable):
        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            log("write", chunk, r.is_paused())
            set_immediate(cb, None)

    w = W(high_water_mark=8)
    r.on("pause", log.rec("pause"))
    r.on("resume", log.rec("resume"))
    w.on("drain", log.rec("drain"))
    w.on("pipe", log.rec("pipe"))
    w.on("unpipe", log.rec("unpipe"))
    w.on("finish", log.rec("finish"))
    r.on("end", log.rec("end"))
    r.pipe(w)


@scenario
def scenario_transform_flush(log: Log) -> None:
    class Upper(Transform):
        def _transform(self, chunk: bytes, cb: TransformCallback) -> None:
            cb(None, chunk.decode().upper())

        def _flush(self, cb: TransformCallback) -> None:
            self.push("!")
            cb()

    t = Upper()
    t.set_encoding("utf8")
    for name in ("end", "finish", "close", "prefinish"):
        t.on(name, log.rec(name))
    t.on("data", lambda d: log("data", d))
    t.write(b"ab")
    t.end(b"cd")


@scenario
def scenario_passthrough_end(log: Log) -> None:
    p = PassThrough()
    p.on("end", log.rec("end"))
    p.on("finish", log.rec("finish"))
    p.on("close", log.rec("close"))
    p.on("data", lambda d: log("data", d))
    p.end(b"x")


@scenario
def scenario_duplex_no_half_open(log: Log) -> None:
    class D(Duplex):
        def _read(self, size: int) -> None:
            pass

        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            cb(None)

        def _final(self, cb: WriteCallback) -> None:
            log("final")
            cb(None)

    d = D(allow_half_open=False)
    for name in ("end", "finish", "close", "prefinish"):
        d.on(name, log.rec(name))
    d.resume()
    d.push(None)


@scenario
def scenario_destroy_error(log: Log) -> None:
    class D(Duplex):
        def _read(self, size: int) -> None:
            pass

        def _destroy(self, err: BaseException | None, cb: WriteCallback) -> None:
            log("_destroy", err_message(err))
            cb(err)

    d = D()
    d.on("error", lambda e: log("error", str(e)))
    d.on("close", lambda: log("close", d.destroyed, d.closed, err_message(d.errored)))
    d.destroy(RuntimeError("boom"))
    d.destroy(RuntimeError("again"))
    log("sync", d.destroyed, d.closed)


@scenario
def scenario_multiple_callback(log: Log) -> None:
    class W(Writable):
        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            cb(None)
            cb(None)

    w = W()
    w.on("error", lambda e: log("error", e.code))
    w.on("close", log.rec("close"))
    w.write(b"x")


@scenario
def scenario_push_after_eof(log: Log) -> None:
    r = Src()
    r.on("error", lambda e: log("error", e.code, str(e)))
    r.on("close", log.rec("close"))
    r.push(None)
    r.push(b"x")


@scenario
def scenario_finished_ok_and_premature(log: Log) -> None:
    r = Src()
    finished(r, lambda err: log("finished", getattr(err, "code", None)))
    r.resume()
    r.push(b"x")
    r.push(None)
    r2 = Src()
    finished(r2, lambda err: log("finished2", getattr(err, "code", None)))
    r2.destroy()


@scenario
def scenario_object_mode(log: Log) -> None:
    r = Src(object_mode=True)
    r.push({"a": 1})
    r.push(2)
    r.push(None)
    r.on("data", lambda d: log("data", d))
    r.on("end", lambda: log("end", r.readable_length))


@scenario
def scenario_writable_drain(log: Log) -> None:
    class W(Writable):
        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            log("_write", chunk)
            set_immediate(cb, None)

    w = W(high_water_mark=4)
    for name in ("drain", "finish", "close"):
        w.on(name, log.rec(name))
    log("ret", w.write(b"ab", log.rec("cb1")))
    log("ret", w.write(b"cd", log.rec("cb2")))
    log("ret", w.write(b"ef", log.rec("cb3")))

    def on_drain() -> None:
        log("ret", w.write(b"gh", log.rec("cb4")))
        w.end(log.rec("end cb"))

    w.once("drain", on_drain)


@scenario
def scenario_sync_final(log: Log) -> None:
    class W(Writable):
        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            cb(None)

        def _final(self, cb: WriteCallback) -> None:
            log("final called")
            cb(None)

    w = W()
    w.on("prefinish", log.rec("prefinish"))
    w.on("finish", log.rec("finish"))
    w.on("close", log.rec("close"))
    w.write(b"x", log.rec("write cb"))
    w.end(log.rec("end cb"))
    log("after end")
    next_tick(log, "tick1")


@scenario
def scenario_write_after_end(log: Log) -> None:
    class W(Writable):
        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            cb(None)

    w = W()
    w.on("error", lambda e: log("error", e.code))
    w.on("close", log.rec("close"))
    w.on("finish", log.rec("finish"))
    w.end()
    log("ret", w.write(b"x", lambda e: log("cb", getattr(e, "code", None))))


@scenario
def scenario_destroy_buffered(log: Log) -> None:
    class D(Duplex):
        def _read(self, size: int) -> None:
            pass

        def _write(self, chunk: bytes, cb: WriteCallback) -> None:
            log("_write", chunk)
            set_timeout(cb, 5, None)

    d = D(high_water_mark=4)
    d.on("error", lambda e: log("error", str(e)))
    d.on("close", lambda: log("close "))
    d.on("finish", log.rec("finish"))
    d.write(b"a", lambda e: log("cb a", err_message(e)))
    d.write(b"b", lambda e: log("cb b", err_message(e)))
    d.end(b"c", lambda e: log("end cb", err_message(e)))
    d.destroy(RuntimeError("boom"))
    log("state", d.destroyed, d.writable, d.writable_ended, d.writable_finished)


@scenario
def scenario_readable_iter_break(log: Log) -> None:
    r = Src()
    r.push(b"a")
    r.push(b"b")
    r.on("error", lambda e: log("error", type(e).__name__, e.code))
    r.on("close", log.rec("close"))

    async def consume() -> None:
        iterator = r.__aiter__()
        async for chunk in iterator:
            log("chunk", chunk)
            break
        await iterator.aclose()  # type: ignore[attr-defined]  # what JS's for-await does
        log("after loop", r.destroyed)

    spawn(consume())


@scenario
def scenario_readable_iter_end(log: Log) -> None:
    r = Src()
    r.push(b"a")
    r.push(b"b")
    r.push(None)
    r.on("error", lambda e: log("error", type(e).__name__, e.code))
    r.on("close", log.rec("close"))
    r.on("end", log.rec("end"))

    async def consume() -> None:
        async for chunk in r:
            log("chunk", chunk)
        log("after loop", r.destroyed)

    spawn(consume())


@scenario
def scenario_encoding_split(log: Log) -> None:
    p = PassThrough()
    p.set_encoding("utf8")
    p.on("data", lambda d: log("data", d))
    encoded = "h€llo".encode()
    p.write(encoded[:2])
    p.write(encoded[2:3])
    p.write(encoded[3:])
    p.end(bytes([0xE2, 0x82]))
    p.on("end", log.rec("end"))


# Where the Python port cannot order things like Node, and why.
KNOWN_DIFFERENCES: dict[str, list[str]] = {
    # JS delivers each value of a `for await` loop through a promise (a microtask, which runs
    # after the nextTick queue), so Node's 'end'/'close' ticks run before the loop body sees
    # the chunk.  Python resumes the loop body directly when the generator yields.
    "readable_iter_end": ["chunk ab", "end", "close", "after loop true"],
    # Deliberate: leaving an `async for` early destroys the stream quietly (no AbortError
    # 'error'), so `async for chunk in sock: ...; break` does not log an unhandled error
    # when Python finalises the abandoned generator later (node/async_iterator.py).
    "readable_iter_break": ["chunk ab", "after loop true", "close"],
}


async def _settle(log: Log, expected: list[str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while len(log) < len(expected) and loop.time() < deadline:
        await asyncio.sleep(0.001)
    for _ in range(20):  # a few more turns, to catch anything Node did not print
        await asyncio.sleep(0)


@pytest.mark.parametrize("name", sorted(NODE_LOGS))
async def test_scenario_matches_node(name: str) -> None:
    log = Log()
    SCENARIOS[name](log)
    expected = KNOWN_DIFFERENCES.get(name, NODE_LOGS[name])
    await _settle(log, expected)
    assert list(log) == expected
