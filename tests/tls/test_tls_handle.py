"""``TLSHandle``'s one drive path: where a step's failure goes is its ``OnError`` policy.

Two real ``TLSHandle``s over an in-memory duplex pair, with owners and listeners that
record what reaches them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

import nodetls as tls
from nodetls.engine import EngineStateError, Event, HandshakeDone, TLSEngine
from nodetls.node.duplex_handle import DuplexHandle
from nodetls.node.duplexpair import duplex_pair
from nodetls.tls.tls_handle import TLSHandle
from tests.support.certs import Certs
from tests.support.events import wait


@dataclass
class Owner:
    """What a ``TLSSocket`` would be told."""

    events: list[Event] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    callback_errors: list[BaseException] = field(default_factory=list)
    secure: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())
    failed: asyncio.Future[BaseException] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())
    called_back: asyncio.Future[BaseException] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())

    def _on_tls_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, HandshakeDone) and not self.secure.done():
            self.secure.set_result(None)

    def _on_tls_error(self, err: BaseException) -> None:
        self.errors.append(err)
        if not self.failed.done():
            self.failed.set_result(err)

    def _on_callback_error(self, exc: BaseException) -> None:
        self.callback_errors.append(exc)
        if not self.called_back.done():
            self.called_back.set_result(exc)


@dataclass
class Listener:
    """The socket side of the handle; ``explode`` makes ``on_handle_read`` raise."""

    explode: bool = False
    data: list[bytes] = field(default_factory=list)

    def on_handle_read(self, data: bytes) -> None:
        self.data.append(bytes(data))
        if self.explode:
            raise RuntimeError("listener failed")

    def on_handle_eof(self) -> None:
        pass

    def on_handle_error(self, exc: BaseException) -> None:
        pass

    def on_handle_close(self) -> None:
        pass


def _handles(certs: Certs, client_options: dict[str, Any] | None = None,
             server_options: dict[str, Any] | None = None,
             ) -> tuple[tuple[TLSHandle, Owner, Listener], tuple[TLSHandle, Owner, Listener]]:
    ends = duplex_pair()
    client_ctx = tls.create_secure_context(ca=certs.ca, **(client_options or {}))
    server_ctx = tls.create_secure_context(key=certs.key, cert=certs.cert,
                                           **(server_options or {}))
    sides = []
    for end, context, is_server in ((ends[0], client_ctx, False), (ends[1], server_ctx, True)):
        owner, listener = Owner(), Listener()
        handle = TLSHandle(DuplexHandle(end), TLSEngine(context.context, is_server=is_server),
                           owner)
        handle.listener = listener
        handle.read_start()
        sides.append((handle, owner, listener))
    return sides[0], sides[1]


def _write_result(handle: TLSHandle, data: bytes) -> asyncio.Future[BaseException | None]:
    done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def cb(err: BaseException | None) -> None:
        if not done.done():
            done.set_result(err)

    handle.write(data, cb)
    return done


async def test_api_step_raises_to_its_caller(certs: Certs) -> None:
    (client, owner, _), _server = _handles(certs)
    client.start()
    with pytest.raises(EngineStateError):  # OnError.RAISE: start() twice
        client.drive(client.engine.start)
    assert owner.errors == []


async def test_write_after_close_notify_fails_only_its_callback(certs: Certs) -> None:
    (client, owner, _), (_, server_owner, _) = _handles(certs)
    client.start()
    await wait(asyncio.gather(owner.secure, server_owner.secure), "handshake")
    shut: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
    client.shutdown(shut.set_result)
    assert await wait(shut, "shutdown") is None
    err = await wait(_write_result(client, b"late"), "write callback")
    assert getattr(err, "code", None) == "ERR_STREAM_WRITE_AFTER_END"
    assert owner.errors == []  # OnError.WRITE: the connection is not failed for it


async def test_write_after_failure_is_eproto(certs: Certs) -> None:
    (client, owner, _), _server = _handles(certs, {"max_version": "TLSv1.2"},
                                           {"min_version": "TLSv1.3"})
    client.start()
    failure = await wait(owner.failed, "TLS failure")
    assert getattr(failure, "code", None) == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"
    err = await wait(_write_result(client, b"late"), "write callback")
    assert getattr(err, "code", None) == "EPROTO"
    assert owner.errors == [failure]  # reported once, by the dispatch of TLSFailure


async def test_listener_error_during_peer_data_goes_to_the_owner(certs: Certs) -> None:
    (client, owner, _), (_, server_owner, server_listener) = _handles(certs)
    server_listener.explode = True
    client.start()
    await wait(asyncio.gather(owner.secure, server_owner.secure), "handshake")
    assert await wait(_write_result(client, b"hello"), "write callback") is None
    await wait(server_owner.called_back, "callback error")  # OnError.PEER: routed, not raised
    assert server_listener.data == [b"hello"]
    assert [str(e) for e in server_owner.callback_errors] == ["listener failed"]
    assert server_owner.errors == []
