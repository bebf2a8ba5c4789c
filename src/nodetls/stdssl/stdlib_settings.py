"""The stdlib's setters on ``nodetls.SSLContext``, mapped onto Node's options.

Theory of operation.  Frameworks configure the context they are handed with the
stdlib's API: urllib3 sets ``verify_mode`` and ``check_hostname`` and calls
``set_alpn_protocols``, httpcore calls ``set_alpn_protocols``, servers call
``load_cert_chain``.  Each setter here becomes a change of one Node option
(``_reconfigure``), validated as that option is:

====================================  ===========================================
stdlib                                nodetls option
====================================  ===========================================
``load_cert_chain``                   ``cert``, ``key``, ``passphrase``
``load_verify_locations``             ``ca`` (added to; like Node's ``ca`` it
                                      replaces the default roots)
``load_default_certs``                ``ca`` += ``root_certificates``
``set_alpn_protocols``                ``alpn_protocols``
``set_npn_protocols``                 ``npn_protocols``
``set_ciphers``                       ``ciphers``
``set_ecdh_curve`` / ``load_dh_params``  ``ecdh_curve`` / ``dhparam``
``minimum_version``/``maximum_version``  ``min_version`` / ``max_version``
``options``                           ``secure_options`` (bits can be added only)
``verify_mode``                       ``reject_unauthorized`` (client);
                                      ``request_cert`` + ``reject_unauthorized``
``check_hostname``                    ``check_server_identity`` (off: no check)
``verify_flags`` (partial chain)      ``allow_partial_trust_chain``
``sni_callback``/``set_servername_callback``  the stdlib's signature, answered
                                      synchronously in the certificate callback
``keylog_filename``                   lines of ``'keylog'`` appended to the file
====================================  ===========================================

What has no nodetls equivalent (``capath``, ``set_default_verify_paths``,
``post_handshake_auth``, ``num_tickets``, ``hostname_checks_common_name``, clearing
option bits, other verify flags) raises ``NotImplementedError`` naming the option to
use instead: nothing is silently ignored.
"""

from __future__ import annotations

import base64
import enum
import ssl
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from nodetls.engine.context import PROTOCOL_VERSIONS
from nodetls.tls.root_certificates import root_certificates

if TYPE_CHECKING:
    from nodetls.stdssl.options import ContextConfig

__all__ = ["REMOVE", "StdlibSettings"]


class _Remove(enum.Enum):
    REMOVE = "remove"


REMOVE: Final = _Remove.REMOVE
"""A change that deletes an option (back to Node's default)."""

_VERSION_NAMES: Final = {value: name for name, value in PROTOCOL_VERSIONS.items()}
_LOWEST: Final = "TLSv1"
_HIGHEST: Final = "TLSv1.3"
_PARTIAL_CHAIN: Final = ssl.VerifyFlags.VERIFY_X509_PARTIAL_CHAIN
_DEFAULT_FLAGS: Final = ssl.VerifyFlags.VERIFY_X509_TRUSTED_FIRST


def _no_identity_check(hostname: str, cert: Any) -> None:
    """``check_hostname = False``: Node's ``check_server_identity`` that accepts all."""
    return None


def _read(path: Any) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _der_to_pem(data: bytes) -> list[str]:
    """Concatenated DER certificates (``cadata`` as bytes) as PEM texts."""
    pems, pos = [], 0
    while pos < len(data):
        length, head = data[pos + 1], 2
        if length & 0x80:
            count = length & 0x7F
            length, head = int.from_bytes(data[pos + 2:pos + 2 + count], "big"), 2 + count
        der = data[pos:pos + head + length]
        pos += head + length
        body = base64.encodebytes(der).decode("ascii")
        pems.append(f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
    return pems


def _unsupported(what: str, instead: str) -> NotImplementedError:
    return NotImplementedError(f"nodetls.SSLContext: {what} is not supported; {instead}")


class StdlibSettings(ssl.SSLContext):
    """The stdlib's configuration API of ``nodetls.SSLContext`` (a mixin)."""

    if TYPE_CHECKING:
        _options: dict[str, Any]
        _config: ContextConfig
        _keylog_filename: str | None
        stdlib_sni_callback: Callable[..., Any] | None

        def _reconfigure(self, changes: Mapping[str, object]) -> None: ...

        def native_context(self) -> Any: ...

    # --- certificates and trust -----------------------------------------------------------

    def load_cert_chain(self, certfile: Any, keyfile: Any = None, password: Any = None) -> None:
        """Options ``cert`` and ``key`` (from ``certfile`` when no ``keyfile``)."""
        cert = _read(certfile)
        key = _read(keyfile) if keyfile is not None else cert
        if callable(password):
            password = password()
        if isinstance(password, bytes | bytearray):
            password = bytes(password).decode("utf-8")
        self._reconfigure({"cert": cert, "key": key,
                           "passphrase": password if password is not None else REMOVE})

    def _ca_list(self) -> list[Any]:
        ca = self._options.get("ca")
        if not ca:
            return []
        return list(ca) if isinstance(ca, list | tuple) else [ca]

    def load_verify_locations(self, cafile: Any = None, capath: Any = None,
                              cadata: Any = None) -> None:
        """Add to option ``ca``; like Node's ``ca``, it replaces the default roots
        (call ``load_default_certs()`` to keep them)."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        if capath is not None:
            raise _unsupported("load_verify_locations(capath=...)",
                               "pass the certificates in the ca option (PEM)")
        added: list[Any] = []
        if cafile is not None:
            added.append(_read(cafile))
        if isinstance(cadata, str):
            added.append(cadata)
        elif cadata is not None:
            added.extend(_der_to_pem(bytes(cadata)))
        current = self._ca_list()
        fresh = [ca for ca in added if ca not in current]
        if fresh:  # urllib3 loads its bundle for every new connection: once is enough
            self._reconfigure({"ca": current + fresh})

    def load_default_certs(self, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
        """Trust Mozilla's roots (Node's default store) besides any ``ca`` given."""
        ca = self._ca_list()
        if ca:  # without a ca option the default roots are already trusted
            self._reconfigure({"ca": ca + list(root_certificates())})

    def set_default_verify_paths(self) -> None:
        raise _unsupported("set_default_verify_paths()",
                           "nodetls trusts Mozilla's roots by default (Node's store); pass "
                           "other certificates in the ca option")

    def load_dh_params(self, path: Any) -> None:
        self._reconfigure({"dhparam": _read(path)})

    def set_ecdh_curve(self, name: str) -> None:
        self._reconfigure({"ecdh_curve": name})

    # --- negotiation ------------------------------------------------------------------------

    def set_alpn_protocols(self, alpn_protocols: Any) -> None:
        self._reconfigure({"alpn_protocols": list(alpn_protocols)})

    def set_npn_protocols(self, npn_protocols: Any) -> None:
        self._reconfigure({"npn_protocols": list(npn_protocols)})

    def set_ciphers(self, cipherlist: str) -> None:
        self._reconfigure({"ciphers": cipherlist})

    def get_ciphers(self) -> Any:
        raise _unsupported("get_ciphers()", "use nodetls.get_ciphers()")

    @property  # type: ignore[override]  # the stdlib's enum, not a bare int
    def minimum_version(self) -> ssl.TLSVersion:
        return ssl.TLSVersion(self.native_context().get_min_proto())

    @minimum_version.setter
    def minimum_version(self, value: ssl.TLSVersion) -> None:
        self._reconfigure({"min_version": self._version_name(value)})

    @property  # type: ignore[override]  # the stdlib's enum, not a bare int
    def maximum_version(self) -> ssl.TLSVersion:
        return ssl.TLSVersion(self.native_context().get_max_proto())

    @maximum_version.setter
    def maximum_version(self, value: ssl.TLSVersion) -> None:
        self._reconfigure({"max_version": self._version_name(value)})

    @staticmethod
    def _version_name(value: ssl.TLSVersion) -> str:
        if value == ssl.TLSVersion.MINIMUM_SUPPORTED:
            return _LOWEST
        if value == ssl.TLSVersion.MAXIMUM_SUPPORTED:
            return _HIGHEST
        name = _VERSION_NAMES.get(int(value))
        if name is None:
            raise ValueError(f"unsupported protocol version {value!r}")
        return name

    @property
    def options(self) -> ssl.Options:
        return ssl.Options(self.native_context().get_options())

    @options.setter
    def options(self, value: int) -> None:
        current = int(self.native_context().get_options())
        cleared = current & ~int(value)
        if cleared:
            raise _unsupported(f"clearing option bits {cleared:#x}",
                               "options can only be added (the secure_options option)")
        self._reconfigure({"secure_options": int(value)})

    # --- verification -----------------------------------------------------------------------

    @property  # type: ignore[override]  # the stdlib's enum, not a bare int
    def verify_mode(self) -> ssl.VerifyMode:
        socket = self._config.socket
        if self._config.server_side and not socket.request_cert:
            return ssl.CERT_NONE
        if socket.reject_unauthorized:
            return ssl.CERT_REQUIRED
        return ssl.CERT_OPTIONAL if self._config.server_side else ssl.CERT_NONE

    @verify_mode.setter
    def verify_mode(self, value: ssl.VerifyMode) -> None:
        mode = ssl.VerifyMode(value)
        if self._config.server_side:
            self._reconfigure({"request_cert": mode is not ssl.CERT_NONE,
                               "reject_unauthorized": mode is ssl.CERT_REQUIRED})
            return
        if mode is ssl.CERT_OPTIONAL:
            raise _unsupported("verify_mode = CERT_OPTIONAL on a client",
                               "use reject_unauthorized=False and read authorization_error")
        if mode is ssl.CERT_NONE and self.check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname "
                             "is enabled.")
        self._reconfigure({"reject_unauthorized": mode is ssl.CERT_REQUIRED})

    @property
    def check_hostname(self) -> bool:
        if self._config.server_side:
            return False
        return self._config.check_server_identity is not _no_identity_check

    @check_hostname.setter
    def check_hostname(self, value: bool) -> None:
        if self._config.server_side:
            if value:
                raise _unsupported("check_hostname on a server context",
                                   "clients are checked with request_cert")
            return
        if not value:
            self._reconfigure({"check_server_identity": _no_identity_check})
        elif not self.check_hostname:  # the stdlib also turns verification on
            self._reconfigure({"check_server_identity": REMOVE, "reject_unauthorized": True})

    @property  # type: ignore[override]  # the stdlib's enum, not a bare int
    def verify_flags(self) -> ssl.VerifyFlags:
        flags = _DEFAULT_FLAGS
        if self._options.get("allow_partial_trust_chain"):
            flags |= _PARTIAL_CHAIN
        return flags

    @verify_flags.setter
    def verify_flags(self, value: ssl.VerifyFlags) -> None:
        other = int(value) & ~int(_DEFAULT_FLAGS | _PARTIAL_CHAIN)
        if other:
            raise _unsupported(f"verify_flags {ssl.VerifyFlags(other)!r}",
                               "CRL checking is the crl option")
        self._reconfigure({"allow_partial_trust_chain": bool(int(value) & _PARTIAL_CHAIN)})

    @property
    def hostname_checks_common_name(self) -> bool:
        return False

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value: bool) -> None:
        raise _unsupported("hostname_checks_common_name",
                           "give check_server_identity a function of your own")

    @property
    def post_handshake_auth(self) -> bool:
        return False

    @post_handshake_auth.setter
    def post_handshake_auth(self, value: bool) -> None:
        if value:
            raise _unsupported("post_handshake_auth",
                               "ask for the client certificate in the handshake: request_cert")

    @property
    def num_tickets(self) -> int:
        return 2  # OpenSSL's default, which Node keeps

    @num_tickets.setter
    def num_tickets(self, value: int) -> None:
        raise _unsupported("num_tickets", "nodetls sends OpenSSL's default of 2 tickets")

    # --- callbacks and logging --------------------------------------------------------------

    @property
    def sni_callback(self) -> Callable[..., Any] | None:
        node_callback = self._config.socket.sni_callback
        return node_callback if node_callback is not None else self.stdlib_sni_callback

    @sni_callback.setter
    def sni_callback(self, callback: Callable[..., Any] | None) -> None:
        """The stdlib's ``callback(ssl_object, servername, context)``; it may set
        ``ssl_object.context`` to another ``nodetls.SSLContext`` and must not wait."""
        if not self._config.server_side:
            raise _unsupported("sni_callback on a client context",
                               "it is a server option (SSLContext(server_side=True, ...))")
        if callback is not None and not callable(callback):
            raise TypeError("not a callable object")
        if self._config.socket.sni_callback is not None:
            raise ValueError("this context already has Node's sni_callback option")
        self.stdlib_sni_callback = callback

    def set_servername_callback(self, server_name_callback: Callable[..., Any] | None) -> None:
        self.sni_callback = server_name_callback

    @property  # type: ignore[override]  # None: no key log, as the stdlib's getter
    def keylog_filename(self) -> str | None:
        return self._keylog_filename

    @keylog_filename.setter
    def keylog_filename(self, path: Any) -> None:
        if path is not None:
            with open(path, "ab"):  # fail now, as the stdlib does, if it cannot be opened
                pass
        self._keylog_filename = None if path is None else str(path)

    # --- the stdlib's own context, never used here ------------------------------------------

    def cert_store_stats(self) -> dict[str, int]:
        raise _unsupported("cert_store_stats()", "the trust store is the ca option")

    def get_ca_certs(self, binary_form: bool = False) -> list[Any]:
        raise _unsupported("get_ca_certs()", "the trust store is the ca option")

    def session_stats(self) -> dict[str, int]:
        raise _unsupported("session_stats()",
                           "count sessions with the 'newSession'/'resumeSession' events")
