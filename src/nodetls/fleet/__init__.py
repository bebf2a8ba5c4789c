"""``nodetls.fleet``: many server processes and machines serving as one.

Resumption across a fleet needs every process to decrypt every ticket and find every
session id, and keys that rotate without a wave of full handshakes.  Node leaves this
to the application; here it is a few small objects on top of the public ``nodetls``
API (this package imports nothing else of nodetls):

* ``RedisLink``: a connection to Redis whose every use during a handshake is bounded
  (50 ms by default); an outage is logged once, costs full handshakes, never a failed
  or stalled one, and ends by itself when Redis returns.
* ``RedisSessionStore``: ``'newSession'``/``'resumeSession'`` answered from Redis
  (session-id resumption, TLS 1.2 and TLS 1.3 stateful).
* ``RedisTicketRing``: the fleet's ticket keys as a ring in Redis, rotated by one
  process at a time and applied by every server within a second.
* ``run_workers`` / ``serve_worker`` / ``Worker``: N processes on one port
  (``SO_REUSEPORT``), sharing ticket keys, restarted when they die, stopped by SIGTERM
  within a deadline; ``serve_until_stopped`` is the same for one process.

The Redis parts need ``pip install 'nodetls[redis]'`` (``redis.asyncio``, imported
when a ``RedisLink`` is made).
"""

from nodetls.fleet.graceful import DEFAULT_DEADLINE, ConnectionTracker, serve_until_stopped
from nodetls.fleet.redis_link import LinkState, RedisLink
from nodetls.fleet.session_store import RedisSessionStore
from nodetls.fleet.ticket_ring import RedisTicketRing
from nodetls.fleet.workers import Worker, WorkerMain, run_workers, serve_worker

__all__ = [
    "DEFAULT_DEADLINE",
    "ConnectionTracker",
    "LinkState",
    "RedisLink",
    "RedisSessionStore",
    "RedisTicketRing",
    "Worker",
    "WorkerMain",
    "run_workers",
    "serve_until_stopped",
    "serve_worker",
]
