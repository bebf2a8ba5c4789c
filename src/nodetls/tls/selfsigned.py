"""``generate_self_signed``: a key and a certificate made on the spot (a nodetls extra).

Node has no such function (its tests and docs send you to ``openssl req``); nodetls adds
one because its command line needs a certificate when none is given, and because a test
or a local tool often wants one without shelling out.  The result is PEM bytes, ready for
``key=``/``cert=`` on the server and ``ca=[cert]`` on a client that should trust it::

    key, cert = tls.generate_self_signed()
    server = tls.create_server(key=key, cert=cert)
    sock = await tls.connect(port, "localhost", ca=[cert])

The work is done by ``nodetls.engine.selfsigned`` through our own OpenSSL binding.  This
layer checks the arguments the way Node checks its own (``ERR_INVALID_ARG_TYPE``,
``ERR_INVALID_ARG_VALUE``, ``ERR_OUT_OF_RANGE``), reads the clock, and turns an OpenSSL
refusal into Node's crypto error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from nodetls.engine import selfsigned as engine
from nodetls.engine.openssl_errors import OpenSSLError
from nodetls.node.errors import ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE
from nodetls.tls.errors import translate_openssl_error

__all__ = ["DEFAULT_HOSTNAMES", "generate_self_signed"]

DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1", "::1")

_MAX_DAYS = 36500
_MAX_COMMON_NAME = 64  # ub-common-name (RFC 5280); OpenSSL refuses longer ones
_FALLBACK_COMMON_NAME = "nodetls self-signed"
_CLOCK_SKEW = 3600  # notBefore one hour back, so a peer whose clock lags still accepts


def generate_self_signed(
    hostnames: Sequence[str] = DEFAULT_HOSTNAMES,
    *,
    key_type: str = "ec",
    days: int = 365,
    common_name: str | None = None,
) -> tuple[bytes, bytes]:
    """Return ``(key_pem, cert_pem)`` for a new self-signed leaf certificate.

    ``hostnames`` become the subjectAltName (IP addresses as ``IP:``, the rest as
    ``DNS:``); the subject's CN is ``common_name``, by default the first hostname.
    ``key_type`` is ``'ec'`` (P-256) or ``'rsa'`` (2048 bits); the certificate is valid
    from an hour ago for ``days`` days, signed with SHA-256, and usable by a server
    and by a client.
    """
    names = _check_hostnames(hostnames)
    kind = _check_key_type(key_type)
    _check_days(days)
    now = int(time.time())
    try:
        return engine.generate_self_signed(
            hostnames=names,
            common_name=_common_name(common_name, names),
            key_type=kind,
            not_before=now - _CLOCK_SKEW,
            not_after=now + days * 86400,
        )
    except OpenSSLError as exc:
        raise translate_openssl_error(exc) from exc


def _check_hostnames(hostnames: object) -> list[str]:
    # A lone str is a Sequence too; taking it letter by letter would be a silent mistake.
    if isinstance(hostnames, str | bytes) or not isinstance(hostnames, Sequence):
        raise ERR_INVALID_ARG_TYPE("hostnames", "Array", hostnames)
    names = list(hostnames)
    for name in names:
        if not isinstance(name, str):
            raise ERR_INVALID_ARG_TYPE("hostnames", "Array of strings", hostnames)
    try:
        engine.subject_alt_name(names)
    except ValueError as exc:
        raise ERR_INVALID_ARG_VALUE("hostnames", hostnames, f"is invalid ({exc})") from None
    return names


def _check_key_type(key_type: object) -> engine.KeyType:
    if not isinstance(key_type, str):
        raise ERR_INVALID_ARG_TYPE("key_type", "string", key_type)
    try:
        return engine.KeyType(key_type)
    except ValueError:
        raise ERR_INVALID_ARG_VALUE("key_type", key_type, "must be 'ec' or 'rsa'") from None


def _check_days(days: object) -> None:
    if not isinstance(days, int) or isinstance(days, bool):
        raise ERR_INVALID_ARG_TYPE("days", "number", days)
    if not 1 <= days <= _MAX_DAYS:
        raise ERR_OUT_OF_RANGE("days", f">= 1 && <= {_MAX_DAYS}", days)


def _common_name(common_name: object, names: list[str]) -> str:
    if common_name is None:
        first = names[0]
        return first if len(first) <= _MAX_COMMON_NAME else _FALLBACK_COMMON_NAME
    if not isinstance(common_name, str):
        raise ERR_INVALID_ARG_TYPE("common_name", "string", common_name)
    return common_name
