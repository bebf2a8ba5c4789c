"""Fixtures for the TLSSocket / Server / connect tests: ``certs`` and ``uncaught``
(defined in ``tlsutil.py``, registered here for the modules of this directory)."""

from tlsutil import certs, uncaught

__all__ = ["certs", "uncaught"]
