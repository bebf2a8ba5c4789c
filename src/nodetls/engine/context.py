"""``NativeSecureContext``: one ``SSL_CTX`` configured the way Node's C++ SecureContext is.

Node splits a secure context in two: ``lib/internal/tls/secure-context.js`` validates
the JavaScript options and calls one native method per option on a C++
``SecureContext`` (``src/crypto/crypto_context.cc``).  We keep the same split:
``nodetls.tls.secure_context`` validates (Node's error codes and messages) and calls
the methods below, which only talk to OpenSSL and raise ``OpenSSLError`` (or one of
the small subclasses defined here, where Node reports a failure its own way) with the
drained error queue; ``nodetls.tls.errors`` turns those into Node errors.

Defaults set at construction, as Node's ``SecureContext::Init``:
``SSL_CTX_new(TLS_method())`` (or the server/client method a ``secureProtocol`` names);
options ``NO_SSLv2|NO_SSLv3|ALLOW_CLIENT_RENEGOTIATION``; ``SSL_MODE_NO_AUTO_CHAIN``
cleared, so a server sends intermediates found in its ``ca`` store; session cache mode
``CLIENT|SERVER|NO_INTERNAL|NO_AUTO_CLEAR`` (no server-side cache: Node's
``newSession``/``resumeSession`` events are the cache); ``RELEASE_BUFFERS``,
``ENABLE_PARTIAL_WRITE`` and ``ACCEPT_MOVING_WRITE_BUFFER`` modes; security level 1
(Node's bundled OpenSSL default, whatever the system OpenSSL was built with); a random
48-byte ticket key set in Node's layout, served by the C ticket callback of
``_openssl/csrc/context.c``.  ``set_ticket_keys`` also takes a ring of such keys (the first
encrypts, all decrypt), which that callback searches by key name.

Beyond Node, off by default: ``set_session_cache_size(n)``, OpenSSL's own bounded
session-id cache (``session_cache.py``; entries expire after the session timeout; when
full, the oldest goes), suspended by ``use_session_cache(False)`` while the application
answers ``newSession``/``resumeSession`` (OpenSSL looks in its cache before asking the
callback);
``set_client_renegotiation(False)``, a ``no_renegotiation`` warning alert to a client's
renegotiation (the server may still send a HelloRequest itself).

Trust: a context without ``ca`` shares the process-wide store of bundled roots
(``engine.trust_store``); the first CA, CRL, PKCS#12 chain or partial-chain flag added
to such a context gives it a private copy first, so other contexts are not affected.

The engine installs the per-connection callbacks (SNI, ALPN, sessions, keylog, OCSP,
PSK, ...) on ``ctx`` the first time it creates an ``SSL`` from this context and then
sets ``callbacks_installed``; this class does not know about them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from nodetls._openssl import CData, OpenSSLError, clear_errors, consume_errors, ffi, lib
from nodetls.engine import trust_store
from nodetls.engine.session_cache import NODE_CACHE_MODE, InternalSessionCache
from nodetls.engine.x509 import mem_bio, own_x509, x509_stack_to_list, x509_to_der

TICKET_KEYS_LENGTH = 48

PROTOCOL_VERSIONS: Mapping[str, int] = MappingProxyType({
    "TLSv1": lib.TLS1_VERSION,
    "TLSv1.1": lib.TLS1_1_VERSION,
    "TLSv1.2": lib.TLS1_2_VERSION,
    "TLSv1.3": lib.TLS1_3_VERSION,
})
"""Node's version strings (``minVersion``/``maxVersion``) as OpenSSL version numbers."""

_MAX_SUPPORTED_VERSION = lib.TLS1_3_VERSION

_OPTION_NAMES = (
    "ALL", "ALLOW_NO_DHE_KEX", "ALLOW_UNSAFE_LEGACY_RENEGOTIATION", "CIPHER_SERVER_PREFERENCE",
    "CISCO_ANYCONNECT", "COOKIE_EXCHANGE", "CRYPTOPRO_TLSEXT_BUG",
    "DONT_INSERT_EMPTY_FRAGMENTS", "LEGACY_SERVER_CONNECT", "NO_COMPRESSION",
    "NO_ENCRYPT_THEN_MAC", "NO_QUERY_MTU", "NO_RENEGOTIATION",
    "NO_SESSION_RESUMPTION_ON_RENEGOTIATION", "NO_SSLv2", "NO_SSLv3", "NO_TICKET",
    "NO_TLSv1", "NO_TLSv1_1", "NO_TLSv1_2", "NO_TLSv1_3", "PRIORITIZE_CHACHA",
    "TLS_ROLLBACK_BUG",
)

SSL_OPTIONS: Mapping[str, int] = MappingProxyType(
    {f"SSL_OP_{name}": int(getattr(lib, f"SSL_OP_{name}")) for name in _OPTION_NAMES}
)
"""The ``SSL_OP_*`` values Node exports in ``crypto.constants`` (for ``secureOptions``)."""

HAS_ENGINE = bool(lib.NODETLS_HAS_ENGINE)


class SessionIdContextError(Exception):
    """OpenSSL refused a session id context; the message is its printed error queue.

    Node reports this one failure as a ``TypeError`` carrying ``ERR_print_errors``
    output, so the text is captured here, where the queue is still available.
    """


class EngineNotFound(OpenSSLError):
    """Neither ``ENGINE_by_id`` nor the dynamic loader found the engine."""


class EngineInitFailed(OpenSSLError):
    """``ENGINE_init`` refused the engine (Node: "Failure to initialize engine")."""


class EngineUnsupported(Exception):
    """This OpenSSL was built without ENGINE support."""


# -- secureProtocol ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Method:
    family: str  # "any", "server" or "client": TLS_method and its two halves
    min_version: int | None  # None keeps the requested minimum
    max_version: int


def _method_table() -> dict[str, _Method]:
    ranges = {
        "SSLv23": (None, lib.TLS1_2_VERSION),
        "TLS": (0, _MAX_SUPPORTED_VERSION),
        "TLSv1": (lib.TLS1_VERSION, lib.TLS1_VERSION),
        "TLSv1_1": (lib.TLS1_1_VERSION, lib.TLS1_1_VERSION),
        "TLSv1_2": (lib.TLS1_2_VERSION, lib.TLS1_2_VERSION),
    }
    table = {}
    for prefix, (low, high) in ranges.items():
        for family, suffix in (("any", "_method"), ("server", "_server_method"),
                               ("client", "_client_method")):
            table[prefix + suffix] = _Method(family, low, high)
    return table


_METHODS = _method_table()
_METHOD_FUNCTIONS = {
    "any": lib.TLS_method, "server": lib.TLS_server_method, "client": lib.TLS_client_method,
}


def protocol_method_error(name: str) -> str | None:
    """Node's message for a ``secureProtocol`` it refuses, or None if ``name`` is usable."""
    if name in _METHODS:
        return None
    for disabled in ("SSLv2", "SSLv3"):
        if name in (f"{disabled}_method", f"{disabled}_server_method",
                    f"{disabled}_client_method"):
            return f"{disabled} methods disabled"
    return f"Unknown method: {name}"


# -- helpers -------------------------------------------------------------------------


def _fail(context: str, records: list[Any] | None = None) -> OpenSSLError:
    return OpenSSLError(consume_errors() if records is None else records, context)


def _printed_errors() -> str:
    bio = ffi.gc(lib.BIO_new(lib.BIO_s_mem()), lib.BIO_free)
    lib.ERR_print_errors(bio)
    data = ffi.new("char **")
    size = lib.BIO_get_mem_data(bio, data)
    return bytes(ffi.buffer(data[0], size)).decode("latin-1") if size > 0 else ""


def _eof_failing_bio(data: bytes) -> CData:
    """A memory BIO whose reads past the end fail (-1) rather than return 0.

    Node feeds DER through its own BIO, which behaves this way; OpenSSL's DER reader
    reports an empty or short input as "not enough data" only then.
    """
    bio = lib.BIO_new(lib.BIO_s_mem())
    if bio == ffi.NULL:
        raise MemoryError("BIO_new")
    bio = ffi.gc(bio, lib.BIO_free)
    if data and lib.BIO_write(bio, data, len(data)) != len(data):
        raise _fail("BIO_write")
    return bio


def _load_engine(engine_id: str) -> CData:
    """Node's ``LoadEngineById``: by id, else through "dynamic" as a shared object path."""
    if not HAS_ENGINE:
        raise EngineUnsupported(engine_id)
    name = engine_id.encode("utf-8")
    clear_errors()
    engine = lib.ENGINE_by_id(name)
    if engine == ffi.NULL:
        engine = lib.ENGINE_by_id(b"dynamic")
        if engine != ffi.NULL and not (
            lib.ENGINE_ctrl_cmd_string(engine, b"SO_PATH", name, 0)
            and lib.ENGINE_ctrl_cmd_string(engine, b"LOAD", ffi.NULL, 0)
        ):
            lib.ENGINE_free(engine)
            engine = ffi.NULL
    if engine == ffi.NULL:
        raise EngineNotFound(consume_errors(), f"engine {engine_id}")
    return ffi.gc(engine, lib.ENGINE_free)


def default_cipher_names() -> list[str]:
    """OpenSSL's cipher names for a fresh ``TLS_method`` connection, in its order."""
    clear_errors()
    ctx = lib.SSL_CTX_new(lib.TLS_method())
    if ctx == ffi.NULL:
        raise _fail("SSL_CTX_new")
    ctx = ffi.gc(ctx, lib.SSL_CTX_free)
    ssl = lib.SSL_new(ctx)
    if ssl == ffi.NULL:
        raise _fail("SSL_new")
    ssl = ffi.gc(ssl, lib.SSL_free)
    stack = lib.SSL_get_ciphers(ssl)
    return [
        ffi.string(lib.SSL_CIPHER_get_name(lib.sk_SSL_CIPHER_value(stack, i))).decode("ascii")
        for i in range(lib.sk_SSL_CIPHER_num(stack))
    ]


# -- the context -----------------------------------------------------------------------


class NativeSecureContext:
    """An ``SSL_CTX`` plus the state Node keeps beside it.

    Attributes:
        ctx: the ``SSL_CTX*`` (owned; freed by GC).
        callbacks_installed: set by the engine once it has installed its callbacks.
    """

    ctx: CData
    callbacks_installed: bool

    def __init__(self, min_version: int, max_version: int, method: str | None = None) -> None:
        """``SecureContext.init``: protocol range as OpenSSL version ints (0 = no bound).

        ``method`` is Node's ``secureProtocol`` name, already validated by the caller
        with ``protocol_method_error``; it maps onto a min/max pair
        (``'TLSv1_2_method'`` -> 1.2..1.2, ``'SSLv23_method'`` -> max 1.2, ...) and
        may select the server-only or client-only method.
        """
        family = "any"
        max_version = max_version or _MAX_SUPPORTED_VERSION
        if method is not None:
            if method not in _METHODS:
                raise ValueError(protocol_method_error(method))
            entry = _METHODS[method]
            family, max_version = entry.family, entry.max_version
            if entry.min_version is not None:
                min_version = entry.min_version
        clear_errors()
        ctx = lib.SSL_CTX_new(_METHOD_FUNCTIONS[family]())
        if ctx == ffi.NULL:
            raise _fail("SSL_CTX_new")
        self.ctx = ffi.gc(ctx, lib.SSL_CTX_free)
        self.callbacks_installed = False
        self._cert: CData | None = None
        self._issuer: CData | None = None
        # None: the context owns its store; else it borrows a shared store of roots
        # (True: the one with the operating system's certificates too).
        self._shared_roots: bool | None = None
        self._engines: list[CData] = []  # kept alive as long as the context uses them
        self._client_cert_engine = False
        self._session_cache = InternalSessionCache(self.ctx)
        self._apply_node_defaults(min_version, max_version)

    def _apply_node_defaults(self, min_version: int, max_version: int) -> None:
        ctx = self.ctx
        # Node's bundled OpenSSL runs at OpenSSL's default security level, 1; some
        # distributions build theirs with 2 (Debian), which would refuse 1024-bit DH
        # parameters and keys Node accepts.  "@SECLEVEL=n" in ``ciphers`` overrides it.
        lib.SSL_CTX_set_security_level(ctx, 1)
        lib.SSL_CTX_set_options(
            ctx, lib.SSL_OP_NO_SSLv2 | lib.SSL_OP_NO_SSLv3 | lib.SSL_OP_ALLOW_CLIENT_RENEGOTIATION)
        lib.SSL_CTX_clear_mode(ctx, lib.SSL_MODE_NO_AUTO_CHAIN)
        lib.SSL_CTX_set_mode(ctx, lib.SSL_MODE_RELEASE_BUFFERS | lib.SSL_MODE_ENABLE_PARTIAL_WRITE
                             | lib.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        lib.SSL_CTX_set_session_cache_mode(ctx, NODE_CACHE_MODE)
        if not (lib.SSL_CTX_set_min_proto_version(ctx, min_version)
                and lib.SSL_CTX_set_max_proto_version(ctx, max_version)):
            raise _fail("SSL_CTX_set_min/max_proto_version")
        if lib.nodetls_ticket_keys_install(ctx) != 1:
            raise _fail("Error generating ticket keys")

    # -- certificates and keys (order matters: CA, then cert, then key, as Node) --

    def set_cert(self, pem: bytes) -> None:
        """Leaf certificate followed by its chain (``SSL_CTX_use_certificate`` + chain).

        If the issuer is not in the PEM it is looked up in the context's store (it is
        then reported by ``get_issuer``); OpenSSL's auto-chaining sends intermediates
        found in ``ca`` (cert-chains-in-ca).  Several calls (RSA and ECDSA) add several
        certificates, each with its own chain.
        """
        self._cert = self._issuer = None
        bio = mem_bio(pem)
        clear_errors()
        leaf = lib.PEM_read_bio_X509_AUX(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        if leaf == ffi.NULL:
            raise _fail("SSL_CTX_use_certificate_chain")
        leaf = own_x509(leaf, borrowed=False)
        extras = []
        while (extra := lib.PEM_read_bio_X509(bio, ffi.NULL, ffi.NULL, ffi.NULL)) != ffi.NULL:
            extras.append(own_x509(extra, borrowed=False))
        # The loop normally ends at the end of the input, which OpenSSL reports as
        # "no start line"; anything else is a broken certificate in the chain.
        last = lib.ERR_peek_last_error()
        if not (lib.ERR_GET_LIB(last) == lib.ERR_LIB_PEM
                and lib.ERR_GET_REASON(last) == lib.PEM_R_NO_START_LINE):
            raise _fail("SSL_CTX_use_certificate_chain")
        clear_errors()
        self._use_chain(leaf, extras)

    def _use_chain(self, leaf: CData, extras: list[CData]) -> None:
        if lib.SSL_CTX_use_certificate(self.ctx, leaf) != 1:
            raise _fail("SSL_CTX_use_certificate")
        lib.SSL_CTX_clear_extra_chain_certs(self.ctx)
        issuer = None
        for cert in extras:
            if lib.SSL_CTX_add1_chain_cert(self.ctx, cert) != 1:
                raise _fail("SSL_CTX_add1_chain_cert")
            if issuer is None and lib.X509_check_issued(cert, leaf) == lib.X509_V_OK:
                issuer = cert
        self._cert = leaf
        self._issuer = issuer if issuer is not None else self._store_issuer(leaf)

    def _store_issuer(self, cert: CData) -> CData | None:
        store_ctx = lib.X509_STORE_CTX_new()
        if store_ctx == ffi.NULL:
            return None
        store_ctx = ffi.gc(store_ctx, lib.X509_STORE_CTX_free)
        found = ffi.new("X509 **")
        store = lib.SSL_CTX_get_cert_store(self.ctx)
        ok = (lib.X509_STORE_CTX_init(store_ctx, store, ffi.NULL, ffi.NULL) == 1
              and lib.X509_STORE_CTX_get1_issuer(found, store_ctx, cert) == 1)
        clear_errors()
        return own_x509(found[0], borrowed=False) if ok else None

    def set_key(self, pem: bytes, passphrase: bytes | None) -> None:
        """Private key (PEM, possibly encrypted); OpenSSL checks it matches its cert."""
        bio = mem_bio(pem)
        secret = passphrase or b""
        clear_errors()
        key = lib.nodetls_read_private_key(bio, secret, len(secret))
        if key == ffi.NULL:
            raise _fail("PEM_read_bio_PrivateKey")
        key = ffi.gc(key, lib.EVP_PKEY_free)
        if lib.SSL_CTX_use_PrivateKey(self.ctx, key) != 1:
            raise _fail("SSL_CTX_use_PrivateKey")

    def load_pkcs12(self, pfx: bytes, passphrase: bytes | None) -> None:
        """Key, cert and chain from a PKCS#12 blob (``options.pfx``).

        The chain certificates are also trusted and named as acceptable client CAs,
        as Node does.
        """
        self._cert = self._issuer = None
        bio = _eof_failing_bio(pfx)
        clear_errors()
        p12 = lib.d2i_PKCS12_bio(bio, ffi.NULL)
        if p12 == ffi.NULL:
            raise _fail("d2i_PKCS12_bio")
        p12 = ffi.gc(p12, lib.PKCS12_free)
        key_out = ffi.new("EVP_PKEY **")
        cert_out = ffi.new("X509 **")
        chain_out = ffi.new("nodetls_STACK_OF_X509 **")
        secret = ffi.NULL if passphrase is None else passphrase
        ok = lib.PKCS12_parse(p12, secret, key_out, cert_out, chain_out)
        key = ffi.gc(key_out[0], lib.EVP_PKEY_free) if key_out[0] != ffi.NULL else ffi.NULL
        cert = own_x509(cert_out[0], borrowed=False) if cert_out[0] != ffi.NULL else ffi.NULL
        extras = x509_stack_to_list(chain_out[0])
        if chain_out[0] != ffi.NULL:
            lib.sk_X509_pop_free(chain_out[0], ffi.addressof(lib, "X509_free"))
        if ok != 1:
            raise _fail("PKCS12_parse")
        self._use_chain(cert, extras)
        if lib.SSL_CTX_use_PrivateKey(self.ctx, key) != 1:
            raise _fail("SSL_CTX_use_PrivateKey")
        for ca in extras:
            lib.X509_STORE_add_cert(self._owned_store(), ca)
            lib.SSL_CTX_add_client_CA(self.ctx, ca)
        clear_errors()

    def add_ca_cert(self, pem: bytes) -> None:
        """Every certificate in ``pem`` into the trust store and the client-CA list.

        Input without a certificate is ignored, as Node ignores it.
        """
        bio = mem_bio(pem)
        clear_errors()
        while (cert := lib.PEM_read_bio_X509_AUX(bio, ffi.NULL, ffi.NULL, ffi.NULL)) != ffi.NULL:
            cert = own_x509(cert, borrowed=False)
            lib.X509_STORE_add_cert(self._owned_store(), cert)
            lib.SSL_CTX_add_client_CA(self.ctx, cert)
        clear_errors()

    def add_crl(self, pem: bytes) -> None:
        """A CRL into the store; turns on ``X509_V_FLAG_CRL_CHECK|CRL_CHECK_ALL``."""
        bio = mem_bio(pem)
        clear_errors()
        crl = lib.PEM_read_bio_X509_CRL(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        if crl == ffi.NULL:
            raise _fail("PEM_read_bio_X509_CRL")
        crl = ffi.gc(crl, lib.X509_CRL_free)
        store = self._owned_store()
        lib.X509_STORE_add_crl(store, crl)
        lib.X509_STORE_set_flags(store, lib.X509_V_FLAG_CRL_CHECK | lib.X509_V_FLAG_CRL_CHECK_ALL)
        clear_errors()

    def add_root_certs(self, system: bool = False) -> None:
        """Use the process-wide store of default roots (``tls.root_certificates`` and
        ``NODE_EXTRA_CA_CERTS``), with the operating system's too if ``system``."""
        store = trust_store.shared_root_store(system)
        lib.X509_STORE_up_ref(store)  # the context's reference; the module keeps its own
        lib.SSL_CTX_set_cert_store(self.ctx, store)
        self._shared_roots = system

    def set_allow_partial_trust_chain(self) -> None:
        """Trust intermediates in the store as anchors (``X509_V_FLAG_PARTIAL_CHAIN``)."""
        lib.X509_STORE_set_flags(self._owned_store(), lib.X509_V_FLAG_PARTIAL_CHAIN)

    def _owned_store(self) -> CData:
        """The context's store, first replaced by a private copy if it is the shared one."""
        if self._shared_roots is not None:
            lib.SSL_CTX_set_cert_store(self.ctx, trust_store.new_root_store(self._shared_roots))
            self._shared_roots = None
        return lib.SSL_CTX_get_cert_store(self.ctx)

    # -- algorithms --

    def set_ciphers(self, tls12_list: str) -> None:
        """The TLS <= 1.2 cipher list; an empty list deliberately disables them all."""
        clear_errors()
        if lib.SSL_CTX_set_cipher_list(self.ctx, tls12_list.encode("utf-8")) == 1:
            return
        records = consume_errors()
        if not tls12_list and records and records[0].reason_code == lib.SSL_R_NO_CIPHER_MATCH:
            return
        raise _fail("Failed to set ciphers", records)

    def set_cipher_suites(self, tls13_suites: str) -> None:
        clear_errors()
        if lib.SSL_CTX_set_ciphersuites(self.ctx, tls13_suites.encode("utf-8")) != 1:
            raise _fail("Failed to set ciphers")

    def set_sigalgs(self, sigalgs: str) -> None:
        clear_errors()
        if lib.SSL_CTX_set1_sigalgs_list(self.ctx, sigalgs.encode("utf-8")) != 1:
            raise _fail("SSL_CTX_set1_sigalgs_list")

    def set_ecdh_curve(self, curves: str) -> None:
        """``'auto'`` keeps OpenSSL's default groups; otherwise a colon-separated list."""
        if curves == "auto":
            return
        clear_errors()
        if lib.SSL_CTX_set1_groups_list(self.ctx, curves.encode("utf-8")) != 1:
            raise _fail("Failed to set ECDH curve")

    def set_dh_param(self, pem_or_auto: bytes | str) -> int | None:
        """Set DH parameters (or ``'auto'``); returns their size in bits (0 for auto).

        Returns None, and changes nothing, when ``pem_or_auto`` holds no DH parameters
        (Node silently ignores those).  Parameters under 1024 bits are returned but not
        installed: Node refuses them, and the caller raises its error.
        """
        if pem_or_auto == "auto":
            lib.SSL_CTX_set_dh_auto(self.ctx, 1)
            return 0
        data = pem_or_auto.encode("utf-8") if isinstance(pem_or_auto, str) else pem_or_auto
        clear_errors()
        params = lib.PEM_read_bio_Parameters(mem_bio(data), ffi.NULL)
        if params == ffi.NULL:
            clear_errors()
            return None
        params = ffi.gc(params, lib.EVP_PKEY_free)
        if lib.EVP_PKEY_get_base_id(params) not in (lib.EVP_PKEY_DH, lib.EVP_PKEY_DHX):
            return None
        bits = int(lib.EVP_PKEY_get_bits(params))
        if bits < 1024:
            return bits
        lib.EVP_PKEY_up_ref(params)  # SSL_CTX_set0_tmp_dh_pkey takes a reference on success
        if lib.SSL_CTX_set0_tmp_dh_pkey(self.ctx, params) != 1:
            lib.EVP_PKEY_free(params)
            raise _fail("Error setting temp DH parameter")
        return bits

    # -- protocol and sessions --

    def set_options(self, options: int) -> None:
        lib.SSL_CTX_set_options(self.ctx, options & 0xFFFFFFFFFFFFFFFF)

    def get_options(self) -> int:
        return int(lib.SSL_CTX_get_options(self.ctx))

    def set_min_proto(self, version: int) -> None:
        if lib.SSL_CTX_set_min_proto_version(self.ctx, version) != 1:
            raise _fail("SSL_CTX_set_min_proto_version")

    def get_min_proto(self) -> int:
        return int(lib.SSL_CTX_get_min_proto_version(self.ctx))

    def get_max_proto(self) -> int:
        return int(lib.SSL_CTX_get_max_proto_version(self.ctx))

    def set_session_id_context(self, context: bytes) -> None:
        """Raises ``SessionIdContextError`` (OpenSSL's printed queue) if refused."""
        clear_errors()
        if lib.SSL_CTX_set_session_id_context(self.ctx, context, len(context)) != 1:
            raise SessionIdContextError(_printed_errors())

    def set_session_timeout(self, seconds: int) -> None:
        lib.SSL_CTX_set_timeout(self.ctx, seconds)

    def get_session_timeout(self) -> int:
        return int(lib.SSL_CTX_get_timeout(self.ctx))

    def set_session_cache_size(self, size: int) -> None:
        """Keep up to ``size`` sessions in OpenSSL's own cache; 0 keeps none (Node)."""
        self._session_cache.set_size(size)

    def use_session_cache(self, enabled: bool) -> None:
        """Off: lookups reach the get-session callback again, nothing is stored."""
        self._session_cache.use(enabled)

    def session_cache_stats(self) -> tuple[int, int]:
        """``(entries, hits)``: cached sessions; resumptions not from the get-session callback."""
        return self._session_cache.stats()

    def set_client_renegotiation(self, allowed: bool) -> None:
        """Accept (Node's default) or refuse, with a warning alert, client renegotiation."""
        if allowed:
            lib.SSL_CTX_set_options(self.ctx, lib.SSL_OP_ALLOW_CLIENT_RENEGOTIATION)
        else:
            lib.SSL_CTX_clear_options(self.ctx, lib.SSL_OP_ALLOW_CLIENT_RENEGOTIATION)

    def set_ticket_keys(self, keys: bytes | Sequence[bytes]) -> None:
        """Replace the ticket key ring: one key, or a list whose first key encrypts new
        tickets and all of which decrypt (each 48 bytes: 16 name, 16 HMAC, 16 AES)."""
        ring = [keys] if isinstance(keys, bytes) else list(keys)
        if not ring or any(len(key) != TICKET_KEYS_LENGTH for key in ring):
            raise ValueError(f"ticket keys must be one or more keys of {TICKET_KEYS_LENGTH} bytes")
        if lib.nodetls_ticket_keys_set(self.ctx, b"".join(ring), len(ring)) != 1:
            raise RuntimeError("ticket keys are not installed on this context")

    def get_ticket_keys(self) -> bytes:
        """The key that encrypts new tickets (Node's ``getTicketKeys``)."""
        return self.get_ticket_key_ring()[0]

    def get_ticket_key_ring(self) -> list[bytes]:
        """The whole ring, the encrypting key first."""
        count = lib.nodetls_ticket_keys_count(self.ctx)
        out = ffi.new("unsigned char[]", max(count, 1) * TICKET_KEYS_LENGTH)
        if count == 0 or lib.nodetls_ticket_keys_get(self.ctx, out, count) != 1:
            raise RuntimeError("ticket keys are not installed on this context")
        data = bytes(ffi.buffer(out, count * TICKET_KEYS_LENGTH))
        return [data[i:i + TICKET_KEYS_LENGTH] for i in range(0, len(data), TICKET_KEYS_LENGTH)]

    # -- engines --

    def set_client_cert_engine(self, engine_id: str) -> None:
        """Client certificates come from an OpenSSL ENGINE (once per context, as Node)."""
        if self._client_cert_engine:
            raise RuntimeError("the client certificate engine is already set")
        engine = _load_engine(engine_id)
        clear_errors()
        if lib.SSL_CTX_set_client_cert_engine(self.ctx, engine) != 1:  # takes its own ref
            raise _fail("SSL_CTX_set_client_cert_engine")
        self._client_cert_engine = True

    def set_engine_key(self, key_id: str, engine_id: str) -> None:
        """The private key ``key_id`` held by an OpenSSL ENGINE."""
        engine = _load_engine(engine_id)
        clear_errors()
        if lib.ENGINE_init(engine) != 1:
            raise EngineInitFailed(consume_errors(), "ENGINE_init")
        finisher = ffi.gc(engine, lib.ENGINE_finish)  # drops the functional reference
        key = lib.ENGINE_load_private_key(engine, key_id.encode("utf-8"), ffi.NULL, ffi.NULL)
        if key == ffi.NULL:
            raise _fail("ENGINE_load_private_key")
        key = ffi.gc(key, lib.EVP_PKEY_free)
        if lib.SSL_CTX_use_PrivateKey(self.ctx, key) != 1:
            raise _fail("SSL_CTX_use_PrivateKey")
        self._engines += [engine, finisher]

    # -- introspection (used by OCSPRequest and tests) --

    def get_certificate(self) -> bytes | None:
        """DER of the current certificate, or None."""
        return None if self._cert is None else x509_to_der(self._cert)

    def get_issuer(self) -> bytes | None:
        """DER of the current certificate's issuer (chain or store), or None."""
        return None if self._issuer is None else x509_to_der(self._issuer)
