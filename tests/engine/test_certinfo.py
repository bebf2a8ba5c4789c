"""``x509_to_object`` against Node's own ``X509Certificate#toLegacyObject()``.

``toLegacyObject()`` is ``translatePeerCertificate(X509ToObject(cert))``, the very
functions ``getPeerCertificate()`` uses, so one node process can describe every
certificate below; each test then compares one certificate field by field, in key
order, with ``bytes`` against Buffer hex.  The certificates cover the shapes Node treats
differently: RSA/EC/EdDSA/RSA-PSS keys, named curves with and without NIST names,
repeated and unknown subject attributes, every GeneralName type, SAN and infoAccess
values that Node must JSON-quote, unparseable and duplicated extensions, serial numbers
and validity dates at the edges of their formats.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.name import _ASN1Type as T
from cryptography.x509.oid import AuthorityInformationAccessOID as AIA
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from nodetls._openssl import OpenSSLError
from nodetls.engine.certinfo import x509_to_object
from nodetls.engine.x509 import x509_list_from_pem
from tests import certlab as lab
from tests.certlab import GN, ia5, seq, tlv, utf8
from tests.support.openssl import openssl

UPN, XMPP, SRV, SMTP_UTF8, NAI = ("1.3.6.1.4.1.311.20.2.3", "1.3.6.1.5.5.7.8.5",
                                  "1.3.6.1.5.5.7.8.7", "1.3.6.1.5.5.7.8.9",
                                  "1.3.6.1.5.5.7.8.8")

Builder = Callable[[Path], bytes]
CASES: dict[str, Builder] = {}


def case(fn: Builder) -> Builder:
    CASES[fn.__name__] = fn
    return fn


def _other_ca() -> tuple[x509.Certificate, Any]:
    key = lab.ec_key()
    return lab.issue(lab.cn("Other Issuer"), key, ca=True), key


# -- keys ----------------------------------------------------------------------------------

@case
def rsa_rich(_: Path) -> bytes:
    """The kitchen sink: multi-OU UTF-8 subject, every usual SAN type, AIA, EKU, CA."""
    subject = lab.name(
        (NameOID.COUNTRY_NAME, "CH"), (NameOID.STATE_OR_PROVINCE_NAME, "Zürich"),
        (NameOID.LOCALITY_NAME, "Zürich ☃"), (NameOID.ORGANIZATION_NAME, "Ørg Δ"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Eng"), (NameOID.ORGANIZATIONAL_UNIT_NAME, "Ops"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Sec"), (NameOID.COMMON_NAME, "rich.example.com"),
        (NameOID.EMAIL_ADDRESS, "admin@example.com"))
    dirname = lab.name((NameOID.COUNTRY_NAME, "US"), (NameOID.COMMON_NAME, "Dir Name"))
    san = x509.SubjectAlternativeName([
        x509.DNSName("rich.example.com"), x509.DNSName("*.rich.example.com"),
        x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1")),
        x509.IPAddress(__import__("ipaddress").ip_address("::1")),
        x509.IPAddress(__import__("ipaddress").ip_address("2001:db8:0:0:1:0:0:ab")),
        x509.RFC822Name("admin@example.com"),
        x509.UniformResourceIdentifier("https://example.com/a?b=c"),
        x509.DirectoryName(dirname), x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4.5")),
        x509.OtherName(x509.ObjectIdentifier(UPN), utf8("upn@example.com")),
        x509.OtherName(x509.ObjectIdentifier(XMPP), utf8("xmpp@example.com")),
        x509.OtherName(x509.ObjectIdentifier(SRV), ia5("_imap.example.com")),
        x509.OtherName(x509.ObjectIdentifier(SMTP_UTF8), utf8("ü@example.com")),
        x509.OtherName(x509.ObjectIdentifier(NAI), utf8("realm.example")),
        x509.OtherName(x509.ObjectIdentifier("1.2.3.4"), utf8("unknown type")),
        x509.OtherName(x509.ObjectIdentifier(UPN), ia5("upn with the wrong string type")),
    ])
    aia = x509.AuthorityInformationAccess([
        x509.AccessDescription(AIA.OCSP, x509.UniformResourceIdentifier("http://ocsp.one/")),
        x509.AccessDescription(AIA.OCSP, x509.UniformResourceIdentifier("http://ocsp.two/")),
        x509.AccessDescription(AIA.CA_ISSUERS,
                               x509.UniformResourceIdentifier("http://ca.example/ca.crt")),
    ])
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                 ExtendedKeyUsageOID.CLIENT_AUTH,
                                 x509.ObjectIdentifier("1.2.3.4.5.6")])
    cert = lab.issue(subject, lab.rsa_key(), serial=0x0ABCDEF012, ca=True,
                     extensions=[san, aia, eku])
    return lab.pem(cert)


@case
def rsa_1024_e3(_: Path) -> bytes:
    return lab.pem(lab.issue(lab.cn("e3"), lab.rsa_key(1024, exponent=3)))


@case
def rsa_exponent_beyond_64_bits(_: Path) -> bytes:
    """BN_get_word saturates: Node prints 0xffffffffffffffff."""
    other, other_key = _other_ca()
    n = lab.rsa_key(1024).public_key().public_numbers().n
    public = rsa.RSAPublicNumbers(e=2**70 + 1, n=n).public_key()

    class _Holder:  # lab.issue wants something with .public_key()
        def public_key(self) -> rsa.RSAPublicKey:
            return public

    return lab.pem(lab.issue(lab.cn("big e"), _Holder(), issuer=other, issuer_key=other_key))


def _curve_case(curve: ec.EllipticCurve) -> Builder:
    def build(_: Path) -> bytes:
        return lab.pem(lab.issue(lab.cn(curve.name), lab.ec_key(curve)))
    build.__name__ = f"ec_{curve.name}"
    return build


for _curve in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1(), ec.SECP224R1(),
               ec.SECP256K1(), ec.BrainpoolP256R1()):
    case(_curve_case(_curve))


@case
def ed25519(_: Path) -> bytes:
    return lab.pem(lab.issue(lab.cn("ed25519"), lab.ed25519_key()))


@case
def ed448(_: Path) -> bytes:
    return lab.pem(lab.issue(lab.cn("ed448"), lab.ed448_key()))


@case
def openssl_rsa_pss(tmp: Path) -> bytes:
    openssl("genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", "pss.key", cwd=tmp)
    openssl("req", "-x509", "-new", "-key", "pss.key", "-subj", "/CN=pss",
             "-days", "2", "-out", "pss.pem", cwd=tmp)
    return (tmp / "pss.pem").read_bytes()


@case
def openssl_ec_compressed_point(tmp: Path) -> bytes:
    """The SPKI holds a compressed point; Node prints the key's point anyway."""
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "e.key", cwd=tmp)
    openssl("ec", "-in", "e.key", "-conv_form", "compressed", "-out", "c.key", cwd=tmp)
    openssl("req", "-x509", "-new", "-key", "c.key", "-subj", "/CN=compressed",
             "-days", "2", "-out", "c.pem", cwd=tmp)
    return (tmp / "c.pem").read_bytes()


@case
def openssl_ec_explicit_params(tmp: Path) -> bytes:
    openssl("ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout", "-out", "b.key", cwd=tmp)
    openssl("ec", "-in", "b.key", "-param_enc", "explicit", "-out", "x.key", cwd=tmp)
    openssl("req", "-x509", "-new", "-key", "x.key", "-subj", "/CN=explicit",
             "-days", "2", "-out", "x.pem", cwd=tmp)
    return (tmp / "x.pem").read_bytes()


@case
def openssl_v1_self_signed(tmp: Path) -> bytes:
    """A v1 self-signed certificate: X509_check_ca says 3, so ``ca`` is false."""
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024",
             "-out", "v1.key", cwd=tmp)
    openssl("req", "-new", "-key", "v1.key", "-subj", "/CN=v1", "-out", "v1.csr", cwd=tmp)
    openssl("x509", "-req", "-in", "v1.csr", "-signkey", "v1.key", "-days", "2",
             "-out", "v1.pem", cwd=tmp)
    return (tmp / "v1.pem").read_bytes()


@case
def openssl_cli_extensions(tmp: Path) -> bytes:
    """Extensions written by the openssl CLI's own config syntax."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", "cli.key", "-days", "3", "-utf8",
             "-subj", "/C=DE/O=Äpfel GmbH/OU=a/OU=b/CN=cli.example",
             "-addext", "subjectAltName=DNS:cli.example,IP:10.0.0.1,IP:fe80::1:2,"
             "email:x@example.com,URI:http://a.example/b,RID:1.2.3.4,"
             "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@cli",
             "-addext", "authorityInfoAccess=OCSP;URI:http://ocsp.cli/,"
             "caIssuers;URI:http://ca.cli/ca.crt",
             "-addext", "extendedKeyUsage=serverAuth,codeSigning,1.2.3.99",
             "-out", "cli.pem", cwd=tmp)
    return (tmp / "cli.pem").read_bytes()


# -- subjectAltName / infoAccess values that Node quotes ---------------------------------

def _raw_san(*names: bytes) -> x509.UnrecognizedExtension:
    return lab.raw_extension(lab.SAN_OID, seq(*names))


def _with(*extensions: x509.ExtensionType, **kw: Any) -> bytes:
    return lab.pem(lab.issue(lab.cn(kw.pop("common_name", "odd")), lab.ec_key(),
                             extensions=list(extensions), **kw))


@case
def san_needs_quoting(_: Path) -> bytes:
    odd_dir = lab.name((NameOID.COMMON_NAME, "a,b"), (NameOID.ORGANIZATION_NAME, "Ünï \"q\""))
    return _with(_raw_san(
        GN.dns(b"a,b.example"), GN.dns(b'quote".example'), GN.dns(b"back\\slash"),
        GN.dns(b"it's"), GN.dns(b"nul\x00.evil.example"), GN.dns(b"del\x7f"),
        GN.dns(b"latin1-\xe9"), GN.dns(b"tab\there"), GN.dns(b"space ok.example"),
        GN.email(b"a,b@example.com"), GN.uri(b"http://x/?a=1,2"),
        GN.other(UPN, utf8("ctl\x01 ü \"x\",y")), GN.other(XMPP, utf8(b"bad utf8 \xff\xfe")),
        GN.other(SRV, ia5(b"_srv.\xe9xample")), GN.dirname(odd_dir),
        GN.ip(b"\x01\x02\x03\x04\x05"), GN.ip(b"\x00" * 16), GN.ip(b"\xfe\x80" + b"\x00" * 13
                                                                  + b"\x01"),
        GN.rid("2.999.1234567890123"), GN.x400(), GN.edi_party("edi")))


@case
def san_empty_sequence(_: Path) -> bytes:
    return _with(_raw_san())


@case
def san_unparseable(_: Path) -> bytes:
    return _with(lab.raw_extension(lab.SAN_OID, b"\x04\x03abc"))


@case
def san_twice_first_wins(_: Path) -> bytes:
    san = x509.SubjectAlternativeName([x509.DNSName("first.example")])
    decoy = lab.raw_extension("2.5.29.99", seq(GN.dns(b"second.example")))
    cert = lab.issue(lab.cn("twice"), lab.ec_key(), extensions=[san, decoy])
    return lab.patch(cert, b"\x06\x03\x55\x1d\x63", b"\x06\x03\x55\x1d\x11")


@case
def info_access_odd(_: Path) -> bytes:
    long_oid = "1.2." + ".".join(str(1000 + i) for i in range(30))  # > 80 chars: truncated
    aia = seq(
        seq(tlv(0x06, lab.oid("1.3.6.1.5.5.7.48.1")), GN.uri(b"http://ocsp/,comma")),
        seq(tlv(0x06, lab.oid("1.3.6.1.5.5.7.48.2")), GN.dns(b"ca.example")),
        seq(tlv(0x06, lab.oid("1.3.6.1.5.5.7.48.2")), GN.ip(b"\x0a\x00\x00\x01")),
        seq(tlv(0x06, lab.oid("1.2.3.4")), GN.other(UPN, utf8("who,ever"))),
        seq(tlv(0x06, lab.oid("1.2.3.4")), GN.other(XMPP, utf8("plain"))),
        seq(tlv(0x06, lab.oid(long_oid)), GN.email(b"x@y")),
        seq(tlv(0x06, lab.oid("1.3.6.1.5.5.7.48.1")),
            GN.dirname(lab.name((NameOID.COMMON_NAME, "dir")))),
        seq(tlv(0x06, lab.oid("1.3.6.1.5.5.7.48.1")), GN.rid("1.2.3")),
    )
    return _with(lab.raw_extension(lab.AIA_OID, aia))


@case
def info_access_unparseable(_: Path) -> bytes:
    return _with(lab.raw_extension(lab.AIA_OID, b"\x05\x00"))


@case
def info_access_empty(_: Path) -> bytes:
    return _with(lab.raw_extension(lab.AIA_OID, seq()))


@case
def eku_empty(_: Path) -> bytes:
    return _with(lab.raw_extension(lab.EKU_OID, seq()))


@case
def eku_twice_is_absent(_: Path) -> bytes:
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    decoy = lab.raw_extension("2.5.29.98", seq(tlv(0x06, lab.oid("1.3.6.1.5.5.7.3.2"))))
    cert = lab.issue(lab.cn("eku twice"), lab.ec_key(), extensions=[eku, decoy])
    return lab.patch(cert, b"\x06\x03\x55\x1d\x62", b"\x06\x03\x55\x1d\x25")


@case
def eku_unparseable(_: Path) -> bytes:
    return _with(lab.raw_extension(lab.EKU_OID, b"\x02\x01\x05"))


# -- names -----------------------------------------------------------------------------

@case
def subject_odd_attributes(_: Path) -> bytes:
    subject = lab.name(
        (NameOID.DOMAIN_COMPONENT, "com"), (NameOID.DOMAIN_COMPONENT, "example"),
        (x509.ObjectIdentifier("1.2.3.4.5.6.7"), "unknown attribute"),
        (x509.ObjectIdentifier("1.3.6.1.4.1.99999.1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18."
                               "19.20.21.22.23"), "very long unknown OID"),
        [(NameOID.COMMON_NAME, "multi"), (NameOID.ORGANIZATIONAL_UNIT_NAME, "valued")],
        (NameOID.COMMON_NAME, "second CN"), (NameOID.COMMON_NAME, "third, \"CN\" \\ +=<>#;"),
        (NameOID.SERIAL_NUMBER, "12345"), (NameOID.TITLE, "Dr"), (NameOID.USER_ID, "uid1"),
        (NameOID.STREET_ADDRESS, "Main St 1"), (NameOID.GIVEN_NAME, "Ann"),
        (NameOID.ORGANIZATION_NAME, "BMP ☃", T.BMPString),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Universal 😀", T.UniversalString),
        (NameOID.LOCALITY_NAME, "printable", T.PrintableString),
        (NameOID.PSEUDONYM, "ctl\x01\x7f nul\x00 end"),
    )
    other, other_key = _other_ca()
    return lab.pem(lab.issue(subject, lab.ec_key(), issuer=other, issuer_key=other_key))


@case
def subject_t61_latin1(_: Path) -> bytes:
    cert = lab.issue(lab.name((NameOID.COMMON_NAME, "t61-XX")), lab.ec_key(),
                     issuer=_other_ca()[0], issuer_key=_other_ca()[1])
    # UTF8String "t61-XX" -> T61String "t61-\xe9\xe8" (read as Latin-1)
    return lab.patch(cert, b"\x0c\x06t61-XX", b"\x14\x06t61-\xe9\xe8")


@case
def subject_bit_string_drops_subject(_: Path) -> bytes:
    """A value ASN1_STRING_to_UTF8 cannot convert: Node leaves ``subject`` out entirely."""
    other, other_key = _other_ca()
    cert = lab.issue(lab.name((NameOID.COMMON_NAME, "bits")), lab.ec_key(),
                     issuer=other, issuer_key=other_key)
    return lab.patch(cert, b"\x0c\x04bits", b"\x03\x04\x00bit")


# Names OpenSSL refuses while parsing: Node cannot load them, and neither can we.

def _refused(value: str, type_: T, old: bytes, new: bytes) -> Builder:
    def build(_: Path) -> bytes:
        other, other_key = _other_ca()
        cert = lab.issue(lab.name((NameOID.COMMON_NAME, value, type_)), lab.ec_key(),
                         issuer=other, issuer_key=other_key)
        return lab.patch(cert, old, new)
    return build


CASES["refused_utf8_invalid"] = _refused("bad-XX", T.UTF8String,
                                         b"\x0c\x06bad-XX", b"\x0c\x06bad-\xff\xfe")
CASES["refused_bmp_surrogate"] = _refused("XY", T.BMPString,
                                          b"\x1e\x04\x00X\x00Y", b"\x1e\x04\xd8\x00\x00Y")
CASES["refused_universal_out_of_range"] = _refused(
    "Z", T.UniversalString, b"\x1c\x04\x00\x00\x00Z", b"\x1c\x04\x00\x11\x00\x00")


@case
def subject_empty(_: Path) -> bytes:
    other, other_key = _other_ca()
    san = x509.SubjectAlternativeName([x509.DNSName("no-subject.example")])
    return lab.pem(lab.issue(x509.Name([]), lab.ec_key(), issuer=other, issuer_key=other_key,
                             extensions=[(san, True)]))


# -- serials, dates, CA flags ------------------------------------------------------------

def _serial_case(serial: int) -> Builder:
    def build(_: Path) -> bytes:
        return lab.pem(lab.issue(lab.cn(f"serial {serial:x}"), lab.ec_key(), serial=serial))
    build.__name__ = f"serial_{serial:x}"
    return build


for _serial in (1, 0x0F, 0x0ABC, 0xFF, 0x0100, 2**158 + 12345):
    case(_serial_case(_serial))


@case
def validity_edges(_: Path) -> bytes:
    utc = datetime.UTC
    return lab.pem(lab.issue(lab.cn("dates"), lab.ec_key(),
                             not_before=datetime.datetime(1951, 3, 5, 1, 2, 3, tzinfo=utc),
                             not_after=datetime.datetime(2051, 12, 9, 23, 59, 59, tzinfo=utc)))


@case
def ca_false(_: Path) -> bytes:
    return _with(ca=False, key_usage="leaf")


@case
def ca_true_without_key_usage(_: Path) -> bytes:
    return _with(ca=True, key_usage="none")


@case
def ca_path_length_zero(_: Path) -> bytes:
    return _with(ca=True, path_length=0)


# -- the comparison ------------------------------------------------------------------------

NODE_SCRIPT = r"""
const { X509Certificate } = require('crypto');
const out = {};
for (const [name, pem] of Object.entries(readInput())) {
  let obj;
  try {
    obj = new X509Certificate(pem).toLegacyObject();
  } catch (err) {
    out[name] = { error: err.code };
    continue;
  }
  out[name] = {
    obj: encode(obj),
    nullProto: ['subject', 'issuer', 'infoAccess'].filter(
      (k) => obj[k] && Object.getPrototypeOf(obj[k]) === null),
  };
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def pems(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = {}
    for name, build in CASES.items():
        out[name] = build(tmp_path_factory.mktemp(name))
    return out


@pytest.fixture(scope="module")
def node_objects(pems: dict[str, bytes]) -> dict[str, Any]:
    result: dict[str, Any] = lab.run_encoded(NODE_SCRIPT, {k: v.decode() for k, v in pems.items()})
    return result


def _ours(pem: bytes) -> dict[str, Any]:
    return x509_to_object(x509_list_from_pem(pem)[0])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(CASES))
def test_matches_node(name: str, pems: dict[str, bytes], node_objects: dict[str, Any]) -> None:
    if "error" in node_objects[name]:
        with pytest.raises(OpenSSLError) as info:
            _ours(pems[name])
        reason = info.value.reason.upper().replace(" ", "_")
        assert node_objects[name]["error"] == f"ERR_OSSL_ASN1_{reason}"
        return
    ours = lab.encode(_ours(pems[name]))
    theirs = node_objects[name]["obj"]
    our_keys = [k for k, _ in ours["$object"]]
    their_keys = [k for k, _ in theirs["$object"]]
    assert our_keys == their_keys
    for (key, value), (_, expected) in zip(ours["$object"], theirs["$object"], strict=True):
        assert value == expected, key


def test_null_prototype_objects_are_the_ones_we_map_to_dicts(
        node_objects: dict[str, Any]) -> None:
    assert node_objects["rsa_rich"]["nullProto"] == ["subject", "issuer", "infoAccess"]


def test_rich_certificate_values(pems: dict[str, bytes]) -> None:
    """Spot checks that would catch a systematic error shared by Node and the harness."""
    obj = _ours(pems["rsa_rich"])
    assert obj["subject"]["OU"] == ["Eng", "Ops", "Sec"]
    assert obj["subject"]["ST"] == "Zürich"
    assert "IP Address:0:0:0:0:0:0:0:1" in obj["subjectaltname"]
    assert "IP Address:2001:DB8:0:0:1:0:0:AB" in obj["subjectaltname"]
    assert obj["infoAccess"] == {"OCSP - URI": ["http://ocsp.one/", "http://ocsp.two/"],
                                 "CA Issuers - URI": ["http://ca.example/ca.crt"]}
    assert obj["ca"] is True and obj["bits"] == 2048 and obj["exponent"] == "0x10001"
    assert len(obj["modulus"]) == 512 and len(obj["pubkey"]) == 294
    assert obj["serialNumber"] == "0ABCDEF012"
    assert obj["ext_key_usage"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.2.3.4.5.6"]
    der = x509.load_pem_x509_certificate(pems["rsa_rich"]).public_bytes(
        serialization.Encoding.DER)
    assert obj["raw"] == der


def test_quoted_san_entries(pems: dict[str, bytes]) -> None:
    san = _ours(pems["san_needs_quoting"])["subjectaltname"]
    assert san.startswith('DNS:"a\\u002cb.example", DNS:"quote\\".example", ')
    assert 'DNS:"nul\\u0000.evil.example"' in san
    assert 'DNS:"latin1-\\u00e9"' in san
    assert "DNS:space ok.example" in san
    assert "IP Address:<invalid length=5>" in san
    assert "X400Name:<unsupported>, EdiPartyName:<unsupported>" in san


@pytest.mark.parametrize(("name", "key", "expected"), [
    ("ec_secp256r1", "nistCurve", "P-256"),
    ("ec_secp384r1", "asn1Curve", "secp384r1"),
    ("ec_secp256k1", "nistCurve", None),
    ("ec_brainpoolP256r1", "nistCurve", None),
    ("ed25519", "bits", None),
    ("openssl_rsa_pss", "modulus", None),
    ("san_unparseable", "subjectaltname", "null"),
    ("san_empty_sequence", "subjectaltname", ""),
    ("info_access_unparseable", "infoAccess", "null"),
    ("eku_twice_is_absent", "ext_key_usage", None),
    ("eku_empty", "ext_key_usage", []),
    ("subject_bit_string_drops_subject", "subject", None),
    ("openssl_v1_self_signed", "ca", False),
    ("serial_1", "serialNumber", "01"),
    ("serial_abc", "serialNumber", "0ABC"),
    ("validity_edges", "valid_from", "Mar  5 01:02:03 1951 GMT"),
    ("rsa_exponent_beyond_64_bits", "exponent", "0xffffffffffffffff"),
])
def test_presence_rules(pems: dict[str, bytes], name: str, key: str, expected: Any) -> None:
    """Absent (``None`` here) versus ``null`` (``'null'`` here) versus a value."""
    obj = _ours(pems[name])
    if expected is None:
        assert key not in obj
    elif expected == "null":
        assert obj[key] is None
    else:
        assert obj[key] == expected
