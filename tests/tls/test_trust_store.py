"""``get_ca_certificates(kind)`` and the ``use_system_ca`` option, in this process.

(``NODE_EXTRA_CA_CERTS`` is read at start: tests/interop/test_trust_store_interop.py runs
fresh processes for it, beside Node.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import nodetls as tls
from nodetls._openssl import lib
from nodetls.engine.ca_sources import pem_of, read_pem_certificates, system_paths
from nodetls.engine.trust_store import shared_root_store
from nodetls.engine.x509 import x509_to_der
from tests.support.certs import Certs
from tests.tls.tlsutil import serving


def store_of(ctx: tls.SecureContext) -> Any:
    return lib.SSL_CTX_get_cert_store(ctx.context.ctx)


def test_kinds_are_cached_tuples_of_pem_strings() -> None:
    for kind in ("default", "bundled", "system", "extra"):
        certs = tls.get_ca_certificates(kind)
        assert isinstance(certs, tuple) and certs is tls.get_ca_certificates(kind)
        for pem in certs:
            assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
            assert pem.endswith("\n-----END CERTIFICATE-----")
    assert tls.get_ca_certificates() is tls.get_ca_certificates("default")
    assert tls.get_ca_certificates("bundled") is tls.root_certificates
    assert tls.get_ca_certificates("extra") == _extra_from_environment()
    assert tls.get_ca_certificates("default") == tls.root_certificates + tls.get_ca_certificates(
        "extra")


def _extra_from_environment() -> tuple[str, ...]:
    """What ``NODE_EXTRA_CA_CERTS`` holds in this process (CI machines may set it)."""
    path = os.environ.get("NODE_EXTRA_CA_CERTS")
    if not path or not os.path.isfile(path):
        return ()
    certs, _ = read_pem_certificates(Path(path).read_bytes())
    return tuple(pem_of(x509_to_der(cert)) for cert in certs)


def test_pem_shape_is_the_bundled_one() -> None:
    # Re-encoding a bundled root from its DER gives back the very string.
    for pem in tls.root_certificates[:5]:
        (cert,), error = read_pem_certificates(pem.encode())
        assert error is None and pem_of(x509_to_der(cert)) == pem


def test_bad_kind() -> None:
    with pytest.raises(TypeError) as info:
        tls.get_ca_certificates("trusted")
    assert info.value.code == "ERR_INVALID_ARG_VALUE"  # type: ignore[attr-defined]
    assert str(info.value) == "The argument 'type' is invalid. Received 'trusted'"
    with pytest.raises(TypeError) as info:
        tls.get_ca_certificates(1)  # type: ignore[arg-type]
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]


def test_system_paths_follow_openssl_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/x/file.pem")
    monkeypatch.setenv("SSL_CERT_DIR", "/a:/b")
    assert system_paths() == ("/x/file.pem", ["/a", "/b"])
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.delenv("SSL_CERT_DIR")
    file, dirs = system_paths()  # OpenSSL's built-in defaults
    assert file.endswith("cert.pem") and len(dirs) == 1 and dirs[0].endswith("certs")


def test_use_system_ca_contexts_share_their_own_store(certs: Certs) -> None:
    plain, system = tls.create_secure_context(), tls.create_secure_context(use_system_ca=True)
    again = tls.create_secure_context(use_system_ca=True)
    assert store_of(plain) == shared_root_store(False)
    assert store_of(system) == store_of(again) == shared_root_store(True) != store_of(plain)
    assert store_of(tls.create_secure_context(use_system_ca=False)) == store_of(plain)
    # ``ca`` replaces the default store, the system part included (Node's rule).
    with_ca = tls.create_secure_context(ca=certs.ca, use_system_ca=True)
    assert store_of(with_ca) not in (shared_root_store(False), shared_root_store(True))
    # A change (a CRL) copies the system store, not the plain one, before changing it.
    changed = tls.create_secure_context(use_system_ca=True, allow_partial_trust_chain=True)
    assert store_of(changed) != shared_root_store(True)


@pytest.mark.parametrize("value", ["yes", 1, []])
def test_use_system_ca_must_be_a_boolean(value: object) -> None:
    with pytest.raises(TypeError) as info:
        tls.create_secure_context(use_system_ca=value)
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    assert "options.use_system_ca" in str(info.value)


async def test_connect_and_create_server_take_use_system_ca(certs: Certs) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       use_system_ca=True) as (server, port):
        assert store_of(server._shared_context) == shared_root_store(True)
        server.set_secure_context(key=certs.key, cert=certs.cert)  # reset, as Node's options
        assert store_of(server._shared_context) == shared_root_store(False)
        with pytest.raises(TypeError):
            server.set_secure_context(key=certs.key, cert=certs.cert, use_system_ca="yes")
        sock = await tls.connect(port, "127.0.0.1", servername="localhost",
                                 use_system_ca=True, reject_unauthorized=False)
        # The test CA is in no system store: verification fails the same way as without.
        assert sock.authorized is False
        assert sock.authorization_error == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        sock.destroy()
