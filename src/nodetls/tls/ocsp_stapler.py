"""``OCSPStapler``: staple a real, fresh OCSP response for the server's certificate.

Theory of operation.  Node emits ``'OCSPRequest'(cert, issuer, cb)`` when a client asks
for stapling and leaves fetching the response to the application.  This helper does it:

    stapler = OCSPStapler(cert_pem, issuer_pem)
    await stapler.start()                     # first fetch, then background refresh
    server.on('OCSPRequest', stapler.listener)
    ...
    stapler.close()

* **Fetch.**  The request for (cert, issuer) is built once (no nonce, so it never changes)
  and POSTed to the responder named in the certificate's AIA extension (or
  ``responder_url``), trying each URL in order.  The answer is accepted only if
  ``engine.ocsp.parse_response`` verifies it: successful, signed by the issuer or its
  delegated responder, about exactly this certificate, and current.  A valid *revoked*
  or *unknown* answer is stapled too (it is the truth, signed), with a warning logged.
* **Cache.**  A response is served while ``now < nextUpdate`` (or, without a nextUpdate,
  for ``ttl_without_next_update`` after it was fetched).  It is due for refresh
  ``refresh_margin`` before nextUpdate, but never before half of its remaining life has
  passed, so short-lived responses do not cause a fetch storm.  An older response
  never replaces a newer one.
* **Refresh.**  After ``start()``, one background task sleeps until the cached response
  is due and refreshes it.  Failures back off exponentially from ``retry_initial`` to
  ``retry_max`` seconds; the backoff is shared by every trigger (the background task,
  ``get_response()``, handshakes), so a dead responder is never hammered.  Refreshes
  are single-flight: concurrent triggers await the same fetch.
* **Handshakes never block on the network (the policy).**  The listener answers at once
  from the cache.  With nothing servable it starts a fetch and answers ``cb(None, None)``
  (no staple) immediately, unless ``handshake_wait`` > 0: then it waits for that fetch at
  most that many seconds.  The default is 0: a client that asked for stapling before the
  first response arrived gets none, rather than a slow handshake.  (``get_response()``,
  for code that is not in a handshake, does wait for a due refresh.)
* **Time.**  ``clock`` (an aware ``datetime`` source) is the only wall clock used, for
  validity and scheduling; tests inject it.  Sleeps are asyncio's and are capped at
  ``_MAX_SLEEP`` so a wall-clock jump (suspend, resume) is noticed.

The scheduling rules are pure functions at the top (``cache_entry``, ``is_servable``,
``is_due``, ``retry_delay``, ``newer``) so tests can check them without I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from nodetls.engine.ocsp import (
    OCSPError,
    OCSPResponseInfo,
    build_request,
    certificates_der,
    issued_by,
    parse_response,
    responder_urls,
)
from nodetls.tls.ocsp_http import OCSPFetchError, post_ocsp_request

__all__ = [
    "CachedResponse",
    "OCSPStapler",
    "RefreshPolicy",
    "cache_entry",
    "combined_listener",
    "is_due",
    "is_servable",
    "newer",
    "retry_delay",
]

log = logging.getLogger("nodetls.tls.ocsp")

Clock = Callable[[], datetime]
Fetch = Callable[[str, bytes, float], Awaitable[bytes]]
OCSPCallback = Callable[[BaseException | None, bytes | None], Any]
Listener = Callable[[bytes, bytes | None, OCSPCallback], None]

_MAX_SLEEP = 3600.0


# -- the rules, as pure functions ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RefreshPolicy:
    """Timing knobs, in seconds (all > 0: zero would let the refresher spin)."""

    refresh_margin: float = 3600.0
    min_refresh_interval: float = 10.0
    ttl_without_next_update: float = 3600.0
    retry_initial: float = 2.0
    retry_max: float = 300.0

    def __post_init__(self) -> None:
        for name in self.__slots__:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, not {getattr(self, name)!r}")


@dataclass(frozen=True, slots=True)
class CachedResponse:
    info: OCSPResponseInfo
    fetched_at: datetime
    refresh_at: datetime  # when to fetch a newer one
    expires_at: datetime  # when to stop serving this one


def cache_entry(
    info: OCSPResponseInfo, fetched_at: datetime, policy: RefreshPolicy
) -> CachedResponse:
    """The cache record for ``info`` fetched at ``fetched_at``: when to refresh, expire."""
    if info.next_update is None:
        expires = fetched_at + timedelta(seconds=policy.ttl_without_next_update)
    else:
        expires = info.next_update
    halfway = fetched_at + (expires - fetched_at) / 2
    refresh = max(
        expires - timedelta(seconds=policy.refresh_margin),
        halfway,
        # The floor that keeps a responder handing out short-lived answers from being
        # asked in a loop; such an answer may then expire before the next fetch.
        fetched_at + timedelta(seconds=policy.min_refresh_interval),
    )
    return CachedResponse(info, fetched_at, refresh, expires)


def is_servable(entry: CachedResponse | None, now: datetime) -> bool:
    return entry is not None and now < entry.expires_at


def is_due(entry: CachedResponse | None, now: datetime) -> bool:
    return entry is None or now >= entry.refresh_at


def retry_delay(failures: int, policy: RefreshPolicy) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1, 2, ...)."""
    exponent = min(max(failures - 1, 0), 32)  # 2**32 * anything > retry_max: no overflow
    return float(min(policy.retry_initial * 2**exponent, policy.retry_max))


def newer(current: CachedResponse | None, candidate: CachedResponse) -> CachedResponse:
    """Keep whichever response was produced later (a cache may replay an older one)."""
    if current is not None and candidate.info.this_update < current.info.this_update:
        return current
    return candidate


# -- the stapler --------------------------------------------------------------


class StaplerState(Enum):
    NEW = "new"
    RUNNING = "running"
    CLOSED = "closed"


_TRANSITIONS = {
    (StaplerState.NEW, StaplerState.RUNNING),
    (StaplerState.NEW, StaplerState.CLOSED),
    (StaplerState.RUNNING, StaplerState.CLOSED),
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _default_fetch(url: str, body: bytes, timeout: float) -> bytes:
    return await post_ocsp_request(url, body, timeout=timeout)


class OCSPStapler:
    """Fetches, verifies, caches and serves the OCSP response for one certificate.

    Attributes:
        last_error: why the last fetch failed (``OCSPFetchError`` or ``OCSPError``,
            both with ``.code``), or None after a success.
    """

    def __init__(
        self,
        cert: bytes | str,
        issuer: bytes | str | None = None,
        *,
        responder_url: str | None = None,
        refresh_margin: float = 3600.0,
        min_refresh_interval: float = 10.0,
        handshake_wait: float = 0.0,
        fetch_timeout: float = 10.0,
        retry_initial: float = 2.0,
        retry_max: float = 300.0,
        ttl_without_next_update: float = 3600.0,
        max_skew: float = 300.0,
        clock: Clock | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        """``cert``/``issuer``: PEM or DER; by default the issuer is found in a PEM chain.

        Times are in seconds.  ``fetch(url, body, timeout)`` replaces the HTTP POST
        (a test seam); ``clock`` returns an aware UTC ``datetime``.  Raises ``OCSPError``
        at once if the pair is unusable or no responder URL is known.
        """
        self._cert, self._issuer = _cert_and_issuer(cert, issuer)
        self._request = build_request(self._cert, self._issuer)  # also checks the pair
        self._urls = (responder_url,) if responder_url else responder_urls(self._cert)
        if not self._urls:
            raise OCSPError("ERR_OCSP_NO_RESPONDER", "the certificate names no OCSP responder")
        self._policy = RefreshPolicy(
            refresh_margin, min_refresh_interval, ttl_without_next_update,
            retry_initial, retry_max,
        )
        if not (fetch_timeout > 0 and handshake_wait >= 0 and max_skew >= 0):
            raise ValueError("fetch_timeout must be > 0, handshake_wait and max_skew >= 0")
        self._handshake_wait = handshake_wait
        self._fetch_timeout = fetch_timeout
        self._max_skew = timedelta(seconds=max_skew)
        self._clock = clock or _utc_now
        self._fetch = fetch or _default_fetch
        self._state = StaplerState.NEW
        self._entry: CachedResponse | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._inflight: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._waiters: dict[asyncio.Task[None], _Answer] = {}  # handshakes waiting
        self.last_error: BaseException | None = None

    # -- public API --

    @property
    def state(self) -> StaplerState:
        return self._state

    @property
    def cert(self) -> bytes:
        """DER of the certificate this stapler answers for."""
        return self._cert

    @property
    def responder_urls(self) -> tuple[str, ...]:
        return self._urls

    @property
    def info(self) -> OCSPResponseInfo | None:
        """The cached response if it may still be served, else None."""
        entry = self._entry
        return entry.info if entry is not None and is_servable(entry, self._clock()) else None

    async def start(self) -> None:
        """Fetch a first response (failure is logged, not raised), then keep it fresh."""
        self._transition(StaplerState.RUNNING)
        await self._refresh()
        if self._state is StaplerState.RUNNING:  # close() may have come meanwhile
            self._runner = asyncio.get_running_loop().create_task(self._run())

    def close(self) -> None:
        """Stop refreshing; pending handshakes are answered with no staple."""
        if self._state is StaplerState.CLOSED:
            return
        self._transition(StaplerState.CLOSED)
        # Answer waiting handshakes here: a waiter task cancelled before it first ran
        # would never reach its own answer.
        for answer in self._waiters.values():
            answer(None)
        for task in (self._runner, self._inflight, *self._waiters):
            if task is not None:
                task.cancel()

    async def wait_closed(self) -> None:
        tasks = [t for t in (self._runner, self._inflight, *self._waiters) if t is not None]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def get_response(self) -> bytes | None:
        """The freshest DER to staple, or None.

        Unlike the listener this may wait: if the cached response is due for refresh
        (and the backoff allows), one fetch is awaited first (bounded by
        ``fetch_timeout``); if it fails, a still-servable older response is returned.
        """
        if self._state is StaplerState.CLOSED:
            return None
        await self._refresh()
        return self._servable_der()

    def listener(self, cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> None:
        """The ``'OCSPRequest'`` listener: ``cb(None, der_or_None)``, now or shortly."""
        if self._state is StaplerState.CLOSED or bytes(cert) != self._cert:
            cb(None, None)  # not ours (another SNI context's certificate), or shut down
            return
        self._refresh_if_due()
        der = self._servable_der()
        if der is not None or self._inflight is None or self._handshake_wait <= 0:
            cb(None, der)
            return
        answer = _Answer(cb)
        waiter = asyncio.get_running_loop().create_task(self._answer_later(answer))
        self._waiters[waiter] = answer
        waiter.add_done_callback(self._forget_waiter)

    # -- internals --

    def _transition(self, new: StaplerState) -> None:
        if (self._state, new) not in _TRANSITIONS:
            raise RuntimeError(f"OCSPStapler cannot go from {self._state.value} to {new.value}")
        self._state = new

    def _servable_der(self) -> bytes | None:
        entry = self._entry
        return entry.info.der if entry is not None and is_servable(entry, self._clock()) else None

    def _refresh_if_due(self) -> None:
        """Start a fetch if the cache is due and the backoff allows one (single-flight)."""
        now = self._clock()
        if self._inflight is not None or not is_due(self._entry, now):
            return
        if self._retry_at is not None and now < self._retry_at:
            return
        self._inflight = asyncio.get_running_loop().create_task(self._fetch_and_store())
        self._inflight.add_done_callback(self._clear_inflight)

    def _clear_inflight(self, task: asyncio.Task[None]) -> None:
        if self._inflight is task:
            self._inflight = None

    async def _refresh(self) -> None:
        self._refresh_if_due()
        await self._await_inflight()

    async def _await_inflight(self) -> None:
        """Wait for the shared fetch; its cancellation by close() is not ours to raise."""
        task = self._inflight
        if task is None:
            return
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise

    async def _fetch_and_store(self) -> None:
        try:
            info = await self._fetch_valid()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure only means: no new staple this time
            self._record_failure(exc)
            return
        now = self._clock()
        entry = cache_entry(info, now, self._policy)
        # Both checks count as failures so that the backoff applies: otherwise a
        # responder replaying an expired or older answer would be asked in a loop.
        if not is_servable(entry, now):
            self._record_failure(OCSPError("ERR_OCSP_EXPIRED", "response already expired"))
            return
        if newer(self._entry, entry) is not entry:
            self._record_failure(OCSPError("ERR_OCSP_STALE", "older than the cached response"))
            return
        self._failures, self._retry_at, self.last_error = 0, None, None
        self._entry = entry
        if info.cert_status != "good":
            log.warning("OCSP responder says the certificate is %s", info.cert_status)

    async def _fetch_valid(self) -> OCSPResponseInfo:
        """The first verified response from the responder URLs, in order."""
        error: BaseException | None = None
        for url in self._urls:
            try:
                der = await self._fetch(url, self._request, self._fetch_timeout)
                return parse_response(
                    der, self._cert, self._issuer, now=self._clock(), max_skew=self._max_skew
                )
            except (OCSPFetchError, OCSPError) as exc:
                log.info("OCSP fetch from %s failed: %s", url, exc)
                error = exc
        assert error is not None  # _urls is never empty
        raise error

    def _record_failure(self, exc: BaseException) -> None:
        self._failures += 1
        self.last_error = exc
        delay = retry_delay(self._failures, self._policy)
        self._retry_at = self._clock() + timedelta(seconds=delay)
        log.warning("no OCSP response (attempt %d, next in %.0fs): %s", self._failures, delay, exc)

    async def _run(self) -> None:
        """The background refresher: sleep until due (or until the backoff ends), fetch."""
        while True:
            await self._refresh()
            await asyncio.sleep(self._seconds_until_next_attempt())

    def _seconds_until_next_attempt(self) -> float:
        now = self._clock()
        wake = self._entry.refresh_at if self._entry is not None else now
        if self._retry_at is not None:
            wake = max(wake, self._retry_at)
        return min(max((wake - now).total_seconds(), 0.0), _MAX_SLEEP)

    async def _answer_later(self, answer: _Answer) -> None:
        der: bytes | None = None
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._await_inflight(), self._handshake_wait)
            der = self._servable_der()
        finally:  # whatever happened, the handshake must not wait for ever
            answer(der)

    def _forget_waiter(self, task: asyncio.Task[None]) -> None:
        self._waiters.pop(task, None)


class _Answer:
    """A listener's ``cb``, called once; errors go to the loop's exception handler.

    Called from a task, so an exception (the socket was destroyed meanwhile) has no
    caller to reach; the loop's handler is where asyncio reports such errors.
    """

    __slots__ = ("_cb",)

    def __init__(self, cb: OCSPCallback) -> None:
        self._cb: OCSPCallback | None = cb

    def __call__(self, der: bytes | None) -> None:
        cb, self._cb = self._cb, None
        if cb is None:
            return
        try:
            cb(None, der)
        except Exception as exc:
            asyncio.get_running_loop().call_exception_handler(
                {"message": "OCSPRequest callback failed", "exception": exc}
            )


def combined_listener(*staplers: OCSPStapler) -> Listener:
    """One ``'OCSPRequest'`` listener for several certificates (SNI contexts, RSA+ECDSA).

    Registering several staplers' listeners would call ``cb`` several times
    (``ERR_MULTIPLE_CALLBACK``); this one dispatches on the certificate instead.
    """
    by_cert = {stapler.cert: stapler for stapler in staplers}

    def listener(cert: bytes, issuer: bytes | None, cb: OCSPCallback) -> None:
        stapler = by_cert.get(bytes(cert))
        if stapler is None:
            cb(None, None)
        else:
            stapler.listener(cert, issuer, cb)

    return listener


def _cert_and_issuer(cert: bytes | str, issuer: bytes | str | None) -> tuple[bytes, bytes]:
    chain = certificates_der(cert)
    if issuer is not None:
        return chain[0], certificates_der(issuer)[0]
    for candidate in chain[1:]:
        if issued_by(chain[0], candidate):
            return chain[0], candidate
    raise OCSPError("ERR_OCSP_NO_ISSUER", "no issuer given and none found in the cert chain")
