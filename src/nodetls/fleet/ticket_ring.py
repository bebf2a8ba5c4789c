"""``RedisTicketRing``: one ring of ticket keys for a whole fleet, rotated in Redis.

Theory of operation.  Redis holds a list (``nodetls:ticket-keys``), newest first, of
48-byte keys in Node's layout: ``[next, current, older...]``.  Every server applies it
with ``server.set_ticket_keys([current, next, older...])``: ``current`` encrypts new
tickets and all decrypt.  ``next`` is handed out one rotation before it encrypts
anything, so when a rotation promotes it every server can already decrypt its
tickets, even one that has not heard of the rotation yet; and ``older`` keys keep the
tickets issued before a rotation valid until ``keep`` rotations have passed.  A
ticket under an older key is renewed under ``current`` when it is used.

A rotation (``rotate()``, or every ``rotate_every`` seconds) is made by one process at a
time: it takes a lock with an expiry (``SET ... NX PX``), pushes a fresh ``next``,
trims the list to ``keep + 1`` keys, records the time and publishes on the channel of
the list's name.  Servers subscribe to that channel and re-read the list on every
message, so a rotation reaches every server within a second; after a reconnection (or
when the ``RedisLink`` recovers) they re-read it too, in case a message was missed.  A
server that cannot reach Redis keeps the ring it has (and its own random key if it
never had one): handshakes never wait for the ring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

import nodetls as tls
from nodetls.fleet.redis_link import RedisLink

__all__ = ["KEY_LENGTH", "RedisTicketRing", "serving_order"]

log = logging.getLogger("nodetls.fleet")

KEY_LENGTH: Final = 48
LOCK_EXPIRY_MS: Final = 5000
RECONNECT_DELAY: Final = 0.5
# The ring is read and rotated off the handshake path: its commands may wait longer than
# the link's handshake bound, so a busy Redis does not delay a rotation.
RING_TIMEOUT: Final = 2.0
T = TypeVar("T")
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def serving_order(stored: Sequence[bytes]) -> list[bytes]:
    """Redis's ``[next, current, older...]`` as a server's ring ``[current, next, ...]``."""
    keys = [key for key in stored if len(key) == KEY_LENGTH]
    return [keys[1], keys[0], *keys[2:]] if len(keys) >= 2 else keys


class RedisTicketRing:
    """The fleet's ticket keys, kept in Redis and applied to the servers attached."""

    def __init__(self, link: RedisLink, *, keep: int = 2, rotate_every: float | None = None,
                 name: str = "nodetls:ticket-keys") -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        if rotate_every is not None and rotate_every <= 0:
            raise ValueError(f"rotate_every must be a positive number of seconds, got "
                             f"{rotate_every}")
        self.link = link
        self.keep = keep
        self.rotate_every = rotate_every
        self.name = name
        self.servers: list[tls.Server] = []
        self.keys: list[bytes] = []
        self._tasks: list[asyncio.Task[None]] = []
        link.on_recover(self._reload_soon)

    # -- following the ring ---------------------------------------------------------------

    def attach(self, server: tls.Server) -> None:
        """Give ``server`` the fleet's keys now (if known) and after every rotation."""
        self.servers.append(server)
        if self.keys:
            server.set_ticket_keys(self.keys)

    async def start(self) -> None:
        """Read (or create) the ring and follow rotations; rotate on schedule if asked.
        Returns once the ring is applied and followed, or once Redis failed to give it
        (the servers then keep their own keys until it does)."""
        first_attempt = asyncio.Event()
        self._tasks.append(asyncio.get_running_loop().create_task(self._follow(first_attempt)))
        if self.rotate_every is not None:
            self._tasks.append(asyncio.get_running_loop().create_task(self._rotate_on_time()))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RING_TIMEOUT * 2):
                await first_attempt.wait()

    async def _follow(self, first_attempt: asyncio.Event) -> None:
        while True:
            subscriber = self.link.subscriber()
            try:
                async with subscriber.pubsub() as channel:
                    await channel.subscribe(self.name)
                    await self.reload()  # after subscribing: no rotation slips between
                    first_attempt.set()
                    async for message in channel.listen():
                        if message.get("type") == "message":
                            await self.reload()
            except (OSError, self.link.errors()) as err:
                self.link.failed(err)
            finally:
                first_attempt.set()
                await subscriber.aclose()
            await asyncio.sleep(RECONNECT_DELAY)

    def _reload_soon(self) -> None:
        """The link is up again: a rotation may have been missed meanwhile."""
        task = asyncio.get_running_loop().create_task(self.reload())
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)

    async def reload(self) -> None:
        """Read the ring from Redis (creating it if there is none) and apply it."""
        stored = await self._run(lambda redis: redis.lrange(self.name, 0, -1))
        if stored == []:
            stored = await self._create()
        if stored:
            self.apply(serving_order(stored))

    def apply(self, keys: list[bytes]) -> None:
        if not keys or keys == self.keys:
            return
        self.keys = keys
        for server in self.servers:
            server.set_ticket_keys(keys)
        log.info("ticket keys applied: %s", ", ".join(key[:16].hex() for key in keys))

    # -- rotating -------------------------------------------------------------------------

    async def _create(self) -> list[bytes] | None:
        """The first server of a fleet makes ``[next, current]``; the others get it from
        the message the maker publishes."""
        async with self._locked() as held:
            if held:
                stored = await self._run(lambda redis: redis.lrange(self.name, 0, -1))
                if stored == []:
                    await self._push(os.urandom(KEY_LENGTH), os.urandom(KEY_LENGTH))
        result: list[bytes] | None = await self._run(
            lambda redis: redis.lrange(self.name, 0, -1))
        return result

    async def rotate(self, *, if_older_than: float | None = None) -> bool:
        """Rotate now (one process at a time); False if another process holds the lock,
        Redis did not answer, or the last rotation is younger than ``if_older_than``
        seconds (checked under the lock, so a schedule shared by many servers rotates
        once)."""
        async with self._locked() as held:
            if not held or (if_older_than is not None
                            and await self._age() < if_older_than):
                return False
            length = await self._run(lambda redis: redis.llen(self.name))
            if length is None:
                return False
            count = 2 if length == 0 else 1  # an empty ring gets its current key too
            return await self._push(*(os.urandom(KEY_LENGTH) for _ in range(count)))

    async def _age(self) -> float:
        """Seconds since the last rotation (0 if unknown: no reason to rotate)."""
        rotated = await self._run(lambda redis: redis.get(self.name + ":rotated"))
        return time.time() - float(rotated) if rotated is not None else 0.0

    async def _push(self, *new: bytes) -> bool:
        name, keep = self.name, self.keep

        async def transaction(redis: Any) -> Any:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.lpush(name, *new).ltrim(name, 0, keep).set(name + ":rotated", time.time())
                pipe.publish(name, b"rotated")
                return await pipe.execute()

        return await self._run(transaction) is not None

    @contextlib.asynccontextmanager
    async def _locked(self) -> Any:
        token = secrets.token_hex(16)
        lock = self.name + ":lock"
        held = await self._run(lambda redis: redis.set(lock, token, nx=True,
                                                           px=LOCK_EXPIRY_MS))
        try:
            yield bool(held)
        finally:
            if held:
                await self._run(lambda redis: redis.eval(_RELEASE, 1, lock, token))

    async def _rotate_on_time(self) -> None:
        every = self.rotate_every
        assert every is not None
        while True:
            age = await self._age()
            if age >= every and await self.rotate(if_older_than=every):
                age = 0.0
            await asyncio.sleep(max(every - age, 0.05))

    async def _run(self, command: Callable[[Any], Awaitable[T]]) -> T | None:
        return await self.link.run(command, timeout=max(self.link.timeout, RING_TIMEOUT))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
