"""Fixtures for the interop tests: ``certs`` and ``uncaught`` from ``tests/tls/tlsutil.py``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tls"))

from tlsutil import certs, uncaught

__all__ = ["certs", "uncaught"]
