"""``server.set_secure_context(**options)``: new connections get the new certificate and
key, open connections keep working with the old ones; what carries over between calls
follows Node v20's ``Server.prototype.setSecureContext`` (checked with ``node``):
``ticket_keys`` and ``session_timeout`` are kept when not given again, while
``session_id_context`` falls back to the default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving


class Identity:
    def __init__(self, ca: trustme.CA, key_type: trustme.KeyType) -> None:
        leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=key_type)
        self.ca = ca.cert_pem.bytes()
        self.options: dict[str, Any] = {"key": leaf.private_key_pem.bytes(),
                        "cert": b"".join(p.bytes() for p in leaf.cert_chain_pems)}


@pytest.fixture(scope="module")
def rsa() -> Iterator[Identity]:
    yield Identity(trustme.CA(key_type=trustme.KeyType.RSA), trustme.KeyType.RSA)


@pytest.fixture(scope="module")
def ec() -> Iterator[Identity]:
    yield Identity(trustme.CA(key_type=trustme.KeyType.ECDSA), trustme.KeyType.ECDSA)


async def _connect(port: int, *cas: bytes, **options: Any) -> tls.TLSSocket:
    sock: tls.TLSSocket = await wait(tls.connect(port, "127.0.0.1", ca=list(cas),
                                                 servername="localhost", **options))
    return sock


async def _echo(sock: tls.TLSSocket, data: bytes) -> bytes:
    received = event(sock, "data")
    sock.write(data)
    return (await wait(received, "echo"))[0]  # type: ignore[no-any-return]


def _key_kind(sock: tls.TLSSocket) -> str:
    cert = sock.get_peer_certificate()
    assert cert
    return "EC" if "asn1Curve" in cert else f"RSA-{cert['bits']}"


async def test_swap_certificate_for_new_connections(rsa: Identity, ec: Identity) -> None:
    def echo(sock: tls.TLSSocket) -> None:
        sock.on("data", sock.write)

    async with serving(echo, **rsa.options) as (server, port):
        a = await _connect(port, rsa.ca, ec.ca)
        assert _key_kind(a) == "RSA-2048"
        server.set_secure_context(**ec.options)
        b = await _connect(port, rsa.ca, ec.ca)
        assert _key_kind(b) == "EC" and b.get_peer_certificate()["asn1Curve"] == "prime256v1"  # type: ignore[index]
        assert await _echo(a, b"A still works") == b"A still works"
        assert await _echo(b, b"B too") == b"B too"
        server.set_secure_context(**rsa.options)
        c = await _connect(port, rsa.ca)
        assert _key_kind(c) == "RSA-2048"
        assert await _echo(b, b"B after the second swap") == b"B after the second swap"
        for sock in (a, b, c):
            sock.destroy()


@pytest.mark.parametrize(("ticket_keys", "resumes"), [(True, True), (False, False)])
async def test_ticket_keys_survive_set_secure_context(rsa: Identity, ec: Identity,
                                                      ticket_keys: bool,
                                                      resumes: bool) -> None:
    """Node: ``ticketKeys`` given to the server are reused by every later context, so a
    session from before the swap still resumes; without them each context has random
    keys and it does not.  (``max_version`` is not kept: it is given again.)"""
    extra = {"ticket_keys": os.urandom(48)} if ticket_keys else {}
    async with serving(lambda s: s.end(b"x"), **rsa.options, **extra,
                       max_version="TLSv1.2", session_timeout=60) as (server, port):
        first = await _connect(port, rsa.ca)
        session = first.get_session()
        await collect(first)
        keys = server.get_ticket_keys()
        server.set_secure_context(**ec.options, max_version="TLSv1.2")
        assert (server.get_ticket_keys() == keys) is ticket_keys
        assert server._shared_context.context.get_session_timeout() == 60
        again = await _connect(port, rsa.ca, ec.ca, session=session)
        assert again.is_session_reused() is resumes
        await collect(again)


async def test_session_id_context_falls_back_to_the_default(rsa: Identity) -> None:
    """Node resets ``sessionIdContext`` to its default unless given again: a session made
    under an explicit id context no longer resumes after the swap (same ticket keys)."""
    async with serving(lambda s: s.end(b"x"), **rsa.options, ticket_keys=os.urandom(48),
                       session_id_context="explicit", max_version="TLSv1.2") as (server,
                                                                                  port):
        first = await _connect(port, rsa.ca)
        session = first.get_session()
        await collect(first)
        server.set_secure_context(**rsa.options, session_id_context="explicit",
                                  max_version="TLSv1.2")
        same = await _connect(port, rsa.ca, session=session)
        assert same.is_session_reused() is True
        await collect(same)
        server.set_secure_context(**rsa.options, max_version="TLSv1.2")
        other = await _connect(port, rsa.ca, session=session)
        assert other.is_session_reused() is False
        await collect(other)


def test_set_secure_context_validates(rsa: Identity) -> None:
    server = tls.create_server(**rsa.options)
    with pytest.raises(TypeError, match="unexpected keyword argument 'certificate'"):
        server.set_secure_context(certificate=rsa.options["cert"])
    with pytest.raises(TypeError) as info:
        server.set_secure_context(key=rsa.options["key"], cert=rsa.options["cert"],
                                  ticket_keys=b"short")
    assert info.value.code == "ERR_INVALID_ARG_VALUE"  # type: ignore[attr-defined]


# -- a ready context: create_server(secure_context=) and set_secure_context(secure_context=)
# Node's createServer ignores secureContext (every handshake then fails: the context it
# builds has no certificate); nodetls serves the context it is given.


async def test_create_server_serves_the_secure_context_it_is_given(rsa: Identity,
                                                                   ec: Identity) -> None:
    ready = tls.create_secure_context(**rsa.options)
    async with serving(lambda s: s.end(b"served"), secure_context=ready) as (server, port):
        assert server._shared_context is ready
        first = await _connect(port, rsa.ca)
        assert first.authorized is True and _key_kind(first) == "RSA-2048"
        assert await collect(first) == b"served"
        server.set_secure_context(secure_context=tls.create_secure_context(**ec.options))
        second = await _connect(port, ec.ca)
        assert second.authorized is True and _key_kind(second) == "EC"
        assert await collect(second) == b"served"


async def test_the_secure_context_wins_over_context_options(rsa: Identity,
                                                            ec: Identity) -> None:
    """The precedence Node's ``connect`` and ``new TLSSocket`` give ``secureContext``."""
    ready = tls.create_secure_context(**rsa.options)
    async with serving(lambda s: s.end(b"x"), secure_context=ready,
                       **ec.options) as (_, port):
        sock = await _connect(port, rsa.ca, ec.ca)
        assert _key_kind(sock) == "RSA-2048"
        await collect(sock)


def test_a_secure_context_must_be_one(rsa: Identity) -> None:
    with pytest.raises(TypeError) as bad:
        tls.create_server(secure_context=rsa.options)
    assert bad.value.code == "ERR_TLS_INVALID_CONTEXT"  # type: ignore[attr-defined]
    assert str(bad.value) == "options.secure_context must be a SecureContext"
    server = tls.create_server(**rsa.options)
    with pytest.raises(TypeError, match="must be a SecureContext"):
        server.set_secure_context(secure_context=b"not a context")
