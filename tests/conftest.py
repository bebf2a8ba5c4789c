"""Shared test machinery.

* ``async def`` tests run on a fresh asyncio loop, each bounded by the pytest-timeout
  limit and by ``ASYNC_TEST_TIMEOUT`` seconds inside the loop (so a hang fails with a
  traceback of the awaiting task rather than a killed process).
* Certificates are made at test time with trustme: nothing that expires is committed.
* Every test runs under the uncaught-exception guard (``uncaught``, autouse): an exception
  escaping a callback, which Node would report as 'uncaughtException', fails the test.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator

import pytest
import trustme

from tests.support.certs import Certs, certs_of
from tests.support.guard import guarded
from tests.support.loops import run_on

ASYNC_TEST_TIMEOUT = 30.0
#: ``NODETLS_TEST_LOOP=uvloop`` runs every async test on uvloop instead of asyncio's loop.
LOOP = os.environ.get("NODETLS_TEST_LOOP", "asyncio")


def pytest_report_header(config: pytest.Config) -> str:
    try:
        from nodetls._openssl import ffi, lib

        return f"OpenSSL: {ffi.string(lib.OpenSSL_version(0)).decode()}; event loop: {LOOP}"
    except Exception as exc:  # the binding may not be built yet
        return f"OpenSSL: binding not importable ({exc})"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    funcargs = pyfuncitem.funcargs
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: funcargs[name] for name in names}
    timeout = ASYNC_TEST_TIMEOUT
    marker = pyfuncitem.get_closest_marker("async_timeout")
    if marker is not None:
        timeout = float(marker.args[0])

    run_on(LOOP, lambda: pyfuncitem.obj(**kwargs), timeout)
    return True


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "async_timeout(seconds): bound for an async test")


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1", "::1")


@pytest.fixture(scope="session")
def client_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("client@example.com", common_name="client")


@pytest.fixture(scope="session")
def ec_ca() -> Iterator[trustme.CA]:
    yield trustme.CA(key_type=trustme.KeyType.ECDSA)


@pytest.fixture
def certs(ca: trustme.CA, server_cert: trustme.LeafCert, client_cert: trustme.LeafCert) -> Certs:
    return certs_of(ca, server_cert, client_cert)


@pytest.fixture(autouse=True)
def uncaught() -> Iterator[list[BaseException]]:
    """Exceptions escaping ticks/immediates/timers/listeners; the test fails if any remain."""
    with guarded() as caught:
        yield caught
