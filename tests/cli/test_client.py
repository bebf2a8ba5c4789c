"""``python -m nodetls client`` against ``openssl s_server``, Node and ``nodetls server``."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from .conftest import NODETLS, Background, NodetlsServer, nodetls


def certificate_json(stderr: bytes) -> dict[str, object]:
    text = stderr.decode().split("peer certificate: ", 1)[1]
    return dict(json.JSONDecoder().raw_decode(text)[0])


@pytest.fixture
def s_server(openssl_self_signed: tuple[Path, Path],
             background: list[Background]) -> Iterator[int]:
    """``openssl s_server -rev`` (answers each line reversed) on a free port."""
    key, cert = openssl_self_signed
    proc = Background(["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", str(cert),
                       "-key", str(key), "-rev"], merge_stderr=True)
    background.append(proc)
    yield int(proc.expect(r"^ACCEPT 127\.0\.0\.1:(\d+)$").group(1))


@pytest.mark.timeout(60)
def test_insecure_client_reports_the_peer_and_pipes_stdio(s_server: int) -> None:
    proc = nodetls("client", f"127.0.0.1:{s_server}", "--insecure", input=b"hello\n")
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert f"connected to 127.0.0.1:{s_server}\nprotocol: TLSv1.3\ncipher: TLS_" in err
    assert "authorization: not authorized: DEPTH_ZERO_SELF_SIGNED_CERT" in err
    cert = certificate_json(proc.stderr)
    assert cert["subject"] == {"CN": "s_server.test"}
    assert cert["subjectaltname"] == "DNS:localhost"
    assert cert["asn1Curve"] == "prime256v1"
    assert "raw" not in cert
    assert isinstance(cert["pubkey"], str) and len(cert["pubkey"]) == 130  # 65 bytes, hex
    assert b"olleh" in proc.stdout  # s_server -rev reversed our line


@pytest.mark.timeout(60)
def test_default_verification_fails_with_node_s_code(s_server: int) -> None:
    proc = nodetls("client", f"127.0.0.1:{s_server}", input=b"hello\n")
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        "error: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\n")
    assert proc.stdout == b""


@pytest.mark.timeout(60)
def test_ca_makes_it_trusted_and_the_name_is_checked(
        s_server: int, openssl_self_signed: tuple[Path, Path]) -> None:
    _, cert = openssl_self_signed
    good = nodetls("client", f"localhost:{s_server}", "--ca", str(cert))
    assert good.returncode == 0, good.stderr.decode()
    assert b"authorization: authorized" in good.stderr
    wrong = nodetls("client", f"127.0.0.1:{s_server}", "--ca", str(cert))
    assert wrong.returncode == 1
    assert wrong.stderr.decode().startswith(
        "error: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's "
        "altnames: IP: 127.0.0.1 is not in the cert's list: ")


@pytest.mark.timeout(60)
def test_against_nodetls_server_with_ca_sessions_and_keylog(
        nodetls_server: NodetlsServer, tmp_path: Path) -> None:
    target = f"localhost:{nodetls_server.port}"
    session = tmp_path / "session.bin"
    keylog = tmp_path / "keys.log"
    first = nodetls("client", target, "--ca", str(nodetls_server.cert_path),
                    "--session-out", str(session), "--keylog", str(keylog),
                    input=b"ping\n" * 3)
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout == b"ping\n" * 3
    assert b"authorization: authorized" in first.stderr
    cert = certificate_json(first.stderr)
    assert cert["subject"] == {"CN": "localhost"}
    assert b"CLIENT_TRAFFIC_SECRET_0 " in keylog.read_bytes()
    assert session.stat().st_size > 0
    second = nodetls("client", target, "--ca", str(nodetls_server.cert_path),
                     "--session-in", str(session), input=b"again\n")
    assert second.returncode == 0, second.stderr.decode()
    assert b"session reused: yes" in second.stderr
    assert second.stdout == b"again\n"


@pytest.mark.timeout(60)
def test_large_input_is_echoed_whole(nodetls_server: NodetlsServer) -> None:
    data = bytes(range(256)) * 8192  # 2 MiB through stdin, the TLS echo and stdout
    proc = nodetls("client", f"localhost:{nodetls_server.port}", "--ca",
                   str(nodetls_server.cert_path), input=data)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == data


@pytest.mark.timeout(60)
def test_tls12_and_a_cipher_choice(nodetls_server: NodetlsServer) -> None:
    proc = nodetls("client", f"localhost:{nodetls_server.port}", "--ca",
                   str(nodetls_server.cert_path), "--max-version", "TLSv1.2",
                   "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305")
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "protocol: TLSv1.2\ncipher: ECDHE-ECDSA-CHACHA20-POLY1305 " in err


NODE_SERVER = r"""
const tls = require('tls');
const { key, cert } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const server = tls.createServer({ key, cert, ALPNProtocols: ['h2'] }, (sock) => {
  sock.write(`hello ${sock.servername}\n`);
  sock.pipe(sock);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
"""


@pytest.mark.timeout(60)
def test_against_a_node_server(tmp_path: Path, ca: trustme.CA,
                               server_cert: trustme.LeafCert,
                               background: list[Background]) -> None:
    node = Background(["node", "-e", NODE_SERVER])
    background.append(node)
    assert node.proc.stdin is not None
    node.proc.stdin.write(json.dumps({
        "key": server_cert.private_key_pem.bytes().decode(),
        "cert": server_cert.cert_chain_pems[0].bytes().decode(),
    }).encode())
    node.proc.stdin.close()
    port = node.expect(r"^listening (\d+)$").group(1)
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem.bytes())
    proc = nodetls("client", f"localhost:{port}", "--ca", str(tmp_path / "ca.pem"),
                   "--alpn", "h2", input=b"from nodetls\n")
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "alpn: h2\nauthorization: authorized" in err
    assert proc.stdout == b"hello localhost\nfrom nodetls\n"


def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = nodetls("client", f"127.0.0.1:{port}")
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"error: ECONNREFUSED: connect ECONNREFUSED "
                                           f"127.0.0.1:{port}")


@pytest.mark.timeout(60)
def test_ctrl_c_ends_an_interactive_client_with_130(nodetls_server: NodetlsServer,
                                                   background: list[Background]) -> None:
    client = Background([*NODETLS, "client", f"localhost:{nodetls_server.port}", "--ca",
                         str(nodetls_server.cert_path)])
    background.append(client)
    nodetls_server.proc.expect(r"\] secure connection: ")
    assert client.proc.stdin is not None
    client.proc.stdin.write(b"typed\n")
    client.proc.stdin.flush()
    client.expect(r"^typed$")
    assert client.stop(signal.SIGINT) == 130
    assert b"Traceback" not in b"".join(client.stderr)
    nodetls_server.proc.expect(r"\] closed$")
