r"""The TLS lifecycle of one ``TLSSocket``: one ``Enum``, one transition table.

Theory of operation
-------------------
Node's ``lib/_tls_wrap.js`` spreads a socket's TLS phase over ``_secureEstablished``,
``_securePending``, ``secureConnecting``, ``_hadError`` and ``_controlReleased``.  Here
they are one ``TLSState``, and every change is a ``Trigger`` looked up in ``_TABLE``
(``(state, trigger) -> state``); a pair the table does not list is a bug, raised as
``IllegalTransition``.  The diagram, drawn from the table::

                  NEW_SESSION                 HANDSHAKE_DONE
    HANDSHAKING --------------> SESSION_HELD --------------> AWAITING_SESSION
        |       <--------------                                     |
        |         SESSION_DONE                                      | SESSION_DONE
        |  HANDSHAKE_DONE                                           |
        +--------------------------> SECURE <-----------------------+
                                      |    \
                             ANNOUNCE |     \ TLS_ERROR
                                      v      v
                               CONNECTED    SECURE_ERRORED
                                      |      |
                            TLS_ERROR |      | ANNOUNCE
                                      v      v
                                 CONNECTED_ERRORED

    HANDSHAKING, SESSION_HELD, AWAITING_SESSION --TLS_ERROR--> FAILED

  Self-loops: HANDSHAKE_DONE (a renegotiation) in the four states after SECURE,
  ANNOUNCE in the announced two, NEW_SESSION (another ticket) in every state but
  HANDSHAKING, SESSION_DONE in HANDSHAKING, FAILED and the states after SECURE.

* HANDSHAKING: the handshake runs; a server that emitted ``'newSession'`` waits for its
  ``done`` in SESSION_HELD (the engine holds the output), and when the handshake
  finishes first, in AWAITING_SESSION (Node's ``_securePending``).
* SECURE: the handshake is done and ``'secure'`` emitted; whoever made the socket is
  authorizing the peer (``tls.connect`` may await an ``async`` identity check).  A bare
  ``TLSSocket`` or a ``SecurePair`` stays here.
* CONNECTED: ``'secureConnect'`` / ``'secureConnection'`` was emitted (``ANNOUNCE``):
  ``secure_connecting`` is False, and a server socket's errors are its own from now on.
* FAILED: a TLS error before the handshake finished (the socket was destroyed with it);
  SECURE_ERRORED and CONNECTED_ERRORED: one after it, emitted as ``'error'``.  Only the
  first TLS error counts (Node's ``_hadError``): in the three error states later ones
  are dropped.  Renegotiations finish with HANDSHAKE_DONE in place.

Who gets a TLS error (Node's ``_controlReleased``) follows from the state and one fact
given at construction: ``tls.connect`` sockets own their errors from the start, the
others once CONNECTED; before that the server hears of the first one only
(``'tlsClientError'``, Node's ``kErrorEmitted``).  The handshake timeout (ms) is armed
here too: it can fire once, before the handshake finishes.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ANNOUNCED_STATES", "ERROR_STATES", "HANDSHAKE_STATES", "IllegalTransition",
           "Lifecycle", "TLSState", "Trigger"]


class TLSState(Enum):
    HANDSHAKING = "handshaking"
    SESSION_HELD = "session-held"  # 'newSession' emitted, its done() pending
    AWAITING_SESSION = "awaiting-session"  # handshake done, done() still pending
    SECURE = "secure"  # 'secure' emitted, the peer being authorized
    CONNECTED = "connected"  # 'secureConnect' / 'secureConnection' emitted
    FAILED = "failed"  # a TLS error before the handshake finished
    SECURE_ERRORED = "secure-errored"  # SECURE, and a TLS error was emitted
    CONNECTED_ERRORED = "connected-errored"  # CONNECTED, and a TLS error was emitted

    # Identity hashing in C: a table lookup per transition, several per connection.
    __hash__ = object.__hash__


class Trigger(Enum):
    NEW_SESSION = "new-session"  # a server emitted 'newSession'
    SESSION_DONE = "session-done"  # its done() was called
    HANDSHAKE_DONE = "handshake-done"  # the engine finished a handshake
    ANNOUNCE = "announce"  # 'secureConnect' / 'secureConnection'
    TLS_ERROR = "tls-error"  # the first TLS error

    # Identity hashing in C: a table lookup per transition, several per connection.
    __hash__ = object.__hash__


class IllegalTransition(RuntimeError):
    """A lifecycle change the table forbids: a bug in nodetls, never a peer's doing."""


S, T = TLSState, Trigger

_TABLE: dict[tuple[TLSState, Trigger], TLSState] = {
    (S.HANDSHAKING, T.NEW_SESSION): S.SESSION_HELD,
    (S.HANDSHAKING, T.HANDSHAKE_DONE): S.SECURE,
    (S.HANDSHAKING, T.TLS_ERROR): S.FAILED,
    (S.SESSION_HELD, T.NEW_SESSION): S.SESSION_HELD,
    (S.SESSION_HELD, T.SESSION_DONE): S.HANDSHAKING,
    (S.SESSION_HELD, T.HANDSHAKE_DONE): S.AWAITING_SESSION,
    (S.SESSION_HELD, T.TLS_ERROR): S.FAILED,
    (S.AWAITING_SESSION, T.NEW_SESSION): S.AWAITING_SESSION,  # TLS 1.3: tickets
    (S.AWAITING_SESSION, T.SESSION_DONE): S.SECURE,
    (S.AWAITING_SESSION, T.TLS_ERROR): S.FAILED,
    (S.SECURE, T.HANDSHAKE_DONE): S.SECURE,
    (S.SECURE, T.ANNOUNCE): S.CONNECTED,
    (S.SECURE, T.TLS_ERROR): S.SECURE_ERRORED,
    (S.CONNECTED, T.HANDSHAKE_DONE): S.CONNECTED,
    (S.CONNECTED, T.ANNOUNCE): S.CONNECTED,
    (S.CONNECTED, T.TLS_ERROR): S.CONNECTED_ERRORED,
    (S.SECURE_ERRORED, T.HANDSHAKE_DONE): S.SECURE_ERRORED,
    (S.SECURE_ERRORED, T.ANNOUNCE): S.CONNECTED_ERRORED,
    (S.CONNECTED_ERRORED, T.HANDSHAKE_DONE): S.CONNECTED_ERRORED,
    (S.CONNECTED_ERRORED, T.ANNOUNCE): S.CONNECTED_ERRORED,
}
# A session done() or 'newSession' outside a first handshake changes nothing.
for _state in (S.SECURE, S.CONNECTED, S.SECURE_ERRORED, S.CONNECTED_ERRORED, S.FAILED):
    _TABLE[_state, T.NEW_SESSION] = _state
    _TABLE[_state, T.SESSION_DONE] = _state
_TABLE[S.HANDSHAKING, T.SESSION_DONE] = S.HANDSHAKING

#: The handshake has not finished yet (Node: not ``_secureEstablished``).
HANDSHAKE_STATES = frozenset({S.HANDSHAKING, S.SESSION_HELD, S.AWAITING_SESSION})
#: 'secureConnect' / 'secureConnection' was emitted.
ANNOUNCED_STATES = frozenset({S.CONNECTED, S.CONNECTED_ERRORED})

#: The first TLS error was handled: later ones are dropped.
ERROR_STATES = frozenset({S.FAILED, S.SECURE_ERRORED, S.CONNECTED_ERRORED})

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_ANNOUNCE = Trigger.ANNOUNCE
_FAILED = S.FAILED
_HANDSHAKING = TLSState.HANDSHAKING
_TLS_ERROR = Trigger.TLS_ERROR


class Lifecycle:
    """One socket's ``TLSState``, the handshake timeout, and who gets its errors."""

    __slots__ = ("_owns_errors", "_server_told", "handshake_timeout", "state")

    def __init__(self, owns_errors: bool, handshake_timeout: float) -> None:
        self.state = _HANDSHAKING
        # tls.connect: every TLS error is the socket's 'error' from the start.
        self._owns_errors = owns_errors
        #: ms until ERR_TLS_HANDSHAKE_TIMEOUT; 0 once it fired or the handshake finished.
        self.handshake_timeout = handshake_timeout
        # the error the server was told about ('tlsClientError' comes once), if any
        self._server_told: BaseException | None = None

    def fire(self, trigger: Trigger) -> TLSState:
        """Move on ``trigger``; return the state left."""
        old = self.state
        new = _TABLE.get((old, trigger))
        if new is None:
            raise IllegalTransition(f"TLSSocket: {trigger.value} in {old.value}")
        self.state = new
        return old

    def fail(self) -> TLSState | None:
        """The first TLS error: the state it came in, or None when one came before."""
        if self.state in ERROR_STATES:
            return None
        return self.fire(_TLS_ERROR)

    def announce(self) -> bool:
        """``ANNOUNCE``; True the first time (Node's ``_releaseControl`` returning true)."""
        return self.fire(_ANNOUNCE) not in ANNOUNCED_STATES

    @property
    def handshake_done(self) -> bool:
        return self.state not in HANDSHAKE_STATES and self.state is not _FAILED

    @property
    def announced(self) -> bool:
        return self.state in ANNOUNCED_STATES

    @property
    def owns_errors(self) -> bool:
        """TLS errors are the socket's ``'error'``, no longer the server's to hear."""
        return self._owns_errors or self.state in ANNOUNCED_STATES

    @property
    def server_may_hear(self) -> bool:
        """The server has not been told of an error, and errors are still its to hear."""
        return self._server_told is None and not self.owns_errors

    def tell_server(self, err: BaseException) -> bool:
        """True the first time: the server hears of ``err`` (Node's ``kErrorEmitted``)."""
        if self._server_told is not None:
            return False
        self._server_told = err
        return True

    def arm_handshake_timeout(self, ms: float) -> None:
        self.handshake_timeout = ms

    def take_handshake_timeout(self) -> bool:
        """The handshake timer went off: True (once) if it is still the handshake's."""
        if self.handshake_timeout <= 0 or self.state not in HANDSHAKE_STATES:
            return False
        self.handshake_timeout = 0
        return True

    def disarm_handshake_timeout(self) -> bool:
        """The handshake finished: True if its timer is still to be cleared."""
        armed, self.handshake_timeout = self.handshake_timeout > 0, 0
        return armed
