"""The lifecycle of one TLS connection: an ``Enum``, its causes, and one table.

Theory of operation.  A connection is created ``NEW``; the client's ``start()`` or the
server's first bytes make it ``HANDSHAKING``.  A server may stop in the middle of the
handshake for the application (``HELLO_PAUSED`` at the ClientHello, ``CERT_PAUSED`` at
the certificate callback: Node's async ``resumeSession``/``SNICallback``/``OCSPRequest``)
and goes back to ``HANDSHAKING`` when resumed.  ``OPEN`` carries data both ways;
renegotiations happen inside ``OPEN`` (as Node keeps ``established_``).  Closing is
per direction, as TLS allows half-close: ``SENT_CLOSE`` after our close_notify,
``RECEIVED_CLOSE`` after the peer's (or the transport's EOF), ``CLOSED`` when both are
done.  ``FAILED`` is terminal: a fatal alert, a protocol error, or a Python callback
that raised.

What moves the connection is a :class:`Trigger`; :data:`NEXT` maps ``(state, trigger)``
to the next state, and the engine changes state only through :func:`fire`.  A pair the
table does not list is a bug (``IllegalTransition``), never a peer's doing.  Some pairs
map a state to itself on purpose: a renegotiation finishing inside ``OPEN``, an EOF after
the connection is over.  :func:`transition` checks the result against ``_ALLOWED``, the
moves the lifecycle permits at all, so the two tables guard each other (a test checks
that every entry of ``NEXT`` is allowed)::

    NEW --START--> HANDSHAKING --HANDSHAKE_DONE--> OPEN
    HANDSHAKING --CLIENT_HELLO--> HELLO_PAUSED --RESUME--> HANDSHAKING
    HANDSHAKING --CERT_CALLBACK--> CERT_PAUSED --RESUME--> HANDSHAKING
    OPEN --SHUTDOWN--> SENT_CLOSE --CLOSE_NOTIFY/EOF--> CLOSED
    OPEN --CLOSE_NOTIFY/EOF--> RECEIVED_CLOSE --SHUTDOWN--> CLOSED
    NEW/HANDSHAKING/paused --SHUTDOWN/EOF--> CLOSED
    any live state --FAIL/RAISED--> FAILED
"""

from __future__ import annotations

from enum import Enum


class ConnectionState(Enum):
    NEW = "new"
    HANDSHAKING = "handshaking"
    HELLO_PAUSED = "hello-paused"
    CERT_PAUSED = "cert-paused"
    OPEN = "open"
    SENT_CLOSE = "sent-close"
    RECEIVED_CLOSE = "received-close"
    CLOSED = "closed"
    FAILED = "failed"

    # Identity hashing in C: state sets are tested on every receive()/send().
    __hash__ = object.__hash__


S = ConnectionState

_ALLOWED: dict[ConnectionState, frozenset[ConnectionState]] = {
    S.NEW: frozenset({S.HANDSHAKING, S.CLOSED, S.FAILED}),
    S.HANDSHAKING: frozenset({S.HELLO_PAUSED, S.CERT_PAUSED, S.OPEN, S.CLOSED, S.FAILED}),
    S.HELLO_PAUSED: frozenset({S.HANDSHAKING, S.CLOSED, S.FAILED}),
    S.CERT_PAUSED: frozenset({S.HANDSHAKING, S.CLOSED, S.FAILED}),
    S.OPEN: frozenset({S.SENT_CLOSE, S.RECEIVED_CLOSE, S.CLOSED, S.FAILED}),
    S.SENT_CLOSE: frozenset({S.CLOSED, S.FAILED}),
    S.RECEIVED_CLOSE: frozenset({S.CLOSED, S.FAILED}),
    S.CLOSED: frozenset(),
    S.FAILED: frozenset(),
}

#: States in which the handshake has not finished yet.
HANDSHAKE_STATES = frozenset({S.NEW, S.HANDSHAKING, S.HELLO_PAUSED, S.CERT_PAUSED})
#: States in which application data may still be written.
WRITABLE_STATES = frozenset({S.OPEN, S.RECEIVED_CLOSE})
#: States in which incoming records are still processed.
READABLE_STATES = frozenset({S.HANDSHAKING, S.OPEN, S.SENT_CLOSE})
#: States after which nothing more can happen.
TERMINAL_STATES = frozenset({S.CLOSED, S.FAILED})


class Trigger(Enum):
    """What happened to the connection (the cause of every state change)."""

    START = "start"  # a client's start(), a server's first bytes
    CLIENT_HELLO = "client-hello"  # a server's hello callback pauses for the application
    CERT_CALLBACK = "cert-callback"  # a server's certificate callback pauses likewise
    RESUME = "resume"  # the application answered a pause
    HANDSHAKE_DONE = "handshake-done"  # the first handshake or a renegotiation finished
    CLOSE_NOTIFY = "close-notify"  # the peer's close_notify was read
    EOF = "eof"  # the transport will deliver no more bytes
    SHUTDOWN = "shutdown"  # our close_notify went out (or, before the handshake, gave up)
    FAIL = "fail"  # a fatal TLS error (alert, protocol error)
    RAISED = "raised"  # a Python callback raised inside OpenSSL

    # Identity hashing in C: a table lookup per transition, several per connection.
    __hash__ = object.__hash__


T = Trigger
_LIVE = (S.NEW, S.HANDSHAKING, S.HELLO_PAUSED, S.CERT_PAUSED, S.OPEN, S.SENT_CLOSE,
         S.RECEIVED_CLOSE)

#: ``(state, trigger) -> next state``: every cause of every change.
NEXT: dict[tuple[ConnectionState, Trigger], ConnectionState] = {
    (S.NEW, T.START): S.HANDSHAKING,
    (S.HANDSHAKING, T.CLIENT_HELLO): S.HELLO_PAUSED,
    (S.HANDSHAKING, T.CERT_CALLBACK): S.CERT_PAUSED,
    (S.HELLO_PAUSED, T.RESUME): S.HANDSHAKING,
    (S.CERT_PAUSED, T.RESUME): S.HANDSHAKING,
    (S.HANDSHAKING, T.HANDSHAKE_DONE): S.OPEN,
    # A renegotiation (or a late callback) finishing later changes nothing.
    **{(s, T.HANDSHAKE_DONE): s for s in (S.OPEN, S.SENT_CLOSE, S.RECEIVED_CLOSE,
                                          S.CLOSED, S.FAILED)},
    (S.HANDSHAKING, T.CLOSE_NOTIFY): S.CLOSED,
    (S.OPEN, T.CLOSE_NOTIFY): S.RECEIVED_CLOSE,
    (S.SENT_CLOSE, T.CLOSE_NOTIFY): S.CLOSED,
    **{(s, T.EOF): S.CLOSED for s in HANDSHAKE_STATES | {S.SENT_CLOSE}},
    (S.OPEN, T.EOF): S.RECEIVED_CLOSE,
    **{(s, T.EOF): s for s in (S.RECEIVED_CLOSE, S.CLOSED, S.FAILED)},  # already over
    **{(s, T.SHUTDOWN): S.CLOSED for s in HANDSHAKE_STATES},  # nothing to close yet
    (S.OPEN, T.SHUTDOWN): S.SENT_CLOSE,
    (S.RECEIVED_CLOSE, T.SHUTDOWN): S.CLOSED,
    **{(s, T.FAIL): S.FAILED for s in _LIVE},
    **{(s, T.RAISED): S.FAILED for s in _LIVE},
    **{(s, T.RAISED): s for s in TERMINAL_STATES},  # the end is already decided
}


class IllegalTransition(RuntimeError):
    """A state change the table forbids: a bug in the engine, never a peer's doing."""


def transition(current: ConnectionState, new: ConnectionState) -> ConnectionState:
    """Return ``new`` if moving there from ``current`` is allowed, else raise."""
    if new is current:
        return current
    if new not in _ALLOWED[current]:
        raise IllegalTransition(f"{current.value} -> {new.value}")
    return new


def fire(current: ConnectionState, trigger: Trigger) -> ConnectionState:
    """The state after ``trigger`` in ``current`` (:data:`NEXT`), else raise."""
    new = NEXT.get((current, trigger))
    if new is None:
        raise IllegalTransition(f"{trigger.value} while {current.value}")
    return transition(current, new)
