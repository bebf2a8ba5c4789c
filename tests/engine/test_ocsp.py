"""engine.ocsp against responses made by ``openssl ocsp`` (offline, ``-reqin``).

The oracle is the openssl CLI: our request must be byte-identical to its ``-no_nonce``
request, and every response we accept or reject is one it produced (or a corruption
of one).  No network here; the responder over HTTP is tested in tests/interop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nodetls.engine.ocsp import (
    OCSPError,
    OCSPResponseInfo,
    build_request,
    certificates_der,
    check_validity,
    issued_by,
    parse_response,
    responder_urls,
)
from tests.ocsp_pki import RESPONDER_EXTENSIONS, Leaf, MiniCA, leaf_extensions, respond
from tests.support.openssl import openssl

pytestmark = pytest.mark.timeout(10)

AIA_URLS = ("http://127.0.0.1:9/ocsp", "http://ocsp.example.test/")


@dataclass
class PKI:
    work: Path
    ca: MiniCA
    good: Leaf
    revoked: Leaf
    no_aia: Leaf
    delegated: Leaf  # OCSPSigning EKU, issued by ca
    undelegated: Leaf  # issued by ca, no OCSPSigning EKU
    other_ca: MiniCA
    other_leaf: Leaf
    sub_ca: MiniCA  # an intermediate under ca
    sub_leaf: Leaf

    def der(self, pem_holder: Leaf | MiniCA) -> bytes:
        return certificates_der(pem_holder.pem)[0]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PKI]:
    root = tmp_path_factory.mktemp("ocsp-engine")
    ca = MiniCA(root, "root")
    aia = ",".join(f"OCSP;URI:{url}" for url in AIA_URLS)
    good = ca.issue("good", leaf_extensions(None) + f"\nauthorityInfoAccess = {aia}")
    revoked = ca.issue("revoked", leaf_extensions(AIA_URLS[0]))
    ca.revoke(revoked, "keyCompromise")
    other_ca = MiniCA(root, "other")
    sub_ca = MiniCA(root, "sub", parent=ca)
    yield PKI(
        work=root,
        ca=ca,
        good=good,
        revoked=revoked,
        no_aia=ca.issue("noaia", leaf_extensions(None)),
        delegated=ca.issue("responder", RESPONDER_EXTENSIONS),
        undelegated=ca.issue("notresponder", leaf_extensions(None)),
        other_ca=other_ca,
        other_leaf=other_ca.issue("otherleaf", leaf_extensions(AIA_URLS[0])),
        sub_ca=sub_ca,
        sub_leaf=sub_ca.issue("subleaf", leaf_extensions(AIA_URLS[0])),
    )


def now() -> datetime:
    return datetime.now(UTC)


def parse(pki: PKI, der: bytes, leaf: Leaf, issuer: MiniCA | None = None,
          at: datetime | None = None) -> OCSPResponseInfo:
    return parse_response(der, pki.der(leaf), pki.der(issuer or pki.ca), now=at or now())


# -- certificates and requests ----------------------------------------------


def test_request_is_byte_identical_to_openssl_no_nonce_request(pki: PKI) -> None:
    req = pki.work / "oracle.req.der"
    openssl("ocsp", "-issuer", pki.ca.cert, "-cert", pki.good.cert, "-no_nonce", "-reqout", req)
    assert build_request(pki.der(pki.good), pki.der(pki.ca)) == req.read_bytes()


def test_request_refuses_a_wrong_issuer_or_garbage(pki: PKI) -> None:
    with pytest.raises(OCSPError) as exc:
        build_request(pki.der(pki.good), pki.der(pki.other_ca))
    assert exc.value.code == "ERR_OCSP_INVALID_CERTIFICATE"
    with pytest.raises(OCSPError) as exc:
        build_request(b"\x30\x03\x02\x01\x00", pki.der(pki.ca))
    assert exc.value.code == "ERR_OCSP_INVALID_CERTIFICATE"
    assert issued_by(pki.der(pki.good), pki.der(pki.ca))
    assert not issued_by(pki.der(pki.good), pki.der(pki.other_ca))


def test_certificates_der_reads_pem_chains_text_prefixed_pem_and_der(pki: PKI) -> None:
    chain = certificates_der(pki.sub_leaf.pem + pki.sub_ca.pem + pki.ca.pem)
    assert len(chain) == 3
    assert certificates_der(chain[1]) == [chain[1]]
    assert certificates_der(b"Certificate:\n  text first\n" + pki.ca.pem) == [pki.der(pki.ca)]
    assert certificates_der(pki.ca.pem.decode()) == [pki.der(pki.ca)]
    with pytest.raises(OCSPError):
        certificates_der(b"not a certificate")


def test_responder_urls_come_from_aia_in_order(pki: PKI) -> None:
    assert responder_urls(pki.der(pki.good)) == AIA_URLS
    assert responder_urls(pki.der(pki.no_aia)) == ()


# -- accepted responses -------------------------------------------------------


def test_good_response(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, validity=("-nmin", "5"))
    before = now().replace(microsecond=0)
    info = parse(pki, der, pki.good)
    assert info.cert_status == "good"
    assert info.der == der
    assert before - timedelta(seconds=5) <= info.this_update <= now()
    assert info.next_update == info.this_update + timedelta(minutes=5)
    assert info.revocation_time is None and info.revocation_reason is None


def test_revoked_response_carries_time_and_reason(pki: PKI) -> None:
    info = parse(pki, respond(pki.ca, pki.revoked, pki.work), pki.revoked)
    assert info.cert_status == "revoked"
    assert info.revocation_reason == "keyCompromise"
    assert info.revocation_time is not None
    assert now() - timedelta(hours=1) < info.revocation_time <= now()


def test_unknown_status_for_a_serial_missing_from_the_index(pki: PKI) -> None:
    empty = pki.work / "empty-index.txt"
    empty.write_text("")
    req, resp = pki.work / "unknown.req", pki.work / "unknown.resp"
    openssl("ocsp", "-issuer", pki.ca.cert, "-cert", pki.good.cert, "-no_nonce", "-reqout", req)
    openssl("ocsp", "-index", empty, "-CA", pki.ca.cert, "-rsigner", pki.ca.cert,
            "-rkey", pki.ca.key, "-reqin", req, "-respout", resp, "-nmin", "5")
    assert parse(pki, resp.read_bytes(), pki.good).cert_status == "unknown"


def test_response_without_next_update(pki: PKI) -> None:
    info = parse(pki, respond(pki.ca, pki.good, pki.work, validity=()), pki.good)
    assert info.cert_status == "good" and info.next_update is None


def test_delegated_responder_is_accepted(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, signer=pki.delegated.cert,
                  signer_key=pki.delegated.key)
    assert parse(pki, der, pki.good).cert_status == "good"


def test_response_without_certs_verifies_against_the_issuer(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, extra=("-resp_no_certs",))
    assert parse(pki, der, pki.good).cert_status == "good"


def test_intermediate_issuer_is_a_trust_anchor_by_itself(pki: PKI) -> None:
    der = respond(pki.sub_ca, pki.sub_leaf, pki.work)
    # Only the intermediate is known: PARTIAL_CHAIN makes it enough.
    assert parse(pki, der, pki.sub_leaf, issuer=pki.sub_ca).cert_status == "good"


# -- rejected responses -------------------------------------------------------


def code_of(pki: PKI, der: bytes, leaf: Leaf, issuer: MiniCA | None = None,
            at: datetime | None = None) -> str:
    with pytest.raises(OCSPError) as exc:
        parse(pki, der, leaf, issuer, at)
    return exc.value.code


def test_responder_without_ocsp_signing_eku_is_rejected(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, signer=pki.undelegated.cert,
                  signer_key=pki.undelegated.key)
    assert code_of(pki, der, pki.good) == "ERR_OCSP_VERIFY_FAILED"


def test_response_signed_by_another_ca_is_rejected(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, signer=pki.other_ca.cert,
                  signer_key=pki.other_ca.key)
    assert code_of(pki, der, pki.good) == "ERR_OCSP_VERIFY_FAILED"


def test_corrupted_signature_is_rejected(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, extra=("-resp_no_certs",))
    # Without certificates the signature BIT STRING is the last thing in the DER.
    tampered = der[:-1] + bytes([der[-1] ^ 0x01])
    assert code_of(pki, tampered, pki.good) == "ERR_OCSP_VERIFY_FAILED"


def test_response_about_another_certificate_is_rejected(pki: PKI) -> None:
    der = respond(pki.ca, pki.revoked, pki.work)
    assert code_of(pki, der, pki.good) == "ERR_OCSP_NO_STATUS"


def test_answer_from_a_responder_that_is_not_the_issuers_is_rejected(pki: PKI) -> None:
    # The root's responder, asked about the other CA's leaf, signs an "unknown".
    req, resp = pki.work / "foreign.req", pki.work / "foreign.resp"
    openssl("ocsp", "-issuer", pki.other_ca.cert, "-cert", pki.other_leaf.cert, "-no_nonce",
            "-reqout", req)
    openssl("ocsp", "-index", pki.ca.index, "-CA", pki.ca.cert, "-rsigner", pki.ca.cert,
            "-rkey", pki.ca.key, "-reqin", req, "-respout", resp)
    der = resp.read_bytes()
    assert code_of(pki, der, pki.other_leaf, issuer=pki.other_ca) == "ERR_OCSP_VERIFY_FAILED"


@pytest.mark.parametrize(("status", "name"), [
    (1, "malformedrequest"), (2, "internalerror"), (3, "trylater"), (5, "sigrequired"),
    (6, "unauthorized"),
])
def test_unsuccessful_response_status(pki: PKI, status: int, name: str) -> None:
    # What responders send on failure: OCSPResponse ::= SEQUENCE { ENUMERATED status }
    with pytest.raises(OCSPError) as exc:
        parse(pki, bytes([0x30, 0x03, 0x0A, 0x01, status]), pki.good)
    assert (exc.value.code, exc.value.status) == ("ERR_OCSP_RESPONSE_STATUS", name)


@pytest.mark.parametrize("mangle", [
    lambda der: b"",
    lambda der: b"garbage, not DER at all",
    lambda der: der[: len(der) // 2],
    lambda der: der + b"\x00",
])
def test_malformed_responses_are_rejected(pki: PKI, mangle: object) -> None:
    der = respond(pki.ca, pki.good, pki.work)
    assert callable(mangle)
    assert code_of(pki, mangle(der), pki.good) == "ERR_OCSP_MALFORMED_RESPONSE"


def test_expired_response_is_rejected_at_the_given_time(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, validity=("-nmin", "1"))
    info = parse(pki, der, pki.good)
    assert info.next_update is not None
    # Within the five minutes of allowed skew it still parses; after, it does not.
    parse(pki, der, pki.good, at=info.next_update + timedelta(minutes=4))
    assert code_of(pki, der, pki.good, at=info.next_update + timedelta(minutes=6)) == (
        "ERR_OCSP_EXPIRED"
    )


def test_signature_check_uses_the_given_time_not_the_system_clock(pki: PKI) -> None:
    der = respond(pki.ca, pki.good, pki.work, validity=("-ndays", "30"))
    # In three days the CA certificate (2 days) has expired: the chain check must see
    # that, although by the system clock everything is valid.
    assert parse(pki, der, pki.good).cert_status == "good"
    in_three_days = now() + timedelta(days=3)
    assert code_of(pki, der, pki.good, at=in_three_days) == "ERR_OCSP_VERIFY_FAILED"


def test_check_validity_rule() -> None:
    t = datetime(2030, 1, 1, tzinfo=UTC)
    info = OCSPResponseInfo("good", t, t + timedelta(hours=1), b"")
    check_validity(info, now=t - timedelta(minutes=4))  # thisUpdate slightly ahead: skew
    with pytest.raises(OCSPError) as exc:
        check_validity(info, now=t - timedelta(minutes=6))
    assert exc.value.code == "ERR_OCSP_NOT_YET_VALID"
    with pytest.raises(OCSPError) as exc:
        check_validity(info, now=t + timedelta(hours=2))
    assert exc.value.code == "ERR_OCSP_EXPIRED"
    check_validity(OCSPResponseInfo("good", t, None, b""), now=t + timedelta(days=999))
    backwards = OCSPResponseInfo("good", t, t - timedelta(seconds=1), b"")
    with pytest.raises(OCSPError) as exc:
        check_validity(backwards, now=t)
    assert exc.value.code == "ERR_OCSP_MALFORMED_RESPONSE"
