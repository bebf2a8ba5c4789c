"""The options of every ``tls`` API, typed: the one table of option names.

Theory of operation
-------------------
Node's ``tls`` functions take an options object; here its keys are keyword arguments in
snake_case, declared as ``TypedDict`` s and used with ``Unpack`` in the public
signatures (``connect(port, host, callback, **options: Unpack[ConnectOptions])``), so a
type checker rejects a misspelled option (``rejectUnauthorized=``) or a value of the
wrong type (``handshake_timeout="soon"``) in user code, and an editor completes them.

Each option is declared once, in the group that owns it; the public dictionaries are
unions of groups::

    NodeContextOptions  (tls.createSecureContext's own options)
      <- SecureContextOptions  (+ the beyond-Node ones)
        <- ContextOptions  (+ secure_context: Server.set_secure_context)
             <- ServerOptions     + _PeerOptions + _ServerSideOptions + _NetSocketOptions
             <- TLSSocketOptions  + _PeerOptions + _ServerSideOptions + _ClientSideOptions
                                  + _NetSocketOptions
             <- ConnectOptions    + _PeerOptions + _ClientSideOptions + _NetSocketOptions

The runtime sets of names are computed from these classes (:data:`TLS_OPTIONS`,
:data:`SECURE_CONTEXT_OPTIONS`), and the documentation's option tables are generated from
this file (the string under each key is its documentation).  Types say what a user
should pass; the runtime still validates every value as Node does and raises Node's
errors (``ERR_INVALID_ARG_TYPE``, ...) for what a type checker would have caught.

Only ``from __future__ import annotations`` strings refer to the ``tls`` classes
(``SecureContext``, ``TLSSocket``): this module sits below them, and they import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypedDict

if TYPE_CHECKING:  # annotations only: secure_context.py imports this module
    from nodetls.node.duplex import Duplex
    from nodetls.node.net_server import Server as NetServer
    from nodetls.tls.secure_context import SecureContext

__all__ = [
    "SECURE_CONTEXT_OPTIONS",
    "TLS_OPTIONS",
    "Buffer",
    "ConnectOptions",
    "ContextOptions",
    "KeyEntry",
    "NodeContextOptions",
    "PfxEntry",
    "RenegotiateOptions",
    "SecureContextOptions",
    "ServerOptions",
    "TLSSocketOptions",
]

Buffer: TypeAlias = bytes | bytearray | memoryview
"""Node's ``Buffer``/``TypedArray``/``DataView``."""

PEM: TypeAlias = str | bytes | bytearray | memoryview
"""PEM text, as a string or a buffer."""


class KeyEntry(TypedDict, total=False):
    """One entry of a ``key`` list: a key with its own passphrase."""

    pem: str | bytes | bytearray | memoryview
    """The private key in PEM."""
    passphrase: str
    """Its passphrase (overrides the `passphrase` option)."""


class PfxEntry(TypedDict, total=False):
    """One entry of a ``pfx`` list: a PKCS#12 blob with its own passphrase."""

    buf: str | bytes | bytearray | memoryview
    """The PKCS#12 blob."""
    passphrase: str | bytes | bytearray | memoryview
    """Its passphrase (overrides the `passphrase` option)."""


class NodeContextOptions(TypedDict, total=False):
    """The options of Node's ``tls.createSecureContext``."""

    ca: PEM | Sequence[PEM] | None
    """Trusted CA certificates (PEM), replacing the default roots
    (`tls.root_certificates`). Node: `ca`."""
    cert: PEM | Sequence[PEM] | None
    """Certificate chain(s) in PEM, leaf first; one per key type. Node: `cert`."""
    key: PEM | Sequence[PEM | KeyEntry] | None
    """Private key(s) in PEM; list entries may be `{"pem", "passphrase"}`. Node: `key`."""
    passphrase: str | None
    """Shared passphrase for `key` or `pfx`. Node: `passphrase`."""
    pfx: PEM | Sequence[PEM | PfxEntry] | None
    """PKCS#12 key and certificates; list entries may be `{"buf", "passphrase"}`.
    Node: `pfx`."""
    ciphers: str | None
    """OpenSSL cipher list; `TLS_*` names are TLS 1.3 suites (default
    `tls.DEFAULT_CIPHERS`). Node: `ciphers`."""
    ecdh_curve: str | None
    """Curve names separated by `:`, or `"auto"` (default `tls.DEFAULT_ECDH_CURVE`).
    Node: `ecdhCurve`."""
    dhparam: PEM | None
    """DH parameters in PEM, or `"auto"`; under 2048 bits warns, under 1024 fails.
    Node: `dhparam`."""
    sigalgs: str | None
    """Signature algorithms, `:`-separated (`"ECDSA+SHA256:RSA-PSS+SHA256"`).
    Node: `sigalgs`."""
    crl: PEM | Sequence[PEM] | None
    """Certificate revocation lists in PEM. Node: `crl`."""
    honor_cipher_order: bool | None
    """Prefer the server's cipher order (`SSL_OP_CIPHER_SERVER_PREFERENCE`).
    Node: `honorCipherOrder`."""
    min_version: str | None
    """Lowest protocol: `"TLSv1.3"`, `"TLSv1.2"`, `"TLSv1.1"` or `"TLSv1"` (default
    `tls.DEFAULT_MIN_VERSION`). Node: `minVersion`."""
    max_version: str | None
    """Highest protocol, as `min_version` (default `tls.DEFAULT_MAX_VERSION`).
    Node: `maxVersion`."""
    secure_protocol: str | None
    """Legacy OpenSSL method name (`"TLSv1_2_method"`); conflicts with
    `min_version`/`max_version`. Node: `secureProtocol`."""
    secure_options: int | None
    """Bitmask of `tls.SSL_OP_*` values. Node: `secureOptions`."""
    session_id_context: str | None
    """Context for session resumption by id (servers). Node: `sessionIdContext`."""
    session_timeout: int | None
    """Seconds a session (id or ticket) stays resumable. Node: `sessionTimeout`."""
    ticket_keys: Buffer | Sequence[Buffer] | None
    """48 bytes of session ticket keys; beyond Node, a list of 48-byte keys: the first
    encrypts, all decrypt. Node: `ticketKeys`."""
    allow_partial_trust_chain: bool | None
    """Accept a chain that ends at a trusted intermediate. Node:
    `allowPartialTrustChain`."""
    private_key_engine: str | None
    """OpenSSL ENGINE holding the private key. Node: `privateKeyEngine`."""
    private_key_identifier: str | None
    """Identifier of the key inside `private_key_engine`. Node:
    `privateKeyIdentifier`."""
    client_cert_engine: str | None
    """OpenSSL ENGINE supplying the client certificate. Node: `clientCertEngine`."""


class SecureContextOptions(NodeContextOptions, total=False):
    """``create_secure_context``'s options: Node's, and three beyond Node."""

    session_cache_size: int
    """Beyond Node: size of the server's in-memory session cache (0, Node's default,
    turns it off)."""
    allow_client_renegotiation: bool
    """Beyond Node: False refuses client-initiated renegotiation outright (default
    True, as Node, which counts it against `CLIENT_RENEG_LIMIT`)."""
    use_system_ca: bool
    """Beyond Node (Node v23's `--use-system-ca`): trust the system's CA store as well
    as the bundled roots."""


class ContextOptions(SecureContextOptions, total=False):
    """What gives a connection its context: a context's options, or a ready
    ``secure_context`` (``Server.set_secure_context`` takes these)."""

    secure_context: SecureContext | None
    """A context from `create_secure_context`, used as it is instead of one made from
    the other options (which it overrides). Node: `secureContext`."""


class _PeerOptions(TypedDict, total=False):
    """Options of both ends of a connection."""

    alpn_protocols: Sequence[str | Buffer] | Buffer | None
    """ALPN protocols in preference order (`["h2", "http/1.1"]`), or their wire
    format. Node: `ALPNProtocols`."""
    npn_protocols: Sequence[str | Buffer] | Buffer | None
    """NPN protocols (legacy; ignored by OpenSSL 3 peers that do not offer NPN).
    Node: `NPNProtocols`."""
    psk_callback: Callable[..., object] | None
    """Pre-shared keys. Server: `psk_callback(socket, identity)` returns the key
    (bytes) or None; client: `psk_callback(hint)` returns `{"psk", "identity"}` or None.
    Node: `pskCallback`."""
    reject_unauthorized: bool | None
    """Refuse a peer whose certificate does not verify (default True).
    Node: `rejectUnauthorized`."""
    enable_trace: bool | None
    """Print OpenSSL's trace of the handshake to stderr. Node: `enableTrace`."""


class _ServerSideOptions(TypedDict, total=False):
    """Options of a server's end of a connection."""

    request_cert: bool | None
    """Ask the client for a certificate. Node: `requestCert`."""
    alpn_callback: Callable[..., object] | None
    """`alpn_callback({"servername", "protocols"})` returns the protocol to select, or
    None to refuse the connection; excludes `alpn_protocols`. Node: `ALPNCallback`."""
    sni_callback: Callable[..., object] | None
    """`sni_callback(servername, cb)` answers `cb(err, context)`, now or later; an
    `async def` may return the context instead. Node: `SNICallback`."""
    psk_identity_hint: str | None
    """Hint sent to clients to help them pick a PSK identity. Node: `pskIdentityHint`."""
    handshake_timeout: float | None
    """Milliseconds a handshake may take before the connection is dropped with
    `ERR_TLS_HANDSHAKE_TIMEOUT` (default 120000). Node: `handshakeTimeout`."""
    pause_on_connect: bool
    """Start accepted connections paused (the handshake still runs).
    Node: `pauseOnConnect`."""


class _ClientSideOptions(TypedDict, total=False):
    """Options of a client's end of a connection."""

    session: Buffer | str | None
    """A session from `get_session()` or the `'session'` event, to resume.
    Node: `session`."""
    request_ocsp: bool | None
    """Ask the server to staple an OCSP response (the `'OCSPResponse'` event).
    Node: `requestOCSP`."""


class _NetSocketOptions(TypedDict, total=False):
    """Options ``net`` sockets take, passed on by the ``tls`` APIs."""

    allow_half_open: bool
    """Keep the writable side open after the peer ends its side. Node: `allowHalfOpen`."""
    high_water_mark: int | None
    """Stream buffer limit in bytes (default 16 KiB). Node: `highWaterMark`."""
    no_delay: bool
    """Disable Nagle's algorithm. Node: `noDelay`."""
    keep_alive: bool
    """Enable TCP keep-alive. Node: `keepAlive`."""
    keep_alive_initial_delay: float
    """Milliseconds before the first keep-alive probe. Node: `keepAliveInitialDelay`."""


class ServerOptions(ContextOptions, _PeerOptions, _ServerSideOptions,
                    _NetSocketOptions, total=False):
    """``create_server``'s and ``Server``'s options."""


class TLSSocketOptions(ContextOptions, _PeerOptions, _ServerSideOptions,
                       _ClientSideOptions, _NetSocketOptions, total=False):
    """``TLSSocket(socket, **options)``'s options."""

    is_server: bool
    """Act as the server end. Node: `isServer`."""
    server: NetServer | None
    """The server the socket belongs to (its session and OCSP events are emitted
    there). Node: `server`."""


class ConnectOptions(ContextOptions, _PeerOptions, _ClientSideOptions,
                     _NetSocketOptions, total=False):
    """``connect(port, host, callback, **options)``'s options (``port`` and ``host``
    are its parameters)."""

    servername: str | None
    """Server name sent in the SNI extension (not an IP address). Node: `servername`."""
    check_server_identity: Callable[[str, dict[str, Any]], BaseException | None]
    """`check_server_identity(hostname, cert)` returns an error to refuse the server
    (default `tls.check_server_identity`). Node: `checkServerIdentity`."""
    min_dh_size: int
    """Smallest DH key accepted from a TLS 1.2 server, in bits (default 1024).
    Node: `minDHSize`."""
    socket: Duplex | None
    """An already connected socket or any Duplex to run TLS over (STARTTLS).
    Node: `socket`."""
    path: str | None
    """Connect to this unix socket instead of `port`/`host`. Node: `path`."""
    timeout: float | None
    """Idle timeout in milliseconds (`set_timeout`). Node: `timeout`."""
    readable: bool
    """With `fd`, allow reads. Node: `readable`."""
    writable: bool
    """With `fd`, allow writes. Node: `writable`."""
    signal: object
    """An `AbortSignal` (`nodetls.AbortController().signal`) that destroys the socket
    when aborted. Node: `signal`."""
    lookup: Callable[..., object] | None
    """Custom DNS lookup, `lookup(hostname, options, cb)` as `dns.lookup`.
    Node: `lookup`."""
    hints: int
    """`getaddrinfo` flags for the lookup. Node: `hints`."""
    family: int
    """IP version of the address to connect to: 4, 6 or 0 for either. Node: `family`."""
    local_address: str
    """Local address to bind before connecting. Node: `localAddress`."""
    local_port: int
    """Local port to bind before connecting. Node: `localPort`."""
    fd: int
    """Wrap an existing socket file descriptor. Node: `fd`."""
    onread: Mapping[str, object]
    """`{"buffer", "callback"}`: read into a reused buffer instead of `'data'` events.
    Node: `onread`."""
    auto_select_family: bool
    """Try IPv6 and IPv4 addresses in turn (happy eyeballs). Node: `autoSelectFamily`."""
    auto_select_family_attempt_timeout: float
    """Milliseconds per attempt with `auto_select_family`. Node:
    `autoSelectFamilyAttemptTimeout`."""


class RenegotiateOptions(TypedDict, total=False):
    """``TLSSocket.renegotiate(callback, **options)``'s options."""

    request_cert: bool
    """Ask the client for a certificate in the new handshake. Node: `requestCert`."""
    reject_unauthorized: bool
    """Refuse a client certificate that does not verify. Node: `rejectUnauthorized`."""


def _names(*dicts: Any) -> frozenset[str]:
    """The keys of ``TypedDict`` classes (``__annotations__`` holds the inherited ones)."""
    return frozenset(name for d in dicts for name in d.__annotations__)


SECURE_CONTEXT_OPTIONS: Final = _names(NodeContextOptions)
"""The options ``configure_secure_context`` reads (Node's ``createSecureContext``)."""

TLS_OPTIONS: Final = _names(ServerOptions, TLSSocketOptions, ConnectOptions) | {"port", "host"}
"""Every option of a ``tls`` API (``port`` and ``host`` are also ``connect``'s parameters):
``create_secure_context`` accepts and ignores the ones it does not read, as Node does, and
an unknown keyword anywhere is a ``TypeError`` that names it."""
