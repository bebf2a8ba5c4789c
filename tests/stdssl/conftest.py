"""Fixtures for the ``nodetls.SSLContext`` tests: ``certs`` and ``uncaught`` from
``tests/tls/tlsutil.py``, ``loop_name`` to run a test on asyncio's loop and on uvloop."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tls"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from tlsutil import certs, uncaught

__all__ = ["certs", "loop_name", "uncaught"]


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_name(request: pytest.FixtureRequest) -> str:
    """asyncio's and uvloop's ``SSLProtocol`` both drive ``wrap_bio``: test each."""
    return str(request.param)
