"""The typed options (``tls/options.py``): one table, and mypy holds user code to it.

The ``TypedDict`` s are the table: the runtime name sets are computed from them, and the
lists each module keeps to route options (to the socket, to ``net.connect``, to the
context) must name only options of the API they belong to.  ``mypy --strict`` run on a
user's script rejects a misspelled option and a wrong type, and accepts Node's examples.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nodetls as tls
from nodetls.tls import options, server, tls_socket
from nodetls.tls.socket_config import SocketConfig

connect_module = importlib.import_module("nodetls.tls.connect")  # the package shadows it
SRC = Path(__file__).resolve().parents[2] / "src"
PUBLIC = (options.SecureContextOptions, options.ContextOptions, options.ServerOptions,
          options.TLSSocketOptions, options.ConnectOptions, options.RenegotiateOptions)


def keys(typed_dict: type) -> set[str]:
    return set(typed_dict.__annotations__)


def test_runtime_name_sets_come_from_the_typed_dicts() -> None:
    everything = set().union(*(keys(d) for d in PUBLIC))
    assert everything | {"port", "host"} == options.TLS_OPTIONS
    assert keys(options.NodeContextOptions) == options.SECURE_CONTEXT_OPTIONS
    beyond = keys(options.SecureContextOptions) - keys(options.NodeContextOptions)
    assert beyond == {"session_cache_size", "allow_client_renegotiation", "use_system_ca"}


def test_routing_lists_name_options_of_their_api() -> None:
    connect_keys = keys(options.ConnectOptions)
    assert set(connect_module._SOCKET_OPTIONS) <= connect_keys
    assert set(connect_module._CONNECT_OPTIONS) <= connect_keys
    assert set(server._NET_OPTIONS) <= keys(options.ServerOptions)
    assert set(server._RESET_OPTIONS) | set(server._KEPT_OPTIONS) <= keys(
        options.SecureContextOptions)
    assert set(tls_socket._RENEGOTIATE_OPTIONS) == keys(options.RenegotiateOptions)


def test_socket_config_fields_are_tls_socket_options() -> None:
    renamed = {"context": "secure_context", "alpn_wire": "alpn_protocols",
               "npn_wire": "npn_protocols"}
    fields = {renamed.get(f.name, f.name) for f in dataclasses.fields(SocketConfig)}
    assert fields <= keys(options.TLSSocketOptions)


def test_every_option_is_documented_with_its_node_name() -> None:
    tree = ast.parse((SRC / "nodetls" / "tls" / "options.py").read_text())
    undocumented, unnamed = [], []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        body = cls.body
        for i, stmt in enumerate(body):
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            doc = body[i + 1] if i + 1 < len(body) else None
            if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                    and isinstance(doc.value.value, str)):
                undocumented.append(stmt.target.id)
            elif cls.name not in {"KeyEntry", "PfxEntry"} and not re.search(
                    r"Node:\s+`\w+`|Beyond Node", doc.value.value):
                unnamed.append(stmt.target.id)
    assert undocumented == []
    assert unnamed == []


# -- mypy --strict on user code ------------------------------------------------------------

GOOD = '''\
import nodetls as tls

async def main(key: bytes, cert: bytes, session: bytes) -> None:
    ctx = tls.create_secure_context(key=key, cert=cert, ciphers="TLS_AES_128_GCM_SHA256",
                                    min_version="TLSv1.2", ticket_keys=[bytes(48)])
    server = tls.create_server(
        lambda sock: sock.end(), key=key, cert=cert, alpn_protocols=["h2", "http/1.1"],
        sni_callback=lambda name, cb: cb(None, ctx), handshake_timeout=5000,
        request_cert=True, reject_unauthorized=False, session_cache_size=100)
    server.set_secure_context(key=key, cert=cert, session_timeout=300)
    server.set_secure_context(secure_context=ctx)
    server.add_context("example.com", {"key": key, "cert": cert})
    sock = await tls.connect(8000, "localhost", ca=[cert], servername="localhost",
                             session=session, check_server_identity=tls.check_server_identity,
                             reject_unauthorized=True, secure_context=ctx, timeout=1000)
    sock.renegotiate(request_cert=True)
    tls.TLSSocket(None, is_server=True, secure_context=ctx, request_ocsp=False)
'''

BAD = '''\
import nodetls as tls

tls.connect(443, "example.com", rejectUnauthorized=False)
tls.connect(443, "example.com", reject_unauthorized="yes")
tls.create_server(handshake_timeout="soon")
tls.create_secure_context(ciphers=42)
tls.TLSSocket(None, isServer=True)
tls.Server().set_secure_context(ciphers=42)
'''


def test_mypy_strict_rejects_misspelled_and_mistyped_options(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    env = {**os.environ, "MYPYPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.11",
         "--cache-dir", str(tmp_path / "cache"), "good.py", "bad.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert [e for e in errors if e.startswith("good.py")] == []
    bad = {int(e.split(":")[1]): e for e in errors if e.startswith("bad.py")}
    expected = {
        3: 'Unexpected keyword argument "rejectUnauthorized" for "connect"',
        4: 'Argument "reject_unauthorized" to "connect" has incompatible type "str"',
        5: 'Argument "handshake_timeout" to "create_server" has incompatible type "str"',
        6: 'Argument "ciphers" to "create_secure_context" has incompatible type "int"',
        7: 'Unexpected keyword argument "isServer" for "TLSSocket"',
        8: 'Argument "ciphers" to "set_secure_context" of "Server" has incompatible type "int"',
    }
    assert sorted(bad) == sorted(expected), out.stdout
    for line, message in expected.items():
        assert message in bad[line]


def test_runtime_still_names_an_unknown_keyword() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'rejectUnauthorized'"):
        tls.create_secure_context(rejectUnauthorized=False)
    with pytest.raises(TypeError, match="unexpected keyword argument 'handshakeTimeout'"):
        tls.create_server(handshakeTimeout=1)
