"""``RedisSessionStore``: session-id resumption across a fleet, through Node's own hooks.

Theory of operation.  Node's external session cache is two server events: the server
emits ``'newSession'`` with a session's id and data when it makes one, and
``'resumeSession'`` with the id a client offers.  The store answers both from Redis:
``SET nodetls:session:<id hex> <data> EX <lifetime>`` and ``GET`` of the same key, where
``lifetime`` should be the server's ``session_timeout`` (Node's default: 300 s).  This
covers TLS 1.2 session ids and TLS 1.3 stateful resumption (servers with
``SSL_OP_NO_TICKET``); clients with tickets need the ticket ring instead.

Both listeners are ``async def`` returning their answer, so the handshake waits for
them, at most the link's bound (tens of milliseconds): a session Redis cannot store in
time is simply not shared, and a lookup Redis cannot answer in time is a miss, so the
client gets a full handshake (``RedisLink`` logs the outage once).
"""

from __future__ import annotations

from typing import Any, Final

import nodetls as tls
from nodetls.fleet.redis_link import RedisLink

__all__ = ["DEFAULT_SESSION_LIFETIME", "RedisSessionStore"]

DEFAULT_SESSION_LIFETIME: Final = 300  # Node's default sessionTimeout, seconds


class RedisSessionStore:
    """Answers ``'newSession'``/``'resumeSession'`` of the servers it is attached to."""

    def __init__(self, link: RedisLink, *, lifetime: int = DEFAULT_SESSION_LIFETIME,
                 prefix: str = "nodetls:session:") -> None:
        if lifetime <= 0:
            raise ValueError(f"lifetime must be a positive number of seconds, got {lifetime}")
        self.link = link
        self.lifetime = lifetime
        self.prefix = prefix

    def attach(self, server: tls.Server) -> None:
        """Serve ``server``'s session events from Redis (before it listens)."""
        server.on("newSession", self.new_session)
        server.on("resumeSession", self.resume_session)

    def key(self, session_id: bytes) -> str:
        return self.prefix + session_id.hex()

    # Node's listener shapes; as ``async def`` they answer by returning, not through cb.
    async def new_session(self, session_id: bytes, data: bytes, cb: object = None) -> None:
        key, lifetime = self.key(session_id), self.lifetime
        await self.link.run(lambda redis: redis.set(key, data, ex=lifetime))

    async def resume_session(self, session_id: bytes, cb: object = None) -> bytes | None:
        key = self.key(session_id)
        data: Any = await self.link.run(lambda redis: redis.get(key))
        return data if isinstance(data, bytes) else None
