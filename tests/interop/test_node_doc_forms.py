"""Forms the Node docs describe, against Node v20 peers running the same scenario (issue 14, A).

* listeners taking fewer parameters than the event carries (v0.6's ``'clientError'`` as
  ``function(exception)``, ``lambda err: ...`` on ``'tlsClientError'``);
* ``check_server_identity`` returning a falsy non-error;
* getters after ``'close'``;
* ``convert_alpn_protocols(protocols, out)``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import event, wait
from tests.support.node_batch import node_clients, node_servers

pytestmark = pytest.mark.timeout(20)


async def test_one_parameter_client_error_listeners_as_node(certs: Certs) -> None:
    """A TLS 1.2-only Node client meets a TLS 1.3-only server: both servers report the
    error to one-parameter listeners with the same code."""
    server = tls.create_server(key=certs.key, cert=certs.cert, min_version="TLSv1.3")
    seen: list[tuple[str, Any]] = []
    server.on("tlsClientError", lambda err: seen.append(("tlsClientError", err.code)))
    server.on("clientError", lambda exception: seen.append(("clientError", exception.code)))
    server.on("tlsClientError", lambda: seen.append(("no-args", None)))
    await server.listen(0, "127.0.0.1")
    node_server = r"""
      serveAll([server('v13', {key: E.KEY, cert: E.CERT, minVersion: 'TLSv1.3'},
        {setup: (srv, r) => srv.on('tlsClientError', function (exception) {
          r.one = exception.code; })})]);
    """
    try:
        async with node_servers(node_server, KEY=certs.key.decode(),
                                CERT=certs.cert.decode()) as node:
            body = r"""
              (async () => {
                await client('ours', {port: +E.OURS, maxVersion: 'TLSv1.2', ca: E.CA});
                await client('node', {port: +E.NODE, maxVersion: 'TLSv1.2', ca: E.CA});
                done();
              })();
            """
            got = await node_clients(body, OURS=str(server.address()["port"]),  # type: ignore[index]
                                     NODE=str(node.ports["v13"]), CA=certs.ca.decode())
    finally:
        server.close()
        await wait(server.wait_closed(), "close")
    code = node.results["v13"]["one"]
    assert code == "ERR_SSL_UNSUPPORTED_PROTOCOL"
    assert seen == [("tlsClientError", code), ("no-args", None), ("clientError", code)]
    assert got["ours"]["error"]["code"] == got["node"]["error"]["code"]


IDENTITY_ANSWERS: list[tuple[str, Any]] = [
    ("false", False), ("empty", ""), ("zero", 0), ("null", None), ("string", "oops"),
    ("true", True)]


async def test_check_server_identity_falsy_answers_pass_as_in_node(certs: Certs) -> None:
    """Node tests the answer for truth; the same answers, Node client and nodetls client,
    against one Node server."""
    node_server = "serveAll([server('srv', {key: E.KEY, cert: E.CERT})]);"
    body = r"""
      const answers = {false: false, empty: '', zero: 0, null: null, string: 'oops', true: true};
      (async () => {
        for (const [name, value] of Object.entries(answers))
          for (const reject of [true, false])
            await client(`${name}-${reject}`, {port: +E.PORT, ca: E.CA, servername: 'localhost',
                         rejectUnauthorized: reject, checkServerIdentity: () => value});
        done();
      })();
    """
    ours: dict[str, Any] = {}
    async with node_servers(node_server, KEY=certs.key.decode(),
                            CERT=certs.cert.decode()) as node:
        port = node.ports["srv"]
        got = await node_clients(body, PORT=str(port), CA=certs.ca.decode())
        for name, value in IDENTITY_ANSWERS:
            for reject in (True, False):
                try:
                    sock = await tls.connect(
                        port, "127.0.0.1", ca=certs.ca, servername="localhost",
                        reject_unauthorized=reject, check_server_identity=lambda h, c, v=value: v)
                except Exception as exc:
                    ours[f"{name}-{str(reject).lower()}"] = {"error": exc}
                    continue
                ours[f"{name}-{str(reject).lower()}"] = {
                    "authorized": sock.authorized, "error_text": sock.authorization_error}
                sock.destroy()
    for name, value in IDENTITY_ANSWERS:
        for reject in ("true", "false"):
            key = f"{name}-{reject}"
            theirs, mine = got[key], ours[key]
            if value:  # truthy: rejected (Node emits the value; we wrap it) or unauthorized
                if reject == "true":
                    assert theirs["events"] == [] and "error" in theirs, key
                    assert mine["error"].code == "ERR_UNHANDLED_ERROR", key
                    assert mine["error"].context == value, key
                else:
                    assert theirs["authorized"] is False and mine["authorized"] is False, key
                    assert theirs["authorizationError"] is None and mine["error_text"] is None
            else:
                assert theirs["authorized"] is True and mine["authorized"] is True, key
                assert mine["error_text"] is None, key


# Node's getter (or action) and ours, called on a client socket after its 'close'.
AFTER_CLOSE: dict[str, tuple[str, Any]] = {
    "isSessionReused()": ("is_session_reused", ()),
    "getCipher()": ("get_cipher", ()),
    "getProtocol()": ("get_protocol", ()),
    "getPeerCertificate()": ("get_peer_certificate", ()),
    "getPeerCertificate(true)": ("get_peer_certificate", (True,)),
    "getCertificate()": ("get_certificate", ()),
    "getSession()": ("get_session", ()),
    "getTLSTicket()": ("get_tls_ticket", ()),
    "getFinished()": ("get_finished", ()),
    "getPeerFinished()": ("get_peer_finished", ()),
    "getEphemeralKeyInfo()": ("get_ephemeral_key_info", ()),
    "getSharedSigalgs()": ("get_shared_sigalgs", ()),
    "getX509Certificate()": ("get_x509_certificate", ()),
    "getPeerX509Certificate()": ("get_peer_x509_certificate", ()),
    "alpnProtocol": ("alpn_protocol", None),
    "servername": ("servername", None),
    "authorized": ("authorized", None),
    "authorizationError": ("authorization_error", None),
    "encrypted": ("encrypted", None),
    "setMaxSendFragment(2048)": ("set_max_send_fragment", (2048,)),
    "exportKeyingMaterial(16, 'label')": ("export_keying_material", (16, "label")),
    "setSession(Buffer.alloc(10))": ("set_session", (bytes(10),)),
    "setServername('x.test')": ("set_servername", ("x.test",)),
    "disableRenegotiation()": ("disable_renegotiation", ()),
}


async def test_getters_and_actions_after_close_as_node(certs: Certs) -> None:
    node_server = "serveAll([server('srv', {key: E.KEY, cert: E.CERT})]);"
    probes = ", ".join(f"[{json.dumps(expr)}, () => s.{expr}]" for expr in AFTER_CLOSE)
    body = r"""
      const probes = (s) => Object.fromEntries([PROBES].map(([name, f]) => {
        try { const v = f(); return [name, {value: v === undefined ? null : v}]; }
        catch (e) { return [name, {error: e.name, code: e.code ?? null, message: e.message}]; }
      }));
      const s = tls.connect({port: +E.PORT, ca: E.CA, servername: 'localhost'});
      s.on('close', () => { results.after = probes(s); done(); });
      s.on('end', () => s.end());
    """.replace("PROBES", probes)
    async with node_servers(node_server, KEY=certs.key.decode(),
                            CERT=certs.cert.decode()) as node:
        port = node.ports["srv"]
        got = (await node_clients(body, PORT=str(port), CA=certs.ca.decode()))["after"]
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        sock.on("end", sock.end)
        await wait(event(sock, "close"), "'close'")
    for expr, (name, args) in AFTER_CLOSE.items():
        theirs = got[expr]
        try:
            attribute = getattr(sock, name)
            value = attribute if args is None else attribute(*args)
        except Exception as exc:
            assert theirs.get("error") == type(exc).__name__ == "TypeError", (expr, exc)
            assert str(exc) == theirs["message"] and getattr(exc, "code", None) is None
            continue
        # After close Node answers null, false, true or a string: the same values here.
        assert theirs == {"value": value}, (expr, theirs, value)
        assert value is None or isinstance(value, bool | str), expr
