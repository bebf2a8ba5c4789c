"""``RedisLink``: one process's connection to the fleet's Redis, with bounded waits.

Theory of operation.  Everything the fleet asks Redis during a handshake goes through
``RedisLink.run``, which answers within ``timeout`` seconds (default 50 ms) whatever
Redis does: a reply, or ``None`` when Redis is slow, unreachable or failing.  A failure
moves the link from ``UP`` to ``DOWN`` and is logged once; while ``DOWN`` no handshake
waits for Redis at all (``run`` answers ``None`` at once, so connections get a full
handshake), and one background probe pings Redis every ``probe_every`` seconds until it
answers, which moves the link back to ``UP`` (logged once too) and tells the
subscribers given to ``on_recover`` (the ticket ring re-reads its keys then).

``redis.asyncio`` (``pip install 'nodetls[redis]'``) is imported when the first link
is made, so ``nodetls.fleet`` itself imports without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

__all__ = ["LinkState", "RedisLink", "redis_module"]

log = logging.getLogger("nodetls.fleet")

DEFAULT_TIMEOUT: Final = 0.05
DEFAULT_PROBE_EVERY: Final = 1.0

T = TypeVar("T")


def redis_module() -> Any:
    """``redis.asyncio``, or a clear error naming the extra that installs it."""
    try:
        return importlib.import_module("redis.asyncio")
    except ImportError as err:
        raise ImportError("nodetls.fleet needs redis-py: pip install 'nodetls[redis]'") from err


class LinkState(enum.Enum):
    UP = "up"  # commands go to Redis, each bounded by the timeout
    DOWN = "down"  # commands answer None at once; a probe waits for Redis to return


class RedisLink:
    """A Redis client (``redis.asyncio.Redis.from_url(url)``) used with bounded waits."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT,
                 probe_every: float = DEFAULT_PROBE_EVERY) -> None:
        redis = redis_module()
        no_retries = importlib.import_module("redis.asyncio.retry").Retry(
            importlib.import_module("redis.backoff").NoBackoff(), 0)
        self.url = url
        self.timeout = timeout
        self.probe_every = probe_every
        # No retries inside redis-py: a retry is a wait the handshake would pay for.
        # The sockets' own timeouts are a backstop; asyncio.timeout in run() is the bound.
        self.client: Any = redis.Redis.from_url(
            url, socket_connect_timeout=max(timeout, 1.0), socket_timeout=max(timeout, 1.0),
            retry_on_timeout=False, retry=no_retries)
        self.state = LinkState.UP
        self._probe: asyncio.Task[None] | None = None
        self._recover_listeners: list[Callable[[], object]] = []

    async def run(self, command: Callable[[Any], Awaitable[T]], *,
                  timeout: float | None = None) -> T | None:
        """``command(client)``'s result, or ``None`` if Redis did not answer within
        ``timeout`` (the link's bound by default: what a handshake may wait)."""
        if self.state is LinkState.DOWN:
            return None
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                return await command(self.client)
        except (TimeoutError, OSError, self.errors()) as err:
            self.failed(err)
            return None

    def subscriber(self) -> Any:
        """A second client for pub/sub: it blocks on reads, so it has no read timeout
        (it pings every few seconds instead, to notice a dead connection)."""
        return redis_module().Redis.from_url(
            self.url, socket_connect_timeout=max(self.timeout, 1.0), health_check_interval=5)

    def failed(self, err: BaseException) -> None:
        """Redis failed: log it once, stop asking, probe until it answers again."""
        if self.state is LinkState.DOWN:
            return
        self.state = LinkState.DOWN
        log.warning("Redis at %s unreachable (%s: %s): full handshakes until it returns",
                    self.url, type(err).__name__, err)
        self._probe = asyncio.get_running_loop().create_task(self._probe_until_up())

    def on_recover(self, listener: Callable[[], object]) -> None:
        self._recover_listeners.append(listener)

    async def _probe_until_up(self) -> None:
        while True:
            await asyncio.sleep(self.probe_every)
            with contextlib.suppress(TimeoutError, OSError, self.errors()):
                async with asyncio.timeout(max(self.timeout, 1.0)):
                    await self.client.ping()
                break
        self.state = LinkState.UP
        self._probe = None
        log.warning("Redis at %s reachable again", self.url)
        for listener in self._recover_listeners:
            listener()

    @staticmethod
    def errors() -> type[Exception]:
        error: type[Exception] = redis_module().RedisError
        return error

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self.client.aclose()
