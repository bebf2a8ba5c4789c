"""``tls.createSecureContext`` and ``tls.SecureContext``: the one place options are parsed.

Node's ``lib/_tls_common.js`` (``SecureContext``, ``createSecureContext``) and
``lib/internal/tls/secure-context.js`` (``configSecureContext``), in their order, with
their error codes and messages; the native half is ``engine.context.NativeSecureContext``.
The order matters to users: ``ciphers`` first (``@SECLEVEL=n`` changes what later keys
may be), the CA before the certificate (so the issuer can be found), the key after the
certificate, and the first invalid option is the one reported.

Values follow Node's rules, mapped onto Python: an option that is not passed is
JavaScript's ``undefined`` and gets the default; ``None`` is ``null`` (accepted where
Node accepts ``null``, an error where Node reports ``null``); truth tests are
JavaScript's (an empty ``bytes`` or an empty list is truthy, ``''`` and ``0`` are
not); ``str`` is a string and ``bytes``/``bytearray``/``memoryview`` a Buffer; lists and
tuples are arrays; a ``Mapping`` is an object (``{'pem', 'passphrase'}``,
``{'buf', 'passphrase'}``).  Messages are Node's, except that option names are the
Python ones (``options.ecdh_curve``, not ``options.ecdhCurve``): the name a user must
fix is the one they typed.

Other ``tls`` APIs (``connect``, ``create_server``, ``TLSSocket``) pass their whole
option mapping to :func:`secure_context_from_options`, which reads only the options of
:data:`SECURE_CONTEXT_OPTIONS`; :func:`create_secure_context` rejects a keyword that is
not an option of any ``tls`` API (:data:`TLS_OPTIONS`), and, like Node, ignores the
others.  Defaults (``DEFAULT_CIPHERS``, ``DEFAULT_ECDH_CURVE``, ``DEFAULT_MIN_VERSION``,
``DEFAULT_MAX_VERSION``) are read from ``constants.defaults`` at each call, so an
assignment to ``nodetls.DEFAULT_CIPHERS`` affects every later context.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from typing_extensions import Unpack

from nodetls.engine.context import (
    PROTOCOL_VERSIONS,
    SSL_OPTIONS,
    EngineInitFailed,
    EngineNotFound,
    EngineUnsupported,
    NativeSecureContext,
    SessionIdContextError,
    protocol_method_error,
)
from nodetls.engine.openssl_errors import OpenSSLError
from nodetls.node.errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    NodeTypeError,
)
from nodetls.node.jsvalues import UNDEFINED, nullish, truthy
from nodetls.node.validators import (
    validate_boolean,
    validate_int32,
    validate_integer,
)
from nodetls.node.validators import validate_string as _validate_string
from nodetls.tls.constants import defaults
from nodetls.tls.errors import (
    ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED,
    ERR_CRYPTO_ENGINE_UNKNOWN,
    ERR_CRYPTO_OPERATION_FAILED,
    ERR_TLS_INVALID_PROTOCOL_METHOD,
    ERR_TLS_INVALID_PROTOCOL_VERSION,
    ERR_TLS_PROTOCOL_VERSION_CONFLICT,
    SecurityWarning,
    crypto_error,
    error_list_error,
    invalid_arg_type_message,
    invalid_arg_value_message,
    reason_only_error,
)
from nodetls.tls.hardening import HARDENING_STEPS
from nodetls.tls.options import SECURE_CONTEXT_OPTIONS, TLS_OPTIONS, SecureContextOptions
from nodetls.tls.ticket_keys import ticket_key_ring

__all__ = [
    "SECURE_CONTEXT_OPTIONS",
    "TLS_OPTIONS",
    "UNDEFINED",
    "SecureContext",
    "configure_secure_context",
    "create_secure_context",
    "secure_context_from_options",
]


_TLS1_2: Final = PROTOCOL_VERSIONS["TLSv1.2"]
_TLS1_3: Final = PROTOCOL_VERSIONS["TLSv1.3"]
_CIPHER_SERVER_PREFERENCE: Final = SSL_OPTIONS["SSL_OP_CIPHER_SERVER_PREFERENCE"]
_KEY_OR_CERT_TYPES: Final = ("string", "Buffer", "TypedArray", "DataView")
_ENGINE_NAME_TYPES: Final = ("string", "null", "undefined")

Options = Mapping[str, object]


def _is_array(value: object) -> bool:
    return isinstance(value, list | tuple)


def _is_buffer(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def _as_list(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else [value]


def _field(value: object, name: str) -> object:
    """``value.name`` for an object (Mapping); ``undefined`` for anything else."""
    if isinstance(value, Mapping):
        return value.get(name, UNDEFINED)
    return UNDEFINED


def _to_bytes(value: object) -> bytes:
    """A validated string (UTF-8, as Node's ``LoadBIO``) or buffer, as bytes."""
    if isinstance(value, str):
        return value.encode("utf-8")
    assert isinstance(value, bytes | bytearray | memoryview)
    return bytes(value)


def _to_buf(value: object) -> object:
    """Node's ``toBuf``: strings become buffers, anything else is passed on as is."""
    return value.encode("utf-8") if isinstance(value, str) else value


def _to_int32(value: object) -> int:
    """JavaScript's ``value | 0`` (ToInt32), used by ``secureOptions |= ...``."""
    number: float
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value) if value.strip() else 0.0
        except ValueError:
            number = math.nan
    else:
        number = 0.0 if value is None else math.nan
    if math.isnan(number) or math.isinf(number):
        return 0
    wrapped = int(number) & 0xFFFFFFFF
    return wrapped - 2**32 if wrapped >= 2**31 else wrapped


class _JSArray(list[str]):
    """Renders as Node's ``util.inspect`` renders an array of strings."""

    def __repr__(self) -> str:
        if not self:
            return "[]"
        return "[ " + ", ".join("'" + item.replace("'", "\\'") + "'" for item in self) + " ]"


def _validate_key_or_cert(name: str, value: object) -> None:
    if not isinstance(value, str) and not _is_buffer(value):
        raise ERR_INVALID_ARG_TYPE(name, _KEY_OR_CERT_TYPES, value)


# -- SecureContext -------------------------------------------------------------------


def _to_version(which: str, value: object, default: object) -> int:
    """Node's ``toV``: ``'TLSv1.2'`` -> ``TLS1_2_VERSION``."""
    if nullish(value):
        value = default
    if isinstance(value, str) and value in PROTOCOL_VERSIONS:
        return PROTOCOL_VERSIONS[value]
    raise ERR_TLS_INVALID_PROTOCOL_VERSION(value, which)


class SecureContext:
    """Node's ``tls.SecureContext``: ``context`` is the native context it wraps.

    ``SecureContext(secure_protocol, secure_options, min_version, max_version)`` makes
    an unconfigured context exactly as Node's constructor does; use
    :func:`create_secure_context` for one configured from options.
    """

    __slots__ = ("__weakref__", "context")

    context: NativeSecureContext

    def __init__(
        self,
        secure_protocol: object = None,
        secure_options: object = None,
        min_version: object = None,
        max_version: object = None,
    ) -> None:
        if truthy(secure_protocol):
            for version in (min_version, max_version):
                if not nullish(version):
                    raise ERR_TLS_PROTOCOL_VERSION_CONFLICT(version, secure_protocol)
        low = _to_version("minimum", min_version, defaults.DEFAULT_MIN_VERSION)
        high = _to_version("maximum", max_version, defaults.DEFAULT_MAX_VERSION)
        method = secure_protocol if isinstance(secure_protocol, str) else None
        if method is not None and (refusal := protocol_method_error(method)) is not None:
            raise ERR_TLS_INVALID_PROTOCOL_METHOD(refusal)
        self.context = NativeSecureContext(low, high, method)
        if truthy(secure_options):
            validate_integer(secure_options, "secure_options")
            assert isinstance(secure_options, int | float)
            self.context.set_options(int(secure_options))


def create_secure_context(**options: Unpack[SecureContextOptions]) -> SecureContext:
    """``tls.createSecureContext(options)``: a context configured from the options.

    The options are ``tls.SecureContextOptions``.  Raises
    ``TypeError`` for a keyword that is no ``tls`` option; the options of other ``tls``
    APIs (``servername``, ``request_cert``, ...) are accepted and ignored, as in Node.
    """
    unknown = sorted(set(options) - TLS_OPTIONS)
    if unknown:
        raise TypeError(
            f"create_secure_context() got an unexpected keyword argument {unknown[0]!r}"
        )
    return secure_context_from_options(options)


def secure_context_from_options(options: Options) -> SecureContext:
    """``createSecureContext`` for the ``tls`` layer: reads only the context options.

    A key that is absent is ``undefined``; ``None`` is ``null``.
    """
    secure_options = options.get("secure_options")
    if truthy(options.get("honor_cipher_order")):
        secure_options = _to_int32(secure_options) | _CIPHER_SERVER_PREFERENCE
    context = SecureContext(
        options.get("secure_protocol"),
        secure_options,
        options.get("min_version"),
        options.get("max_version"),
    )
    configure_secure_context(context.context, options)
    return context


def configure_secure_context(
    context: NativeSecureContext, options: Options, name: str = "options"
) -> None:
    """Node's ``configSecureContext``: apply every option, in Node's order."""
    for step in _STEPS:
        step(context, options, name)


# -- the options, in Node's order ----------------------------------------------------


def _get(options: Options, key: str) -> object:
    return options.get(key, UNDEFINED)


def _split_ciphers(ciphers: object, name: str) -> tuple[str, str]:
    """Node's ``processCiphers``: ``TLS_*`` entries are TLS 1.3 suites, the rest 1.2."""
    chosen = ciphers if truthy(ciphers) else defaults.DEFAULT_CIPHERS
    entries = _JSArray(str(chosen).split(":"))
    tls13 = [e for e in entries if e.startswith(("TLS_", "!TLS_"))]
    tls12 = [e for e in entries if e and not e.startswith(("TLS_", "!TLS_"))]
    if not tls12 and not tls13:
        raise ERR_INVALID_ARG_VALUE(name, entries)
    return ":".join(tls12), ":".join(tls13)


def _ciphers(context: NativeSecureContext, options: Options, name: str) -> None:
    ciphers = _get(options, "ciphers")
    if ciphers is UNDEFINED:
        ciphers = defaults.DEFAULT_CIPHERS
    if ciphers is not None:
        _validate_string(ciphers, f"{name}.ciphers")
    cipher_list, cipher_suites = _split_ciphers(ciphers, f"{name}.ciphers")
    try:
        if cipher_suites:
            context.set_cipher_suites(cipher_suites)
        context.set_ciphers(cipher_list)
    except OpenSSLError as exc:
        raise crypto_error(exc.records, "Failed to set ciphers") from exc
    # Only TLS 1.3 suites given: a TLS 1.2 handshake could not succeed anyway.
    if not cipher_list and context.get_min_proto() < _TLS1_3 and context.get_max_proto() > _TLS1_2:
        context.set_min_proto(_TLS1_3)


def _ca(context: NativeSecureContext, options: Options, name: str) -> None:
    """``ca`` replaces the default store (Node: neither the bundled nor the extra nor the
    system certificates are used then); without it, the shared default store, with the
    operating system's certificates too under ``use_system_ca`` (Node's
    ``--use-system-ca``, per context)."""
    use_system = _get(options, "use_system_ca")
    if use_system is not UNDEFINED and use_system is not None:
        validate_boolean(use_system, f"{name}.use_system_ca")
    ca = _get(options, "ca")
    if not truthy(ca):
        context.add_root_certs(system=use_system is True)
        return
    for cert in _as_list(ca):
        _validate_key_or_cert(f"{name}.ca", cert)
        context.add_ca_cert(_to_bytes(cert))


def _partial_trust_chain(context: NativeSecureContext, options: Options, name: str) -> None:
    if truthy(_get(options, "allow_partial_trust_chain")):
        context.set_allow_partial_trust_chain()


def _cert(context: NativeSecureContext, options: Options, name: str) -> None:
    cert = _get(options, "cert")
    if not truthy(cert):
        return
    for pem in _as_list(cert):
        _validate_key_or_cert(f"{name}.cert", pem)
        try:
            context.set_cert(_to_bytes(pem))
        except OpenSSLError as exc:
            raise crypto_error(exc.records, "SSL_CTX_use_certificate_chain") from exc


def _set_key(context: NativeSecureContext, pem: object, passphrase: object, name: str) -> None:
    _validate_key_or_cert(f"{name}.key", pem)
    if not nullish(passphrase):
        _validate_string(passphrase, f"{name}.passphrase")
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else None
    try:
        context.set_key(_to_bytes(pem), secret)
    except OpenSSLError as exc:
        raise crypto_error(exc.records, "PEM_read_bio_PrivateKey") from exc


def _key(context: NativeSecureContext, options: Options, name: str) -> None:
    key, passphrase = _get(options, "key"), _get(options, "passphrase")
    if not truthy(key):
        return
    if not _is_array(key):
        _set_key(context, key, passphrase, name)
        return
    for entry in _as_list(key):
        pem, secret = _field(entry, "pem"), _field(entry, "passphrase")
        _set_key(
            context,
            entry if pem is UNDEFINED else pem,
            passphrase if secret is UNDEFINED else secret,
            name,
        )


def _sigalgs(context: NativeSecureContext, options: Options, name: str) -> None:
    sigalgs = _get(options, "sigalgs")
    if nullish(sigalgs):
        return
    _validate_string(sigalgs, f"{name}.sigalgs")
    assert isinstance(sigalgs, str)
    if sigalgs == "":
        raise ERR_INVALID_ARG_VALUE(f"{name}.sigalgs", sigalgs)
    try:
        context.set_sigalgs(sigalgs)
    except OpenSSLError as exc:
        raise crypto_error(exc.records) from exc


def _engine_call(call: Callable[[], None], engine_id: str, default_message: str | None) -> None:
    """Run an ENGINE operation and report its failure as Node does."""
    try:
        call()
    except EngineUnsupported:
        raise ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED() from None
    except EngineNotFound as exc:
        if not exc.records:
            raise ERR_CRYPTO_ENGINE_UNKNOWN(engine_id) from exc
        raise error_list_error(exc.records) from exc
    except EngineInitFailed as exc:
        raise ERR_CRYPTO_OPERATION_FAILED("Failure to initialize engine") from exc
    except OpenSSLError as exc:
        raise crypto_error(exc.records, default_message) from exc


def _private_key_engine(context: NativeSecureContext, options: Options, name: str) -> None:
    identifier = _get(options, "private_key_identifier")
    engine = _get(options, "private_key_engine")
    if nullish(identifier):
        return
    if nullish(engine):  # an engine is required to look the key up in
        raise ERR_INVALID_ARG_VALUE(f"{name}.private_key_engine", engine)
    if truthy(_get(options, "key")):  # a key in the options and one in an engine
        raise ERR_INVALID_ARG_VALUE(f"{name}.private_key_identifier", identifier)
    if not isinstance(identifier, str):
        raise ERR_INVALID_ARG_TYPE(f"{name}.private_key_identifier", _ENGINE_NAME_TYPES, identifier)
    if not isinstance(engine, str):
        raise ERR_INVALID_ARG_TYPE(f"{name}.private_key_engine", _ENGINE_NAME_TYPES, engine)
    _engine_call(lambda: context.set_engine_key(identifier, engine), engine,
                 "ENGINE_load_private_key")


def _ecdh_curve(context: NativeSecureContext, options: Options, name: str) -> None:
    curve = _get(options, "ecdh_curve")
    if curve is UNDEFINED:
        curve = defaults.DEFAULT_ECDH_CURVE if truthy(defaults.DEFAULT_ECDH_CURVE) else "auto"
    _validate_string(curve, f"{name}.ecdh_curve")
    assert isinstance(curve, str)
    try:
        context.set_ecdh_curve(curve)
    except OpenSSLError as exc:
        raise ERR_CRYPTO_OPERATION_FAILED("Failed to set ECDH curve") from exc


def _dhparam(context: NativeSecureContext, options: Options, name: str) -> None:
    dhparam = _get(options, "dhparam")
    if nullish(dhparam):
        return
    _validate_key_or_cert(f"{name}.dhparam", dhparam)
    try:
        bits = context.set_dh_param("auto" if dhparam == "auto" else _to_bytes(dhparam))
    except OpenSSLError as exc:
        raise ERR_CRYPTO_OPERATION_FAILED("Error setting temp DH parameter") from exc
    if not bits:  # 'auto', or no DH parameters in the input (Node ignores those)
        return
    if bits < 1024:
        raise invalid_arg_value_message("DH parameter is less than 1024 bits")
    if bits < 2048:
        warnings.warn(SecurityWarning("DH parameter is less than 2048 bits"), stacklevel=5)


def _crl(context: NativeSecureContext, options: Options, name: str) -> None:
    crl = _get(options, "crl")
    if nullish(crl):
        return
    for pem in _as_list(crl):
        _validate_key_or_cert(f"{name}.crl", pem)
        try:
            context.add_crl(_to_bytes(pem))
        except OpenSSLError as exc:
            raise ERR_CRYPTO_OPERATION_FAILED("Failed to parse CRL") from exc


def _session_id_context(context: NativeSecureContext, options: Options, name: str) -> None:
    value = _get(options, "session_id_context")
    if nullish(value):
        return
    _validate_string(value, f"{name}.session_id_context")
    assert isinstance(value, str)
    try:
        context.set_session_id_context(value.encode("utf-8"))
    except SessionIdContextError as exc:
        raise NodeTypeError(str(exc)) from exc


def _load_pkcs12(context: NativeSecureContext, raw: object, secret: object) -> None:
    """Node's ``loadPKCS12(raw[, passphrase])``; ``secret`` UNDEFINED means no passphrase."""
    if not _is_buffer(raw):
        raise ERR_CRYPTO_OPERATION_FAILED("Unable to load PFX certificate")
    if secret is not UNDEFINED and not _is_buffer(secret):
        raise invalid_arg_type_message("Pass phrase must be a buffer")
    try:
        context.load_pkcs12(_to_bytes(raw), None if secret is UNDEFINED else _to_bytes(secret))
    except OpenSSLError as exc:
        raise reason_only_error(exc.records) from exc


def _pfx(context: NativeSecureContext, options: Options, name: str) -> None:
    pfx, passphrase = _get(options, "pfx"), _get(options, "passphrase")
    if nullish(pfx):
        return
    if not _is_array(pfx):
        secret = _to_buf(passphrase) if truthy(passphrase) else UNDEFINED
        _load_pkcs12(context, _to_buf(pfx), secret)
        return
    for entry in _as_list(pfx):
        buf, own = _field(entry, "buf"), _field(entry, "passphrase")
        raw = buf if truthy(buf) else entry
        secret = own if truthy(own) else passphrase
        _load_pkcs12(context, _to_buf(raw), UNDEFINED if nullish(secret) else _to_buf(secret))


def _client_cert_engine(context: NativeSecureContext, options: Options, name: str) -> None:
    engine = _get(options, "client_cert_engine")
    if isinstance(engine, str):
        _engine_call(lambda: context.set_client_cert_engine(engine), engine, None)
    elif not nullish(engine):
        raise ERR_INVALID_ARG_TYPE(f"{name}.client_cert_engine", _ENGINE_NAME_TYPES, engine)


def _ticket_keys(context: NativeSecureContext, options: Options, name: str) -> None:
    keys = _get(options, "ticket_keys")
    if nullish(keys):
        return
    context.set_ticket_keys(ticket_key_ring(keys, f"{name}.ticket_keys"))


def _session_timeout(context: NativeSecureContext, options: Options, name: str) -> None:
    timeout = _get(options, "session_timeout")
    if nullish(timeout):
        return
    validate_int32(timeout, f"{name}.session_timeout", 0)
    assert isinstance(timeout, int | float)
    context.set_session_timeout(int(timeout))


def _hardening(context: NativeSecureContext, options: Options, name: str) -> None:
    """The options beyond Node (``tls.hardening``), after all of Node's."""
    for option, apply in HARDENING_STEPS.items():
        value = _get(options, option)
        if not nullish(value):
            apply(context, value, f"{name}.{option}")


_STEPS: Final[tuple[Callable[[NativeSecureContext, Options, str], None], ...]] = (
    _ciphers,
    _ca,
    _partial_trust_chain,
    _cert,
    _key,
    _sigalgs,
    _private_key_engine,
    _ecdh_curve,
    _dhparam,
    _crl,
    _session_id_context,
    _pfx,
    _client_cert_engine,
    _ticket_keys,
    _session_timeout,
    _hardening,
)
