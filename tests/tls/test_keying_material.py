"""Keying material and channel binding (issue #4, item 7; Node peers:
``interop/test_node_keys.py``).

Node's exportkeyingmaterial test (a bare server ``TLSSocket`` on a ``net`` server:
``ERR_TLS_INVALID_STATE`` before ``'secure'``, lengths, contexts, argument errors) and
finished test (each side's Finished is the other's peer Finished; tls-unique on TLS 1.2
is the first Finished of the handshake, the client's on a full handshake).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import nodetls as tls
from nodetls.node import net
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving


async def test_export_keying_material_like_node(certs: Certs) -> None:
    results: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def on_connection(raw: Any) -> None:
        sock = tls.TLSSocket(raw, is_server=True, server=server,
                             secure_context=tls.create_secure_context(key=certs.key,
                                                                      cert=certs.cert))
        early: BaseException | None = None
        try:
            sock.export_keying_material(128, "label")
        except Exception as exc:
            early = exc

        def on_secure() -> None:
            label = "client finished"
            out: dict[str, Any] = {"early": early,
                                   "plain": sock.export_keying_material(128, label),
                                   "ctx": sock.export_keying_material(128, label, b"\0\1\2\3"),
                                   "empty": sock.export_keying_material(128, label, b""),
                                   "errors": []}
            for args in [(128, label, "stringAsContextNotSupported"), (128, label, 1234),
                         (10, None), ("length", 1234), (-3, "a"), (0, "a")]:
                try:
                    sock.export_keying_material(*args)  # type: ignore[arg-type]
                except Exception as exc:
                    out["errors"].append((type(exc), getattr(exc, "code", None)))
            sock.end()
            results.set_result(out)

        sock.on("secure", on_secure)

    server = net.create_server(on_connection)
    await server.listen(0, "127.0.0.1")
    try:
        client = await tls.connect(server.address()["port"], "127.0.0.1",  # type: ignore[index]
                                   reject_unauthorized=False)
        got = await wait(results)
        client.destroy()
    finally:
        server.close()
    early = got["early"]
    assert early is not None and early.code == "ERR_TLS_INVALID_STATE"
    assert not isinstance(early, TypeError)
    assert str(early) == "TLS socket connection must be securely established"
    assert len(got["plain"]) == len(got["ctx"]) == len(got["empty"]) == 128
    assert got["plain"] != got["ctx"]
    assert [code for _, code in got["errors"]] == ["ERR_INVALID_ARG_TYPE"] * 4 + [
        "ERR_OUT_OF_RANGE"] * 2
    assert all(issubclass(kind, TypeError) for kind, _ in got["errors"][:4])
    assert all(issubclass(kind, ValueError) for kind, _ in got["errors"][4:])  # RangeError


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
async def test_both_ends_agree(certs: Certs, version: str) -> None:
    async with serving(key=certs.key, cert=certs.cert, max_version=version) as (server, port):
        accepted = event(server, "secureConnection")
        client = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        (peer,) = await wait(accepted)
        for args in [(32, "EXPORTER-test"), (32, "EXPORTER-test", b"ctx"), (7, "other", b"")]:
            assert (client.export_keying_material(*args)  # type: ignore[arg-type]
                    == peer.export_keying_material(*args))
        assert (client.export_keying_material(32, "EXPORTER-test")
                != client.export_keying_material(32, "EXPORTER-other"))
        finished, peer_finished = client.get_finished(), client.get_peer_finished()
        assert finished is not None and peer_finished is not None
        assert finished == peer.get_peer_finished() and peer_finished == peer.get_finished()
        assert finished != peer_finished
        # TLS 1.2: 12-byte verify_data; tls-unique (RFC 5929) is the client's Finished
        # on a full handshake. TLS 1.3: the hash length (SHA-384 for AES-256-GCM).
        assert len(finished) == (12 if version == "TLSv1.2" else 48)
        peer.end()
        await collect(client)


async def test_before_the_handshake() -> None:
    sock = tls.TLSSocket()
    assert sock.get_finished() is None and sock.get_peer_finished() is None
    with pytest.raises(Exception) as info:
        sock.export_keying_material(16, "label")
    assert info.value.code == "ERR_TLS_INVALID_STATE"  # type: ignore[attr-defined]
    sock.destroy()
