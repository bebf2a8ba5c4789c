"""The lifecycle of one TLS connection, as one ``Enum`` and one transition function.

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

Every change goes through :func:`transition`, which rejects moves the table does not
allow, so an impossible sequence is a loud bug instead of a silent state.
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


class IllegalTransition(RuntimeError):
    """A state change the table forbids: a bug in the engine, never a peer's doing."""


def transition(current: ConnectionState, new: ConnectionState) -> ConnectionState:
    """Return ``new`` if moving there from ``current`` is allowed, else raise."""
    if new is current:
        return current
    if new not in _ALLOWED[current]:
        raise IllegalTransition(f"{current.value} -> {new.value}")
    return new
