"""Seed corpora for the fuzz targets, made from real handshakes and real key material.

``seeds()`` returns ``{target: [input, ...]}``; the hypothesis tests mutate these in
memory, and ``python -m tests.fuzz.make_corpus DIR`` (``make fuzz`` does it) writes them to
``DIR/<target>/seed-NNN`` for atheris.  They are made on each run, not committed: they
hold certificates, which expire.

Engine seeds are the flights of real TLS 1.2 and 1.3 handshakes (``Pair.wire``), each
addressed to the stage and side that received it, raw and with small mutations; session
seeds are real sessions from a server with the targets' fixed ticket keys, so they resume.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from nodetls.engine import TLSEngine
from tests import certlab
from tests.fuzz.harness import encode, material
from tests.fuzz.targets import OPTION_NAMES, PEM_FIELDS, TICKET_KEYS, VERSIONS, new_pair
from tests.support.openssl import openssl


def engine_seeds() -> list[bytes]:
    out = []
    for v, version in enumerate(VERSIONS):
        pair = new_pair(version)
        pair.handshake()
        flights: list[tuple[TLSEngine, bytes]] = []
        for side in (pair.client, pair.server):
            flights += [(pair.peer(side), f) for f in pair.wire[side]]
        for stage in range(5):
            to_server = stage % 2 == 0
            for target, flight in flights:
                if (target is pair.server) == to_server:
                    selector = v | (2 if to_server else 0)
                    out.append(bytes([selector, stage]) + flight)
            for mutation in (b"\x05\x00\x00\xff\xff", b"\x00\x00\x01", b"\x03\x00\x02\x16\x03"):
                out.append(bytes([v | 4 | (2 if to_server else 0), stage]) + mutation)
    return out


def option_seed(api: int, opts: dict[str, object]) -> bytes:
    body = b"".join(bytes([OPTION_NAMES.index(k)]) + encode(v) for k, v in opts.items())
    return bytes([api, len(opts)]) + body


def options_seeds() -> list[bytes]:
    m = material()
    sets: list[dict[str, object]] = [
        {"ciphers": "ECDHE-RSA-AES128-GCM-SHA256:HIGH", "min_version": "TLSv1.2"},
        {"alpn_protocols": ["h2", "http/1.1"], "servername": "localhost"},
        {"ecdh_curve": "P-256:X25519", "session_timeout": 300, "secure_options": 4},
        {"key": m.key, "cert": m.cert, "ca": [m.ca]},
        {"sigalgs": "ecdsa_secp256r1_sha256", "max_version": "TLSv1.3"},
        {"reject_unauthorized": False, "handshake_timeout": 1000, "request_cert": True},
        {"ticket_keys": TICKET_KEYS, "session_id_context": "abc", "honor_cipher_order": True},
        {"high_water_mark": 1024, "min_dh_size": 2048, "session": b"\x30\x00"},
    ]
    return [option_seed(api, opts) for opts in sets for api in range(3)]


def pem_seeds() -> list[bytes]:
    m = material()
    key = serialization.load_pem_private_key(m.key, None)
    cert = x509.load_pem_x509_certificate(m.cert)
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    enc_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(b"secret"))
    pfx = pkcs12.serialize_key_and_certificates(b"x", key, cert, None,  # type: ignore[arg-type]
                                                serialization.NoEncryption())
    pfx_pw = pkcs12.serialize_key_and_certificates(b"x", key, cert, None,  # type: ignore[arg-type]
                                                   serialization.BestAvailableEncryption(b"pw"))
    dh = openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                 "dh_param:ffdhe2048", with_stderr=False).encode()
    field = PEM_FIELDS.index
    return [
        bytes([field("cert")]) + m.cert,
        bytes([field("cert")]) + m.leaf_der,
        bytes([field("cert") | 0x20]) + m.cert,
        bytes([field("key")]) + m.key,
        bytes([field("key")]) + der_key,
        bytes([field("key") | 0x10, 6]) + b"secret" + enc_key,
        bytes([field("ca")]) + m.ca,
        bytes([field("ca") | 0x40]) + m.ca_der,
        bytes([field("pfx")]) + pfx,
        bytes([field("pfx") | 0x10, 2]) + b"pw" + pfx_pw,
        bytes([field("crl")]) + crl_pem(),
        bytes([field("dhparam")]) + dh,
    ]


def crl_pem() -> bytes:
    ca_key = certlab.ec_key()
    ca = certlab.issue(certlab.cn("fuzz CA"), ca_key, ca=True)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
           .last_update(certlab.days(-1)).next_update(certlab.days(30))
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(7)
                                    .revocation_date(certlab.days(-1)).build())
           .sign(ca_key, certlab.hashes.SHA256()))
    return crl.public_bytes(serialization.Encoding.PEM)


def cert_seeds() -> list[bytes]:
    m = material()
    key = certlab.rsa_key(1024)
    rich = certlab.issue(certlab.cn("rich.example"), key, extensions=[
        x509.SubjectAlternativeName([
            x509.DNSName("a.example"), x509.IPAddress(ipaddress.ip_address("::1")),
            x509.RFC822Name("u@example.com"), x509.UniformResourceIdentifier("https://x/")]),
        x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP,
            x509.UniformResourceIdentifier("http://ocsp.example/"))]),
        x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
    ])
    return [m.leaf_der, m.ca_der, rich.public_bytes(serialization.Encoding.DER)]


def identity_seeds() -> list[bytes]:
    def seed(selector: int, host: str, cn: object, san: str) -> bytes:
        raw_host, raw_san = host.encode(), san.encode()
        return (bytes([selector, len(raw_host)]) + raw_host + encode(cn)
                + bytes([len(raw_san)]) + raw_san)

    return [
        seed(0xF, "localhost", "localhost", "DNS:localhost, IP Address:127.0.0.1"),
        seed(0xF, "a.example.com", "x", 'DNS:*.example.com, DNS:"quoted, name"'),
        seed(0xF, "::1", ["a", "b"], "IP Address:0:0:0:0:0:0:0:1, URI:http://x/"),
        seed(0x3, "xn--bcher-kva.example", "*.example", ""),
    ]


def session_seeds() -> list[bytes]:
    out = []
    for v, version in enumerate(VERSIONS):
        pair = new_pair(version)
        pair.handshake()
        der = pair.client.session()
        assert der is not None
        out.append(bytes([v]) + der)
    return out


def ticket_key_seeds() -> list[bytes]:
    return [b"\x01" + TICKET_KEYS, b"\x03" + TICKET_KEYS, b"\x05" + TICKET_KEYS,
            b"\x00" + encode([TICKET_KEYS, TICKET_KEYS]), b"\x00" + encode("x" * 48)]


def seeds() -> dict[str, list[bytes]]:
    return {
        "engine_receive": engine_seeds(),
        "options": options_seeds(),
        "pem_der_pfx": pem_seeds(),
        "cert_object": cert_seeds(),
        "identity": identity_seeds(),
        "session": session_seeds(),
        "ticket_keys": ticket_key_seeds(),
    }


def main(directory: str) -> None:
    for target, inputs in seeds().items():
        folder = Path(directory) / target
        folder.mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(inputs):
            (folder / f"seed-{i:03d}").write_bytes(data)


if __name__ == "__main__":
    main(sys.argv[1])
