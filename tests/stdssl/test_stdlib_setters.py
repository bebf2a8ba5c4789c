"""The stdlib's setters on ``nodetls.SSLContext``: each changes a Node option (seen on a
real handshake), or raises ``NotImplementedError`` naming the option to use instead."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from nodetls import SSLContext
from tests.support.certs import Certs

from .stdutil import (
    Ends,
    client_context,
    server_context,
    stdlib_client_context,
    stdlib_server_context,
)


def _files(tmp_path: Path, certs: Certs) -> tuple[str, str, str]:
    paths = []
    for name, data in (("cert.pem", certs.cert), ("key.pem", certs.key), ("ca.pem", certs.ca)):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    return paths[0], paths[1], paths[2]


def test_load_cert_chain_and_load_verify_locations(certs: Certs, tmp_path: Path) -> None:
    cert, key, cafile = _files(tmp_path, certs)
    server = SSLContext(True)
    server.load_cert_chain(cert, key)
    client = SSLContext(False)
    client.load_verify_locations(cafile)
    ends = Ends(client, server)
    ends.handshake()
    assert ends.client.authorized is True
    for cadata in (certs.ca.decode(), ssl.PEM_cert_to_DER_cert(certs.ca.decode())):
        other = SSLContext(False)
        other.load_verify_locations(cadata=cadata)
        ends = Ends(other, server)
        ends.handshake()
        assert ends.client.authorized is True


def test_load_cert_chain_with_an_encrypted_key(certs: Certs, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(certs.key, None)
    encrypted = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"s3cret"))
    (tmp_path / "enc.pem").write_bytes(certs.cert + encrypted)
    server = SSLContext(True)
    server.load_cert_chain(str(tmp_path / "enc.pem"), password=lambda: b"s3cret")
    Ends(stdlib_client_context(certs), server).handshake()
    with pytest.raises(Exception) as info:
        SSLContext(True).load_cert_chain(str(tmp_path / "enc.pem"), password="wrong")
    assert "bad decrypt" in str(info.value)


def test_default_certs_keep_the_given_ca(certs: Certs) -> None:
    client = client_context(certs)
    client.load_default_certs()
    ends = Ends(client, server_context(certs))
    ends.handshake()
    assert ends.client.authorized is True


def test_check_hostname_and_verify_mode_on_a_client(certs: Certs) -> None:
    client = client_context(certs)
    assert (client.check_hostname, client.verify_mode) == (True, ssl.CERT_REQUIRED)
    with pytest.raises(ValueError, match="check_hostname is enabled"):
        client.verify_mode = ssl.CERT_NONE
    client.check_hostname = False
    Ends(client, server_context(certs), server_hostname="wrong.example").handshake()
    client.check_hostname = True
    with pytest.raises(ssl.SSLCertVerificationError):
        Ends(client, server_context(certs), server_hostname="wrong.example").handshake()
    stranger = SSLContext(False)  # Mozilla's roots do not know the test CA
    stranger.check_hostname = False
    stranger.verify_mode = ssl.CERT_NONE
    ends = Ends(stranger, server_context(certs))
    ends.handshake()
    assert (ends.client.authorized, ends.client.authorization_error) == (
        False, "UNABLE_TO_VERIFY_LEAF_SIGNATURE")
    with pytest.raises(NotImplementedError, match="reject_unauthorized"):
        stranger.verify_mode = ssl.CERT_OPTIONAL


def test_verify_mode_on_a_server_asks_for_client_certificates(certs: Certs) -> None:
    server = server_context(certs, ca=[certs.ca])
    assert server.verify_mode == ssl.CERT_NONE
    server.verify_mode = ssl.CERT_REQUIRED
    assert server.verify_mode == ssl.CERT_REQUIRED
    with_cert = client_context(certs, key=certs.client_key, cert=certs.client_cert)
    ends = Ends(with_cert, server)
    ends.handshake()
    assert ends.server.authorized is True
    assert ends.server.getpeercert()["subject"][-1] == (("commonName", "client"),)
    server.verify_mode = ssl.CERT_OPTIONAL
    ends = Ends(client_context(certs), server)
    ends.handshake()
    assert (ends.server.authorized, ends.server.getpeercert()) == (False, None)


def test_versions_options_ciphers_and_alpn(certs: Certs) -> None:
    client = client_context(certs)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    assert client.maximum_version == ssl.TLSVersion.TLSv1_2
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    client.set_alpn_protocols(["http/1.1"])
    server = stdlib_server_context(certs)
    server.set_alpn_protocols(["http/1.1"])
    ends = Ends(client, server)
    ends.handshake()
    assert ends.client.cipher() == ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLSv1.2", 128)
    assert ends.client.selected_alpn_protocol() == "http/1.1"
    client.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    client.options |= ssl.OP_NO_TLSv1_3
    ends = Ends(client, stdlib_server_context(certs))
    ends.handshake()
    assert ends.client.version() == "TLSv1.2"
    with pytest.raises(NotImplementedError, match="secure_options"):
        client.options &= ~ssl.OP_NO_TLSv1_3
    server_ctx = server_context(certs)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(ssl.SSLError):
        Ends(client, server_ctx).handshake()


def test_reconfiguring_keeps_the_ticket_keys(certs: Certs) -> None:
    server = server_context(certs)
    keys = server.get_ticket_keys()
    server.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384")
    assert server.get_ticket_keys() == keys


def test_what_has_no_nodetls_option_says_which_to_use(certs: Certs, tmp_path: Path) -> None:
    client, server = client_context(certs), server_context(certs)
    cases = [
        (lambda: client.load_verify_locations(capath=str(tmp_path)), "ca option"),
        (client.set_default_verify_paths, "ca option"),
        (lambda: setattr(server, "post_handshake_auth", True), "request_cert"),
        (lambda: setattr(client, "num_tickets", 4), "num_tickets"),
        (lambda: setattr(client, "hostname_checks_common_name", True), "check_server_identity"),
        (lambda: setattr(client, "verify_flags", ssl.VERIFY_CRL_CHECK_LEAF), "crl option"),
        (lambda: setattr(client, "sni_callback", lambda *a: None), "server option"),
        (lambda: setattr(server, "check_hostname", True), "request_cert"),
        (client.get_ca_certs, "ca option"),
        (client.get_ciphers, "nodetls.get_ciphers"),
    ]
    for call, hint in cases:
        with pytest.raises(NotImplementedError, match=hint):
            call()
    server.post_handshake_auth = False  # what it is already: nothing to refuse
    client.verify_flags = ssl.VERIFY_X509_TRUSTED_FIRST | ssl.VERIFY_X509_PARTIAL_CHAIN
    assert client.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN
