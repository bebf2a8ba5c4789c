"""EventEmitter: Node's listener semantics."""

from __future__ import annotations

import asyncio
import functools
import inspect
import warnings
from typing import Any

import pytest

from nodetls.node import EventEmitter, error_monitor, once
from nodetls.node.errors import ERR_INVALID_ARG_TYPE, ERR_UNHANDLED_ERROR
from nodetls.node.events import ANY_ARITY, MaxListenersExceededWarning, arity


def test_listeners_called_in_order_with_args() -> None:
    e = EventEmitter()
    calls: list[tuple[str, tuple[Any, ...]]] = []
    e.on("x", lambda *a: calls.append(("first", a)))
    e.add_listener("x", lambda *a: calls.append(("second", a)))
    assert e.emit("x", 1, "two") is True
    assert calls == [("first", (1, "two")), ("second", (1, "two"))]
    assert e.emit("nobody") is False


def test_once_and_prepend() -> None:
    e = EventEmitter()
    calls: list[str] = []
    e.on("x", lambda: calls.append("on"))
    e.once("x", lambda: calls.append("once"))
    e.prepend_listener("x", lambda: calls.append("prepended"))
    e.prepend_once_listener("x", lambda: calls.append("prepended-once"))
    e.emit("x")
    e.emit("x")
    assert calls == ["prepended-once", "prepended", "on", "once", "prepended", "on"]


def test_removal_during_emit_does_not_affect_current_emit() -> None:
    e = EventEmitter()
    calls: list[str] = []

    def a() -> None:
        calls.append("a")
        e.off("x", b)

    def b() -> None:
        calls.append("b")

    e.on("x", a)
    e.on("x", b)
    e.emit("x")
    e.emit("x")
    assert calls == ["a", "b", "a"]


def test_adding_during_emit_does_not_affect_current_emit() -> None:
    e = EventEmitter()
    calls: list[str] = []
    e.on("x", lambda: e.on("x", lambda: calls.append("late")))
    e.emit("x")
    assert calls == []
    e.emit("x")
    assert calls == ["late"]


def test_remove_listener_matches_bound_methods_and_once_wrappers() -> None:
    class Owner:
        def __init__(self) -> None:
            self.count = 0

        def handler(self) -> None:
            self.count += 1

    owner = Owner()
    e = EventEmitter()
    e.on("x", owner.handler)
    e.remove_listener("x", owner.handler)  # a new bound-method object, equal to the first
    e.once("y", owner.handler)
    assert e.listeners("y") == [owner.handler]
    assert e.raw_listeners("y")[0] != owner.handler
    assert e.raw_listeners("y")[0].listener == owner.handler  # type: ignore[attr-defined]
    e.off("y", owner.handler)
    e.emit("x")
    e.emit("y")
    assert owner.count == 0
    assert e.event_names() == []


def test_remove_listener_removes_the_last_registration() -> None:
    e = EventEmitter()
    calls: list[str] = []

    def f() -> None:
        calls.append("f")

    e.on("x", f)
    e.on("x", lambda: calls.append("g"))
    e.on("x", f)
    e.remove_listener("x", f)
    e.emit("x")
    assert calls == ["f", "g"]


def test_new_listener_and_remove_listener_events() -> None:
    e = EventEmitter()
    seen: list[tuple[str, Any]] = []

    def f() -> None:
        pass

    e.on("newListener", lambda name, listener: seen.append(("new", name, listener)))  # type: ignore[arg-type]
    e.on("removeListener", lambda name, listener: seen.append(("removed", name, listener)))  # type: ignore[arg-type]
    e.once("x", f)
    e.emit("x")
    assert seen[-2:] == [("new", "x", f), ("removed", "x", f)]  # type: ignore[comparison-overlap]


def test_new_listener_is_emitted_before_adding() -> None:
    e = EventEmitter()
    counts: list[int] = []
    e.on("newListener", lambda name, listener: counts.append(e.listener_count("x")))
    e.on("x", lambda: None)
    assert counts == [0]


def test_error_without_listener_raises() -> None:
    e = EventEmitter()
    boom = ValueError("boom")
    with pytest.raises(ValueError) as info:
        e.emit("error", boom)
    assert info.value is boom
    with pytest.raises(ERR_UNHANDLED_ERROR) as unhandled:
        e.emit("error", "just a string")
    assert unhandled.value.code == "ERR_UNHANDLED_ERROR"
    assert str(unhandled.value) == "Unhandled error. ('just a string')"
    with pytest.raises(ERR_UNHANDLED_ERROR) as bare:
        e.emit("error")
    assert str(bare.value) == "Unhandled error."


def test_error_monitor_sees_errors_first_but_does_not_handle() -> None:
    e = EventEmitter()
    seen: list[str] = []
    e.on(error_monitor, lambda err: seen.append("monitor"))
    with pytest.raises(RuntimeError):
        e.emit("error", RuntimeError("x"))
    e.on("error", lambda err: seen.append("listener"))
    e.emit("error", RuntimeError("y"))
    assert seen == ["monitor", "monitor", "listener"]


def test_listener_count_and_remove_all() -> None:
    e = EventEmitter()

    def f() -> None:
        pass

    e.on("a", f)
    e.on("a", f)
    e.on("b", f)
    assert e.listener_count("a") == 2
    assert e.listener_count("a", f) == 2
    assert set(e.event_names()) == {"a", "b"}
    e.remove_all_listeners("a")
    assert e.event_names() == ["b"]
    removed: list[str] = []
    e.on("removeListener", lambda name, listener: removed.append(name))
    e.remove_all_listeners()
    assert removed == ["b"]
    assert e.event_names() == []


def test_max_listeners_warning_once() -> None:
    e = EventEmitter()
    assert e.get_max_listeners() == 10
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(12):
            e.on("data", lambda: None)
    leaks = [w for w in caught if issubclass(w.category, MaxListenersExceededWarning)]
    assert len(leaks) == 1
    assert "11 data listeners added to [EventEmitter]. MaxListeners is 10" in str(
        leaks[0].message
    )
    e.set_max_listeners(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.on("more", lambda: None)


def test_invalid_listener() -> None:
    with pytest.raises(ERR_INVALID_ARG_TYPE) as info:
        EventEmitter().on("x", 42)  # type: ignore[call-overload]
    assert str(info.value) == (
        'The "listener" argument must be of type function. Received type number (42)'
    )


def test_decorator_form() -> None:
    e = EventEmitter()
    calls: list[int] = []

    @e.on("x")
    def handler(value: int) -> None:
        calls.append(value)

    @e.once("x")
    def once_handler(value: int) -> None:
        calls.append(-value)

    e.emit("x", 1)
    e.emit("x", 2)
    assert calls == [1, -1, 2]
    assert handler.__name__ == "handler" and once_handler.__name__ == "once_handler"


async def test_async_listener_runs_as_task_and_routes_errors() -> None:
    e = EventEmitter()
    got: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    errors: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def listener(value: int) -> None:
        await asyncio.sleep(0)
        got.set_result(value)
        raise RuntimeError("from async listener")

    e.on("x", listener)
    e.on("error", errors.set_result)
    assert e.listeners("x") == [listener]
    assert e.emit("x", 7) is True
    assert await got == 7
    err = await errors
    assert isinstance(err, RuntimeError) and str(err) == "from async listener"
    e.off("x", listener)
    assert e.listener_count("x") == 0


async def test_events_once_helper() -> None:
    e = EventEmitter()
    asyncio.get_running_loop().call_soon(e.emit, "ready", 1, 2)
    assert await once(e, "ready") == (1, 2)
    asyncio.get_running_loop().call_soon(e.emit, "error", KeyError("k"))
    with pytest.raises(KeyError):
        await once(e, "ready")
    assert e.listener_count("ready") == 0 and e.listener_count("error") == 0


# --- JavaScript's arity rule: a listener gets as many arguments as it takes -----------------


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def one(self, a: Any) -> None:
        self.calls.append((a,))

    def __call__(self, a: Any, b: Any) -> None:
        self.calls.append((a, b))


def _three(a: Any, b: Any, c: Any, log: list[tuple[Any, ...]]) -> None:
    log.append((a, b, c))


def test_listener_taking_fewer_parameters_gets_as_many_as_it_takes() -> None:
    e = EventEmitter()
    rec = _Recorder()
    calls: list[tuple[Any, ...]] = []
    e.on("x", lambda: calls.append(()))
    e.on("x", lambda a: calls.append((a,)))
    e.on("x", lambda a, b=None: calls.append((a, b)))
    e.on("x", lambda *a: calls.append(a))
    e.on("x", rec.one)                                    # bound method: self not counted
    e.on("x", rec)                                        # callable object
    e.on("x", functools.partial(_three, log=calls))       # partial: keyword bound
    e.once("x", lambda a: calls.append(("once", a)))
    e.emit("x", 1, 2, 3, 4)
    assert calls == [(), (1,), (1, 2), (1, 2, 3, 4), (1, 2, 3), ("once", 1)]
    assert rec.calls == [(1,), (1, 2)]


class _Inherited(_Recorder):
    pass


class _Static:
    @staticmethod
    def __call__(a: Any, b: Any, c: Any) -> None:
        pass


class _VarArgs:
    def __call__(self, *args: Any) -> None:
        pass


def test_arity_of_callable_objects() -> None:
    # A class's own __call__ is read from its code (no inspect.signature per listener);
    # the other forms still go through inspect and agree with it.
    assert arity(_Recorder()) == 2            # self not counted
    assert arity(_Inherited()) == 2           # inherited __call__
    assert arity(_Static()) == len(inspect.signature(_Static()).parameters)
    assert arity(_VarArgs()) == ANY_ARITY


def test_listener_without_a_signature_gets_every_argument() -> None:
    e = EventEmitter()
    seen: list[Any] = []
    e.on("x", seen.append)              # a builtin method with a signature: one argument
    e.emit("x", "only", "dropped")
    assert seen == ["only"]
    assert arity(max) == ANY_ARITY      # ``max`` has no signature: it is given everything
    e.on("y", max)
    e.emit("y", 1, 2)
    with pytest.raises(TypeError):
        e.emit("y")                     # max() of nothing: proves nothing was dropped or added


def test_error_listener_taking_nothing_still_handles_the_error() -> None:
    e = EventEmitter()
    hits: list[str] = []
    e.on(error_monitor, lambda: hits.append("monitor"))
    e.on("error", lambda: hits.append("handled"))
    assert e.emit("error", ValueError("x")) is True
    assert hits == ["monitor", "handled"]


async def test_async_listener_taking_fewer_parameters() -> None:
    e = EventEmitter()
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_x(a: Any) -> None:
        done.set_result(a)

    e.on("x", on_x)
    e.emit("x", "first", "second")
    assert await done == "first"


def test_arities_follow_adds_and_removals() -> None:
    e = EventEmitter()
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def takes_all(*a: Any) -> None:
        calls.append(("all", a))

    def takes_one(a: Any) -> None:
        calls.append(("one", (a,)))

    def takes_none() -> None:
        calls.append(("none", ()))

    e.on("x", takes_all)
    e.on("x", takes_one)
    e.prepend_listener("x", takes_none)
    e.emit("x", 1, 2)
    e.remove_listener("x", takes_one)  # the middle one: the others keep their arities
    e.emit("x", 3, 4)
    e.remove_listener("x", takes_none)
    e.emit("x", 5, 6)  # everyone takes everything now: the fast path
    assert calls == [("none", ()), ("all", (1, 2)), ("one", (1,)),
                     ("none", ()), ("all", (3, 4)),
                     ("all", (5, 6))]
    assert e.listeners("x") == [takes_all]
