"""``tls.connect``: overloads, verification, identity, SNI, ALPN, sessions, STARTTLS."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import pytest
import trustme

import nodetls as tls
from nodetls.node import net
from nodetls.tls._deprecation import NodeDeprecationWarning
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving


async def test_connect_await_and_getters(certs: Certs, uncaught: list[BaseException]) -> None:
    seen: dict[str, Any] = {}

    def on_secure(sock: tls.TLSSocket) -> None:
        seen.update(servername=sock.servername, protocol=sock.get_protocol(),
                    authorized=sock.authorized, alpn=sock.alpn_protocol,
                    key_info=sock.get_ephemeral_key_info())
        sock.end(b"hello")

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        called: list[bool] = []
        sock = tls.connect(port, "127.0.0.1", lambda: called.append(True), ca=certs.ca,
                           servername="localhost")
        assert isinstance(sock, tls.TLSSocket) and sock.encrypted is True
        assert await wait(sock, "secureConnect") is sock
        assert called == [True]
        assert sock.authorized is True and sock.authorization_error is None
        assert sock.get_protocol() == "TLSv1.3"
        assert sock.get_cipher() == {"name": "TLS_AES_256_GCM_SHA384",
                                     "standardName": "TLS_AES_256_GCM_SHA384",
                                     "version": "TLSv1.3"}
        assert sock.get_peer_certificate()["subjectaltname"].startswith("DNS:localhost")
        assert sock.get_certificate() == {}
        assert sock.get_ephemeral_key_info() == {"type": "ECDH", "name": "X25519", "size": 253}
        assert sock.servername == "localhost" and sock.alpn_protocol is False
        assert sock.remote_address == "127.0.0.1" and sock.remote_port == port
        assert sock.address()["address"] == "127.0.0.1"
        assert await collect(sock) == b"hello"
    assert seen == {"servername": "localhost", "protocol": "TLSv1.3", "authorized": False,
                    "alpn": False, "key_info": None}


async def test_no_sni_unless_servername(certs: Certs) -> None:
    names: list[object] = []
    async with serving(lambda s: (names.append(s.servername), s.end()), key=certs.key,
                       cert=certs.cert) as (_, port):
        sock = await tls.connect(port, "localhost", ca=certs.ca)
        await collect(sock)
    assert names == [False]


async def test_self_signed_is_rejected_with_node_code() -> None:
    leaf = trustme.CA().issue_cert("localhost")  # a CA we do not trust
    key, cert = leaf.private_key_pem.bytes(), leaf.cert_chain_pems[0].bytes()
    async with serving(key=key, cert=cert) as (server, port):
        client_errors = event(server, "tlsClientError")
        with pytest.raises(Exception) as info:
            await tls.connect(port, "127.0.0.1")
        assert info.value.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"  # type: ignore[attr-defined]
        assert str(info.value) == "unable to verify the first certificate"
        err, _sock = await wait(client_errors, "tlsClientError")
        assert err.code == "ECONNRESET" and str(err) == "socket hang up"


async def test_depth_zero_self_signed() -> None:
    ca = trustme.CA()  # a CA certificate is self-signed: serve it as the leaf
    key, cert = ca.private_key_pem.bytes(), ca.cert_pem.bytes()
    async with serving(key=key, cert=cert) as (_, port):
        with pytest.raises(Exception) as info:
            await tls.connect(port, "127.0.0.1")
        assert info.value.code == "DEPTH_ZERO_SELF_SIGNED_CERT"  # type: ignore[attr-defined]
        assert str(info.value) == "self-signed certificate"
        sock = await tls.connect(port, "127.0.0.1", reject_unauthorized=False)
        assert sock.authorized is False
        assert sock.authorization_error == "DEPTH_ZERO_SELF_SIGNED_CERT"
        sock.destroy()


async def test_hostname_mismatch(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        with pytest.raises(Exception) as info:
            await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="example.org")
        err: Any = info.value
        assert err.code == "ERR_TLS_CERT_ALTNAME_INVALID"
        assert err.host == "example.org"
        assert err.reason.startswith("Host: example.org. is not in the cert's altnames: DNS:")
        assert err.cert["subjectaltname"].startswith("DNS:localhost")
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="example.org",
                                 reject_unauthorized=False)
        assert sock.authorized is False
        assert sock.authorization_error == "ERR_TLS_CERT_ALTNAME_INVALID"
        sock.destroy()


async def test_custom_check_server_identity(certs: Certs) -> None:
    calls: list[tuple[str, str]] = []

    def refuse(host: str, cert: dict[str, Any]) -> Exception:
        calls.append((host, cert["subject"].get("CN", "")))
        return ValueError("no thanks")

    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        with pytest.raises(ValueError, match="no thanks"):
            await tls.connect(port, "127.0.0.1", ca=certs.ca, check_server_identity=refuse)
        assert calls[0][0] == "127.0.0.1"
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="nowhere.test",
                                 check_server_identity=lambda host, cert: None)
        assert sock.authorized is True
        sock.destroy()


async def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="rejectUnauthorized"):
        tls.connect(1, rejectUnauthorized=False)


async def test_ip_servername_deprecation(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="127.0.0.1")
            await sock
        codes = [w.message.code for w in caught if isinstance(w.message, NodeDeprecationWarning)]
        assert codes in (["DEP0123"], [])  # once per process: an earlier test may have used it
        sock.destroy()


async def test_alpn_server_preference(certs: Certs) -> None:
    chosen: list[object] = []
    async with serving(lambda s: (chosen.append(s.alpn_protocol), s.end()), key=certs.key,
                       cert=certs.cert, alpn_protocols=["http/1.1", "h2"]) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca,
                                 alpn_protocols=["h2", "http/1.1"])
        assert sock.alpn_protocol == "http/1.1"
        await collect(sock)
        plain = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        assert plain.alpn_protocol is False
        await collect(plain)
    assert chosen == ["http/1.1", False]


async def test_sessions_resume(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert) as (_, port):
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca)
        sessions: list[bytes] = []
        sock.on("session", sessions.append)
        await collect(sock)
        assert len(sessions) == 2  # TLS 1.3: two tickets, as from Node
        again = await tls.connect(port, "127.0.0.1", ca=certs.ca, session=sessions[-1])
        assert again.is_session_reused() is True
        await collect(again)


async def test_keylog_and_keying_material(certs: Certs) -> None:
    server_side: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()
    async with serving(server_side.set_result, key=certs.key, cert=certs.cert) as (_, port):
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca)
        lines: list[bytes] = []
        sock.on("keylog", lines.append)
        with pytest.raises(Exception) as early:
            sock.export_keying_material(16, "label")
        assert early.value.code == "ERR_TLS_INVALID_STATE"  # type: ignore[attr-defined]
        await sock
        peer = await wait(server_side, "secureConnection")
        assert [line.split(b" ")[0] for line in lines] == [
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET", b"EXPORTER_SECRET", b"SERVER_TRAFFIC_SECRET_0",
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET", b"CLIENT_TRAFFIC_SECRET_0"]
        assert all(line.endswith(b"\n") for line in lines)
        mine = sock.export_keying_material(32, "EXPORTER-test", b"ctx")
        assert len(mine) == 32 and mine == peer.export_keying_material(32, "EXPORTER-test", b"ctx")
        assert sock.get_finished() == peer.get_peer_finished()
        assert len(sock.get_finished() or b"") == 48
        sock.destroy()


async def test_min_dh_size_rejects_small_dh() -> None:
    rsa = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = rsa.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    key, cert = leaf.private_key_pem.bytes(), leaf.cert_chain_pems[0].bytes()
    async with serving(key=key, cert=cert, dhparam="auto", ciphers="DHE-RSA-AES128-GCM-SHA256",
                       max_version="TLSv1.2") as (_, port):
        sock = tls.connect(port, "127.0.0.1", ca=rsa.cert_pem.bytes(), servername="localhost",
                           ciphers="DHE-RSA-AES128-GCM-SHA256", min_dh_size=8192)
        with pytest.raises(Exception) as info:
            await sock
        assert info.value.code == "ERR_TLS_DH_PARAM_SIZE"  # type: ignore[attr-defined]
        ok = await tls.connect(port, "127.0.0.1", ca=rsa.cert_pem.bytes(),
                               servername="localhost", ciphers="DHE-RSA-AES128-GCM-SHA256")
        info_ = ok.get_ephemeral_key_info()
        assert info_ is not None and info_["type"] == "DH" and int(info_["size"]) >= 2048
        ok.destroy()


async def test_unix_path(certs: Certs, tmp_path: Path) -> None:
    server = tls.create_server(lambda s: s.end(b"over unix"), key=certs.key, cert=certs.cert)
    path = str(tmp_path / "tls.sock")
    await server.listen(path=path)
    sock = await tls.connect(path=path, ca=certs.ca, servername="localhost")
    assert await collect(sock) == b"over unix"
    server.close()
    await wait(server.wait_closed())


async def test_starttls_over_existing_socket(certs: Certs) -> None:
    """A plaintext exchange on a net connection, then TLS on the same connection."""
    context = tls.create_secure_context(key=certs.key, cert=certs.cert)
    upgraded: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()

    def on_connection(raw: net.Socket) -> None:
        def on_data(data: bytes) -> None:
            assert data == b"STARTTLS\n"
            raw.remove_listener("data", on_data)
            raw.pause()
            raw.write(b"OK\n")
            secure = tls.TLSSocket(raw, is_server=True, secure_context=context)
            secure.on("secure", lambda: upgraded.set_result(secure))
            secure.on("data", lambda d: secure.end(b"secret " + d))

        raw.on("data", on_data)

    plain = net.create_server(on_connection)
    await plain.listen(0, "127.0.0.1")
    port = plain.address()["port"]  # type: ignore[index]
    raw = await net.connect(port, "127.0.0.1")
    raw.write(b"STARTTLS\n")
    assert (await wait(event(raw, "data")))[0] == b"OK\n"
    raw.pause()
    sock = await tls.connect(socket=raw, ca=certs.ca, servername="localhost")
    assert sock.authorized
    server_side = await wait(upgraded)
    assert server_side.get_protocol() == "TLSv1.3"
    sock.write(b"ping")
    assert await collect(sock) == b"secret ping"
    plain.close()
    await wait(plain.wait_closed())


async def test_connect_refused_rejects_await() -> None:
    server = net.create_server()
    await server.listen(0, "127.0.0.1")
    port = server.address()["port"]  # type: ignore[index]
    server.close()
    await server.wait_closed()
    with pytest.raises(OSError) as info:
        await tls.connect(port, "127.0.0.1")
    assert info.value.code == "ECONNREFUSED"  # type: ignore[attr-defined]


async def test_stream_options_reach_the_socket(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, high_water_mark=1234,
                                 allow_half_open=True)
        assert sock.readable_high_water_mark == 1234
        assert sock.writable_high_water_mark == 1234
        assert sock.allow_half_open is True
        closed = event(sock, "close")
        await collect(sock)
        sock.end()
        assert await wait(closed) == (False,)


async def test_close_carries_had_error(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        closed = event(sock, "close")
        sock.on("error", lambda err: None)
        sock.destroy(RuntimeError("boom"))
        assert await wait(closed) == (True,)


async def test_timeout_option(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, timeout=50)
        await wait(event(sock, "timeout"), "'timeout'")
        sock.destroy()


async def test_client_certificate(certs: Certs) -> None:
    results: list[tuple[bool, str | None, str]] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        peer = sock.get_peer_certificate()
        results.append((sock.authorized, sock.authorization_error,
                        peer["subject"]["CN"] if peer else ""))
        sock.end()

    async with serving(on_secure, key=certs.key, cert=certs.cert, ca=certs.ca,
                       request_cert=True, reject_unauthorized=False) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, key=certs.client_key,
                                 cert=certs.client_cert)
        await collect(sock)
        anonymous = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        await collect(anonymous)
    assert results == [(True, None, "client"), (False, "UNABLE_TO_GET_ISSUER_CERT", "")]
