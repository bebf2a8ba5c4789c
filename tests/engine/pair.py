"""Two engines joined in memory: the h11 ``ConnectionPair`` idea for TLS.

``Pair.pump()`` moves ciphertext both ways until neither side has anything to say,
handing every chunk through an optional ``split`` function (to cut the bytes at any
offset or in random pieces) and recording every event per side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nodetls.engine import AppData, Event, TLSEngine

Split = Callable[[bytes], Iterable[bytes]]


def whole(data: bytes) -> Iterable[bytes]:
    return (data,)


class Pair:
    def __init__(self, client_ctx: Any, server_ctx: Any, *,
                 client: TLSEngine | None = None, server: TLSEngine | None = None) -> None:
        self.client = client or TLSEngine(client_ctx, is_server=False)
        self.server = server or TLSEngine(server_ctx, is_server=True)
        self.events: dict[TLSEngine, list[Event]] = {self.client: [], self.server: []}
        self.wire: dict[TLSEngine, list[bytes]] = {self.client: [], self.server: []}

    def peer(self, side: TLSEngine) -> TLSEngine:
        return self.server if side is self.client else self.client

    def record(self, side: TLSEngine, events: list[Event]) -> list[Event]:
        self.events[side].extend(events)
        return events

    def start(self) -> None:
        self.record(self.client, self.client.start())

    def flush(self, side: TLSEngine, split: Split = whole) -> bool:
        """Send what ``side`` has to its peer; True if anything moved."""
        data = side.data_to_send()
        if not data:
            return False
        self.wire[side].append(data)
        peer = self.peer(side)
        for piece in split(data):
            self.record(peer, peer.receive(piece))
        return True

    def pump(self, split: Split = whole, rounds: int = 100) -> None:
        for _ in range(rounds):
            moved = self.flush(self.client, split)
            moved = self.flush(self.server, split) or moved
            if not moved:
                return
        raise AssertionError("pair never went quiet")

    def handshake(self, split: Split = whole) -> None:
        self.start()
        self.pump(split)

    def of(self, side: TLSEngine, kind: type) -> list[Any]:
        return [e for e in self.events[side] if isinstance(e, kind)]

    def received(self, side: TLSEngine) -> bytes:
        return b"".join(e.data for e in self.of(side, AppData))
