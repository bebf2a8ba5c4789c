"""OpenSSL's own session-id cache of one ``SSL_CTX``: ``InternalSessionCache``.

Theory of operation
-------------------
Node keeps no server-side cache inside OpenSSL: a context's cache mode is
``CLIENT|SERVER|NO_INTERNAL|NO_AUTO_CLEAR`` (``NODE_CACHE_MODE``, set by
``NativeSecureContext`` at construction) and the application's ``newSession`` /
``resumeSession`` events are the cache.  Beyond Node, ``set_size(n)`` turns on OpenSSL's
internal, bounded cache (mode ``CLIENT|SERVER``: OpenSSL stores and looks up sessions
itself, and drops expired ones every 255 handshakes); size 0 keeps none, as Node.
``use(False)`` suspends it while the application answers the session events (OpenSSL looks
in its cache before asking the get-session callback); ``use(True)`` resumes it.  The mode
is only written to the ``SSL_CTX`` when it changes.
"""

from __future__ import annotations

from nodetls._openssl import CData, lib

__all__ = ["NODE_CACHE_MODE", "InternalSessionCache"]

NODE_CACHE_MODE = (lib.SSL_SESS_CACHE_CLIENT | lib.SSL_SESS_CACHE_SERVER
                   | lib.SSL_SESS_CACHE_NO_INTERNAL | lib.SSL_SESS_CACHE_NO_AUTO_CLEAR)
_INTERNAL_CACHE_MODE = lib.SSL_SESS_CACHE_CLIENT | lib.SSL_SESS_CACHE_SERVER


class InternalSessionCache:
    """Size and on/off switch of the internal session cache of ``ctx``."""

    __slots__ = ("_ctx", "_on", "_size")

    def __init__(self, ctx: CData) -> None:
        self._ctx = ctx
        self._size = 0
        self._on = False

    def set_size(self, size: int) -> None:
        """Keep up to ``size`` sessions in OpenSSL's own cache; 0 keeps none (Node)."""
        if size < 0:
            raise ValueError(f"session cache size must be >= 0, got {size}")
        self._size = size
        if size:  # OpenSSL reads a size of 0 as "unbounded"; 0 here means no cache
            lib.nodetls_session_cache_set_size(self._ctx, size)
        self.use(True)

    def use(self, enabled: bool) -> None:
        """Off: lookups reach the get-session callback again, nothing is stored."""
        on = enabled and self._size > 0
        if on is not self._on:
            self._on = on
            lib.SSL_CTX_set_session_cache_mode(
                self._ctx, _INTERNAL_CACHE_MODE if on else NODE_CACHE_MODE)

    def stats(self) -> tuple[int, int]:
        """``(entries, hits)``: cached sessions; resumptions not from the get-session callback."""
        hits = lib.SSL_CTX_sess_hits(self._ctx) - lib.SSL_CTX_sess_cb_hits(self._ctx)
        return int(lib.SSL_CTX_sess_number(self._ctx)), int(hits)
