"""Trust stores: the shared store of bundled roots, and Node's copy-before-change rule.

A context without ``ca`` references the one process-wide store of bundled roots; a
context that then adds a CA (a PKCS#12 chain), a CRL or the partial-chain flag first
gets a private copy of the roots, so no other context's trust changes.  ``ca`` replaces
the roots with exactly the given certificates, which also become the client-CA list a
server sends in its CertificateRequest.  Checked on the OpenSSL objects themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nodetls
from nodetls._openssl import lib
from nodetls.engine.trust_store import shared_root_store
from tests.tls.ctxlab import Materials, make_materials


@pytest.fixture(scope="module")
def mat(tmp_path_factory: pytest.TempPathFactory) -> Materials:
    return make_materials(Path(tmp_path_factory.mktemp("trust")))


def store_of(ctx: nodetls.SecureContext) -> Any:
    return lib.SSL_CTX_get_cert_store(ctx.context.ctx)


def certs_in(store: Any) -> int:
    objects = lib.X509_STORE_get0_objects(store)
    return sum(
        lib.X509_OBJECT_get_type(lib.sk_X509_OBJECT_value(objects, i)) == lib.X509_LU_X509
        for i in range(lib.sk_X509_OBJECT_num(objects))
    )


def client_cas(ctx: nodetls.SecureContext) -> int:
    return int(lib.sk_X509_NAME_num(lib.SSL_CTX_get_client_CA_list(ctx.context.ctx)))


def test_contexts_without_ca_share_one_store() -> None:
    a, b = nodetls.create_secure_context(), nodetls.create_secure_context()
    assert store_of(a) == store_of(b) == shared_root_store()
    # The bundled roots and NODE_EXTRA_CA_CERTS's certificates, each once.
    assert certs_in(shared_root_store()) == len(set(nodetls.get_ca_certificates("default")))


def test_changes_go_to_a_private_copy(mat: Materials) -> None:
    shared = shared_root_store()
    before = certs_in(shared)
    with_pfx = nodetls.create_secure_context(pfx=mat.pfx, passphrase="sesame")
    with_crl = nodetls.create_secure_context(crl=mat.crl)
    partial = nodetls.create_secure_context(allow_partial_trust_chain=True)
    for ctx in (with_pfx, with_crl, partial):
        assert store_of(ctx) != shared
    assert certs_in(store_of(with_pfx)) == before + 1  # the roots and the pfx's CA
    assert certs_in(store_of(with_crl)) == before
    assert certs_in(shared) == before
    assert store_of(nodetls.create_secure_context()) == shared


def test_ca_replaces_the_roots_and_names_client_cas(mat: Materials) -> None:
    ctx = nodetls.create_secure_context(ca=[mat.ca_pem, mat.other_ca_pem + mat.intermediate_pem])
    assert store_of(ctx) != shared_root_store()
    assert certs_in(store_of(ctx)) == 3
    assert client_cas(ctx) == 3
    assert client_cas(nodetls.create_secure_context()) == 0


def test_empty_ca_list_trusts_nothing() -> None:
    # Node: `ca: []` is truthy, so the roots are not loaded and nothing is added.
    ctx = nodetls.create_secure_context(ca=[])
    assert store_of(ctx) != shared_root_store()
    assert certs_in(store_of(ctx)) == 0
