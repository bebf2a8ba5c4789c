"""The lifecycle tables: every allowed move works, every other one is refused, and every
cause (``(state, trigger) -> state``) is written out and goes through ``fire``."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

import nodetls.engine
from nodetls.engine import ConnectionState, IllegalTransition
from nodetls.engine.state import NEXT, TERMINAL_STATES, Trigger, fire, transition

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


T = Trigger
# Every cause, written out: the lifecycle a reader can check against Node's TLSWrap.
EXPECTED_MOVES = {
    (S.NEW, T.START): S.HANDSHAKING,
    (S.HANDSHAKING, T.CLIENT_HELLO): S.HELLO_PAUSED,
    (S.HANDSHAKING, T.CERT_CALLBACK): S.CERT_PAUSED,
    (S.HELLO_PAUSED, T.RESUME): S.HANDSHAKING,
    (S.CERT_PAUSED, T.RESUME): S.HANDSHAKING,
    (S.HANDSHAKING, T.HANDSHAKE_DONE): S.OPEN,
    (S.HANDSHAKING, T.CLOSE_NOTIFY): S.CLOSED,
    (S.OPEN, T.CLOSE_NOTIFY): S.RECEIVED_CLOSE,
    (S.SENT_CLOSE, T.CLOSE_NOTIFY): S.CLOSED,
    (S.NEW, T.EOF): S.CLOSED,
    (S.HANDSHAKING, T.EOF): S.CLOSED,
    (S.HELLO_PAUSED, T.EOF): S.CLOSED,
    (S.CERT_PAUSED, T.EOF): S.CLOSED,
    (S.SENT_CLOSE, T.EOF): S.CLOSED,
    (S.OPEN, T.EOF): S.RECEIVED_CLOSE,
    (S.NEW, T.SHUTDOWN): S.CLOSED,
    (S.HANDSHAKING, T.SHUTDOWN): S.CLOSED,
    (S.HELLO_PAUSED, T.SHUTDOWN): S.CLOSED,
    (S.CERT_PAUSED, T.SHUTDOWN): S.CLOSED,
    (S.OPEN, T.SHUTDOWN): S.SENT_CLOSE,
    (S.RECEIVED_CLOSE, T.SHUTDOWN): S.CLOSED,
    **{(s, t): S.FAILED for s in S if s not in TERMINAL_STATES for t in (T.FAIL, T.RAISED)},
}
# Causes that leave the state as it is (a renegotiation inside OPEN, an EOF after the end).
EXPECTED_STAYS = {
    *((s, T.HANDSHAKE_DONE) for s in (S.OPEN, S.SENT_CLOSE, S.RECEIVED_CLOSE, S.CLOSED,
                                      S.FAILED)),
    *((s, T.EOF) for s in (S.RECEIVED_CLOSE, S.CLOSED, S.FAILED)),
    *((s, T.RAISED) for s in TERMINAL_STATES),
}


@pytest.mark.parametrize(("state", "trigger"), list(itertools.product(S, T)))
def test_cause_table(state: ConnectionState, trigger: Trigger) -> None:
    if (state, trigger) in EXPECTED_MOVES:
        assert fire(state, trigger) is EXPECTED_MOVES[state, trigger]
    elif (state, trigger) in EXPECTED_STAYS:
        assert fire(state, trigger) is state
    else:
        with pytest.raises(IllegalTransition):
            fire(state, trigger)


def test_every_cause_is_an_allowed_move() -> None:
    for (state, _), new in NEXT.items():
        assert transition(state, new) is new


def test_only_fire_changes_the_engine_state() -> None:
    """Every change goes through the table: ``_state`` is assigned only by ``_fire``
    (and once in ``__init__``), in every module of the engine."""
    engine_dir = Path(nodetls.engine.__file__).parent
    assigned_in = []
    for path in sorted(engine_dir.glob("*.py")):
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                targets = (node.targets if isinstance(node, ast.Assign)
                           else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign)
                           else [])
                if any(isinstance(t, ast.Attribute) and t.attr == "_state" for t in targets):
                    assigned_in.append((path.name, func.name))
    assert sorted(assigned_in) == [("engine.py", "__init__"), ("hooks.py", "_fire")]
