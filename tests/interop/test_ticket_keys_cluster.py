"""Ticket keys shared between server processes: two nodetls server processes and a Node
server process with the same 48-byte ``ticket_keys`` (Node's layout: 16 name, 16
HMAC-SHA256, 16 AES-128-CBC) resume each other's tickets, whichever client made them
(nodetls, Node, ``openssl s_client``).  Also: the default ``session_id_context`` (Node's
rule: derived from the command line, so only processes started alike share it), and the
ticket lifetime hint that ``session_timeout`` sets, read back with ``openssl sess_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.interop.resumelab import node_client, py_client, server_config, server_process
from tests.support.certs import Certs
from tests.support.openssl import openssl, reused_line, s_client

KEYS = os.urandom(48)
SID = "nodetls-cluster"
VERSIONS = ["TLSv1.3", "TLSv1.2"]
SERVERS = ["py-a", "py-b", "node"]


@contextlib.asynccontextmanager
async def cluster(certs: Certs, **options: object) -> AsyncIterator[dict[str, int]]:
    """Three server processes with the same keys: nodetls twice (same command line), Node."""
    env = server_config(certs.key, certs.cert, ticket_keys=KEYS, **options)
    async with contextlib.AsyncExitStack() as stack:
        starting = [stack.enter_async_context(server_process(kind, env))
                    for kind in ("py", "py", "node")]
        procs = await asyncio.gather(*starting)
        yield {name: port for name, (_, port) in zip(SERVERS, procs, strict=True)}


PAIRS = list(itertools.permutations(SERVERS, 2))


@pytest.mark.parametrize("version", VERSIONS)
async def test_nodetls_client_across_the_cluster(certs: Certs, version: str) -> None:
    async with cluster(certs, session_id_context=SID) as ports:
        for issuer, resumer in PAIRS:
            first = await py_client(ports[issuer], certs.ca, max_version=version)
            assert first["reused"] is False and first["protocol"] == version
            second = await py_client(ports[resumer], certs.ca, session=first["sessions"][-1],
                                     max_version=version)
            assert second["reused"] is True, f"{issuer} -> {resumer}"


@pytest.mark.parametrize("version", VERSIONS)
async def test_node_client_across_the_cluster(certs: Certs, version: str) -> None:
    async with cluster(certs, session_id_context=SID) as ports:
        for issuer, resumer in PAIRS:
            first = await node_client(ports[issuer], certs.ca, max_version=version)
            assert first["reused"] is False and first["protocol"] == version
            session = bytes.fromhex(first["sessions"][-1])
            second = await node_client(ports[resumer], certs.ca, session=session,
                                       max_version=version)
            assert second["reused"] is True, f"{issuer} -> {resumer}"


@pytest.mark.parametrize("flag", ["-tls1_3", "-tls1_2"])
async def test_s_client_across_the_cluster(certs: Certs, tmp_path: Path, flag: str) -> None:
    (tmp_path / "ca.pem").write_bytes(certs.ca)
    common = (flag, "-CAfile", str(tmp_path / "ca.pem"), "-servername", "localhost")
    async with cluster(certs, session_id_context=SID) as ports:
        for n, (issuer, resumer) in enumerate(PAIRS):
            sess = str(tmp_path / f"{n}.pem")
            first = reused_line(await s_client(ports[issuer], *common, "-sess_out", sess))
            second = reused_line(await s_client(ports[resumer], *common, "-sess_in", sess))
            version = "TLSv1.3" if flag == "-tls1_3" else "TLSv1.2"
            assert first.startswith(f"New, {version}")
            assert second.startswith(f"Reused, {version}"), f"{issuer} -> {resumer}"


async def test_default_session_id_context_follows_the_command_line(certs: Certs) -> None:
    """Node's default id context is sha1(argv)[:32]: two nodetls processes started with the
    same command line resume each other's tickets without setting one; a process started
    with another command line has the same keys but refuses them (a full handshake)."""
    env = server_config(certs.key, certs.cert, ticket_keys=KEYS)
    async with (server_process("py", env) as (_, a), server_process("py", env) as (_, b),
                server_process("py", env, "other-argv") as (_, c)):
        first = await py_client(a, certs.ca)
        assert (await py_client(b, certs.ca, session=first["sessions"][-1]))["reused"] is True
        refused = await py_client(c, certs.ca, session=first["sessions"][-1])
        assert refused["reused"] is False and refused["protocol"] == "TLSv1.3"
        assert refused["sessions"], "the refused ticket is replaced"


async def _lifetime_hint(port: int, tmp_path: Path, flag: str) -> str:
    sess = tmp_path / f"{port}{flag}.pem"
    reused_line(await s_client(port, flag, "-sess_out", str(sess)))
    out = await asyncio.to_thread(openssl, "sess_id", "-in", sess, "-noout", "-text")
    for line in out.splitlines():
        if "lifetime hint" in line:
            return line.strip()
    raise AssertionError(out)


@pytest.mark.parametrize("flag", ["-tls1_3", "-tls1_2"])
async def test_session_timeout_sets_the_ticket_lifetime_hint(certs: Certs, tmp_path: Path,
                                                             flag: str) -> None:
    """``session_timeout`` (seconds) is the lifetime hint in the ticket, as Node's
    ``sessionTimeout`` (checked against a Node server); the default is OpenSSL's 7200."""
    hints = {}
    for timeout in (60, None):
        env = server_config(certs.key, certs.cert, session_timeout=timeout)
        async with server_process("py", env) as (_, py), server_process("node", env) as (_, nd):
            hints[timeout] = (await _lifetime_hint(py, tmp_path, flag),
                              await _lifetime_hint(nd, tmp_path, flag))
    assert hints[60] == ("TLS session ticket lifetime hint: 60 (seconds)",) * 2
    assert hints[None] == ("TLS session ticket lifetime hint: 7200 (seconds)",) * 2


OLD = os.urandom(48)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_ring_interoperates_with_node_holding_its_current_key(certs: Certs,
                                                                      version: str) -> None:
    """nodetls processes with the ring ``[KEYS, OLD]`` and a Node process with ``KEYS``
    (the ring's current key) resume each other's tickets, Node and nodetls clients alike;
    a ticket under ``OLD`` resumes on the ring only (Node: a full handshake)."""
    ring = server_config(certs.key, certs.cert, ticket_keys=[KEYS, OLD],
                         session_id_context=SID)
    old = server_config(certs.key, certs.cert, ticket_keys=OLD, session_id_context=SID)
    node = server_config(certs.key, certs.cert, ticket_keys=KEYS, session_id_context=SID)
    async with (server_process("py", ring) as (_, py), server_process("node", node) as (_, nd),
                server_process("py", old) as (_, before)):
        for issuer, resumer in ((py, nd), (nd, py)):
            first = await node_client(issuer, certs.ca, max_version=version)
            session = bytes.fromhex(first["sessions"][-1])
            again = await node_client(resumer, certs.ca, session=session, max_version=version)
            assert again["reused"] is True, (issuer, resumer)
        older = (await py_client(before, certs.ca, max_version=version))["sessions"][-1]
        renewed = await py_client(py, certs.ca, session=older, max_version=version)
        assert renewed["reused"] is True
        refused = await py_client(nd, certs.ca, session=older, max_version=version)
        assert refused["reused"] is False
        if version == "TLSv1.2":  # the new ticket came in the handshake: under KEYS
            assert renewed["ticket"][:16] == KEYS[:16]
        else:  # TLS 1.3: after it, as a new session that Node resumes
            moved = await py_client(nd, certs.ca, session=renewed["sessions"][-1],
                                    max_version=version)
            assert moved["reused"] is True
