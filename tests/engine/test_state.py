"""The lifecycle table: every allowed move works, every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from nodetls.engine import ConnectionState, IllegalTransition
from nodetls.engine.state import TERMINAL_STATES, transition

S = ConnectionState

ALLOWED = {
    (S.NEW, S.HANDSHAKING), (S.NEW, S.CLOSED), (S.NEW, S.FAILED),
    (S.HANDSHAKING, S.HELLO_PAUSED), (S.HANDSHAKING, S.CERT_PAUSED), (S.HANDSHAKING, S.OPEN),
    (S.HANDSHAKING, S.CLOSED), (S.HANDSHAKING, S.FAILED),
    (S.HELLO_PAUSED, S.HANDSHAKING), (S.HELLO_PAUSED, S.CLOSED), (S.HELLO_PAUSED, S.FAILED),
    (S.CERT_PAUSED, S.HANDSHAKING), (S.CERT_PAUSED, S.CLOSED), (S.CERT_PAUSED, S.FAILED),
    (S.OPEN, S.SENT_CLOSE), (S.OPEN, S.RECEIVED_CLOSE), (S.OPEN, S.CLOSED), (S.OPEN, S.FAILED),
    (S.SENT_CLOSE, S.CLOSED), (S.SENT_CLOSE, S.FAILED),
    (S.RECEIVED_CLOSE, S.CLOSED), (S.RECEIVED_CLOSE, S.FAILED),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(S, S)))
def test_transition_table(old: ConnectionState, new: ConnectionState) -> None:
    if old is new or (old, new) in ALLOWED:
        assert transition(old, new) is new
    else:
        with pytest.raises(IllegalTransition):
            transition(old, new)


def test_terminal_states_have_no_exit() -> None:
    assert {S.CLOSED, S.FAILED} == TERMINAL_STATES
    for old, new in itertools.product(TERMINAL_STATES, S):
        if new is not old:
            with pytest.raises(IllegalTransition):
                transition(old, new)
