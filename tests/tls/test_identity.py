"""``check_server_identity`` against Node's own ``tls.checkServerIdentity``.

Every hostname below is checked against every certificate object below, by Node (one
process, all cases) and by us; the outcomes must agree exactly: valid, or the error's
code, reason, host and message, or the thrown ``ERR_TLS_CERT_ALTNAME_FORMAT``.  The
certificate objects are hand-written the way ``getPeerCertificate()`` writes them,
including the JSON-quoted SAN entries and IPv6 addresses in OpenSSL's long form, plus
a few nobody would write (unterminated quotes, stray separators) to pin down the parser.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from nodetls.tls.identity import (
    AltnameFormatError,
    AltnameInvalidError,
    canonicalize_ip,
    check_server_identity,
    is_ip,
)
from tests import certlab as lab

HOSTS = [
    "a.com", "A.COM", "a.com.", "a.com..", "b.a.com", "B.a.CoM", "x.b.a.com", "com", "",
    "foo.b.com", "foobar.b.com", "barfoo.b.com", "foo.c.com", "ab.c.com", "axyb.c.com",
    "a.b.c.com", "xn--bcher-kva.a.com", "xn--x.a.com", "xn--foo.b.com", "good.a.com",
    "ü.com", "a b.com", "localhost", "LOCALHOST.", "*.a.com", "a.com\x00.evil.com",
    "127.0.0.1", "127.0.0.1.", "127.000.000.001", "1.2.3.4", "::1", "0:0:0:0:0:0:0:1",
    "::ffff:1.2.3.4", "::ffff:102:304", "fe80::1%eth0", "FE80::1", "2001:db8::1:0:0:ab",
    "[::1]", "1.2.3", "09.1.1.1",
]

SUBJECTS: list[Any] = [
    None, {}, {"CN": "a.com"}, {"CN": "*.a.com"}, {"CN": ""}, {"CN": ["x.com", "a.com"]},
    {"CN": []}, {"CN": ["LOCALHOST"]}, {"O": "no cn"},
]

ALTNAMES: list[Any] = [
    None, "", "DNS:a.com", "DNS:A.COM", "DNS:a.com.", "DNS:*.a.com", "DNS:*.com",
    "DNS:foo*.b.com", "DNS:*foo.b.com", "DNS:a*b.c.com", "DNS:**.c.com", "DNS:*.*.com",
    "DNS:*.b.a.com", "DNS:xn--*.a.com", "DNS:xn--bcher-kva.a.com", "DNS:*xn--.b.com",
    "DNS:.a.com", "DNS:a..com", "DNS:ü.com", "DNS:a b.com", "DNS:*", "DNS:localhost",
    "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "IP Address:1.2.3.4",
    "IP Address:0:0:0:0:0:FFFF:102:304", "IP Address:FE80:0:0:0:0:0:0:1",
    "IP Address:<invalid length=5>", "IP Address:<invalid length=5>, DNS:x.com",
    "URI:http://a.com/, email:a@a.com", "DNS:x.com, DNS:a.com, IP Address:127.0.0.1",
    'DNS:"a\\u002cb.com", DNS:a.com',
    'DNS:"good.a.com\\u0000.evil.com"',
    'DNS:"good.a.com\\u0000.evil.com", DNS:b.a.com',
    'othername:"UPN:x\\u002cy", DNS:"a.com"',
    'DNS:a.com, DNS:"unterminated',
    'DNS:"bad escape \\x"',
    'DNS:"a"DNS:b, DNS:c.com',
    "DNS:a.com,DNS:b.a.com", "DNS:a.com, ", "DNS:b.a.com,", ", DNS:a.com",
    'DNS:"*.a.com"', "email:a.com, IP Address:a.com", "dns:a.com",
]

CASES = [
    {"host": host, "cert": {k: v for k, v in (("subject", subject),
                                              ("subjectaltname", altnames)) if v is not None}}
    for host, subject, altnames in itertools.product(HOSTS, SUBJECTS, ALTNAMES)
]

NODE_SCRIPT = r"""
const tls = require('tls');
const out = [];
for (const { host, cert } of readInput()) {
  try {
    const err = tls.checkServerIdentity(host, cert);
    out.push(err === undefined ? null : {
      code: err.code, reason: err.reason, host: err.host, message: err.message,
      sameCert: err.cert === cert, name: err.name,
    });
  } catch (err) {
    out.push({ thrown: err.code, name: err.name, message: err.message });
  }
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def node_outcomes() -> list[Any]:
    result: list[Any] = lab.run_encoded(NODE_SCRIPT, CASES, timeout=30)
    return result


def _ours(host: str, cert: dict[str, Any]) -> Any:
    try:
        err = check_server_identity(host, cert)
    except AltnameFormatError as exc:
        return {"thrown": exc.code, "name": "SyntaxError", "message": str(exc)}
    if err is None:
        return None
    return {"code": err.code, "reason": err.reason, "host": err.host, "message": str(err),
            "sameCert": err.cert is cert, "name": "Error"}


def test_case_table_is_large() -> None:
    assert len(CASES) > 1000


@pytest.mark.timeout(30)
def test_every_case_matches_node(node_outcomes: list[Any]) -> None:
    mismatches = []
    for case, theirs in zip(CASES, node_outcomes, strict=True):
        ours = _ours(case["host"], case["cert"])
        if ours != theirs:
            mismatches.append((case, ours, theirs))
    assert not mismatches, "\n".join(map(repr, mismatches[:10]))


def test_outcome_variety(node_outcomes: list[Any]) -> None:
    """The table exercises every branch: valid, each reason kind, and the thrown error."""
    reasons = {o["reason"].split(" ")[0] for o in node_outcomes if o and "reason" in o}
    assert reasons == {"IP:", "Host:", "Cert"}
    assert any(o is None for o in node_outcomes)
    assert any(o and o.get("thrown") == "ERR_TLS_CERT_ALTNAME_FORMAT" for o in node_outcomes)
    assert any(o and "is not cert's CN" in o.get("reason", "") for o in node_outcomes)


def test_error_shape() -> None:
    cert = {"subject": {"CN": "a.com"}, "subjectaltname": "DNS:b.com"}
    err = check_server_identity("a.com.", cert)
    assert isinstance(err, AltnameInvalidError)
    assert err.code == "ERR_TLS_CERT_ALTNAME_INVALID"
    assert err.host == "a.com" and err.cert is cert
    assert err.reason == "Host: a.com. is not in the cert's altnames: DNS:b.com"
    assert str(err) == ("Hostname/IP does not match certificate's altnames: "
                        "Host: a.com. is not in the cert's altnames: DNS:b.com")
    with pytest.raises(AltnameFormatError) as info:
        check_server_identity("a.com", {"subjectaltname": 'DNS:"oops'})
    assert isinstance(info.value, ValueError)
    assert info.value.code == "ERR_TLS_CERT_ALTNAME_FORMAT"


def test_embedded_nul_never_matches() -> None:
    """test-tls-0-dns-altname: the NUL survives the JSON decoding and fails the check."""
    cert = {"subjectaltname": 'DNS:"good.a.com\\u0000.evil.com"'}
    assert check_server_identity("good.a.com", cert) is not None
    assert check_server_identity("good.a.com\x00.evil.com", cert) is not None


# -- IP forms: net.isIP and canonicalizeIP ------------------------------------------------

IP_STRINGS = [
    "::", "::1", "::2", "1::", "1:0:0:0:0:0:0:0", "0:0:0:0:0:0:0:0", "0:0:0:0:0:0:0:1",
    "1:0:0:1:0:0:0:1", "1:0:0:0:1:0:0:1", "1:0:1:0:1:0:1:0", "0:0:0:0:0:FFFF:102:304",
    "0:0:0:0:0:0:102:304", "0:0:0:0:0:0:0:2", "0:0:0:0:1:0:0:0", "0:0:0:0:0:FFFE:102:304",
    "0:0:0:0:0:0:FFFF:102", "FE80:0:0:0:0:0:0:1", "2001:DB8:0:0:1:0:0:AB",
    "1.2.3.4", "01.2.3.4", "1.2.3.04", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3",
    "1.2.3.4.5", "1.2.3.4.", ".1.2.3", "::ffff:1.2.3.4", "::FFFF:1.2.3.4", "::1.2.3.4",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::2::3", ":1::", "1::2:",
    "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1::1.2.3.4", "1.2.3.4::",
    "fe80::1%eth0", "fe80::1%", "1.2.3.4%eth0", "00001::", "::12345", "g::1", "::0.0.0.1",
    "<invalid length=5>", "", " 1.2.3.4", "1.2.3.4 ", "1:2:3:4:5:6:7:8:9", ":::", "1::2:3.4",
    "a.com", "::1\x00junk", "\u0661.\u0662.\u0663.\u0664",
]

IP_SCRIPT = r"""
const net = require('net');
const tls = require('tls');
const out = [];
for (const ip of readInput()) {
  // canonicalizeIP is internal; checkServerIdentity prints it in its reason.
  const err = tls.checkServerIdentity('9.9.9.9', { subjectaltname: 'IP Address:' + ip });
  const listed = err.reason.slice("IP: 9.9.9.9 is not in the cert's list: ".length);
  out.push({ isIP: net.isIP(ip), canonical: listed === '' ? null : listed });
}
process.stdout.write(JSON.stringify(out));
"""


def test_ip_forms_match_node() -> None:
    theirs = lab.run_encoded(IP_SCRIPT, IP_STRINGS)
    ours = [{"isIP": is_ip(ip), "canonical": canonicalize_ip(ip)} for ip in IP_STRINGS]
    mismatches = [(ip, o, t) for ip, o, t in zip(IP_STRINGS, ours, theirs, strict=True)
                  if o != t]
    assert not mismatches
    assert canonicalize_ip("0:0:0:0:0:0:0:1") == "::1"
    assert canonicalize_ip("0:0:0:0:0:FFFF:102:304") == "::ffff:1.2.3.4"
