"""The ``ssl.SSLContext`` face of nodetls: ``SSLContext``, ``SSLObject``, ``SSLSocket``.

Layer 4 beside ``tls/``: it imports ``engine``, ``node`` and ``tls`` and is imported by
nothing below it.  See ``context.py`` for how the pieces fit.
"""

from nodetls.stdssl.context import SSLContext
from nodetls.stdssl.errors import SSLCertVerificationError, SSLError
from nodetls.stdssl.session import SSLSession
from nodetls.stdssl.ssl_object import SSLObject
from nodetls.stdssl.ssl_socket import SSLSocket

__all__ = ["SSLCertVerificationError", "SSLContext", "SSLError", "SSLObject", "SSLSession",
           "SSLSocket"]
