"""Fixtures for the ``nodetls.SSLContext`` tests: ``loop_name`` to run a test on asyncio's
loop and on uvloop (``certs`` and the ``uncaught`` guard come from ``tests/conftest.py``)."""

import pytest


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_name(request: pytest.FixtureRequest) -> str:
    """asyncio's and uvloop's ``SSLProtocol`` both drive ``wrap_bio``: test each."""
    return str(request.param)
