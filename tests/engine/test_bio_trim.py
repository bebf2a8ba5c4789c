"""The memory BIOs give their buffer back between bursts (``nodetls_engine_trim``).

An empty BIO whose buffer is at least twice the latest burst gets a fresh one: an idle
connection keeps no handshake-sized buffer.  Data must come through intact whatever the
sequence of sizes, including records split across calls (so the read BIO holds the start
of a record when a larger one arrives, and is trimmed only once empty).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from .pair import Pair

# Bursts that trim (small after large), regrow (large after small) and stay (similar).
SIZES = [1, 16_000, 3, 40_000, 2_000, 2_000, 70, 300, 1, 16_384, 16_385, 5, 600]


def _pieces(size: int) -> Any:
    def split(data: bytes) -> Iterable[bytes]:
        return (data[i:i + size] for i in range(0, len(data), size))
    return split


@pytest.mark.parametrize("piece", [None, 7, 1_000])
def test_alternating_bursts_arrive_intact(client_ctx: Any, server_ctx: Any,
                                          piece: int | None) -> None:
    pair = Pair(client_ctx(), server_ctx())
    split = _pieces(piece) if piece else (lambda data: (data,))
    pair.handshake(split)
    sent = {pair.client: bytearray(), pair.server: bytearray()}
    for n, size in enumerate(SIZES):
        for side in (pair.client, pair.server):
            chunk = bytes([n % 251]) * size
            sent[side] += chunk
            pair.record(side, side.send(chunk))
            pair.pump(split)
    assert pair.received(pair.server) == bytes(sent[pair.client])
    assert pair.received(pair.client) == bytes(sent[pair.server])
    assert pair.client.pending_output_size() == 0
    assert pair.server.pending_output_size() == 0
