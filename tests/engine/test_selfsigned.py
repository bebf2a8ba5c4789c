"""``engine.selfsigned``: the certificate is judged by ``openssl`` and by Node, not by us."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nodetls.engine.selfsigned import KeyType, generate_self_signed, subject_alt_name
from tests.support.node import run_node
from tests.support.openssl import openssl

NAMES = ["localhost", "127.0.0.1", "::1"]
NOW = int(time.time())


def make(key_type: KeyType, names: list[str] = NAMES, *, days: int = 7) -> tuple[bytes, bytes]:
    return generate_self_signed(hostnames=names, common_name=names[0], key_type=key_type,
                                not_before=NOW - 60, not_after=NOW + days * 86400)


@pytest.fixture(scope="module", params=list(KeyType), ids=lambda k: k.value)
def pair(request: pytest.FixtureRequest) -> tuple[KeyType, bytes, bytes]:
    key, cert = make(request.param)
    return request.param, key, cert


def test_openssl_reads_the_certificate(pair: tuple[KeyType, bytes, bytes]) -> None:
    key_type, _, cert = pair
    text = openssl("x509", "-noout", "-text", input=cert)
    assert "Version: 3 (0x2)" in text
    assert "Subject: CN = localhost" in text
    assert "Issuer: CN = localhost" in text
    assert "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" in text
    assert "X509v3 Basic Constraints: critical\n                CA:FALSE" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    assert "Key Usage" not in text.replace("Extended Key Usage", "")
    signature = {KeyType.EC: "ecdsa-with-SHA256", KeyType.RSA: "sha256WithRSAEncryption"}
    assert f"Signature Algorithm: {signature[key_type]}" in text
    expected_key = {KeyType.EC: "NIST CURVE: P-256", KeyType.RSA: "Public-Key: (2048 bit)"}
    assert expected_key[key_type] in text


def test_the_key_is_pkcs8_and_matches(pair: tuple[KeyType, bytes, bytes]) -> None:
    _, key, cert = pair
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    from_key = openssl("pkey", "-pubout", input=key)
    from_cert = openssl("x509", "-noout", "-pubkey", input=cert)
    assert from_key == from_cert


def test_it_verifies_against_itself(pair: tuple[KeyType, bytes, bytes], tmp_path: Path) -> None:
    _, _, cert = pair
    path = tmp_path / "cert.pem"
    path.write_bytes(cert)
    out = openssl("verify", "-CAfile", str(path), "-purpose", "sslserver", str(path))
    assert out.strip().endswith(": OK")


def test_validity_is_what_was_asked() -> None:
    _, cert = generate_self_signed(hostnames=["a.test"], common_name="a.test",
                                  key_type=KeyType.EC, not_before=1_700_000_000,
                                  not_after=1_700_086_400)
    dates = openssl("x509", "-noout", "-startdate", "-enddate", input=cert).splitlines()
    parsed = [datetime.strptime(line.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT")
              .replace(tzinfo=UTC).timestamp() for line in dates]
    assert parsed == [1_700_000_000, 1_700_086_400]


def test_serials_are_random_positive_and_sixteen_bytes() -> None:
    serials = {openssl("x509", "-noout", "-serial", input=make(KeyType.EC)[1]).strip()
               for _ in range(3)}
    assert len(serials) == 3
    for line in serials:
        digits = line.removeprefix("serial=")
        assert len(digits) == 32
        assert 0x40 <= int(digits[:2], 16) <= 0x7F


def test_names_become_dns_or_ip_entries() -> None:
    assert subject_alt_name(["x.test", "*.y.test", "10.0.0.1", "fe80::1"]) == (
        "DNS:x.test,DNS:*.y.test,IP:10.0.0.1,IP:fe80::1")


@pytest.mark.parametrize("names", [[], ["a,b"], [" a"], [""]])
def test_names_the_config_syntax_cannot_hold_are_refused(names: list[str]) -> None:
    with pytest.raises(ValueError):
        subject_alt_name(names)


def test_validity_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="later"):
        generate_self_signed(hostnames=["a"], common_name="a", key_type=KeyType.EC,
                             not_before=NOW, not_after=NOW)


NODE_CHECK = r"""
const tls = require('tls');
const { X509Certificate } = require('crypto');
const { key, cert } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const results = {};
const legacy = new X509Certificate(cert).toLegacyObject();
for (const host of ['localhost', '127.0.0.1', '::1', 'example.com']) {
  const err = tls.checkServerIdentity(host, legacy);
  results['identity ' + host] = err ? err.code : 'ok';
}
const connectOnce = (port, opts) => new Promise((resolve) => {
  const sock = tls.connect({ port, host: '127.0.0.1', ...opts }, () => {
    resolve(sock.authorized ? 'authorized' : sock.authorizationError);
    sock.end();
  });
  sock.on('error', (err) => resolve(err.code));
});
const server = tls.createServer({ key, cert, requestCert: true, rejectUnauthorized: false,
                                  ca: [cert] }, (sock) => {
  results['server sees client'] ??= sock.authorized ? 'authorized' : sock.authorizationError;
  sock.end();
});
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  results.trusted = await connectOnce(port, { ca: [cert], servername: 'localhost', key, cert });
  results.untrusted = await connectOnce(port, { servername: 'localhost' });
  server.close();
  console.log(JSON.stringify(results));
});
"""


@pytest.mark.timeout(60)
def test_node_accepts_it_as_server_and_client_certificate(
        pair: tuple[KeyType, bytes, bytes]) -> None:
    _, key, cert = pair
    results = run_node(NODE_CHECK, {"key": key.decode(), "cert": cert.decode()}, timeout=30)
    assert results == {
        "identity localhost": "ok",
        "identity 127.0.0.1": "ok",
        "identity ::1": "ok",
        "identity example.com": "ERR_TLS_CERT_ALTNAME_INVALID",
        "trusted": "authorized",
        "server sees client": "authorized",
        "untrusted": "DEPTH_ZERO_SELF_SIGNED_CERT",
    }
