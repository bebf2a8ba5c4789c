"""Fixtures for the fuzz regression tests (``certs`` from ``tests/tls/tlsutil.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tls"))

from tlsutil import certs

__all__ = ["certs"]
