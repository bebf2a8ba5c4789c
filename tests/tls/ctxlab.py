"""Shared machinery for the secure-context tests: materials, Node as oracle, handshakes.

* ``Materials`` holds everything made at test time (once per session): an RSA root
  CA, an intermediate, RSA and ECDSA leaves, a second RSA key that matches nothing, an
  encrypted key, PKCS#12 files made with the ``openssl`` CLI, a CRL revoking the RSA
  leaf, and DH parameters of 512, 1024 (two encodings) and 2048 bits.
* ``node_create_secure_context(cases)`` runs every case through Node's
  ``tls.createSecureContext`` in ONE ``node`` process and returns Node's outcome per
  case (code, message, class, library, reason).  Options are written once, in Python
  spelling; ``to_node`` renames them and encodes ``bytes`` as Buffers.
* ``handshake(client, server)`` joins two ``TLSEngine``s from the engine layer in
  memory and returns them after the handshake: the effect tests check what OpenSSL
  actually negotiated with the contexts under test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from nodetls.engine import HandshakeDone, TLSEngine, TLSFailure
from tests.support.node import run_node
from tests.support.openssl import openssl

# -- materials ----------------------------------------------------------------------


@dataclass(frozen=True)
class Materials:
    ca_pem: str
    intermediate_pem: str
    rsa_key: str
    rsa_cert: str  # leaf only, issued by the root
    chain_key: str
    chain_cert: str  # leaf issued by the intermediate, followed by the intermediate
    chain_leaf: str  # that leaf alone
    ec_key: str
    ec_cert: str
    other_rsa_key: str
    encrypted_key: bytes  # rsa_key encrypted with "secret"
    pfx: bytes  # rsa_key + rsa_cert + root, passphrase "sesame"
    pfx_no_pass: bytes
    crl: str  # revokes rsa_cert
    dh512: str
    dh1024: str  # "DH PARAMETERS"
    dh1024_x942: str  # "X9.42 DH PARAMETERS"
    dh2048: str
    other_ca_pem: str


def _crl(ca: trustme.CA, revoked: str) -> str:
    import datetime

    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    serial = x509.load_pem_x509_certificate(revoked.encode()).serial_number
    now = datetime.datetime.now(datetime.UTC)
    entry = (x509.RevokedCertificateBuilder().serial_number(serial)
             .revocation_date(now - datetime.timedelta(minutes=5)).build())
    crl = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
           .last_update(now - datetime.timedelta(minutes=5))
           .next_update(now + datetime.timedelta(days=1))
           .add_revoked_certificate(entry).sign(key, hashes.SHA256()))  # type: ignore[arg-type]
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def make_materials(tmp: Path) -> Materials:
    rsa = trustme.KeyType.RSA
    ca = trustme.CA(key_type=rsa)
    child = ca.create_child_ca(key_type=rsa)
    leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=rsa)
    chained = child.issue_cert("localhost", key_type=rsa)
    ec_leaf = ca.issue_cert("localhost", key_type=trustme.KeyType.ECDSA)
    other = trustme.CA(key_type=rsa).issue_cert("localhost", key_type=rsa)
    rsa_key = leaf.private_key_pem.bytes()
    encrypted = serialization.load_pem_private_key(rsa_key, None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"))
    (tmp / "key.pem").write_bytes(rsa_key)
    (tmp / "cert.pem").write_bytes(leaf.cert_chain_pems[0].bytes())
    (tmp / "ca.pem").write_bytes(ca.cert_pem.bytes())
    for name, password in (("pass.pfx", "sesame"), ("nopass.pfx", "")):
        openssl("pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem",
                 "-certfile", "ca.pem", "-out", name, "-passout", f"pass:{password}", cwd=tmp)
    # Fast ways to DH parameters of each size: generating 1024-bit safe primes can
    # take seconds, the RFC 5114 group and DSA-style (X9.42) generation do not.
    dh = ("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt")
    openssl(*dh, "dh_paramgen_prime_len:512", "-out", "dh512.pem", cwd=tmp)
    openssl(*dh, "dh_rfc5114:1", "-out", "dh1024.pem", cwd=tmp)
    openssl("dhparam", "-dsaparam", "-out", "dh1024x942.pem", "1024", cwd=tmp)
    openssl(*dh, "group:ffdhe2048", "-out", "dh2048.pem", cwd=tmp)
    rsa_cert = leaf.cert_chain_pems[0].bytes().decode()
    return Materials(
        ca_pem=ca.cert_pem.bytes().decode(),
        intermediate_pem=child.cert_pem.bytes().decode(),
        rsa_key=rsa_key.decode(),
        rsa_cert=rsa_cert,
        chain_key=chained.private_key_pem.bytes().decode(),
        chain_cert="".join(p.bytes().decode() for p in chained.cert_chain_pems[:2]),
        chain_leaf=chained.cert_chain_pems[0].bytes().decode(),
        ec_key=ec_leaf.private_key_pem.bytes().decode(),
        ec_cert=ec_leaf.cert_chain_pems[0].bytes().decode(),
        other_rsa_key=other.private_key_pem.bytes().decode(),
        encrypted_key=encrypted,
        pfx=(tmp / "pass.pfx").read_bytes(),
        pfx_no_pass=(tmp / "nopass.pfx").read_bytes(),
        crl=_crl(ca, rsa_cert),
        dh512=(tmp / "dh512.pem").read_text(),
        dh1024=(tmp / "dh1024.pem").read_text(),
        dh1024_x942=(tmp / "dh1024x942.pem").read_text(),
        dh2048=(tmp / "dh2048.pem").read_text(),
        other_ca_pem=trustme.CA(key_type=rsa).cert_pem.bytes().decode(),
    )


# -- Node as the oracle ---------------------------------------------------------------

NAN = {"$num": "NaN"}

_ORACLE = r"""
const tls = require('tls');
function dec(v) {
  if (Array.isArray(v)) return v.map(dec);
  if (v && typeof v === 'object') {
    if ('$buf' in v) return Buffer.from(v.$buf, 'hex');
    if ('$num' in v) return Number(v.$num);
    const o = {};
    for (const k of Object.keys(v)) o[k] = dec(v[k]);
    return o;
  }
  return v;
}
const warnings = [];
process.on('warning', (w) => warnings.push(w.message));
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const results = cases.map((c) => {
  try {
    tls.createSecureContext(dec(c));
    return { ok: true };
  } catch (e) {
    return { ok: false, code: e.code === undefined ? null : e.code, message: e.message,
             name: e.name, library: e.library === undefined ? null : e.library,
             reason: e.reason === undefined ? null : e.reason };
  }
});
setImmediate(() => process.stdout.write(JSON.stringify({ results, warnings })));
"""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$buf": bytes(value).hex()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return NAN
    return value


def to_node(options: Mapping[str, Any]) -> dict[str, Any]:
    """Python keyword options -> the JSON of Node's options object."""
    return {camel(k): _encode(v) for k, v in options.items()}


def node_create_secure_context(cases: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                          list[str]]:
    out = run_node(_ORACLE, [to_node(c) for c in cases])
    return out["results"], out["warnings"]


def pythonize_message(message: str, names: Sequence[str]) -> str:
    """Node's message with Node's option names spelled the Python way."""
    for name in names:
        message = re.sub(rf"\b{re.escape(camel(name))}\b", name, message)
    return message


def strip_printed_queue(message: str) -> str:
    """OpenSSL's printed queue without its thread id and source location."""
    message = re.sub(r"^[0-9A-F]+:error:", "error:", message)
    return re.sub(r":[^:]*\.c:\d+:\n?$", "", message)


# -- handshakes -----------------------------------------------------------------------


@dataclass
class Handshake:
    client: TLSEngine
    server: TLSEngine
    client_events: list[Any]
    server_events: list[Any]

    @property
    def ok(self) -> bool:
        return (any(isinstance(e, HandshakeDone) for e in self.client_events)
                and any(isinstance(e, HandshakeDone) for e in self.server_events)
                and not self.failures)

    @property
    def failures(self) -> list[Any]:
        return [e for e in self.client_events + self.server_events if isinstance(e, TLSFailure)]


def handshake(client_ctx: Any, server_ctx: Any, *, session: bytes | None = None,
              servername: str | None = None) -> Handshake:
    """Two engines from the contexts' native halves, pumped in memory until quiet."""
    client = TLSEngine(client_ctx.context, is_server=False)
    server = TLSEngine(server_ctx.context, is_server=True)
    if session is not None:
        assert client.set_session(session)
    if servername is not None:
        client.set_servername(servername)
    result = Handshake(client, server, client.start(), [])
    for _ in range(50):
        moved = False
        if data := client.data_to_send():
            result.server_events += server.receive(data)
            moved = True
        if data := server.data_to_send():
            result.client_events += client.receive(data)
            moved = True
        if not moved:
            return result
    raise AssertionError("the handshake never went quiet")
