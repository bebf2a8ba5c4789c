"""The module-level surface of ``nodetls`` / ``nodetls.tls``, compared with Node's ``tls``.

Node is asked live, in one process, for what it exports: the defaults, ``getCiphers()``,
``convertALPNProtocols`` output and errors, and the ``SSL_OP_*`` values.  The live
defaults must behave as Node's: assigning ``nodetls.DEFAULT_*`` (or the same name on
``nodetls.tls``) changes what later contexts use.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest

import nodetls
import nodetls.tls
from nodetls.tls.constants import NODE_DEFAULTS, defaults
from tests.support.node import run_node

_NODE_SURFACE = r"""
const tls = require('tls');
const { constants } = require('crypto');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const name of ['CLIENT_RENEG_LIMIT', 'CLIENT_RENEG_WINDOW', 'DEFAULT_CIPHERS',
                    'DEFAULT_ECDH_CURVE', 'DEFAULT_MAX_VERSION', 'DEFAULT_MIN_VERSION'])
  out[name] = tls[name];
out.ciphers = tls.getCiphers();
out.options = Object.fromEntries(
  Object.entries(constants).filter(([k]) => k.startsWith('SSL_OP_')));
out.alpn = input.alpn.map((list) => {
  const o = {};
  try { tls.convertALPNProtocols(list, o); return { hex: o.ALPNProtocols.toString('hex') }; }
  catch (e) { return { code: e.code, message: e.message, name: e.name }; }
});
out.alpnOut = [['h2', 'http/1.1'], 'h2', 17, null].map((protocols) => {
  const o = {keep: 1, ALPNProtocols: 'old'};
  const ret = tls.convertALPNProtocols(protocols, o);
  return {ret: ret === undefined ? null : ret, keep: o.keep,
          alpn: typeof o.ALPNProtocols === 'string' ? o.ALPNProtocols
                                                    : o.ALPNProtocols.toString('hex')};
});
out.rootCount = tls.rootCertificates.length;
out.frozen = Object.isFrozen(tls.rootCertificates);
out.sameObject = tls.rootCertificates === tls.rootCertificates;
process.stdout.write(JSON.stringify(out));
"""

ALPN_CASES = [["h2", "http/1.1"], [], ["é"], ["x" * 255], ["a", "x" * 256]]


@pytest.fixture(scope="module")
def node() -> dict[str, object]:
    result = run_node(_NODE_SURFACE, {"alpn": ALPN_CASES})
    assert isinstance(result, dict)
    return result


@pytest.fixture
def restore_defaults() -> Iterator[None]:
    yield
    defaults.reset()


def test_all_is_explicit_sorted_and_resolves() -> None:
    for module in (nodetls, nodetls.tls):
        names = module.__all__  # its order is checked by ruff (RUF022)
        assert len(set(names)) == len(names)
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert set(nodetls.tls.__all__) <= set(nodetls.__all__)


def test_defaults_are_nodes(node: dict[str, object]) -> None:
    for name in NODE_DEFAULTS:
        assert getattr(nodetls, name) == node[name], name
        assert getattr(nodetls.tls, name) == node[name], name


def test_assigning_a_default_reaches_both_modules_and_later_contexts(
    restore_defaults: None,
) -> None:
    before = nodetls.create_secure_context()
    nodetls.DEFAULT_MIN_VERSION = "TLSv1.3"
    assert nodetls.tls.DEFAULT_MIN_VERSION == "TLSv1.3"
    from nodetls import DEFAULT_MIN_VERSION  # a from-import reads the current value

    assert DEFAULT_MIN_VERSION == "TLSv1.3"
    assert nodetls.create_secure_context().context.get_min_proto() == 0x0304
    assert before.context.get_min_proto() == 0x0303
    nodetls.tls.DEFAULT_MAX_VERSION = "TLSv1.2"
    assert nodetls.DEFAULT_MAX_VERSION == "TLSv1.2"
    nodetls.DEFAULT_MIN_VERSION = "TLSv1.2"
    assert nodetls.create_secure_context().context.get_max_proto() == 0x0303


def test_a_bad_default_fails_the_next_context_as_node(restore_defaults: None) -> None:
    nodetls.DEFAULT_MIN_VERSION = "TLSv0"  # no validation on assignment, as Node
    with pytest.raises(TypeError) as info:
        nodetls.create_secure_context()
    assert info.value.code == "ERR_TLS_INVALID_PROTOCOL_VERSION"  # type: ignore[attr-defined]
    assert str(info.value) == '"TLSv0" is not a valid minimum TLS protocol version'


def test_default_ciphers_and_curve_are_read_lazily(restore_defaults: None) -> None:
    nodetls.DEFAULT_CIPHERS = "nope"
    with pytest.raises(Exception) as info:
        nodetls.create_secure_context()
    assert getattr(info.value, "code", None) == "ERR_SSL_NO_CIPHER_MATCH"
    nodetls.DEFAULT_CIPHERS = "TLS_AES_128_GCM_SHA256"  # TLS 1.3 only: minimum raised
    assert nodetls.create_secure_context().context.get_min_proto() == 0x0304
    defaults.reset()
    nodetls.tls.DEFAULT_ECDH_CURVE = "nope"
    with pytest.raises(Exception, match="Failed to set ECDH curve"):
        nodetls.create_secure_context()
    nodetls.tls.DEFAULT_ECDH_CURVE = ""  # falsy: 'auto', as Node's `|| 'auto'`
    nodetls.create_secure_context()


def test_renegotiation_limits_are_live(restore_defaults: None) -> None:
    nodetls.CLIENT_RENEG_LIMIT = 0
    nodetls.tls.CLIENT_RENEG_WINDOW = 1
    assert (defaults.CLIENT_RENEG_LIMIT, defaults.CLIENT_RENEG_WINDOW) == (0, 1)
    with pytest.raises(AttributeError):
        del nodetls.CLIENT_RENEG_LIMIT


def test_get_ciphers_is_nodes(node: dict[str, object]) -> None:
    ours = nodetls.get_ciphers()
    assert ours == node["ciphers"]
    assert len(ours) == 62
    ours.clear()  # each call returns a fresh list, as Node returns a copy
    assert nodetls.get_ciphers() == node["ciphers"]


def test_ssl_op_constants_are_nodes(node: dict[str, object]) -> None:
    options = node["options"]
    assert isinstance(options, dict)
    exported = {n for n in nodetls.__all__ if n.startswith("SSL_OP_")}
    assert exported == set(options)
    for name, value in options.items():
        assert getattr(nodetls, name) == value, name


def test_convert_alpn_protocols_is_nodes(node: dict[str, object]) -> None:
    expected = node["alpn"]
    assert isinstance(expected, list)
    for protocols, want in zip(ALPN_CASES, expected, strict=True):
        if "hex" in want:
            assert nodetls.convert_alpn_protocols(protocols) == bytes.fromhex(want["hex"])
            continue
        with pytest.raises(ValueError) as info:
            nodetls.convert_alpn_protocols(protocols)
        assert info.value.code == want["code"] == "ERR_OUT_OF_RANGE"  # type: ignore[attr-defined]
        assert str(info.value) == want["message"]


def test_convert_alpn_protocols_buffers_and_others() -> None:
    wire = b"\x02h2"
    for value in (wire, bytearray(wire), memoryview(wire)):
        out = nodetls.convert_alpn_protocols(value)
        assert out == wire and isinstance(out, bytes)
    assert nodetls.convert_alpn_protocols(("h2", b"h3")) == b"\x02h2\x02h3"
    assert nodetls.convert_alpn_protocols("h2") is None  # Node leaves `out` untouched
    with pytest.raises(TypeError):
        nodetls.convert_alpn_protocols([1])


def test_convert_alpn_protocols_two_argument_form_is_nodes(node: dict[str, object]) -> None:
    """Node's ``convertALPNProtocols(protocols, out)`` sets ``out.ALPNProtocols`` (only for a
    list or a buffer) and returns nothing; the other keys of ``out`` stay."""
    expected = node["alpnOut"]
    assert isinstance(expected, list)
    for protocols, want in zip([["h2", "http/1.1"], "h2", 17, None], expected, strict=True):
        out: dict[str, object] = {"keep": 1, "ALPNProtocols": "old"}
        assert nodetls.convert_alpn_protocols(protocols, out) is None
        value = out["ALPNProtocols"]
        got = value.hex() if isinstance(value, bytes) else value
        assert {"ret": None, "keep": out["keep"], "alpn": got} == want
    out = {}
    nodetls.convert_alpn_protocols(bytearray(b"\x02h2"), out)
    assert out == {"ALPNProtocols": b"\x02h2"} and type(out["ALPNProtocols"]) is bytes
    with pytest.raises(TypeError) as info:
        nodetls.convert_alpn_protocols(["h2"], 5)  # type: ignore[call-overload]
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    options: dict[str, object] = {}  # Node's idiom: fill an options object, then use it
    nodetls.convert_alpn_protocols(["h2"], options)
    assert options["ALPNProtocols"] == b"\x02h2"


def test_root_certificates(node: dict[str, object]) -> None:
    roots = nodetls.root_certificates
    assert isinstance(roots, tuple) and roots is nodetls.root_certificates
    assert roots is nodetls.tls.root_certificates
    assert node["frozen"] is True and node["sameObject"] is True
    # Node bundles its own copy of Mozilla's list; only the order of magnitude is shared.
    assert abs(len(roots) - int(node["rootCount"])) < 60  # type: ignore[call-overload]
    for pem in roots:
        assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
        assert pem.endswith("\n-----END CERTIFICATE-----")
        assert ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(pem)).strip() == pem.strip()
    assert len(set(roots)) == len(roots)
    with pytest.raises(AttributeError):
        nodetls.root_certificates = ()
    with pytest.raises(AttributeError):
        nodetls.tls.root_certificates = ()


def test_default_context_trusts_the_bundled_roots() -> None:
    from nodetls._openssl import lib
    from nodetls.engine.trust_store import shared_root_store
    from nodetls.engine.x509 import x509_list_from_pem

    ctx = nodetls.create_secure_context()
    store = lib.SSL_CTX_get_cert_store(ctx.context.ctx)
    assert store == shared_root_store()
    objects = lib.X509_STORE_get0_objects(store)
    assert lib.sk_X509_OBJECT_num(objects) >= len(nodetls.root_certificates) - 2
    assert x509_list_from_pem(nodetls.root_certificates[0].encode())
