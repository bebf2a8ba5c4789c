"""The fuzz targets: each takes the fuzzer's bytes and may raise only ``Finding``.

* ``engine_receive``: two real engines (``tests/engine/pair.py``) brought to handshake
  stage 0-4 (flights delivered so far), TLS 1.2 or 1.3; then one side gets arbitrary bytes,
  or the real next flight mutated (overwritten, cut, spliced, xored at an offset), and the
  pair is pumped to quiet and closed.  ``receive`` never raises: failures are events.
* ``options``: ``create_secure_context``, ``create_server`` and ``connect`` with any
  ``tls`` option set to values of any type.
* ``pem_der_pfx``: ``cert``, ``key``, ``ca``, ``pfx``, ``crl``, ``dhparam`` (and
  ``passphrase``) from arbitrary bytes or text, beside real material for the other half.
* ``cert_object``: Node's certificate object (``x509_to_object``, the detailed chain,
  ``X509Certificate``) from whatever DER ``d2i_X509`` accepts.
* ``identity``: ``check_server_identity`` with any host name and certificate fields.
* ``session``: a client offering arbitrary ``session=`` bytes; the handshake still ends.
* ``ticket_keys``: ``ticket_keys``/``set_ticket_keys`` with any value; accepted keys
  must make working tickets (the second connection resumes).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import nodetls as tls
from nodetls._openssl import clear_errors, ffi, lib
from nodetls.engine import ConnectionState, TLSFailure
from nodetls.engine.certinfo import peer_certificate_object, x509_to_object
from nodetls.engine.x509 import own_x509
from nodetls.node import scheduling
from nodetls.tls.secure_context import TLS_OPTIONS
from nodetls.tls.x509_certificate import X509Certificate
from tests.engine.pair import Pair
from tests.fuzz.harness import Finding, Reader, documented, material

VERSIONS = ("TLSv1.2", "TLSv1.3")
#: Fixed, so that the committed session seeds decrypt on every run.
TICKET_KEYS = bytes(range(48))
OPTION_NAMES = sorted(TLS_OPTIONS)
#: Options that would point ``connect`` somewhere real; the target fixes them.
NETWORK_OPTIONS = frozenset({
    "port", "host", "path", "socket", "fd", "lookup", "local_address", "local_port",
    "family", "hints", "auto_select_family", "auto_select_family_attempt_timeout",
    "signal", "server",
})
PEM_FIELDS = ("cert", "key", "ca", "pfx", "crl", "dhparam")


@functools.cache
def context(version: str, server: bool) -> Any:
    m = material()
    options: dict[str, Any] = {"min_version": version, "max_version": version}
    if server:
        options.update(key=m.key, cert=m.cert, ticket_keys=TICKET_KEYS)
    else:
        options.update(ca=m.ca)
    return tls.create_secure_context(**options).context


def new_pair(version: str, server_ctx: Any = None) -> Pair:
    return Pair(context(version, False), server_ctx or context(version, True))


# -- engine_receive ----------------------------------------------------------------------


def mutate(flight: bytes, payload: bytes) -> bytes:
    if len(payload) < 3:
        return flight + payload
    offset = (payload[0] | payload[1] << 8) % (len(flight) + 1)
    op, body = payload[2] % 4, payload[3:]
    if op == 0:
        return flight[:offset] + body + flight[offset + len(body):]
    if op == 1:
        return flight[:offset]
    if op == 2:
        return flight[:offset] + body + flight[offset:]
    return flight[:offset] + bytes(a ^ b for a, b in zip(flight[offset:], body, strict=False)) \
        + flight[offset + len(body):]


def engine_receive(data: bytes) -> None:
    r = Reader(data)
    selector, stage = r.byte(), r.byte() % 5
    version = VERSIONS[selector & 1]
    target_is_server, mutate_real = bool(selector & 2), bool(selector & 4)
    payload = r.rest()
    with documented():
        pair = new_pair(version)
        pair.start()
        for i in range(stage):
            pair.flush(pair.client if i % 2 == 0 else pair.server)
        target = pair.server if target_is_server else pair.client
        incoming = payload
        if mutate_real:
            incoming = mutate(pair.peer(target).data_to_send(), payload)
        pair.record(target, target.receive(incoming))
        pair.pump()
        for side in (pair.client, pair.server):
            pair.record(side, side.receive_eof())
            side.data_to_send()
        _check_states(pair)


def _check_states(pair: Pair) -> None:
    for side in (pair.client, pair.server):
        if side.state in (ConnectionState.HELLO_PAUSED, ConnectionState.CERT_PAUSED):
            raise Finding(f"engine paused with no callback installed: {side.state}")


# -- options -----------------------------------------------------------------------------


def options(data: bytes) -> None:
    r = Reader(data)
    api = r.byte() % 3
    opts = {OPTION_NAMES[r.byte() % len(OPTION_NAMES)]: r.value() for _ in range(r.byte() % 6)}
    with documented():
        if api == 0:
            tls.create_secure_context(**opts)
        elif api == 1:
            tls.create_server(**opts)
        else:
            run_connect({k: v for k, v in opts.items() if k not in NETWORK_OPTIONS})


def run_connect(opts: dict[str, Any]) -> None:
    """``tls.connect`` to a closed port, destroyed at once; callback exceptions count."""
    caught: list[BaseException] = []

    async def attempt() -> None:
        sock = tls.connect(9, "127.0.0.1", **opts)
        sock.on("error", lambda err: None)
        sock.destroy()
        await asyncio.sleep(0)

    previous = scheduling.set_uncaught_exception_hook(caught.append)
    try:
        asyncio.run(attempt())
    finally:
        scheduling.set_uncaught_exception_hook(previous)
    if caught:
        raise caught[0]


# -- pem_der_pfx -------------------------------------------------------------------------


def pem_der_pfx(data: bytes) -> None:
    r = Reader(data)
    selector = r.byte()
    field = PEM_FIELDS[selector % len(PEM_FIELDS)]
    passphrase = r.text() if selector & 0x10 else None
    raw = r.rest()
    value: Any = raw
    if selector & 0x20:
        value = raw.decode("latin-1")
    if selector & 0x40:
        value = [value, material().ca]
    m = material()
    opts: dict[str, Any] = {field: value}
    if field == "key":
        opts["cert"] = m.cert
    elif field == "cert":
        opts["key"] = m.key
    if passphrase is not None:
        opts["passphrase"] = passphrase
    with documented():
        tls.create_secure_context(**opts)


# -- cert_object -------------------------------------------------------------------------


def parse_der(der: bytes) -> Any:
    buf = ffi.from_buffer(der)
    clear_errors()
    cert = lib.d2i_X509(ffi.NULL, ffi.new("const unsigned char **", buf), len(der))
    clear_errors()  # a refused DER is not a finding; the queue must be empty after
    return None if cert == ffi.NULL else own_x509(cert, borrowed=False)


def cert_object(data: bytes) -> None:
    with documented():
        cert = parse_der(data)
        if cert is None:
            return
        obj = x509_to_object(cert)
        if not isinstance(obj.get("raw"), bytes):
            raise Finding(f"certificate object without raw DER: {obj!r}")
        ca = parse_der(material().ca_der)
        store = lib.X509_STORE_new()
        try:
            lib.X509_STORE_add_cert(store, ca)
            detailed = peer_certificate_object(None, [cert, cert, ca], store, True)
        finally:
            lib.X509_STORE_free(store)
        x509 = X509Certificate(detailed)
        for name in ("subject", "issuer", "subject_alt_name", "fingerprint256", "serial_number",
                     "valid_from", "valid_to", "info_access", "key_usage"):
            getattr(x509, name, None)
        x509.to_legacy_object()
        x509.to_string()


# -- identity ----------------------------------------------------------------------------


def identity(data: bytes) -> None:
    r = Reader(data)
    selector = r.byte()
    host = r.text()
    cert: dict[str, Any] = {}
    if selector & 1:
        cert["subject"] = {"CN": r.value()} if selector & 2 else r.value()
    if selector & 4:
        cert["subjectaltname"] = r.text() if selector & 8 else r.value()
    with documented():
        result = tls.check_server_identity(host, cert)
        if result is not None and getattr(result, "code", None) != \
                "ERR_TLS_CERT_ALTNAME_INVALID":
            raise Finding(f"check_server_identity returned {result!r}")


# -- session -----------------------------------------------------------------------------


def session(data: bytes) -> None:
    version = VERSIONS[data[0] & 1] if data else "TLSv1.3"
    with documented():
        pair = new_pair(version)
        offered = pair.client.set_session(data[1:])
        pair.handshake()
        if pair.client.state is ConnectionState.OPEN:
            pair.client.send(b"ping")
            pair.pump()
            if pair.received(pair.server) != b"ping":
                raise Finding(f"no data after a session offer (offered={offered}): "
                              f"{pair.events[pair.client]!r}")
            return
        # A session whose secret was altered but whose ticket still decrypts fails
        # the handshake (bad record MAC; TLS 1.3: the binder), as in Node: a TLS error.
        failures = pair.of(pair.client, TLSFailure)
        if not offered or len(failures) != 1 or not failures[0].error.code.startswith("ERR_SSL_"):
            raise Finding(f"handshake neither done nor failed with a TLS error: "
                          f"{pair.events[pair.client]!r}")


# -- ticket_keys -------------------------------------------------------------------------


def ticket_keys(data: bytes) -> None:
    r = Reader(data)
    selector = r.byte()
    keys: Any = r.rest() if selector & 1 else r.value()
    version = VERSIONS[(selector >> 1) & 1]
    m = material()
    with documented():
        if selector & 4:
            server = tls.create_server(key=m.key, cert=m.cert)
            server.set_ticket_keys(keys)
            if server.get_ticket_keys() != bytes(keys):
                raise Finding("get_ticket_keys() differs from what was set")
            return
        ctx = tls.create_secure_context(key=m.key, cert=m.cert, ticket_keys=keys,
                                        min_version=version, max_version=version).context
        _check_resumes(version, ctx)


def _check_resumes(version: str, server_ctx: Any) -> None:
    first = new_pair(version, server_ctx)
    first.handshake()
    der = first.client.session()
    if der is None:
        raise Finding("no session from a server with ticket keys")
    second = new_pair(version, server_ctx)
    second.client.set_session(der)
    second.handshake()
    if not second.client.is_session_reused():
        raise Finding(f"ticket made under these keys was refused ({version})")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "engine_receive": engine_receive,
    "options": options,
    "pem_der_pfx": pem_der_pfx,
    "cert_object": cert_object,
    "identity": identity,
    "session": session,
    "ticket_keys": ticket_keys,
}
