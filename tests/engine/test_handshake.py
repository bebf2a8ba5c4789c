"""Handshakes, application data and close_notify between two engines in memory."""

from __future__ import annotations

import hashlib
import random

import pytest

from nodetls.engine import (
    AppData,
    CloseNotify,
    ConnectionState,
    EngineStateError,
    HandshakeDone,
    HandshakeStarted,
    TLSFailure,
)

from .pair import Pair

S = ConnectionState
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT = 2
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21  # leaf only, unknown issuer
VERSIONS = ["TLSv1.2", "TLSv1.3"]
KEYS = ["rsa", "ecdsa"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("version", VERSIONS)
def test_handshake(client_ctx, server_ctx_of, version: str, key: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx_of(key)())
    pair.handshake()
    for side in (pair.client, pair.server):
        assert side.state is S.OPEN
        assert side.protocol == version
        assert [type(e) for e in pair.events[side]] == [HandshakeStarted, HandshakeDone]
        cipher = side.cipher()
        assert cipher is not None and cipher["version"] == version
    expected_kx = "RSA" if key == "rsa" else "ECDSA"
    if version == "TLSv1.2":
        assert expected_kx in pair.client.cipher()["name"]  # type: ignore[index]
    assert pair.client.verify_result() == 0
    # No client certificate: Node's "UNABLE_TO_GET_ISSUER_CERT" default.
    assert pair.server.verify_result() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT


@pytest.mark.parametrize("version", VERSIONS)
def test_app_data_both_ways(client_ctx, server_ctx, version: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.handshake()
    assert pair.client.send(b"ping") == []
    pair.pump()
    assert pair.received(pair.server) == b"ping"
    assert pair.server.send(memoryview(b"xpongx")[1:5]) == []
    pair.pump()
    assert pair.received(pair.client) == b"pong"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("closer", ["client", "server"])
def test_close_notify(client_ctx, server_ctx, version: str, closer: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.handshake()
    first = getattr(pair, closer)
    second = pair.peer(first)
    first.send(b"last words")
    assert first.shutdown() == []
    assert first.state is S.SENT_CLOSE
    with pytest.raises(EngineStateError):
        first.send(b"after end")
    pair.pump()
    assert pair.received(second) == b"last words"
    assert isinstance(pair.events[second][-1], CloseNotify)
    assert second.state is S.RECEIVED_CLOSE
    # Half-close: the side that got close_notify may still write (allowHalfOpen).
    second.send(b"still here")
    second.shutdown()
    assert second.state is S.CLOSED
    pair.pump()
    assert pair.received(first) == b"still here"
    assert isinstance(pair.events[first][-1], CloseNotify)
    assert first.state is S.CLOSED
    # Bytes after close_notify are ignored, as Node ignores them.
    assert first.receive(b"\x17\x03\x03\x00\x05hello") == []


def test_send_before_handshake_is_queued(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    assert pair.client.send(b"early ") == []
    assert pair.client.send(b"bird") == []
    assert pair.client.pending_cleartext_size() == 10
    assert pair.server.send(b"server early") == []
    pair.handshake()
    assert pair.client.pending_cleartext_size() == 0
    assert pair.received(pair.server) == b"early bird"
    assert pair.received(pair.client) == b"server early"


def test_empty_send_is_a_no_op(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    assert pair.client.send(b"") == []
    assert pair.client.data_to_send() == b""


@pytest.mark.parametrize("version", VERSIONS)
def test_large_transfer_both_ways(client_ctx, server_ctx, version: str) -> None:
    seed = random.randrange(2**32)
    print(f"seed={seed}")
    rng = random.Random(seed)
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.handshake()
    blob = {side: rng.randbytes(3 * 1024 * 1024 + 7) for side in (pair.client, pair.server)}
    for side, data in blob.items():
        pos = 0
        while pos < len(data):
            step = rng.choice([1, 100, 16383, 16384, 16385, 70000, 300000])
            side.send(data[pos : pos + step])
            pos += step
            if rng.random() < 0.3:
                pair.pump()
    pair.pump()
    for side, data in blob.items():
        got = pair.received(pair.peer(side))
        assert len(got) == len(data)
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    # One AppData per receive() call, never more than a read chunk: no per-record events.
    assert all(len(e.data) <= 256 * 1024 for e in pair.of(pair.server, AppData))


def test_big_single_send_is_one_call(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    data = bytes(range(256)) * 4096 * 8  # 8 MiB
    pair.client.send(data)
    wire = pair.client.data_to_send()
    assert len(wire) > len(data)
    events = pair.server.receive(wire)
    assert b"".join(e.data for e in events if isinstance(e, AppData)) == data


def test_untrusted_server_still_handshakes(client_ctx, server_ctx) -> None:
    """Node's model: chain errors never fail the handshake; the result is read after."""
    pair = Pair(client_ctx(ca=[]), server_ctx())
    pair.handshake()
    assert pair.client.state is S.OPEN
    assert pair.client.verify_result() == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
    assert not pair.of(pair.client, TLSFailure)


def test_receive_eof(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    assert pair.server.receive_eof() == []
    assert pair.server.state is S.RECEIVED_CLOSE
    pair.server.send(b"bye")  # the write side is still open (half-open TCP)
    pair.server.shutdown()
    assert pair.server.state is S.CLOSED

    early = Pair(client_ctx(), server_ctx())
    early.start()
    early.flush(early.client)
    early.server.receive_eof()
    assert early.server.state is S.CLOSED


def test_data_to_send_into(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    pair.client.send(b"z" * 50_000)
    pending = pair.client.pending_output_size()
    assert pending > 50_000
    buffer = bytearray(20_000)
    pieces = []
    while n := pair.client.data_to_send_into(buffer):
        pieces.append(bytes(buffer[:n]))
    assert sum(map(len, pieces)) == pending and pair.client.pending_output_size() == 0
    events = [e for piece in pieces for e in pair.server.receive(piece)]
    assert b"".join(e.data for e in events if isinstance(e, AppData)) == b"z" * 50_000
