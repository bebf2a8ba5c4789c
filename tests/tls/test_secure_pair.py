"""The legacy ``create_secure_pair`` API: a ``SecurePair`` piped to a real TCP client."""

from __future__ import annotations

import asyncio
import json
import warnings
from pathlib import Path

import trustme

import nodetls as tls
from nodetls.node import net
from nodetls.tls._deprecation import NodeDeprecationWarning
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.support.node import node_peer
from tests.support.openssl import OPENSSL
from tests.support.procs import process_peer
from tests.tls.tlsutil import serving


def _codes(caught: list[warnings.WarningMessage]) -> list[str]:
    return [w.message.code for w in caught if isinstance(w.message, NodeDeprecationWarning)]


async def _pair_server(certs: Certs, pairs: list[tls.SecurePair],
                       peers: list[object] | None = None,
                       raws: list[net.Socket] | None = None) -> net.Server:
    context = tls.create_secure_context(key=certs.key, cert=certs.cert, ca=certs.ca)

    def on_connection(raw: net.Socket) -> None:
        pair = tls.create_secure_pair(context, True, True, False)
        pairs.append(pair)
        if raws is not None:
            raws.append(raw)
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
        raws: list[net.Socket] = []
        server = await _pair_server(certs, pairs, peers, raws)
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
        assert authorized is True  # request_cert: the client's certificate, from the CA
        assert cert["subject"]["CN"] == "client"  # type: ignore[index]
        assert pair.encrypted.bytes_written == raws[0].bytes_written > len("pair says hi")
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



# --- client mode: a pair piped to a TCP socket connected to a TLS server --------------------


async def _client_pair(port: int, context: tls.SecureContext,
                       **options: object) -> tuple[tls.SecurePair, net.Socket]:
    raw = net.connect(port, "127.0.0.1")
    pair = tls.create_secure_pair(context, False, **options)
    raw.pipe(pair.encrypted)
    pair.encrypted.pipe(raw)
    return pair, raw


async def _exchange(pair: tls.SecurePair, message: bytes) -> tuple[bool, bytes]:
    """Wait for 'secure', note ``authorized``, send ``message``, read until 'end'."""
    secure = event(pair, "secure")
    received = asyncio.ensure_future(collect(pair.cleartext))
    await wait(secure, "'secure'")
    authorized = pair.cleartext.authorized
    pair.cleartext.write(message)
    return authorized, await wait(received, "'end'")


async def test_client_pair_against_a_node_server(certs: Certs) -> None:
    script = r"""
    const tls = require('tls');
    const srv = tls.createServer({key: process.env.KEY, cert: process.env.CERT}, (s) => {
      s.write('node greets; ');
      s.on('data', (d) => s.end('node got ' + d));
    });
    srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: srv.address().port})));
    setTimeout(() => process.exit(0), 8000);
    """
    peer = await node_peer(script, KEY=certs.key.decode(), CERT=certs.cert.decode())
    try:
        assert peer.proc.stdout is not None
        line = await wait(peer.proc.stdout.readline(), "node server")
        port = json.loads(line)["port"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NodeDeprecationWarning)
            context = tls.create_secure_context(ca=certs.ca)
            pair, raw = await _client_pair(port, context, servername="localhost")
            authorized, data = await _exchange(pair, b"ping")
            assert authorized is True and pair.cleartext.authorization_error is None
            assert data == b"node greets; node got ping"
            assert pair.cleartext.get_protocol() == "TLSv1.3"
            # 'bytes written to the underlying socket, TLS overhead included'
            assert pair.encrypted.bytes_written == raw.bytes_written > len(b"ping") + 200
            pair.destroy()
            raw.destroy()
    finally:
        await peer.stop()


async def test_client_pair_against_openssl_s_server(certs: Certs, tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(certs.key)
    cert.write_bytes(certs.cert)
    peer = await process_peer(OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                              "-rev", "-tls1_2", "-key", str(key), "-cert", str(cert))
    try:
        assert peer.proc.stdout is not None
        line = b""
        while not line.startswith(b"ACCEPT"):  # "ACCEPT 127.0.0.1:<port>": ready
            line = await wait(peer.proc.stdout.readline(), "s_server")
            assert line, "s_server exited"
        port = int(line.rsplit(b":", 1)[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NodeDeprecationWarning)
            context = tls.create_secure_context(ca=certs.ca)
            pair, raw = await _client_pair(port, context)
            secure = event(pair, "secure")
            await wait(secure, "'secure'")
            assert pair.cleartext.authorized is True  # chain verified; no servername given
            assert pair.cleartext.get_protocol() == "TLSv1.2"
            reply = event(pair.cleartext, "data")
            pair.cleartext.write(b"stressed\n")
            (chunk,) = await wait(reply, "s_server's answer")
            assert chunk.strip() == b"desserts"
            assert pair.encrypted.bytes_written == raw.bytes_written
            pair.destroy()
            raw.destroy()
    finally:
        await peer.stop()


async def test_client_pair_unauthorized_and_rejected(certs: Certs) -> None:
    other_ca = trustme.CA().cert_pem.bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NodeDeprecationWarning)
        async with serving(lambda s: s.end(b"bye"), key=certs.key, cert=certs.cert) as (_, port):
            # Wrong CA, not rejecting: 'secure' with authorized False and the reason.
            pair, raw = await _client_pair(port, tls.create_secure_context(ca=other_ca))
            authorized, data = await _exchange(pair, b"")
            assert authorized is False and data == b"bye"
            assert pair.cleartext.authorization_error == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
            pair.destroy()
            raw.destroy()
            # Right CA, wrong name: the identity check runs when the pair has a servername.
            pair, raw = await _client_pair(port, tls.create_secure_context(ca=certs.ca),
                                           servername="example.com")
            await wait(event(pair, "secure"), "'secure'")
            assert pair.cleartext.authorized is False
            assert pair.cleartext.authorization_error == "ERR_TLS_CERT_ALTNAME_INVALID"
            pair.destroy()
            raw.destroy()
            # reject_unauthorized: cleartext is destroyed with the error.
            pair = tls.create_secure_pair(tls.create_secure_context(ca=other_ca), False,
                                          reject_unauthorized=True)
            raw = net.connect(port, "127.0.0.1")
            raw.pipe(pair.encrypted)
            pair.encrypted.pipe(raw)
            (err,) = await wait(event(pair.cleartext, "error"), "'error'")
            assert err.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
            assert pair.cleartext.destroyed
            pair.destroy()
            raw.destroy()
