"""``python -m nodetls server`` against ``openssl s_client`` and against itself."""

from __future__ import annotations

import signal
import stat
from pathlib import Path

import pytest
import trustme

from .conftest import NODETLS, Background, NodetlsServer, nodetls


@pytest.mark.timeout(60)
def test_openssl_s_client_verifies_the_made_certificate_and_gets_the_echo(
        nodetls_server: NodetlsServer, background: list[Background]) -> None:
    client = Background(["openssl", "s_client", "-brief", "-connect",
                         f"127.0.0.1:{nodetls_server.port}", "-servername", "localhost",
                         "-CAfile", str(nodetls_server.cert_path), "-verify_return_error",
                         "-alpn", "h2"], merge_stderr=True)
    background.append(client)
    client.expect(r"^Protocol version: TLSv1\.3")
    client.expect(r"^Verification: OK")
    assert client.proc.stdin is not None
    client.proc.stdin.write(b"echo me\n")
    client.proc.stdin.flush()
    client.expect(r"^echo me$")
    log = nodetls_server.proc.expect(r"secure connection: ")
    line = log.string
    assert "] secure connection: TLSv1.3 TLS_" in line
    assert "alpn none" in line  # the server offers no ALPN unless --alpn is given
    assert "servername localhost" in line
    client.proc.stdin.close()
    assert client.proc.wait(timeout=15) == 0
    nodetls_server.proc.expect(r"\] closed$")


@pytest.mark.timeout(60)
def test_sigterm_stops_the_server_and_removes_the_certificate_file(
        nodetls_server: NodetlsServer) -> None:
    assert nodetls_server.cert_path.exists()
    assert nodetls_server.proc.stop(signal.SIGTERM) == 0
    assert not nodetls_server.cert_path.exists()
    nodetls_server.proc.expect(r"^stopping$")


@pytest.mark.timeout(60)
def test_alpn_request_cert_and_keylog(background: list[Background], tmp_path: Path,
                                      ca: trustme.CA, server_cert: trustme.LeafCert,
                                      client_cert: trustme.LeafCert) -> None:
    files = {
        "ca.pem": ca.cert_pem.bytes(),
        "server.pem": server_cert.cert_chain_pems[0].bytes(),
        "server.key": server_cert.private_key_pem.bytes(),
        "client.pem": client_cert.cert_chain_pems[0].bytes(),
        "client.key": client_cert.private_key_pem.bytes(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    keylog = tmp_path / "keys.log"
    server = Background([*NODETLS, "server", "--port", "0", "--cert", str(tmp_path / "server.pem"),
                         "--key", str(tmp_path / "server.key"), "--ca", str(tmp_path / "ca.pem"),
                         "--request-cert", "--alpn", "h2,http/1.1", "--keylog", str(keylog)])
    background.append(server)
    port = server.expect(r"^listening on 127\.0\.0\.1:(\d+) ").group(1)
    client = nodetls("client", f"localhost:{port}", "--ca", str(tmp_path / "ca.pem"),
                     "--cert", str(tmp_path / "client.pem"), "--key",
                     str(tmp_path / "client.key"), "--alpn", "http/1.1", input=b"hi\n")
    assert client.returncode == 0, client.stderr.decode()
    assert client.stdout == b"hi\n"
    assert b"alpn: http/1.1" in client.stderr
    line = server.expect(r"secure connection: ").string
    assert "alpn http/1.1" in line
    assert "client certificate authorized (subject {" in line
    assert line.endswith('"CN": "client"})')
    # A client without a certificate is let in (--request-cert, not --require-cert).
    anonymous = nodetls("client", f"localhost:{port}", "--ca", str(tmp_path / "ca.pem"),
                        input=b"")
    assert anonymous.returncode == 0, anonymous.stderr.decode()
    line = server.expect(r"secure connection: ").string
    assert "client certificate not authorized: UNABLE_TO_GET_ISSUER_CERT (none sent)" in line
    text = keylog.read_text()
    assert "SERVER_TRAFFIC_SECRET_0 " in text and "CLIENT_HANDSHAKE_TRAFFIC_SECRET " in text
    assert stat.S_IMODE(keylog.stat().st_mode) == 0o600


@pytest.mark.timeout(60)
def test_require_cert_refuses_a_client_without_one(background: list[Background]) -> None:
    server = Background([*NODETLS, "server", "--port", "0", "--require-cert"])
    background.append(server)
    cert = server.expect(r"written to (\S+) ").group(1)
    port = server.expect(r"^listening on 127\.0\.0\.1:(\d+) ").group(1)
    # TLS 1.2 so that the refusal comes during the handshake the client is waiting for.
    client = nodetls("client", f"localhost:{port}", "--ca", cert, "--max-version", "TLSv1.2")
    assert client.returncode == 1
    assert client.stderr.decode().startswith("error: ERR_SSL_")
    server.expect(r"TLS error before the handshake completed: ERR_SSL_")


def test_a_missing_certificate_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = nodetls("server", "--port", "0", "--cert", str(tmp_path / "none.pem"),
                   "--key", str(tmp_path / "none.key"))
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("error: ENOENT: cannot read ")


def test_a_bad_certificate_is_reported_with_node_s_code(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_bytes(b"not a certificate\n")
    proc = nodetls("server", "--port", "0", "--cert", str(tmp_path / "junk.pem"),
                   "--key", str(tmp_path / "junk.pem"))
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("error: ERR_OSSL_PEM_NO_START_LINE: ")
