"""The TLSSocket lifecycle table (tls/lifecycle.py): reachability, the first-error latch,
announcing once, and illegal moves refused."""

from __future__ import annotations

import pytest

from nodetls.tls.lifecycle import (
    _TABLE,
    ERROR_STATES,
    IllegalTransition,
    Lifecycle,
    TLSState,
    Trigger,
)


def test_every_state_is_reachable_from_handshaking() -> None:
    reached = {TLSState.HANDSHAKING}
    frontier = [TLSState.HANDSHAKING]
    while frontier:
        state = frontier.pop()
        for (source, _trigger), target in _TABLE.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(TLSState)


def test_only_the_first_tls_error_counts() -> None:
    for start in (TLSState.HANDSHAKING, TLSState.SECURE, TLSState.CONNECTED):
        life = Lifecycle(False, 0)
        life.state = start
        assert life.fail() is start
        assert life.state in ERROR_STATES
        assert life.fail() is None


def test_announce_releases_control_once() -> None:
    life = Lifecycle(False, 0)
    assert not life.owns_errors
    life.fire(Trigger.HANDSHAKE_DONE)
    assert life.handshake_done and not life.announced
    assert life.announce() is True
    assert life.owns_errors and life.announced
    assert life.announce() is False  # a renegotiation announces again, releases nothing


def test_session_held_handshake_waits_for_done() -> None:
    life = Lifecycle(False, 0)
    life.fire(Trigger.NEW_SESSION)
    life.fire(Trigger.HANDSHAKE_DONE)
    assert life.state is TLSState.AWAITING_SESSION and not life.handshake_done
    life.fire(Trigger.SESSION_DONE)
    assert life.state is TLSState.SECURE


def test_handshake_timeout_fires_once_and_only_before_secure() -> None:
    life = Lifecycle(False, 1000)
    assert life.take_handshake_timeout() is True
    assert life.take_handshake_timeout() is False
    life = Lifecycle(False, 1000)
    life.fire(Trigger.HANDSHAKE_DONE)
    assert life.take_handshake_timeout() is False
    assert life.disarm_handshake_timeout() is True


def test_an_illegal_move_is_refused() -> None:
    life = Lifecycle(True, 0)
    with pytest.raises(IllegalTransition):
        life.fire(Trigger.ANNOUNCE)  # before the handshake is done
    assert life.state is TLSState.HANDSHAKING


def test_the_docstring_self_loops_are_the_tables() -> None:
    loops = {(state, trigger) for (state, trigger), target in _TABLE.items()
             if target is state}
    after_secure = {TLSState.SECURE, TLSState.CONNECTED, TLSState.SECURE_ERRORED,
                    TLSState.CONNECTED_ERRORED}
    announced = {TLSState.CONNECTED, TLSState.CONNECTED_ERRORED}
    expected = ({(s, Trigger.HANDSHAKE_DONE) for s in after_secure}
                | {(s, Trigger.ANNOUNCE) for s in announced}
                | {(s, Trigger.NEW_SESSION) for s in set(TLSState) - {TLSState.HANDSHAKING}}
                | {(s, Trigger.SESSION_DONE)
                   for s in after_secure | {TLSState.HANDSHAKING, TLSState.FAILED}})
    assert loops == expected
