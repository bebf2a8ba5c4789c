"""The ``tls`` module's constants, and the six that users may assign at run time.

Node exports ``DEFAULT_CIPHERS``, ``DEFAULT_ECDH_CURVE``, ``DEFAULT_MIN_VERSION``,
``DEFAULT_MAX_VERSION``, ``CLIENT_RENEG_LIMIT`` and ``CLIENT_RENEG_WINDOW`` as plain
properties of the ``tls`` module, and reads them again every time it needs them:
``tls.DEFAULT_CIPHERS = '...'`` changes every context created afterwards, and a test
may lower ``tls.CLIENT_RENEG_LIMIT`` between two renegotiations.

Here the values live in one store, :data:`defaults`, and the code that needs them reads
``defaults.<NAME>`` at the moment of use.  The public modules (``nodetls`` and
``nodetls.tls``) are instances of :class:`LiveModule`, whose class-level descriptors
forward reads and assignments of those six names to the store, so
``nodetls.DEFAULT_CIPHERS = x`` and ``nodetls.tls.DEFAULT_CIPHERS = x`` are the same
assignment, and ``from nodetls import DEFAULT_CIPHERS`` reads the current value.  The
same class exposes ``root_certificates``, built on first read (Node's lazy getter), and
refuses to let it be replaced.  (The submodule ``tls.root_certificates`` shares that
name; it is imported here, before the package becomes a ``LiveModule``, so the import
system can still record it on the package.)

Like Node, nothing is validated on assignment: a bad ``DEFAULT_MIN_VERSION`` is
reported by the next ``create_secure_context``.

The ``SSL_OP_*`` values are OpenSSL's, for ``secure_options``; Node exports the same
names in ``crypto.constants``.
"""

from __future__ import annotations

import sys
import types
from typing import Any, Final

from nodetls.engine.context import SSL_OPTIONS
from nodetls.tls.root_certificates import root_certificates as _root_certificates

__all__ = [
    "LIVE_NAMES",
    "NODE_DEFAULTS",
    "SSL_OP_ALL",
    "SSL_OP_ALLOW_NO_DHE_KEX",
    "SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION",
    "SSL_OP_CIPHER_SERVER_PREFERENCE",
    "SSL_OP_CISCO_ANYCONNECT",
    "SSL_OP_COOKIE_EXCHANGE",
    "SSL_OP_CRYPTOPRO_TLSEXT_BUG",
    "SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS",
    "SSL_OP_LEGACY_SERVER_CONNECT",
    "SSL_OP_NO_COMPRESSION",
    "SSL_OP_NO_ENCRYPT_THEN_MAC",
    "SSL_OP_NO_QUERY_MTU",
    "SSL_OP_NO_RENEGOTIATION",
    "SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION",
    "SSL_OP_NO_TICKET",
    "SSL_OP_PRIORITIZE_CHACHA",
    "SSL_OP_TLS_ROLLBACK_BUG",
    "Defaults",
    "LiveModule",
    "SSL_OP_NO_SSLv2",
    "SSL_OP_NO_SSLv3",
    "SSL_OP_NO_TLSv1",
    "SSL_OP_NO_TLSv1_1",
    "SSL_OP_NO_TLSv1_2",
    "SSL_OP_NO_TLSv1_3",
    "defaults",
    "install_live_module",
]

# Node v20's defaults (``node -p tls.DEFAULT_CIPHERS`` and friends, no CLI flags).
NODE_DEFAULTS: Final[types.MappingProxyType[str, object]] = types.MappingProxyType({
    "CLIENT_RENEG_LIMIT": 3,
    "CLIENT_RENEG_WINDOW": 600,
    "DEFAULT_CIPHERS": (
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:"
        "ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:"
        "DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA"
    ),
    "DEFAULT_ECDH_CURVE": "auto",
    "DEFAULT_MAX_VERSION": "TLSv1.3",
    "DEFAULT_MIN_VERSION": "TLSv1.2",
})

LIVE_NAMES: Final = tuple(NODE_DEFAULTS)
"""The module attributes that are read live and may be assigned."""


class Defaults:
    """The current values of the live module attributes (any value may be assigned)."""

    __slots__ = LIVE_NAMES

    CLIENT_RENEG_LIMIT: Any
    CLIENT_RENEG_WINDOW: Any
    DEFAULT_CIPHERS: Any
    DEFAULT_ECDH_CURVE: Any
    DEFAULT_MAX_VERSION: Any
    DEFAULT_MIN_VERSION: Any

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to Node's values (for tests that assign them)."""
        for name, value in NODE_DEFAULTS.items():
            setattr(self, name, value)


defaults: Final = Defaults()


class _Forward:
    """A data descriptor on the module class: reads and writes go to ``defaults``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, module: object, owner: object = None) -> Any:
        return self if module is None else getattr(defaults, self.name)

    def __set__(self, module: object, value: object) -> None:
        setattr(defaults, self.name, value)

    def __delete__(self, module: object) -> None:
        raise AttributeError(f"cannot delete {self.name}")


class _RootCertificates:
    """``root_certificates``: built on first read, the same tuple afterwards, read-only."""

    def __get__(self, module: object, owner: object = None) -> Any:
        return self if module is None else _root_certificates()

    def __set__(self, module: object, value: object) -> None:
        raise AttributeError("root_certificates is read-only")

    def __delete__(self, module: object) -> None:
        raise AttributeError("root_certificates is read-only")


class LiveModule(types.ModuleType):
    """The class of ``nodetls`` and ``nodetls.tls``: Node's live module properties."""

    root_certificates = _RootCertificates()


for _name in LIVE_NAMES:
    setattr(LiveModule, _name, _Forward(_name))


def install_live_module(module_name: str) -> None:
    """Make the already-imported module ``module_name`` a :class:`LiveModule`."""
    sys.modules[module_name].__class__ = LiveModule


SSL_OP_ALL: Final = SSL_OPTIONS["SSL_OP_ALL"]
SSL_OP_ALLOW_NO_DHE_KEX: Final = SSL_OPTIONS["SSL_OP_ALLOW_NO_DHE_KEX"]
SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION: Final = SSL_OPTIONS[
    "SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION"
]
SSL_OP_CIPHER_SERVER_PREFERENCE: Final = SSL_OPTIONS["SSL_OP_CIPHER_SERVER_PREFERENCE"]
SSL_OP_CISCO_ANYCONNECT: Final = SSL_OPTIONS["SSL_OP_CISCO_ANYCONNECT"]
SSL_OP_COOKIE_EXCHANGE: Final = SSL_OPTIONS["SSL_OP_COOKIE_EXCHANGE"]
SSL_OP_CRYPTOPRO_TLSEXT_BUG: Final = SSL_OPTIONS["SSL_OP_CRYPTOPRO_TLSEXT_BUG"]
SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS: Final = SSL_OPTIONS["SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS"]
SSL_OP_LEGACY_SERVER_CONNECT: Final = SSL_OPTIONS["SSL_OP_LEGACY_SERVER_CONNECT"]
SSL_OP_NO_COMPRESSION: Final = SSL_OPTIONS["SSL_OP_NO_COMPRESSION"]
SSL_OP_NO_ENCRYPT_THEN_MAC: Final = SSL_OPTIONS["SSL_OP_NO_ENCRYPT_THEN_MAC"]
SSL_OP_NO_QUERY_MTU: Final = SSL_OPTIONS["SSL_OP_NO_QUERY_MTU"]
SSL_OP_NO_RENEGOTIATION: Final = SSL_OPTIONS["SSL_OP_NO_RENEGOTIATION"]
SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION: Final = SSL_OPTIONS[
    "SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION"
]
SSL_OP_NO_SSLv2: Final = SSL_OPTIONS["SSL_OP_NO_SSLv2"]
SSL_OP_NO_SSLv3: Final = SSL_OPTIONS["SSL_OP_NO_SSLv3"]
SSL_OP_NO_TICKET: Final = SSL_OPTIONS["SSL_OP_NO_TICKET"]
SSL_OP_NO_TLSv1: Final = SSL_OPTIONS["SSL_OP_NO_TLSv1"]
SSL_OP_NO_TLSv1_1: Final = SSL_OPTIONS["SSL_OP_NO_TLSv1_1"]
SSL_OP_NO_TLSv1_2: Final = SSL_OPTIONS["SSL_OP_NO_TLSv1_2"]
SSL_OP_NO_TLSv1_3: Final = SSL_OPTIONS["SSL_OP_NO_TLSv1_3"]
SSL_OP_PRIORITIZE_CHACHA: Final = SSL_OPTIONS["SSL_OP_PRIORITIZE_CHACHA"]
SSL_OP_TLS_ROLLBACK_BUG: Final = SSL_OPTIONS["SSL_OP_TLS_ROLLBACK_BUG"]
