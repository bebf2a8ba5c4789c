"""Callbacks into Python: exceptions captured and re-raised, never lost or leaked to C."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest
import trustme

from nodetls._openssl import lib
from nodetls.engine import ConnectionState, TLSEngine
from nodetls.engine.callbacks import engine_of
from nodetls.engine.x509 import own_x509, x509_stack_to_list, x509_to_der
from tests.engine.conftest import MiniContext, leaf_material
from tests.engine.pair import Pair


class Marker(Exception):
    pass


class FailingKeylog(TLSEngine):
    __slots__ = ()

    def _hook_keylog(self, line: bytes) -> None:
        raise Marker(line)


@pytest.fixture
def pair_factory(ca: trustme.CA):
    leaf = ca.issue_cert("localhost")

    def make() -> Pair:
        return Pair(MiniContext(ca=[ca.cert_pem.bytes()]),
                    MiniContext(**leaf_material(leaf), sid_ctx=b"x"))

    return make


def test_exception_is_reraised_once_and_unraisable_hook_untouched(pair_factory) -> None:
    seen: list[object] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        template = pair_factory()
        pair = Pair(None, None, client=FailingKeylog(template.client._context, is_server=False),
                    server=template.server)
        pair.client.enable_keylog()  # a void callback: OpenSSL cannot be told it failed
        pair.start()
        pair.flush(pair.client)
        with pytest.raises(Marker):
            pair.flush(pair.server)
        assert pair.client.state is ConnectionState.FAILED
        assert pair.client.receive(b"") == []  # the exception is not raised twice
        assert lib.ERR_peek_error() == 0
    finally:
        sys.unraisablehook = old_hook
    assert seen == []


def test_keyboard_interrupt_is_captured_too(pair_factory) -> None:
    pair = pair_factory()

    def interrupt(servername: str | None, protocols: list[str]) -> str:
        raise KeyboardInterrupt

    pair.client.set_alpn_protocols(b"\x02h2")
    pair.server.set_alpn_callback(interrupt)
    pair.start()
    with pytest.raises(KeyboardInterrupt):
        pair.flush(pair.client)


def test_engine_is_freed_without_the_cycle_collector(pair_factory) -> None:
    pair = pair_factory()
    pair.handshake()
    ref = weakref.ref(pair.client)
    ssl = pair.client._ssl
    assert engine_of(ssl) is pair.client
    gc.disable()
    try:
        del pair
        assert ref() is None  # the ex_data handle holds only a weak reference
    finally:
        gc.enable()


def test_certificate_outlives_its_engine(pair_factory) -> None:
    pair = pair_factory()
    pair.handshake()
    cert = own_x509(lib.SSL_get1_peer_certificate(pair.client._ssl), borrowed=False)
    chain = x509_stack_to_list(lib.SSL_get_peer_cert_chain(pair.client._ssl))
    der = x509_to_der(cert)
    del pair
    gc.collect()
    assert x509_to_der(cert) == der  # up_ref'd: valid after SSL_free
    assert x509_to_der(chain[0]) == der


def test_many_engines_do_not_leak_handles(pair_factory) -> None:
    ctx = MiniContext()
    refs = [weakref.ref(TLSEngine(ctx, is_server=False)) for _ in range(100)]
    assert all(r() is None for r in refs)
