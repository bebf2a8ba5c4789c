"""``create_secure_context``: every option accepted and effective, every error as Node's.

Two kinds of test:

* **Against Node.**  One table of option sets, good and bad, goes through Node's
  ``tls.createSecureContext`` in a single ``node`` process and through ours; the
  outcome must agree: success or failure, the error's code, its class (TypeError,
  RangeError -> ValueError, Error), its message (with option names in Python spelling),
  ``library``/``reason``, and Node's ``SecurityWarning``s.
* **Effects.**  Contexts are used for real handshakes between two engines in memory,
  and the test checks what OpenSSL negotiated or verified: the certificate a client
  gets (RSA or ECDSA), the cipher, the curve, the DH size, the protocol version, the
  verification result with ``ca``/``crl``/chains, resumption with ticket keys.
"""

from __future__ import annotations

import ssl
import warnings
from pathlib import Path
from typing import Any

import pytest

import nodetls
from nodetls.node.errors import NodeError
from nodetls.tls.errors import SecurityWarning
from nodetls.tls.secure_context import SECURE_CONTEXT_OPTIONS
from tests.tls.ctxlab import (
    NAN,
    Handshake,
    Materials,
    handshake,
    make_materials,
    node_create_secure_context,
    pythonize_message,
    strip_printed_queue,
)

X509_V_OK = 0
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT = 2  # the chain stops at an untrusted intermediate
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21  # a lone leaf whose issuer is unknown
X509_V_ERR_CERT_REVOKED = 23


@pytest.fixture(scope="module")
def mat(tmp_path_factory: pytest.TempPathFactory) -> Materials:
    return make_materials(Path(tmp_path_factory.mktemp("secure-context")))


def der(pem: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem)


def cipher_name(hs: Handshake) -> str | None:
    cipher = hs.client.cipher()
    return None if cipher is None else cipher["name"]


def peer_der(hs: Handshake) -> bytes:
    der = hs.client.peer_certificate_der()
    assert der is not None
    return der


# -- the table checked against Node ----------------------------------------------------


def cases(m: Materials) -> list[tuple[str, dict[str, Any]]]:
    """(label, options in Python spelling); absent keys are ``undefined``."""
    pfx, enc = m.pfx, m.encrypted_key.decode()
    return [
        # types of key/cert/ca/crl/dhparam
        ("key number", {"key": 1}),
        ("cert number", {"cert": 1}),
        ("ca number", {"ca": 1}),
        ("ca list of number", {"ca": [1]}),
        ("key list of number", {"key": [1]}),
        ("key pem number", {"key": [{"pem": 1}]}),
        ("key object", {"key": {"pem": m.rsa_key}}),
        ("crl number", {"crl": 5}),
        ("crl list of number", {"crl": [5]}),
        ("dhparam number", {"dhparam": 5}),
        # OpenSSL refusing material
        ("key junk", {"key": "junk"}),
        ("cert junk", {"cert": "junk"}),
        ("cert list with junk", {"cert": [m.rsa_cert, "junk"]}),
        ("cert empty buffer", {"cert": b""}),
        ("key empty buffer", {"key": b""}),
        ("crl empty buffer", {"crl": b""}),
        ("key mismatch", {"key": m.other_rsa_key, "cert": m.rsa_cert}),
        ("encrypted key, no passphrase", {"key": enc, "cert": m.rsa_cert}),
        ("encrypted key, wrong passphrase", {"key": enc, "cert": m.rsa_cert, "passphrase": "x"}),
        ("passphrase number", {"key": m.rsa_key, "passphrase": 5}),
        ("per-key passphrase number", {"key": [{"pem": enc, "passphrase": 5}]}),
        ("crl junk", {"crl": "junk"}),
        ("crl list junk", {"crl": ["junk"]}),
        # ciphers
        ("ciphers unknown", {"ciphers": "nope"}),
        ("ciphers empty entries", {"ciphers": ":"}),
        ("ciphers more empty entries", {"ciphers": "::"}),
        ("ciphers number", {"ciphers": 5}),
        ("ciphers unknown 1.3", {"ciphers": "TLS_nope"}),
        ("ciphers mixed unknown 1.3", {"ciphers": "AES128-SHA:TLS_nope"}),
        ("ciphers negated 1.3 only", {"ciphers": "!TLS_AES_128_GCM_SHA256"}),
        # curves, versions, methods, options
        ("ecdh unknown", {"ecdh_curve": "nope"}),
        ("ecdh empty", {"ecdh_curve": ""}),
        ("ecdh null", {"ecdh_curve": None}),
        ("ecdh number", {"ecdh_curve": 5}),
        ("ecdh list with unknown", {"ecdh_curve": "P-256:nope"}),
        ("min version unknown", {"min_version": "TLSv9"}),
        ("max version unknown", {"max_version": "x"}),
        ("min version number", {"min_version": 5}),
        ("method unknown", {"secure_protocol": "nope"}),
        ("method empty", {"secure_protocol": ""}),
        ("method SSLv3", {"secure_protocol": "SSLv3_method"}),
        ("method SSLv3 server", {"secure_protocol": "SSLv3_server_method"}),
        ("method SSLv2", {"secure_protocol": "SSLv2_client_method"}),
        ("method and min", {"secure_protocol": "TLSv1_2_method", "min_version": "TLSv1.2"}),
        ("method and max", {"secure_protocol": "TLSv1_2_method", "max_version": "TLSv1.3"}),
        ("method number and min", {"secure_protocol": 5, "min_version": "TLSv1.2"}),
        ("secure options string", {"secure_options": "x"}),
        ("secure options fraction", {"secure_options": 1.5}),
        ("secure options boolean", {"secure_options": True}),
        ("secure options too big", {"secure_options": 2**53}),
        ("sigalgs empty", {"sigalgs": ""}),
        ("sigalgs number", {"sigalgs": 5}),
        ("sigalgs unknown", {"sigalgs": "nope"}),
        ("sigalgs partly unknown", {"sigalgs": "RSA+SHA256:nope"}),
        # sessions
        ("session id context number", {"session_id_context": 5}),
        ("session id context too long", {"session_id_context": "x" * 40}),
        ("session timeout negative", {"session_timeout": -1}),
        ("session timeout string", {"session_timeout": "x"}),
        ("session timeout fraction", {"session_timeout": 1.5}),
        ("session timeout NaN", {"session_timeout": float("nan")}),
        ("session timeout above int32", {"session_timeout": 2**31}),
        ("session timeout far above", {"session_timeout": 2**33}),
        ("ticket keys string", {"ticket_keys": "x"}),
        ("ticket keys 47 bytes", {"ticket_keys": bytes(47)}),
        ("ticket keys 49 bytes", {"ticket_keys": bytes(49)}),
        # engines
        ("client cert engine number", {"client_cert_engine": 5}),
        ("client cert engine unknown", {"client_cert_engine": "nope"}),
        ("client cert engine dynamic", {"client_cert_engine": "dynamic"}),
        ("key identifier without engine", {"private_key_identifier": "x"}),
        ("key identifier, engine null", {"private_key_identifier": "x",
                                         "private_key_engine": None}),
        ("key identifier, engine number", {"private_key_identifier": "x", "private_key_engine": 5}),
        ("key identifier number", {"private_key_identifier": 5, "private_key_engine": "nope"}),
        ("key engine unknown", {"private_key_identifier": "x", "private_key_engine": "nope"}),
        ("key engine empty", {"private_key_identifier": "x", "private_key_engine": ""}),
        ("key engine dynamic", {"private_key_identifier": "x", "private_key_engine": "dynamic"}),
        ("key engine and key", {"private_key_identifier": "x", "private_key_engine": "e",
                                "key": m.rsa_key}),
        # PKCS#12
        ("pfx zeros", {"pfx": bytes(10)}),
        ("pfx empty", {"pfx": b""}),
        ("pfx garbage string", {"pfx": "garbage"}),
        ("pfx truncated", {"pfx": pfx[:100], "passphrase": "sesame"}),
        ("pfx without passphrase", {"pfx": pfx}),
        ("pfx wrong passphrase", {"pfx": pfx, "passphrase": "wrong"}),
        ("pfx passphrase number", {"pfx": pfx, "passphrase": 5}),
        ("pfx number", {"pfx": 5}),
        ("pfx list of number", {"pfx": [5]}),
        ("pfx item passphrase number", {"pfx": [{"buf": pfx, "passphrase": 5}]}),
        ("pfx item without buf", {"pfx": [{"passphrase": "sesame"}]}),
        # DH
        ("dhparam 512 bits", {"dhparam": m.dh512}),
        # accepted
        ("nothing", {}),
        ("rsa key and cert", {"key": m.rsa_key, "cert": m.rsa_cert}),
        ("rsa and ec", {"key": [m.rsa_key, m.ec_key], "cert": [m.rsa_cert, m.ec_cert]}),
        ("key of other type than cert", {"key": m.rsa_key, "cert": m.ec_cert}),
        ("per-key passphrase wins", {"key": [{"pem": enc, "passphrase": "secret"}],
                                     "passphrase": "wrong", "cert": m.rsa_cert}),
        ("top passphrase for key list", {"key": [{"pem": enc}], "passphrase": "secret",
                                         "cert": m.rsa_cert}),
        ("top passphrase", {"key": enc, "passphrase": "secret", "cert": m.rsa_cert}),
        ("buffer key and cert", {"key": m.rsa_key.encode(), "cert": m.rsa_cert.encode()}),
        ("passphrase null", {"key": m.rsa_key, "passphrase": None}),
        ("ca junk is ignored", {"ca": "junk"}),
        ("ca list with empty", {"ca": ["", m.ca_pem]}),
        ("ca several in one string", {"ca": m.ca_pem + m.other_ca_pem}),
        ("ca empty buffer", {"ca": b""}),
        ("ca empty list", {"ca": []}),
        ("key and cert empty lists", {"key": [], "cert": []}),
        ("ciphers empty string", {"ciphers": ""}),
        ("ciphers null", {"ciphers": None}),
        ("ciphers only 1.3", {"ciphers": "TLS_AES_128_GCM_SHA256"}),
        ("ciphers only 1.3, max 1.2", {"ciphers": "TLS_AES_128_GCM_SHA256",
                                       "max_version": "TLSv1.2"}),
        ("ciphers mixed", {"ciphers": "TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256"}),
        ("ecdh list", {"ecdh_curve": "P-256:P-384"}),
        ("ecdh X25519", {"ecdh_curve": "X25519"}),
        ("ecdh auto", {"ecdh_curve": "auto"}),
        ("method number alone", {"secure_protocol": 5}),
        ("method TLS", {"secure_protocol": "TLS_method"}),
        ("method SSLv23", {"secure_protocol": "SSLv23_method"}),
        ("method TLS 1.2 server", {"secure_protocol": "TLSv1_2_server_method"}),
        ("min above max", {"min_version": "TLSv1.3", "max_version": "TLSv1.2"}),
        ("min null", {"min_version": None}),
        ("secure options negative", {"secure_options": -1}),
        ("secure options above 32 bits", {"secure_options": 2**33}),
        ("secure options string, honored", {"secure_options": "x", "honor_cipher_order": True}),
        ("honor cipher order number", {"honor_cipher_order": 1}),
        ("sigalgs list", {"sigalgs": "RSA-PSS+SHA256:ECDSA+SHA256"}),
        ("sigalgs null", {"sigalgs": None}),
        ("session id context empty", {"session_id_context": ""}),
        ("session timeout zero", {"session_timeout": 0}),
        ("session timeout null", {"session_timeout": None}),
        ("ticket keys", {"ticket_keys": bytes(range(48))}),
        ("ticket keys null", {"ticket_keys": None}),
        ("client cert engine null", {"client_cert_engine": None}),
        ("engine without identifier", {"private_key_identifier": None, "private_key_engine": 5}),
        ("dhparam junk is ignored", {"dhparam": "junk"}),
        ("dhparam empty", {"dhparam": ""}),
        ("dhparam buffer auto is no auto", {"dhparam": b"auto"}),
        ("dhparam auto", {"dhparam": "auto"}),
        ("dhparam 1024 bits warns", {"dhparam": m.dh1024}),
        ("dhparam X9.42 1024 bits warns", {"dhparam": m.dh1024_x942}),
        ("dhparam 2048 bits", {"dhparam": m.dh2048}),
        ("pfx", {"pfx": pfx, "passphrase": "sesame"}),
        ("pfx without passphrase needed", {"pfx": m.pfx_no_pass}),
        ("pfx items", {"pfx": [{"buf": pfx, "passphrase": "sesame"}]}),
        ("pfx item with top passphrase", {"pfx": [pfx], "passphrase": "sesame"}),
        ("pfx and key", {"pfx": pfx, "passphrase": "sesame", "key": m.rsa_key}),
        ("crl", {"crl": m.crl}),
        ("crl list", {"crl": [m.crl]}),
        ("partial trust chain", {"allow_partial_trust_chain": True, "ca": m.intermediate_pem}),
        # Node v20 has no such option (it ignores it); the later Node's flag, per context.
        ("system ca", {"use_system_ca": True}),
    ]


def outcome(options: dict[str, Any]) -> dict[str, Any]:
    """What our create_secure_context did, in the oracle's terms."""
    options = {k: (float("nan") if v is NAN else v) for k, v in options.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            nodetls.create_secure_context(**options)
            result: dict[str, Any] = {"ok": True}
        except Exception as exc:
            result = {"ok": False, "exc": exc}
    result["warnings"] = [str(w.message) for w in caught if w.category is SecurityWarning]
    return result


def node_class_matches(name: str, exc: BaseException) -> bool:
    if name == "TypeError":
        return isinstance(exc, TypeError)
    if name == "RangeError":
        return isinstance(exc, ValueError) and not isinstance(exc, TypeError)
    return isinstance(exc, NodeError) and not isinstance(exc, TypeError | ValueError)


def differences(label: str, node: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    if node["ok"] or ours["ok"]:
        if node["ok"] != ours["ok"]:
            return [f"{label}: node ok={node['ok']} {node.get('message')!r}, ours {ours}"]
        return []
    exc = ours["exc"]
    found = []
    code = exc.code  # None where Node sets no code
    if code != node["code"]:
        found.append(f"{label}: code {code!r} != node {node['code']!r}")
    expected = pythonize_message(node["message"], sorted(SECURE_CONTEXT_OPTIONS))
    if strip_printed_queue(str(exc)) != strip_printed_queue(expected):
        found.append(f"{label}: message {str(exc)!r} != node {expected!r}")
    if not node_class_matches(node["name"], exc):
        found.append(f"{label}: {type(exc).__mro__} is not like node's {node['name']}")
    for field in ("library", "reason"):
        if getattr(exc, field, None) != node[field]:
            found.append(f"{label}: {field} {getattr(exc, field, None)!r} != {node[field]!r}")
    return found


def test_options_match_node(mat: Materials) -> None:
    table = cases(mat)
    node_results, _ = node_create_secure_context([options for _, options in table])
    problems: list[str] = []
    for (label, options), node in zip(table, node_results, strict=True):
        problems += differences(label, node, outcome(options))
    assert not problems, "\n".join(problems)


def test_warnings_match_node(mat: Materials) -> None:
    table = [{"dhparam": mat.dh1024}, {"dhparam": mat.dh2048}, {"dhparam": "auto"},
             {"dhparam": mat.dh1024_x942}]
    _, node_warnings = node_create_secure_context(table)
    ours = [w for options in table for w in outcome(options)["warnings"]]
    assert ours == node_warnings == ["DH parameter is less than 2048 bits"] * 2


def test_table_is_not_trivial(mat: Materials) -> None:
    # A guard for the guard: the table above exercises failures and successes of
    # every option create_secure_context reads.
    table = cases(mat)
    used = {key for _, options in table for key in options}
    assert used == SECURE_CONTEXT_OPTIONS | {"use_system_ca"}  # Node's, and one beyond it
    assert sum(outcome(o)["ok"] for _, o in table[:20]) == 0


# -- Python-side rules ------------------------------------------------------------------


def test_unknown_keyword_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="'ecdhCurve'"):
        nodetls.create_secure_context(ecdhCurve="auto")


def test_options_of_other_tls_apis_are_ignored() -> None:
    ctx = nodetls.create_secure_context(
        servername="example.com", request_cert=True, reject_unauthorized=False,
        alpn_protocols=["h2"], sni_callback=lambda name, cb: None, host="x", port=1,
        handshake_timeout=5, is_server=True, session=b"", min_dh_size=1024,
    )
    assert isinstance(ctx, nodetls.SecureContext)


def test_python_names_in_messages() -> None:
    with pytest.raises(TypeError) as info:
        nodetls.create_secure_context(ciphers=b"AES128-SHA")
    assert str(info.value) == (
        'The "options.ciphers" property must be of type string. Received an instance of bytes'
    )


def test_buffer_forms_are_accepted(mat: Materials) -> None:
    for wrap in (bytes, bytearray, memoryview):
        server = nodetls.create_secure_context(
            key=wrap(mat.rsa_key.encode()), cert=wrap(mat.rsa_cert.encode()))
        client = nodetls.create_secure_context(ca=[wrap(mat.ca_pem.encode())])
        hs = handshake(client, server)
        assert hs.ok and hs.client.verify_result() == X509_V_OK


def test_secure_context_constructor_as_node() -> None:
    bare = nodetls.SecureContext()
    assert bare.context.get_min_proto() == 0x0303 and bare.context.get_max_proto() == 0x0304
    pinned = nodetls.SecureContext("TLSv1_2_method")
    assert pinned.context.get_min_proto() == pinned.context.get_max_proto() == 0x0303
    with pytest.raises(TypeError) as info:
        nodetls.SecureContext("TLSv1_2_method", None, "TLSv1.2")
    assert info.value.code == "ERR_TLS_PROTOCOL_VERSION_CONFLICT"  # type: ignore[attr-defined]


# -- effects ------------------------------------------------------------------------------


def test_default_handshake_verifies_with_ca(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    hs = handshake(nodetls.create_secure_context(ca=mat.ca_pem), server)
    assert hs.ok
    assert hs.client.protocol == "TLSv1.3"
    assert hs.client.verify_result() == X509_V_OK
    assert peer_der(hs) == der(mat.rsa_cert)


def test_ca_replaces_the_default_roots(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    for client in (nodetls.create_secure_context(),
                   nodetls.create_secure_context(ca=mat.other_ca_pem)):
        hs = handshake(client, server)
        assert hs.ok and hs.client.verify_result() == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
    several = nodetls.create_secure_context(ca=mat.other_ca_pem + mat.ca_pem)
    assert handshake(several, server).client.verify_result() == X509_V_OK


def test_rsa_and_ecdsa_on_one_context(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=[mat.rsa_key, mat.ec_key],
                                           cert=[mat.rsa_cert, mat.ec_cert])
    for cipher, expected in (("ECDHE-ECDSA-AES128-GCM-SHA256", mat.ec_cert),
                             ("ECDHE-RSA-AES128-GCM-SHA256", mat.rsa_cert)):
        client = nodetls.create_secure_context(ciphers=cipher, max_version="TLSv1.2")
        hs = handshake(client, server)
        assert hs.ok, cipher
        assert cipher_name(hs) == cipher
        assert peer_der(hs) == der(expected)


def test_ciphers_limit_what_is_negotiated(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert,
                                           ciphers="AES256-GCM-SHA384", max_version="TLSv1.2")
    hs = handshake(nodetls.create_secure_context(), server)
    assert hs.ok and cipher_name(hs) == "AES256-GCM-SHA384"
    refused = nodetls.create_secure_context(ciphers="ECDHE-RSA-AES128-GCM-SHA256")
    assert not handshake(refused, server).ok


def test_only_tls13_suites_raise_the_minimum(mat: Materials) -> None:
    ctx = nodetls.create_secure_context(ciphers="TLS_CHACHA20_POLY1305_SHA256")
    assert ctx.context.get_min_proto() == 0x0304
    server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    hs = handshake(ctx, server)
    assert hs.ok and cipher_name(hs) == "TLS_CHACHA20_POLY1305_SHA256"


def test_honor_cipher_order(mat: Materials) -> None:
    client = nodetls.create_secure_context(ciphers="AES128-GCM-SHA256:AES256-GCM-SHA384",
                                           max_version="TLSv1.2")
    chosen = {}
    for honor in (False, True):
        server = nodetls.create_secure_context(
            key=mat.rsa_key, cert=mat.rsa_cert, ciphers="AES256-GCM-SHA384:AES128-GCM-SHA256",
            honor_cipher_order=honor)
        assert bool(server.context.get_options() & nodetls.SSL_OP_CIPHER_SERVER_PREFERENCE) is honor
        chosen[honor] = cipher_name(handshake(client, server))
    assert chosen == {False: "AES128-GCM-SHA256", True: "AES256-GCM-SHA384"}


def test_ecdh_curve(mat: Materials) -> None:
    client = nodetls.create_secure_context()
    for curve, name in (("P-384", "secp384r1"), ("auto", "X25519"), ("X448:P-256", "X448")):
        server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert,
                                               ecdh_curve=curve)
        assert (handshake(client, server).client.ephemeral_key_info() or {}).get("name") == name


def test_dhparam(mat: Materials) -> None:
    client = nodetls.create_secure_context(ciphers="DHE-RSA-AES128-GCM-SHA256",
                                           max_version="TLSv1.2")
    plain = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    assert not handshake(client, plain).ok  # no DH parameters: no DHE suite
    for dhparam, size in ((mat.dh2048, 2048), ("auto", 2048)):
        server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert,
                                               dhparam=dhparam)
        hs = handshake(client, server)
        assert hs.ok and hs.client.ephemeral_key_info() == {"type": "DH", "size": size}
    with pytest.warns(SecurityWarning, match="less than 2048 bits"):
        small = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert,
                                              dhparam=mat.dh1024)
    assert handshake(client, small).client.ephemeral_key_info() == {"type": "DH", "size": 1024}


def test_protocol_versions(mat: Materials) -> None:
    key, cert = mat.rsa_key, mat.rsa_cert
    client = nodetls.create_secure_context()
    for options, protocol in (({"secure_protocol": "TLSv1_2_method"}, "TLSv1.2"),
                              ({"max_version": "TLSv1.2"}, "TLSv1.2"),
                              ({"min_version": "TLSv1.3"}, "TLSv1.3")):
        server = nodetls.create_secure_context(key=key, cert=cert, **options)
        assert handshake(client, server).client.protocol == protocol
    old = nodetls.create_secure_context(max_version="TLSv1.2")
    new = nodetls.create_secure_context(key=key, cert=cert, min_version="TLSv1.3")
    assert not handshake(old, new).ok


def test_secure_options_and_session_timeout(mat: Materials) -> None:
    key, cert = mat.rsa_key, mat.rsa_cert
    client = nodetls.create_secure_context(max_version="TLSv1.2")
    with_tickets = nodetls.create_secure_context(key=key, cert=cert, session_timeout=60)
    assert with_tickets.context.get_session_timeout() == 60
    assert handshake(client, with_tickets).client.tls_ticket()
    without = nodetls.create_secure_context(key=key, cert=cert,
                                            secure_options=nodetls.SSL_OP_NO_TICKET)
    assert without.context.get_options() & nodetls.SSL_OP_NO_TICKET
    assert handshake(client, without).client.tls_ticket() is None


def test_sigalgs(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    assert handshake(nodetls.create_secure_context(sigalgs="RSA-PSS+SHA256"), server).ok
    assert not handshake(nodetls.create_secure_context(sigalgs="ECDSA+SHA256"), server).ok


def test_encrypted_keys_and_pfx_serve_the_right_certificate(mat: Materials) -> None:
    enc = mat.encrypted_key
    servers = [
        nodetls.create_secure_context(key=enc, passphrase="secret", cert=mat.rsa_cert),
        nodetls.create_secure_context(key=[{"pem": enc, "passphrase": "secret"}],
                                      passphrase="wrong", cert=mat.rsa_cert),
        nodetls.create_secure_context(pfx=mat.pfx, passphrase="sesame"),
        nodetls.create_secure_context(pfx=[{"buf": mat.pfx, "passphrase": "sesame"}]),
        nodetls.create_secure_context(pfx=mat.pfx_no_pass),
    ]
    client = nodetls.create_secure_context(ca=mat.ca_pem)
    for server in servers:
        hs = handshake(client, server)
        assert hs.ok and hs.client.verify_result() == X509_V_OK
        assert peer_der(hs) == der(mat.rsa_cert)
        assert server.context.get_certificate() == der(mat.rsa_cert)


def test_issuer_comes_from_chain_or_store(mat: Materials) -> None:
    chained = nodetls.create_secure_context(key=mat.chain_key, cert=mat.chain_cert)
    assert chained.context.get_issuer() == der(mat.intermediate_pem)
    from_store = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert, ca=mat.ca_pem)
    assert from_store.context.get_issuer() == der(mat.ca_pem)
    alone = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    assert alone.context.get_issuer() is None
    pfx = nodetls.create_secure_context(pfx=mat.pfx, passphrase="sesame")
    assert pfx.context.get_issuer() == der(mat.ca_pem)


def test_chains(mat: Materials) -> None:
    client = nodetls.create_secure_context(ca=mat.ca_pem)
    sent = nodetls.create_secure_context(key=mat.chain_key, cert=mat.chain_cert)
    from_ca = nodetls.create_secure_context(key=mat.chain_key, cert=mat.chain_leaf,
                                            ca=mat.intermediate_pem)
    missing = nodetls.create_secure_context(key=mat.chain_key, cert=mat.chain_leaf)
    assert handshake(client, sent).client.verify_result() == X509_V_OK
    assert handshake(client, from_ca).client.verify_result() == X509_V_OK
    assert (handshake(client, missing).client.verify_result()
            == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)


def test_allow_partial_trust_chain(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=mat.chain_key, cert=mat.chain_cert)
    strict = nodetls.create_secure_context(ca=mat.intermediate_pem)
    partial = nodetls.create_secure_context(ca=mat.intermediate_pem,
                                            allow_partial_trust_chain=True)
    assert handshake(strict, server).client.verify_result() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
    assert handshake(partial, server).client.verify_result() == X509_V_OK


def test_crl_revokes(mat: Materials) -> None:
    server = nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert)
    client = nodetls.create_secure_context(ca=mat.ca_pem, crl=mat.crl)
    assert handshake(client, server).client.verify_result() == X509_V_ERR_CERT_REVOKED


def test_session_id_context_scopes_resumption(mat: Materials) -> None:
    keys = bytes(range(48))

    def server(sid: str) -> nodetls.SecureContext:
        return nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert,
                                             ticket_keys=keys, session_id_context=sid)

    client = nodetls.create_secure_context(max_version="TLSv1.2")
    first = handshake(client, server("a"))
    session = first.client.session()
    assert session is not None
    assert handshake(client, server("a"), session=session).client.is_session_reused()
    assert not handshake(client, server("b"), session=session).client.is_session_reused()
