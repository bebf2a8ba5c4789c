"""The default trust store as Node's later versions have it, beside Node v20 (issue 14, A11).

``NODE_EXTRA_CA_CERTS`` is read once, at start, so each case runs in a fresh process: a
Python child importing nodetls and a Node v20 child, with the same environment, each
connecting without ``ca`` to one nodetls server whose CA only the extra file (or the
"system" store, ``SSL_CERT_FILE``) holds.  Both must agree on ``authorized``; a bad file is
a warning (Node's words) in both, never a crash.  ``use_system_ca`` is compared with Node
v20's nearest scenario, ``--use-openssl-ca`` (trust OpenSSL's store) with the same
``SSL_CERT_FILE``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.support.certs import Certs
from tests.support.node import NODE
from tests.support.procs import Peer
from tests.tls.tlsutil import serving

pytestmark = pytest.mark.timeout(60)

PYTHON_CHILD = r"""
import asyncio, json, os, sys, warnings
from tests.support.procs import Peer
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import nodetls as tls

async def attempt(**options):
    try:
        sock = await tls.connect(int(os.environ["PORT"]), "127.0.0.1", servername="localhost",
                                 reject_unauthorized=False, **options)
    except Exception as exc:
        return {"error": repr(exc)}
    sock.destroy()
    return {"authorized": sock.authorized, "reason": sock.authorization_error}

async def main():
    out = {"warnings": [str(w.message) for w in caught],
           "kinds": {k: list(tls.get_ca_certificates(k))
                     for k in ("default", "bundled", "system", "extra")},
           "plain": await attempt(),
           "other_ca": await attempt(ca=os.environ["OTHER_CA"]),
           "system": await attempt(use_system_ca=True)}
    print(json.dumps(out))

asyncio.run(main())
"""

NODE_CHILD = r"""
const tls = require('tls');
const attempt = (options) => new Promise((resolve) => {
  const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', servername: 'localhost',
                         rejectUnauthorized: false, ...options}, () => {
    resolve({authorized: s.authorized, reason: s.authorizationError ?? null}); s.destroy(); });
  s.on('error', (e) => resolve({error: e.message}));
});
(async () => {
  console.log(JSON.stringify({plain: await attempt({}),
                              other_ca: await attempt({ca: process.env.OTHER_CA})}));
})();
"""


async def _run(argv: list[str], env: dict[str, str]) -> tuple[dict[str, Any], str]:
    peer = await Peer.start(*argv, stdin=False, base_env=env)
    proc = peer.proc
    try:
        out, err = await peer.output(timeout=30)
    finally:
        await peer.stop()
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, f"child printed nothing: rc={proc.returncode} {err.decode()[-2000:]}"
    return json.loads(lines[-1]), err.decode()


def _env(port: int, other_ca: bytes, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR")}
    src = str(Path(tls.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return {**env, "PORT": str(port), "OTHER_CA": other_ca.decode(), **extra}


async def _both(env: dict[str, str],
                *node_flags: str) -> tuple[dict[str, Any], str, dict[str, Any], str]:
    ours, our_err = await _run([sys.executable, "-c", PYTHON_CHILD], env)
    node, node_err = await _run([NODE, *node_flags, "-e", NODE_CHILD], env)
    return ours, our_err, node, node_err


@pytest.fixture
def files(tmp_path: Path, certs: Certs) -> dict[str, Path]:
    bad_block = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    made = {"ca": certs.ca, "mixed": certs.ca + bad_block, "bad": bad_block,
            "garbage": b"not a certificate at all\n"}
    paths = {}
    for name, data in made.items():
        paths[name] = tmp_path / f"{name}.pem"
        paths[name].write_bytes(data)
    paths["empty_dir"] = tmp_path / "empty"
    paths["empty_dir"].mkdir()
    paths["missing"] = tmp_path / "missing.pem"
    return paths


OTHER = trustme.CA().cert_pem.bytes()


async def test_node_extra_ca_certs_joins_the_default_store(certs: Certs,
                                                           files: dict[str, Path]) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert) as (_, port):
        ours, _, node, _ = await _both(_env(port, OTHER, NODE_EXTRA_CA_CERTS=str(files["ca"])))
    assert node["plain"] == ours["plain"] == {"authorized": True, "reason": None}
    # An explicit ``ca`` replaces the whole default store, extra certificates included.
    for result in (node["other_ca"], ours["other_ca"]):
        assert result == {"authorized": False, "reason": "UNABLE_TO_VERIFY_LEAF_SIGNATURE"}
    kinds = ours["kinds"]
    assert kinds["extra"] == [certs.ca.decode().strip()]
    assert kinds["default"] == kinds["bundled"] + kinds["extra"]
    assert kinds["bundled"] == list(tls.root_certificates)
    assert ours["warnings"] == []


@pytest.mark.parametrize("name", ["mixed", "bad", "missing", "garbage", "empty_dir"])
async def test_a_bad_extra_file_is_a_warning_as_in_node(certs: Certs, files: dict[str, Path],
                                                        name: str) -> None:
    path = str(files[name])
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert) as (_, port):
        ours, _, node, node_err = await _both(_env(port, OTHER, NODE_EXTRA_CA_CERTS=path))
    # Node v20 keeps the certificates read before the bad one, despite its message.
    assert ours["plain"]["authorized"] is node["plain"]["authorized"] is (name == "mixed")
    prefix = f"Ignoring extra certs from `{path}`, load failed: "
    node_warned = f"Warning: {prefix}" in node_err
    assert node_warned is (name in ("mixed", "bad", "missing"))
    if node_warned:
        (warning,) = ours["warnings"]
        assert warning.startswith(prefix)
        reason = warning[len(prefix):]
        assert reason in node_err  # the same OpenSSL or OS reason
    else:
        assert ours["warnings"] == []  # text without PEM blocks, a directory: nothing
    assert len(ours["kinds"]["extra"]) == (1 if name == "mixed" else 0)


async def test_use_system_ca_trusts_the_openssl_store(certs: Certs,
                                                      files: dict[str, Path]) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert) as (_, port):
        env = _env(port, OTHER, SSL_CERT_FILE=str(files["ca"]),
                   SSL_CERT_DIR=str(files["empty_dir"]))
        ours, _, node, _ = await _both(env, "--use-openssl-ca")
    assert ours["system"] == node["plain"] == {"authorized": True, "reason": None}
    assert ours["plain"] == {"authorized": False, "reason": "UNABLE_TO_VERIFY_LEAF_SIGNATURE"}
    assert ours["kinds"]["system"] == [certs.ca.decode().strip()]
    assert ours["kinds"]["default"] == ours["kinds"]["bundled"]  # no extra, no system
