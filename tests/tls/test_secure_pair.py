"""The legacy ``create_secure_pair`` API: a ``SecurePair`` piped to a real TCP client."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

from tlsutil import OPENSSL, Certs, event, node_peer, process_peer, wait

import nodetls as tls
from nodetls.node import net
from nodetls.tls._deprecation import NodeDeprecationWarning


def _codes(caught: list[warnings.WarningMessage]) -> list[str]:
    return [w.message.code for w in caught if isinstance(w.message, NodeDeprecationWarning)]


async def _pair_server(certs: Certs, pairs: list[tls.SecurePair],
                       peers: list[object] | None = None) -> net.Server:
    context = tls.create_secure_context(key=certs.key, cert=certs.cert, ca=certs.ca)

    def on_connection(raw: net.Socket) -> None:
        pair = tls.create_secure_pair(context, True, True, False)
        pairs.append(pair)
        if peers is not None:
            pair.on("secure", lambda: peers.append((pair.cleartext.authorized,
                                                    pair.cleartext.get_peer_certificate())))
        raw.pipe(pair.encrypted)
        pair.encrypted.pipe(raw)
        pair.cleartext.on("data", lambda data: pair.cleartext.end(b"pair says " + data))

    server = net.create_server(on_connection)
    await server.listen(0, "127.0.0.1")
    return server


async def test_secure_pair_serves_a_node_client(certs: Certs) -> None:
    pairs: list[tls.SecurePair] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        peers: list[object] = []
        server = await _pair_server(certs, pairs, peers)
        script = r"""
        const tls = require('tls');
        const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', ca: process.env.CA,
                               servername: 'localhost', key: process.env.KEY,
                               cert: process.env.CERT}, () => s.write('hi'));
        let got = ''; s.on('data', d => { got += d; });
        s.on('end', () => console.log(JSON.stringify({got, protocol: s.getProtocol()})));
        s.on('error', e => console.log(JSON.stringify({error: e.code})));
        """
        peer = await node_peer(script, PORT=str(server.address()["port"]),  # type: ignore[index]
                               CA=certs.ca.decode(), KEY=certs.client_key.decode(),
                               CERT=certs.client_cert.decode())
        result = await peer.result()
        pair = pairs[0]
        assert result == {"got": "pair says hi", "protocol": "TLSv1.3"}
        ((authorized, cert),) = peers
        assert authorized is False  # a bare TLSSocket decides nothing
        assert cert["subject"]["CN"] == "client"  # type: ignore[index]
        assert pair.encrypted.bytes_written > 0
        assert pair.credentials is not None
        pair.destroy()
        server.close()
        await wait(server.wait_closed())
    assert set(_codes(caught)) <= {"DEP0064", "DEP0042"}


async def test_secure_pair_events_and_openssl_client(certs: Certs, tmp_path: Path) -> None:
    pairs: list[tls.SecurePair] = []
    server = await _pair_server(certs, pairs)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(certs.ca)
    peer = await process_peer(OPENSSL, "s_client", "-connect",
                              f"127.0.0.1:{server.address()['port']}",  # type: ignore[index]
                              "-CAfile", str(ca), "-servername", "localhost",
                              "-verify_return_error", "-quiet", stdin=True)
    out, err = await peer.output(stdin=b"ping\n")
    assert out == b"pair says ping\n", err
    assert isinstance(pairs[0], tls.SecurePair)
    server.close()
    await wait(server.wait_closed())


async def test_secure_pair_emits_secure(certs: Certs) -> None:
    context = tls.create_secure_context(key=certs.key, cert=certs.cert)
    pair = tls.create_secure_pair(context, is_server=True)
    secure = event(pair, "secure")
    # Anything can carry the ciphertext: here a client TLSSocket over the encrypted end.
    client = tls.connect(socket=pair.encrypted, ca=certs.ca, servername="localhost")
    await wait(secure, "'secure'")
    await client
    client.destroy()
    pair.destroy()


def test_deprecation_codes() -> None:
    from nodetls.tls import _deprecation

    _deprecation._issued.discard("DEP0064")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(_make_pair())
    assert "DEP0064" in _codes(caught)


async def _make_pair() -> None:
    pair = tls.create_secure_pair()
    pair.destroy()

