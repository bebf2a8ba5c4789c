"""Engine test fixtures: minimal ``SSL_CTX`` objects built straight from OpenSSL.

The engine relies on two attributes of a context: ``ctx`` (the ``SSL_CTX*``) and
``callbacks_installed``.  ``MiniContext`` provides them with Node's context defaults
(``SecureContext::Init``) so these tests do not depend on ``NativeSecureContext``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
import trustme

from nodetls._openssl import clear_errors, ffi, lib, openssl_assert
from nodetls.engine.x509 import mem_bio, x509_list_from_pem

VERSIONS = {"TLSv1.2": lib.TLS1_2_VERSION, "TLSv1.3": lib.TLS1_3_VERSION}


class MiniContext:
    """An ``SSL_CTX`` configured like Node's, plus the attribute the engine sets."""

    def __init__(
        self,
        *,
        cert: Iterable[bytes] = (),
        key: bytes | None = None,
        ca: Iterable[bytes] = (),
        min_version: str | None = None,
        max_version: str | None = None,
        ciphers: str | None = None,
        suites: str | None = None,
        options: int = 0,
        groups: str | None = None,
        dh_auto: bool = False,
        sid_ctx: bytes | None = None,
    ) -> None:
        clear_errors()
        ctx = lib.SSL_CTX_new(lib.TLS_method())
        openssl_assert(ctx != ffi.NULL, "SSL_CTX_new")
        self.ctx: Any = ffi.gc(ctx, lib.SSL_CTX_free)
        self.callbacks_installed = False
        lib.SSL_CTX_set_options(ctx, lib.SSL_OP_NO_SSLv2 | lib.SSL_OP_NO_SSLv3
                                | lib.SSL_OP_ALLOW_CLIENT_RENEGOTIATION | options)
        lib.SSL_CTX_clear_mode(ctx, lib.SSL_MODE_NO_AUTO_CHAIN)
        lib.SSL_CTX_set_session_cache_mode(
            ctx, lib.SSL_SESS_CACHE_CLIENT | lib.SSL_SESS_CACHE_SERVER
            | lib.SSL_SESS_CACHE_NO_INTERNAL | lib.SSL_SESS_CACHE_NO_AUTO_CLEAR)
        if sid_ctx is not None:  # Node sets one on servers only (tls.Server's default)
            openssl_assert(lib.SSL_CTX_set_session_id_context(ctx, sid_ctx, len(sid_ctx)) == 1)
        if min_version:
            lib.SSL_CTX_set_min_proto_version(ctx, VERSIONS[min_version])
        if max_version:
            lib.SSL_CTX_set_max_proto_version(ctx, VERSIONS[max_version])
        if ciphers:
            openssl_assert(lib.SSL_CTX_set_cipher_list(ctx, ciphers.encode()) == 1)
        if suites:
            openssl_assert(lib.SSL_CTX_set_ciphersuites(ctx, suites.encode()) == 1)
        if groups:
            openssl_assert(lib.SSL_CTX_set1_groups_list(ctx, groups.encode()) == 1)
        if dh_auto:
            openssl_assert(lib.SSL_CTX_set_dh_auto(ctx, 1) == 1)
        for pem in ca:
            for cert_ptr in x509_list_from_pem(pem):
                lib.X509_STORE_add_cert(lib.SSL_CTX_get_cert_store(ctx), cert_ptr)
                lib.SSL_CTX_add_client_CA(ctx, cert_ptr)
        self._use_cert(list(cert), key)

    def _use_cert(self, pems: list[bytes], key: bytes | None) -> None:
        if not pems:
            return
        certs = x509_list_from_pem(b"".join(pems))
        openssl_assert(lib.SSL_CTX_use_certificate(self.ctx, certs[0]) == 1)
        for extra in certs[1:]:
            openssl_assert(lib.SSL_CTX_add1_chain_cert(self.ctx, extra) == 1)
        assert key is not None
        bio = mem_bio(key)
        pkey = lib.PEM_read_bio_PrivateKey(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        openssl_assert(pkey != ffi.NULL, "PEM_read_bio_PrivateKey")
        pkey = ffi.gc(pkey, lib.EVP_PKEY_free)
        openssl_assert(lib.SSL_CTX_use_PrivateKey(self.ctx, pkey) == 1)


def leaf_material(leaf: trustme.LeafCert) -> dict[str, Any]:
    return {
        "cert": [blob.bytes() for blob in leaf.cert_chain_pems],
        "key": leaf.private_key_pem.bytes(),
    }


SERVER_SID_CTX = b"nodetls-tests"


ContextFactory = Callable[..., MiniContext]


@pytest.fixture(scope="session")
def rsa_ca() -> trustme.CA:
    """trustme's default (the shared ``ca`` fixture) is ECDSA; this one is RSA."""
    return trustme.CA(key_type=trustme.KeyType.RSA)


@pytest.fixture(scope="session")
def rsa_server_cert(rsa_ca: trustme.CA) -> trustme.LeafCert:
    return rsa_ca.issue_cert("localhost", "127.0.0.1", key_type=trustme.KeyType.RSA)


@pytest.fixture(scope="session")
def ec_server_cert(ec_ca: trustme.CA) -> trustme.LeafCert:
    return ec_ca.issue_cert("localhost", "127.0.0.1")


@pytest.fixture(scope="session")
def other_server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("other.example")


@pytest.fixture
def server_ctx(server_cert: trustme.LeafCert) -> ContextFactory:
    """``server_ctx(**options)``: an RSA server context (trustme ``ca``)."""

    def make(**options: Any) -> MiniContext:
        options.setdefault("sid_ctx", SERVER_SID_CTX)
        return MiniContext(**leaf_material(server_cert), **options)

    return make


@pytest.fixture
def ec_server_ctx(ec_server_cert: trustme.LeafCert) -> ContextFactory:
    def make(**options: Any) -> MiniContext:
        options.setdefault("sid_ctx", SERVER_SID_CTX)
        return MiniContext(**leaf_material(ec_server_cert), **options)

    return make


@pytest.fixture
def rsa_server_ctx(rsa_server_cert: trustme.LeafCert) -> ContextFactory:
    def make(**options: Any) -> MiniContext:
        options.setdefault("sid_ctx", SERVER_SID_CTX)
        return MiniContext(**leaf_material(rsa_server_cert), **options)

    return make


@pytest.fixture
def client_ctx(ca: trustme.CA, ec_ca: trustme.CA, rsa_ca: trustme.CA) -> ContextFactory:
    """``client_ctx(**options)``: a client context trusting the three test CAs."""

    def make(**options: Any) -> MiniContext:
        options.setdefault("ca", [c.cert_pem.bytes() for c in (ca, ec_ca, rsa_ca)])
        return MiniContext(**options)

    return make


@pytest.fixture
def server_ctx_of(server_ctx: ContextFactory, ec_server_ctx: ContextFactory,
                  rsa_server_ctx: ContextFactory) -> Callable[[str], ContextFactory]:
    """``server_ctx_of('rsa' | 'ecdsa' | 'ecdsa-ca')``."""
    table = {"rsa": rsa_server_ctx, "ecdsa": ec_server_ctx, "ecdsa-ca": server_ctx}
    return table.__getitem__
