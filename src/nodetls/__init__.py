"""nodetls: Node.js's ``tls`` module for Python, on asyncio and OpenSSL 3.

``import nodetls as tls`` gives the whole ``tls`` surface (see ``docs/guides/porting.md``).
The live defaults (``DEFAULT_CIPHERS``, ``CLIENT_RENEG_LIMIT``, ...) may be assigned here
or on ``nodetls.tls``: both names refer to one value, read afresh by every later context
and socket, as Node's ``tls.DEFAULT_CIPHERS = ...`` is.
"""

from nodetls._version import __version__ as __version__
from nodetls.stdssl import SSLContext, SSLObject, SSLSocket
from nodetls.tls import *  # noqa: F403  (the public surface is nodetls.tls's __all__)
from nodetls.tls import __all__ as _tls_all
from nodetls.tls.constants import install_live_module

__all__ = [*_tls_all, "SSLContext", "SSLObject", "SSLSocket"]

install_live_module(__name__)
