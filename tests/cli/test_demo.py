"""``python -m nodetls demo``, ``--version`` and ``--help``."""

from __future__ import annotations

import json
import re
import time

import pytest

from .conftest import nodetls


@pytest.mark.timeout(60)
def test_demo_runs_a_verified_tls13_echo_and_exits_0() -> None:
    started = time.monotonic()
    proc = nodetls("demo")
    elapsed = time.monotonic() - started
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    assert proc.stderr == b""
    assert "protocol: TLSv1.3" in out
    assert re.search(r"cipher: TLS_\w+", out)
    assert "alpn: http/1.1" in out
    assert "authorization: authorized" in out
    assert "servername 'localhost', alpn 'http/1.1'" in out  # as the server saw it
    assert "client: data  b'hello over TLS\\n' (the echo)" in out
    assert "client: closed" in out and "server: closed" in out
    # The abridged peer certificate is JSON in Node's shape.
    block = out.split("(get_peer_certificate(), abridged):\n", 1)[1]
    text = "\n".join(line[10:] for line in block.splitlines()
                     if line.startswith("          "))
    cert = json.loads(text)
    assert cert["subject"] == {"CN": "localhost"} == cert["issuer"]
    assert cert["subjectaltname"] == ("DNS:localhost, IP Address:127.0.0.1, "
                                      "IP Address:0:0:0:0:0:0:0:1")
    assert set(cert) == {"subject", "issuer", "subjectaltname", "valid_from", "valid_to",
                         "fingerprint256", "serialNumber"}
    assert f"fingerprint256 {cert['fingerprint256']}" in out
    assert elapsed < 10  # it aims at well under 2 s; the bound only catches a hang


def test_version() -> None:
    proc = nodetls("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"nodetls \d+\.\d+\.\d+\S*\n", proc.stdout.decode())


@pytest.mark.parametrize("command", ["demo", "server", "client"])
def test_each_command_has_help(command: str) -> None:
    proc = nodetls(command, "--help")
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith(f"usage: python -m nodetls {command}")


@pytest.mark.parametrize(
    "args",
    [[], ["client"], ["client", "localhost"], ["client", "host:99999"],
     ["server", "--cert", "c.pem"], ["client", "x:1", "--min-version", "SSLv3"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    proc = nodetls(*args)
    assert proc.returncode == 2
    assert b"usage:" in proc.stderr
