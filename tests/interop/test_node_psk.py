"""PSK against real Node peers, both directions (issue #4, item 5).

TLS 1.2 PSK suites (``ciphers='PSK+HIGH'``; Node's default list has ``!PSK``) and TLS
1.3 resumption-style PSK, without certificates; identity hints; ``{'psk'}`` answers;
wrong keys and unknown identities with Node's codes on both ends; the callbacks'
validation errors (``psk-errors``), each with the reset the peer sees.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import nodetls as tls
from tests.support.node_batch import listening, node_clients, node_servers

pytestmark = pytest.mark.timeout(10)

KEY = bytes.fromhex("d731ef57be09e5204f0b205b60627028")
WRONG = bytes.fromhex("00112233445566778899aabbccddeeff")
ENV = {"KEY": KEY.hex(), "WRONG": WRONG.hex()}
RESET = "Client network socket disconnected before secure TLS connection was established"


@contextlib.asynccontextmanager
async def psk_servers(seen: dict[str, list[Any]],
                      **variants: dict[str, Any]) -> AsyncIterator[dict[str, int]]:
    """Certificate-less nodetls servers; ``seen[name]`` gets per connection
    ``(identity, protocol, cipher, authorized)`` or the ``tlsClientError``."""
    made: dict[str, tls.Server] = {}
    for name, options in variants.items():
        records = seen.setdefault(name, [])
        server = tls.create_server(ciphers="PSK+HIGH", **options)
        server.on("secureConnection", lambda s, r=records: (
            r.append((s.get_protocol(), s.get_cipher()["name"], s.authorized)), s.end()))
        server.on("tlsClientError", lambda err, s, r=records: r.append(err))
        made[name] = server
    async with listening(made) as ports:
        yield ports


def answering(answer: Callable[[str], Any], identities: list[tuple[Any, str]]) -> Callable[
        [tls.TLSSocket, str], Any]:
    def callback(socket: tls.TLSSocket, identity: str) -> Any:
        identities.append((type(socket), identity))
        return answer(identity)

    return callback


NODE_PSK_CLIENTS = r"""
const P = JSON.parse(E.PORTS), KEY = Buffer.from(E.KEY, 'hex');
const hints = results.hints = {};
const psk = (key, identity = 'TestUser') => (hint) => {
  hints[identity] = hint; return {psk: key, identity}; };
const base = {ciphers: 'PSK+HIGH', checkServerIdentity: () => undefined};
const cipher = {secure: (s, r) => {
  r.cipher = s.getCipher().name; r.cert = s.getPeerCertificate(); }};
(async () => {
  for (const [name, port, options] of [
      ['tls12', 'key', {pskCallback: psk(KEY, 'tls12'), maxVersion: 'TLSv1.2'}],
      ['tls12-dict', 'dict', {pskCallback: psk(KEY), maxVersion: 'TLSv1.2'}],
      ['tls13', 'key', {pskCallback: psk(KEY, 'tls13')}],
      ['tls12-wrong-key', 'key', {pskCallback: psk(Buffer.from(E.WRONG, 'hex')),
                                  maxVersion: 'TLSv1.2'}],
      ['tls13-wrong-key', 'key', {pskCallback: psk(Buffer.from(E.WRONG, 'hex'))}],
      ['tls12-unknown', 'unknown', {pskCallback: psk(KEY), maxVersion: 'TLSv1.2'}],
      ['tls13-unknown', 'unknown', {pskCallback: psk(KEY)}],
      ['too-long', 'too_long', {pskCallback: psk(KEY), maxVersion: 'TLSv1.2'}],
      ['not-object', 'number', {pskCallback: psk(KEY), maxVersion: 'TLSv1.2'}],
      ['hint-too-long', 'long_hint', {pskCallback: psk(KEY), maxVersion: 'TLSv1.2'}]]) {
    await client(name, {port: P[port], ...base, ...options}, cipher);
  }
  done();
})();
"""


async def test_node_clients_against_nodetls_psk() -> None:
    seen: dict[str, list[Any]] = {}
    identities: list[tuple[Any, str]] = []
    key = answering(lambda identity: KEY, identities)
    async with psk_servers(
        seen,
        key={"psk_callback": key, "psk_identity_hint": "hint"},
        dict={"psk_callback": lambda sock, identity: {"psk": KEY}},
        unknown={"psk_callback": lambda sock, identity: None},
        too_long={"psk_callback": lambda sock, identity: bytes(1000)},
        number={"psk_callback": lambda sock, identity: 5},
        long_hint={"psk_callback": key, "psk_identity_hint": "a" * 512},
    ) as ports:
        got = await node_clients(NODE_PSK_CLIENTS, PORTS=json.dumps(ports), **ENV)

    for name, protocol in [("tls12", "TLSv1.2"), ("tls12-dict", "TLSv1.2"),
                           ("tls13", "TLSv1.3")]:
        assert got[name]["events"] == ["secureConnect"], (name, got[name])
        assert got[name]["protocol"] == protocol and got[name]["authorized"] is True
        assert got[name]["cert"] == {}  # no certificate at all
    assert "PSK" in got["tls12"]["cipher"]
    # The hint reaches a TLS 1.2 client; TLS 1.3 has none (Node: null).
    assert got["hints"]["tls12"] == "hint" and got["hints"]["tls13"] is None
    assert seen["key"][:2] == [("TLSv1.2", got["tls12"]["cipher"], False),
                               ("TLSv1.3", got["tls13"]["cipher"], False)]
    assert identities[:2] == [(tls.TLSSocket, "tls12"), (tls.TLSSocket, "tls13")]

    def client_code(name: str) -> str:
        return str(got[name]["error"]["code"])

    # Wrong keys and unknown identities: Node's codes on both ends.
    assert client_code("tls12-wrong-key") == "ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC"
    assert client_code("tls13-wrong-key") == "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER"
    assert [e.code for e in seen["key"][2:]] == ["ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
                                                 "ERR_SSL_BINDER_DOES_NOT_VERIFY"]
    assert client_code("tls12-unknown") == "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY"
    assert client_code("tls13-unknown") == "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"
    assert [e.code for e in seen["unknown"]] == ["ERR_SSL_PSK_IDENTITY_NOT_FOUND",
                                                 "ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM"]

    # psk-errors: bad answers and a hint OpenSSL refuses destroy the connection with
    # Node's error ('tlsClientError'); the client sees a reset: a clean close, or a TCP
    # RST when the client's next flight was still unread (so it is with a Node server).
    for name in ("too-long", "not-object", "hint-too-long"):
        assert got[name]["error"]["code"] == "ECONNRESET", name
        assert got[name]["error"]["message"] in (RESET, "read ECONNRESET")
    [too_long] = seen["too_long"]
    assert too_long.code == "ERR_INVALID_ARG_VALUE"
    assert str(too_long).startswith("The argument 'psk' Pre-shared key exceeds 512 bytes.")
    [number] = seen["number"]
    assert number.code == "ERR_INVALID_ARG_TYPE"
    assert str(number) == ('The "ret" argument must be an instance of Buffer, TypedArray, '
                           "DataView, or Object. Received type number (5)")
    [hint] = seen["long_hint"]
    assert hint.code == "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED"
    assert str(hint) == "Failed to set PSK identity hint"


NODE_PSK_SERVERS = r"""
const KEY = Buffer.from(E.KEY, 'hex');
const base = {ciphers: 'PSK+HIGH', pskIdentityHint: 'node-hint'};
const remember = (srv, r) => srv.on('secureConnection', (s) => { r.cipher = s.getCipher().name; });
serveAll([
  server('tls12', {...base, maxVersion: 'TLSv1.2', pskCallback: (s, id) => {
    (rec('tls12').identities ??= []).push(id); return KEY; }}, {setup: remember}),
  server('tls13', {...base, pskCallback: (s, id) => {
    (rec('tls13').identities ??= []).push(id); return KEY; }}),
  server('unknown', {...base, maxVersion: 'TLSv1.2', pskCallback: () => null}),
  server('errors', {...base, maxVersion: 'TLSv1.2', pskCallback: () => KEY}),
]);
"""


async def test_nodetls_clients_against_node_psk() -> None:
    hints: list[object] = []

    def psk(key: bytes, identity: str = "py-user") -> Callable[[str | None], Any]:
        def callback(hint: str | None) -> dict[str, Any]:
            hints.append(hint)
            return {"psk": key, "identity": identity}

        return callback

    async def connect(port: int, callback: Callable[[str | None], Any], **options: Any) -> (
        tls.TLSSocket
    ):
        return await tls.connect(port, "127.0.0.1", ciphers="PSK+HIGH", psk_callback=callback,
                                 check_server_identity=lambda host, cert: None, **options)

    async with node_servers(NODE_PSK_SERVERS, **ENV) as node:
        ports = node.ports
        for name, version in (("tls12", "TLSv1.2"), ("tls13", "TLSv1.3")):
            sock = await connect(ports[name], psk(KEY, f"py-{name}"))
            assert sock.get_protocol() == version and sock.authorized is True
            assert sock.get_peer_certificate() == {}
            if version == "TLSv1.2":
                assert "PSK" in str(sock.get_cipher())
            sock.destroy()
        with pytest.raises(Exception) as default_identity:  # Node's checkServerIdentity
            await tls.connect(ports["tls12"], "127.0.0.1", ciphers="PSK+HIGH",
                              psk_callback=psk(KEY))
        assert default_identity.value.code == "ERR_TLS_CERT_ALTNAME_INVALID"  # type: ignore[attr-defined]
        assert str(default_identity.value.reason).startswith(  # type: ignore[attr-defined]
            "IP: 127.0.0.1 is not in the cert's list:")  # no certificate, no names

        failures: dict[str, BaseException] = {}
        for name, port, callback in [
                ("wrong-key", "tls12", psk(WRONG)),
                ("unknown", "unknown", psk(KEY)),
                ("no-answer", "errors", lambda hint: None),
                ("too-long", "errors", lambda hint: {"psk": bytes(1000), "identity": "x"}),
                ("identity-too-long", "errors", lambda hint: {"psk": KEY, "identity": "x" * 300}),
                ("not-object", "errors", lambda hint: 5),
                ("identity-not-str", "errors", lambda hint: {"psk": KEY, "identity": 5})]:
            with pytest.raises(Exception) as info:
                await connect(ports[port], callback)
            failures[name] = info.value
    results = node.results
    # A client that may do TLS 1.3 is asked first for the ClientHello (no hint), then,
    # when the server picks TLS 1.2, with its hint: as Node's client is.
    assert hints[:3] == [None, "node-hint", None]
    # then the connection with the default identity check, then the wrong key:
    assert results["tls12"]["identities"] == ["py-tls12", "py-user", "py-user"]
    assert results["tls13"]["identities"] == ["py-tls13"]
    assert results["tls12"]["events"] == ["secureConnection"] * 2
    codes = {name: getattr(err, "code", None) for name, err in failures.items()}
    assert codes == {"wrong-key": "ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC",
                     "unknown": "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY",
                     "no-answer": "ERR_SSL_PSK_IDENTITY_NOT_FOUND",
                     "too-long": "ERR_INVALID_ARG_VALUE",
                     "identity-too-long": "ERR_INVALID_ARG_VALUE",
                     "not-object": "ERR_INVALID_ARG_TYPE",
                     "identity-not-str": "ERR_INVALID_ARG_TYPE"}
    assert str(failures["too-long"]).startswith(
        "The argument 'psk' Pre-shared key exceeds 512 bytes.")
    assert str(failures["identity-too-long"]).startswith(
        "The argument 'identity' PSK identity exceeds 256 bytes.")
    assert str(failures["not-object"]) == ('The "ret" argument must be of type object. '
                                           "Received type number (5)")
    assert str(failures["identity-not-str"]) == ('The "identity" argument must be of type '
                                                 "string. Received type number (5)")
    assert results["tls12"]["tlsClientError"]["code"] == (
        "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC")
    assert results["unknown"]["tlsClientError"]["code"] == "ERR_SSL_PSK_IDENTITY_NOT_FOUND"
    # The client that gave no answer made OpenSSL fail it (alert sent); the ones whose
    # answers were invalid were destroyed: Node sees them hang up.
    assert results["errors"]["tlsClientError"]["code"] in (
        "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ECONNRESET")
