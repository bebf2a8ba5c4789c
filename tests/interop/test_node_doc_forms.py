"""Forms the Node docs describe, against Node v20 peers running the same scenario (issue 14, A).

* listeners taking fewer parameters than the event carries (v0.6's ``'clientError'`` as
  ``function(exception)``, ``lambda err: ...`` on ``'tlsClientError'``);
* ``check_server_identity`` returning a falsy non-error;
* getters after ``'close'``;
* ``convert_alpn_protocols(protocols, out)``.
"""

from __future__ import annotations

from typing import Any

import pytest
from node_ext import node_clients, node_servers
from tlsutil import Certs, wait

import nodetls as tls

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
