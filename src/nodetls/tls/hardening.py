"""The two server options beyond Node: ``session_cache_size`` and ``allow_client_renegotiation``.

Theory of operation
-------------------
Both are context options (``create_secure_context``, ``create_server``,
``Server.set_secure_context``), validated here the way Node validates its own numeric
and boolean options, and applied as the last steps of ``configure_secure_context``.
Their defaults leave a context exactly as Node makes it.

* ``session_cache_size=N`` (int32 >= 0; 0, the default, is Node's "no cache"): OpenSSL's
  own session-id cache holds up to ``N`` sessions of TLS 1.2 session ids and of TLS 1.3
  stateful tickets (``SSL_OP_NO_TICKET``), each until ``session_timeout`` expires it;
  when it is full, the oldest entry goes.  It serves only connections whose server has
  no ``'newSession'``/``'resumeSession'`` listener: the application's cache comes first
  (``_server_hooks.init_server_engine`` switches it per connection).
* ``allow_client_renegotiation=False`` (default ``True``, Node's): a client's TLS 1.2
  renegotiation request is answered with OpenSSL's ``no_renegotiation`` warning alert and
  the connection goes on (an OpenSSL client then gives up by itself; others carry on).
  With ``True``, ``CLIENT_RENEG_LIMIT``/``CLIENT_RENEG_WINDOW`` bound renegotiations as
  in Node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from nodetls.engine.context import NativeSecureContext
from nodetls.node.validators import validate_boolean, validate_int32

__all__ = ["HARDENING_OPTIONS", "HARDENING_STEPS"]


def _session_cache_size(context: NativeSecureContext, value: object, name: str) -> None:
    validate_int32(value, name, 0)
    assert isinstance(value, int | float)
    context.set_session_cache_size(int(value))


def _allow_client_renegotiation(context: NativeSecureContext, value: object, name: str) -> None:
    validate_boolean(value, name)
    context.set_client_renegotiation(bool(value))


HARDENING_STEPS: Final[Mapping[str, Callable[[NativeSecureContext, object, str], None]]] = (
    MappingProxyType({
        "session_cache_size": _session_cache_size,
        "allow_client_renegotiation": _allow_client_renegotiation,
    }))
"""Option name -> validate and apply a value that is neither ``None`` nor missing."""

HARDENING_OPTIONS: Final = frozenset(HARDENING_STEPS)
"""The context options beyond Node; ``set_secure_context`` keeps them unless given."""
