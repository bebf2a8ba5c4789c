"""Every fuzz finding, kept: the input that found it, and the behaviour now expected.

Node v20 is the reference for each (checked by running it):
* ``session=`` that is not a buffer: Node throws ``ERR_INVALID_ARG_TYPE`` "Session must be
  a buffer" (an int used to reach ``bytes(n)`` and allocate n zero bytes: ``2**40`` was a
  ``MemoryError``); ``set_session`` also takes a string (latin-1), as Node's does.
* a client ``alpn_protocols`` buffer that is not valid wire format: Node aborts the process
  (``SSL_set_alpn_protos`` assertion); nodetls refuses it with ``ERR_INVALID_ARG_VALUE``.
* a ``servername`` OpenSSL refuses (a NUL byte, > 255 bytes): Node ignores the refusal and
  sends no SNI; nodetls raised the engine's internal ``TLSError``.
* ``connect()`` destroyed before its task first ran left a never-awaited coroutine.
* a certificate whose public key does not decode: building the detailed certificate object
  left a record in OpenSSL's error queue (Node clears it on return).
* every event loop that ran a socket stayed alive (its tick queue held it).
"""

from __future__ import annotations

import asyncio
import base64
import gc
import warnings
import weakref
from typing import Any

import pytest

import nodetls as tls
from tests.fuzz import targets
from tests.support.certs import Certs
from tests.support.events import wait
from tests.tls.tlsutil import serving

CRASHES = {
    "options": [
        "AgIDBwIFAmgxBQho/wAAAAD///90cC8wLjE0BQlsb2NhbP//////bGhvc3Q=",
        "AgIDBwIFAmgyBQhodHRwLzEuMTQFCQBsb2NhbGhvcwI4DSPJnJ50YTI1",
        "egGzAwAAAAAG",
        "egGzBAE=",
        # session_id_context too long: a TypeError without a code, OpenSSL's printed
        # queue as its message, exactly as Node's (not a finding; kept as a seed).
        "Aco2/////////w4DK1gyNTVAAwAAAAArADEDlgQAAAAA",
    ],
    # A certificate whose key algorithm OID is mangled: X509_check_issued left
    # "decode error" in OpenSSL's queue after the detailed certificate object was built.
    "cert_object": [
        (
        "MIIByDCCAW+gAwIBAgIUYb1OxDl4dnknXuOEoctMnjdCZVMwCgYIKoZIzj0EAwIwQDEXMBUGA1UECgwOdHJ1"
        "c3RtZSB2MS4yLjExJTAjBgNVBAsMHFRlc3RpbmcgQ0EgI0tOYTNGTmRZWUJmeVNWRnEwIBcNMDAwMTAxMDAw"
        "MDAwWhgPMzAwMDAxMDEwMDAwMDBaMEAxFzAVBgNVBAoMDnRydXN0bWUgdjEuMi4xMSUwIwYDVQQLDBxUZXN0"
        "aW5nIENBICNLTmEzRk5kWVlCZnlTVkZxMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Sacu3Vt77JrXWUN"
        "WUM1sfzDMpF9+mdWIclFd00GNpL4ni3t4Q94CLg6P0f+z0FjlUkIYezanRpQuPuT/oT/s6NFMEMwHQYDVR0O"
        "BBYEFNH+hFBjy35ttyrUqFItflsfcmg+MBIGA1UdEwEB/wQIMAYBAf8CAQkwDgYDVR0PAQH/BAQDAgGGMAoG"
        "CCqGSM49BAMCA0cAMEQCIFZC97P8xncFUdxgeZQY5O/UwhM+wIfeCe2zRUTWDqXeAiAQtvU/GHYqAJjmzvtz"
        "WhiE3qg3gZApD70NNa8+B0idvA=="
        ),
    ],
}


@pytest.mark.parametrize(("target", "data"), [
    (target, base64.b64decode(b64)) for target, inputs in CRASHES.items() for b64 in inputs
])
def test_crash_inputs_pass(target: str, data: bytes) -> None:
    targets.TARGETS[target](data)


@pytest.mark.parametrize("session", [2**40, 1.5, {}, ["x"], "a string", True])
async def test_session_option_must_be_a_buffer(session: Any) -> None:
    with pytest.raises(TypeError) as info:
        tls.connect(9, "127.0.0.1", session=session)
    assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_TYPE"
    assert str(info.value) == "Session must be a buffer"


@pytest.mark.parametrize("session", [None, 0, "", False])
async def test_falsy_session_is_ignored(session: Any) -> None:
    sock = tls.connect(9, "127.0.0.1", session=session)
    sock.on("error", lambda err: None)
    sock.destroy()


async def test_set_session_takes_buffers_and_strings() -> None:
    sock = tls.connect(9, "127.0.0.1")
    sock.on("error", lambda err: None)
    try:
        sock.set_session("garbage")  # latin-1 bytes: not a session, ignored as in Node
        sock.set_session(b"\x30\x00")
        with pytest.raises(TypeError) as info:
            sock.set_session(5)  # type: ignore[arg-type]
        assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_TYPE"
    finally:
        sock.destroy()


@pytest.mark.parametrize("alpn", [b"\x05h2", b"\x00", b"\x02h2\x00", [""], ["h2", ""]])
async def test_client_alpn_wire_must_be_valid(alpn: Any) -> None:
    with pytest.raises(TypeError) as info:
        tls.connect(9, "127.0.0.1", alpn_protocols=alpn)
    assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_VALUE"
    assert "options.alpn_protocols" in str(info.value)


async def test_valid_alpn_wire_is_accepted() -> None:
    sock = tls.connect(9, "127.0.0.1", alpn_protocols=b"\x02h2\x08http/1.1")
    sock.on("error", lambda err: None)
    sock.destroy()


@pytest.mark.parametrize("servername", ["\0localhost", "a" * 300])
async def test_servername_openssl_refuses_is_not_sent(certs: Certs, servername: str) -> None:
    seen: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    async with serving(lambda sock: seen.set_result(sock.servername),
                       key=certs.key, cert=certs.cert) as (_server, port):
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername=servername,
                           check_server_identity=lambda host, cert: None)
        try:
            await wait(sock, "secureConnect")
            assert await wait(seen, "secureConnection") is False
        finally:
            sock.destroy()


async def test_connect_destroyed_at_once_leaves_no_unawaited_coroutine() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sock = tls.connect(9, "127.0.0.1")
        sock.on("error", lambda err: None)
        sock.destroy()
        await asyncio.sleep(0)
        gc.collect()
    assert [w for w in caught if "never awaited" in str(w.message)] == []


def test_a_finished_event_loop_is_not_kept_alive() -> None:
    """Each loop's tick queue held its loop strongly, as the value of a dict keyed weakly
    by that loop: every loop that ever ran a nodetls socket stayed in memory (~4 KiB per
    ``asyncio.run``, seen as the fuzz runs' RSS growth)."""
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def use_a_socket() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        sock = tls.connect(9, "127.0.0.1")
        sock.on("error", lambda err: None)
        sock.destroy()
        await asyncio.sleep(0)

    for _ in range(3):
        asyncio.run(use_a_socket())
    gc.collect()
    assert [ref() for ref in loops] == [None, None, None]
