"""The OpenSSL error queue: drained root cause first, and never left to poison a call."""

from __future__ import annotations

import trustme

from nodetls._openssl import clear_errors, consume_errors, ffi, lib
from nodetls.engine import ConnectionState, TLSEngine
from tests.engine.conftest import MiniContext, leaf_material
from tests.engine.pair import Pair


def push_nested_asn1_errors() -> None:
    """A DER parse failure pushes several records, innermost cause first."""
    junk = b"\x30\x82\x00\x05\x02\x01\xff\x04\x00"
    assert lib.d2i_X509(ffi.NULL, ffi.new("const unsigned char **",
                                           ffi.from_buffer(junk)), len(junk)) == ffi.NULL


def test_consume_errors_is_root_cause_first() -> None:
    clear_errors()
    push_nested_asn1_errors()
    oldest, newest = lib.ERR_peek_error(), lib.ERR_peek_last_error()
    records = consume_errors()
    assert len(records) >= 2
    assert records[0].packed == oldest and records[-1].packed == newest
    assert records[0].library == "asn1 encoding routines"
    assert lib.ERR_peek_error() == 0  # drained completely


def test_stale_error_would_poison_ssl_get_error(ca: trustme.CA) -> None:
    """Why the engine clears first: OpenSSL reads a stale record as a fatal error."""
    leaf = ca.issue_cert("localhost")
    pair = Pair(MiniContext(ca=[ca.cert_pem.bytes()]), MiniContext(**leaf_material(leaf)))
    pair.handshake()
    buf = ffi.new("char[16]")
    clear_errors()
    ret = lib.SSL_read(pair.client._ssl, buf, 16)
    assert lib.SSL_get_error(pair.client._ssl, ret) == lib.SSL_ERROR_WANT_READ
    push_nested_asn1_errors()
    ret = lib.SSL_read(pair.client._ssl, buf, 16)
    assert lib.SSL_get_error(pair.client._ssl, ret) == lib.SSL_ERROR_SSL  # a lie
    # The engine clears before reading, so the same situation is harmless.
    assert pair.client.receive(b"") == []
    assert pair.client.state is ConnectionState.OPEN
    clear_errors()


def test_stale_errors_do_not_poison_the_engine(ca: trustme.CA) -> None:
    leaf = ca.issue_cert("localhost")
    pair = Pair(MiniContext(ca=[ca.cert_pem.bytes()]),
                MiniContext(**leaf_material(leaf), sid_ctx=b"x"))
    push_nested_asn1_errors()
    pair.start()
    for _ in range(4):
        push_nested_asn1_errors()
        pair.flush(pair.client)
        push_nested_asn1_errors()
        pair.flush(pair.server)
    push_nested_asn1_errors()
    pair.client.send(b"fine")
    push_nested_asn1_errors()
    pair.pump()
    assert pair.client.state is ConnectionState.OPEN
    assert pair.server.state is ConnectionState.OPEN
    assert pair.received(pair.server) == b"fine"
    clear_errors()


def test_failures_leave_the_queue_empty(ca: trustme.CA) -> None:
    leaf = ca.issue_cert("localhost")
    server = TLSEngine(MiniContext(**leaf_material(leaf)), is_server=True)
    clear_errors()
    events = server.receive(b"GET / HTTP/1.1\r\n\r\n")
    assert events[-1].error.reason == "http request"  # type: ignore[union-attr]
    assert lib.ERR_peek_error() == 0
