"""Node's runtime deprecations: a ``DeprecationWarning`` carrying Node's code, once each.

Node's ``process.emitWarning(msg, 'DeprecationWarning', code)`` fires once per process
for each deprecated API (``DEP0064`` for ``tls.createSecurePair``, ...).  We issue a
``NodeDeprecationWarning`` (a ``DeprecationWarning``) with ``.code`` the first time
only; Python's warning filters then decide whether it is shown.
"""

from __future__ import annotations

import warnings

__all__ = ["NodeDeprecationWarning", "deprecate_once"]

_issued: set[str] = set()


class NodeDeprecationWarning(DeprecationWarning):
    """A Node deprecation; ``code`` is Node's ``DEPxxxx``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def deprecate_once(code: str, message: str, stacklevel: int = 3) -> None:
    """Warn about ``code`` unless it was already issued in this process."""
    if code in _issued:
        return
    _issued.add(code)
    warnings.warn(NodeDeprecationWarning(message, code), stacklevel=stacklevel)
