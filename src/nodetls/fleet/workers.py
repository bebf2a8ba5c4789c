"""Worker processes on one port: a supervisor, and what each worker is given.

Theory of operation.  ``run_workers(main, port=..., workers=N)`` runs in the parent:
it reserves the port (a socket bound with ``SO_REUSEPORT`` that never listens, so port
0 becomes a fixed port and a restarted worker gets the same one), makes the ticket keys
once (unless given), and starts N processes (``multiprocessing``'s spawn method: a
fresh interpreter, no inherited event loop), each running ``asyncio.run(main(worker))``.
The worker builds its server with ``worker.ticket_keys`` and serves it with
``serve_worker``: it listens with ``SO_REUSEPORT`` (the kernel spreads connections over
the workers), tells the parent it listens, and stops on SIGTERM within ``deadline``.

The parent waits on the workers' sentinels, a pipe of their messages and a self-pipe
written by its SIGTERM/SIGINT handler.  A worker that exits while the supervisor runs
is restarted (not more than once a second per worker, so a crash loop does not spin);
a signal sends SIGTERM to every worker, waits for them (their deadline plus a grace
period) and kills what is left.  A worker that dies before it ever listened is a
configuration error (a bad certificate, a port in use): the supervisor stops them all
and returns 1 rather than restart it forever.  ``main`` must be importable by a fresh interpreter: a
module-level function, under an ``if __name__ == "__main__":`` guard in a script.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Final

import nodetls as tls
from nodetls.fleet.graceful import DEFAULT_DEADLINE, serve_until_stopped

__all__ = ["Worker", "WorkerMain", "run_workers", "serve_worker"]

log = logging.getLogger("nodetls.fleet")

RESTART_INTERVAL: Final = 1.0
KILL_GRACE: Final = 5.0
ORPHAN_CHECK_EVERY: Final = 1.0


@dataclass(frozen=True)
class Worker:
    """What one worker process is given (picklable: it crosses to the child)."""

    index: int
    port: int
    host: str | None
    ticket_keys: tuple[bytes, ...]
    deadline: float = DEFAULT_DEADLINE
    config: Any = None  # the application's own settings, if picklable
    _parent: Connection | None = field(default=None, repr=False, compare=False)

    def listening(self) -> None:
        """Tell the supervisor this worker accepts connections."""
        if self._parent is not None:
            self._parent.send(("listening", self.index, os.getpid()))


WorkerMain = Callable[[Worker], Awaitable[object]]


async def serve_worker(worker: Worker, server: tls.Server,
                       on_stop: Callable[[], object] | None = None) -> None:
    """Serve ``server`` on the worker's shared port until SIGTERM (then close within
    the deadline).  A worker whose supervisor has gone (killed) stops too."""
    orphan_watch = asyncio.get_running_loop().create_task(_stop_when_orphaned())
    try:
        await serve_until_stopped(server, worker.port, worker.host, reuse_port=True,
                                  deadline=worker.deadline,
                                  on_listening=lambda _: worker.listening(), on_stop=on_stop)
    finally:
        orphan_watch.cancel()


async def _stop_when_orphaned() -> None:
    """SIGTERM ourselves once the parent is gone (``getppid`` changes to a reaper)."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(ORPHAN_CHECK_EVERY)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker_process(main: WorkerMain, worker: Worker) -> None:
    asyncio.run(_worker_coroutine(main, worker))


async def _worker_coroutine(main: WorkerMain, worker: Worker) -> None:
    await main(worker)


class Phase(enum.Enum):
    STARTING = "starting"  # not every worker listens yet; one that dies fails the start
    RUNNING = "running"  # every worker listened once; dead ones are restarted
    STOPPING = "stopping"  # a signal came: workers are told to stop, none restarted
    FAILED = "failed"  # a worker died before it ever listened: a configuration error


def run_workers(main: WorkerMain, *, port: int, host: str | None = "127.0.0.1",
                workers: int = 2, ticket_keys: Sequence[bytes] | None = None,
                deadline: float = DEFAULT_DEADLINE, config: Any = None,
                on_ready: Callable[[int], object] | None = None,
                on_stop: Callable[[], object] | None = None) -> int:
    """Run ``workers`` processes of ``main`` on one port until SIGTERM/SIGINT; returns
    the exit status.  ``on_ready(port)`` is called once every worker listens,
    ``on_stop()`` when a signal has come, before the workers are told to stop."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    keys = tuple(ticket_keys) if ticket_keys else (os.urandom(48),)
    with _reserve_port(host, port) as reserved:
        template = Worker(0, reserved.getsockname()[1], host, keys, deadline, config)
        return _Supervisor(main, template, workers, on_ready, on_stop).run()


def _reserve_port(host: str | None, port: int) -> socket.socket:
    family, address = _bind_address(host)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    return sock


def _bind_address(host: str | None) -> tuple[int, str]:
    if host is None:
        return (socket.AF_INET6, "::") if socket.has_ipv6 else (socket.AF_INET, "0.0.0.0")
    family, _, _, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    return family, str(address[0])


class _Supervisor:
    def __init__(self, main: WorkerMain, template: Worker, count: int,
                 on_ready: Callable[[int], object] | None,
                 on_stop: Callable[[], object] | None) -> None:
        self.main = main
        self.context = multiprocessing.get_context("spawn")
        self.reader, self.writer = self.context.Pipe(duplex=False)
        self.template = replace(template, _parent=self.writer)
        self.count = count
        self.on_ready = on_ready
        self.on_stop = on_stop
        self.phase = Phase.STARTING
        self.procs: dict[int, BaseProcess] = {}
        self.started: dict[int, float] = {}
        self.listening: set[int] = set()
        self.wake_r, self.wake_w = socket.socketpair()

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for index in range(self.count):
                self._start(index)
            while self.phase in (Phase.STARTING, Phase.RUNNING):
                self._step()
            if self.on_stop is not None and self.phase is Phase.STOPPING:
                self.on_stop()
            self._stop_all()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.wake_r.close()
            self.wake_w.close()
        return 1 if self.phase is Phase.FAILED else 0

    def _on_signal(self, signum: int, frame: object) -> None:
        self.wake_w.send(b"!")

    def _start(self, index: int) -> None:
        worker = replace(self.template, index=index)
        proc = self.context.Process(target=_worker_process, args=(self.main, worker),
                                    name=f"nodetls-worker-{index}", daemon=True)
        proc.start()
        self.procs[index] = proc
        self.started[index] = time.monotonic()

    def _step(self) -> None:
        due = [i for i, p in self.procs.items() if not p.is_alive()]
        waits = [self.started[i] + RESTART_INTERVAL - time.monotonic() for i in due]
        timeout = max(0.0, min(waits)) if waits else None
        sentinels = [p.sentinel for p in self.procs.values() if p.is_alive()]
        ready = wait([self.wake_r, self.reader, *sentinels], timeout)
        if self.wake_r in ready:
            self.phase = Phase.STOPPING
            return
        if self.reader in ready:
            self._message(self.reader.recv())
        for index, proc in list(self.procs.items()):
            if not proc.is_alive():
                self._restart(index, proc)

    def _message(self, message: tuple[str, int, int]) -> None:
        kind, index, pid = message
        if kind != "listening":
            return
        if self.phase is Phase.RUNNING:
            log.warning("worker %d listening again (pid %d)", index, pid)
        else:
            log.info("worker %d listening (pid %d)", index, pid)
        self.listening.add(index)
        if self.phase is Phase.STARTING and len(self.listening) == self.count:
            self.phase = Phase.RUNNING
            if self.on_ready is not None:
                self.on_ready(self.template.port)

    def _restart(self, index: int, proc: BaseProcess) -> None:
        if self.phase not in (Phase.STARTING, Phase.RUNNING):
            return  # failed or stopping: nothing is restarted
        if self.phase is Phase.STARTING and index not in self.listening:
            log.error("worker %d (pid %s) exited with status %s before listening: stopping",
                      index, proc.pid, proc.exitcode)
            self.phase = Phase.FAILED
            return
        if time.monotonic() < self.started[index] + RESTART_INTERVAL:
            return  # restarted at the next step, a second after its last start
        log.warning("worker %d (pid %s) exited with status %s: restarting",
                    index, proc.pid, proc.exitcode)
        proc.close()
        self._start(index)

    def _stop_all(self) -> None:
        alive = [p for p in self.procs.values() if p.is_alive()]
        for proc in alive:
            if proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        end = time.monotonic() + self.template.deadline + KILL_GRACE
        for proc in alive:
            proc.join(max(0.0, end - time.monotonic()))
            if proc.is_alive():
                log.warning("worker pid %s did not stop in time: killed", proc.pid)
                proc.kill()
                proc.join()
