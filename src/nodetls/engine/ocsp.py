"""OCSP for stapling, the OpenSSL half: requests, responses, responder URLs.

Theory of operation.  A server that staples asks the OCSP responder named in its
certificate's Authority Information Access extension about (certificate, issuer), and
sends the signed answer to clients inside the handshake.  Node leaves all of that to the
application; ``nodetls.tls.ocsp_stapler`` does it, and this module is its sans-I/O part:

* ``build_request(cert, issuer)`` -> the DER ``OCSPRequest`` for one ``CertID``
  (SHA-1 hashes, the RFC 5019 profile every responder accepts).  No nonce: a stapled
  response is shared by every client, so a nonce would only defeat responder caches.
* ``parse_response(der, cert, issuer, now=...)`` -> ``OCSPResponseInfo``, or
  ``OCSPError`` with a ``.code``.  A response is accepted only if its status is
  *successful*, it is a basic response, its signature verifies and its signer is the
  issuer itself or a responder the issuer delegated to (``OCSP_basic_verify`` with the
  issuer as the only trust anchor), it holds a single response for exactly this
  ``CertID``, and ``thisUpdate``/``nextUpdate`` bracket ``now`` (with ``max_skew``).
* ``responder_urls(cert)`` -> the OCSP URIs of the AIA extension, in order.

Like the rest of the engine this module has no clock: ``now`` is an argument, and the
chain check inside ``OCSP_basic_verify`` is pinned to it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from nodetls._openssl import (
    CData,
    OpenSSLError,
    clear_errors,
    consume_errors,
    ffi,
    lib,
)
from nodetls.engine.x509 import x509_from_der, x509_list_from_pem, x509_to_der

CertStatus = Literal["good", "revoked", "unknown"]

DEFAULT_MAX_SKEW = timedelta(minutes=5)  # OpenSSL's own default validity slack

_CERT_STATUS: dict[int, CertStatus] = {
    lib.V_OCSP_CERTSTATUS_GOOD: "good",
    lib.V_OCSP_CERTSTATUS_REVOKED: "revoked",
    lib.V_OCSP_CERTSTATUS_UNKNOWN: "unknown",
}


@dataclass(frozen=True, slots=True)
class OCSPResponseInfo:
    """A verified OCSP response for one certificate; ``der`` is what gets stapled."""

    cert_status: CertStatus
    this_update: datetime
    next_update: datetime | None
    der: bytes
    revocation_time: datetime | None = None
    revocation_reason: str | None = None  # RFC 5280 name, e.g. "keyCompromise"


class OCSPError(ValueError):
    """A request could not be built, or a response is not one we may staple.

    Codes: ``ERR_OCSP_INVALID_CERTIFICATE``, ``ERR_OCSP_MALFORMED_RESPONSE``,
    ``ERR_OCSP_RESPONSE_STATUS`` (``.status`` is the responder's, e.g. ``'tryLater'``),
    ``ERR_OCSP_VERIFY_FAILED``, ``ERR_OCSP_NO_STATUS``, ``ERR_OCSP_NOT_YET_VALID``,
    ``ERR_OCSP_EXPIRED``.
    """

    def __init__(self, code: str, message: str, *, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# -- certificates -------------------------------------------------------------


def certificates_der(data: bytes | str) -> list[bytes]:
    """DER of every certificate in ``data``: a PEM blob (maybe a chain) or one DER cert."""
    raw = data.encode("ascii") if isinstance(data, str) else bytes(data)
    try:
        if b"-----BEGIN" in raw:  # PEM, possibly after explanatory text (openssl ca -out)
            return [x509_to_der(cert) for cert in x509_list_from_pem(raw)]
        x509_from_der(raw)  # parse only to reject garbage early
    except OpenSSLError as exc:
        raise OCSPError("ERR_OCSP_INVALID_CERTIFICATE", f"not a certificate: {exc}") from exc
    return [raw]


def issued_by(cert_der: bytes, issuer_der: bytes) -> bool:
    """Whether ``issuer`` plausibly issued ``cert`` (``X509_check_issued``: names, key
    identifiers, key usage; not the signature, which the responder's answer settles)."""
    try:
        _pair(cert_der, issuer_der)
    except OCSPError:
        return False
    return True


def _pair(cert_der: bytes, issuer_der: bytes) -> tuple[CData, CData]:
    try:
        cert, issuer = x509_from_der(cert_der), x509_from_der(issuer_der)
    except OpenSSLError as exc:
        raise OCSPError("ERR_OCSP_INVALID_CERTIFICATE", f"not a certificate: {exc}") from exc
    # A wrong issuer yields a CertID no responder knows; say so instead.
    if lib.X509_check_issued(issuer, cert) != lib.X509_V_OK:
        raise OCSPError("ERR_OCSP_INVALID_CERTIFICATE", "issuer did not issue the certificate")
    return cert, issuer


def _cert_id(cert: CData, issuer: CData) -> CData:
    """A new (unowned) ``OCSP_CERTID*``: SHA-1, the digest ``OCSP_cert_to_id`` defaults to."""
    clear_errors()
    cid = lib.OCSP_cert_to_id(ffi.NULL, cert, issuer)
    if cid == ffi.NULL:
        raise OCSPError("ERR_OCSP_INVALID_CERTIFICATE", _queue_text("OCSP_cert_to_id"))
    return cid


def _queue_text(context: str) -> str:
    records = consume_errors()
    return records[0].message if records else f"{context} failed"


def responder_urls(cert_der: bytes) -> tuple[str, ...]:
    """The ``OCSP - URI`` entries of the certificate's AIA extension, in order."""
    cert = x509_from_der(cert_der)
    stack = lib.X509_get1_ocsp(cert)
    if stack == ffi.NULL:
        return ()
    try:
        return tuple(
            ffi.string(lib.sk_OPENSSL_STRING_value(stack, i)).decode("utf-8", "replace")
            for i in range(lib.sk_OPENSSL_STRING_num(stack))
        )
    finally:
        lib.X509_email_free(stack)


# -- requests -----------------------------------------------------------------


def build_request(cert_der: bytes, issuer_der: bytes) -> bytes:
    """The DER ``OCSPRequest`` asking about ``cert`` (issued by ``issuer``)."""
    cert, issuer = _pair(cert_der, issuer_der)
    req = ffi.gc(lib.OCSP_REQUEST_new(), lib.OCSP_REQUEST_free)
    cid = _cert_id(cert, issuer)
    if lib.OCSP_request_add0_id(req, cid) == ffi.NULL:
        lib.OCSP_CERTID_free(cid)  # add0 took ownership only on success
        raise OCSPError("ERR_OCSP_INVALID_CERTIFICATE", _queue_text("OCSP_request_add0_id"))
    return _i2d_request(req)


def _i2d_request(req: CData) -> bytes:
    out = ffi.new("unsigned char **")
    n = lib.i2d_OCSP_REQUEST(req, out)
    if n <= 0:
        raise OCSPError("ERR_OCSP_INVALID_CERTIFICATE", _queue_text("i2d_OCSP_REQUEST"))
    try:
        return bytes(ffi.buffer(out[0], n))
    finally:
        lib.OPENSSL_free(out[0])


# -- responses ----------------------------------------------------------------


def parse_response(
    der: bytes,
    cert_der: bytes,
    issuer_der: bytes,
    *,
    now: datetime,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> OCSPResponseInfo:
    """Verify ``der`` as the issuer's answer about ``cert`` at time ``now``.

    Raises ``OCSPError`` for anything a client should not be shown.
    """
    cert, issuer = _pair(cert_der, issuer_der)
    basic = _basic_response(_decode_response(der))
    _verify_signature(basic, issuer, now)
    info = _find_status(basic, cert, issuer, bytes(der))
    check_validity(info, now=now, max_skew=max_skew)
    return info


def check_validity(
    info: OCSPResponseInfo, *, now: datetime, max_skew: timedelta = DEFAULT_MAX_SKEW
) -> None:
    """``OCSP_check_validity``'s rule, against the caller's clock instead of the system's."""
    if info.this_update > now + max_skew:
        raise OCSPError("ERR_OCSP_NOT_YET_VALID", f"thisUpdate {info.this_update} is in the future")
    if info.next_update is not None and info.next_update < now - max_skew:
        raise OCSPError("ERR_OCSP_EXPIRED", f"nextUpdate {info.next_update} has passed")
    if info.next_update is not None and info.next_update < info.this_update:
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", "nextUpdate is before thisUpdate")


def _decode_response(der: bytes) -> CData:
    buf = ffi.new("unsigned char[]", bytes(der))
    pp = ffi.new("const unsigned char **", buf)
    clear_errors()
    resp = lib.d2i_OCSP_RESPONSE(ffi.NULL, pp, len(der))
    if resp == ffi.NULL:
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", _queue_text("d2i_OCSP_RESPONSE"))
    resp = ffi.gc(resp, lib.OCSP_RESPONSE_free)
    # Trailing bytes would be stapled verbatim and rejected by strict clients.
    consumed = int(ffi.cast("uintptr_t", pp[0])) - int(ffi.cast("uintptr_t", buf))
    if consumed != len(der):
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", "trailing data after the OCSP response")
    status = lib.OCSP_response_status(resp)
    if status != lib.OCSP_RESPONSE_STATUS_SUCCESSFUL:
        name = ffi.string(lib.OCSP_response_status_str(status)).decode()
        raise OCSPError("ERR_OCSP_RESPONSE_STATUS", f"responder said {name}", status=name)
    return resp


def _basic_response(resp: CData) -> CData:
    clear_errors()
    basic = lib.OCSP_response_get1_basic(resp)
    if basic == ffi.NULL:
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", _queue_text("OCSP_response_get1_basic"))
    return ffi.gc(basic, lib.OCSP_BASICRESP_free)


def _verify_signature(basic: CData, issuer: CData, now: datetime) -> None:
    """Signature and signer: the issuer, or a responder it delegated to, and nothing else.

    The issuer is the only trust anchor (``PARTIAL_CHAIN`` lets an intermediate be one);
    it is also passed as an extra signer candidate because responders that sign with the
    CA key often leave the CA certificate out of the response.
    """
    store = ffi.gc(lib.X509_STORE_new(), lib.X509_STORE_free)
    lib.X509_STORE_add_cert(store, issuer)
    lib.X509_STORE_set_flags(store, lib.X509_V_FLAG_PARTIAL_CHAIN)
    lib.nodetls_ocsp_set_verify_time(store, int(now.timestamp()))
    extra = ffi.gc(lib.sk_X509_new_null(), lib.sk_X509_free)  # borrows issuer: no pop_free
    lib.sk_X509_push(extra, issuer)
    clear_errors()
    if lib.OCSP_basic_verify(basic, extra, store, 0) != 1:
        raise OCSPError("ERR_OCSP_VERIFY_FAILED", _queue_text("OCSP_basic_verify"))


def _find_status(basic: CData, cert: CData, issuer: CData, der: bytes) -> OCSPResponseInfo:
    cid = ffi.gc(_cert_id(cert, issuer), lib.OCSP_CERTID_free)
    status, reason = ffi.new("int *"), ffi.new("int *")
    revtime, thisupd, nextupd = (ffi.new("ASN1_GENERALIZEDTIME **") for _ in range(3))
    clear_errors()
    found = lib.OCSP_resp_find_status(basic, cid, status, reason, revtime, thisupd, nextupd)
    if found != 1:
        raise OCSPError("ERR_OCSP_NO_STATUS", "the response has no status for this certificate")
    this_update = _asn1_time(thisupd[0])
    if this_update is None:
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", "missing or malformed thisUpdate")
    if nextupd[0] != ffi.NULL and _asn1_time(nextupd[0]) is None:
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", "malformed nextUpdate")
    cert_status = _CERT_STATUS.get(status[0])
    if cert_status is None:
        raise OCSPError("ERR_OCSP_MALFORMED_RESPONSE", f"unknown certificate status {status[0]}")
    return OCSPResponseInfo(
        cert_status=cert_status,
        this_update=this_update,
        next_update=_asn1_time(nextupd[0]),
        der=der,
        revocation_time=_asn1_time(revtime[0]),
        revocation_reason=_reason(reason[0]) if cert_status == "revoked" else None,
    )


def _reason(code: int) -> str | None:
    # -1 means the responder gave no reason (OCSP_REVOKED_STATUS_NOSTATUS).
    return None if code < 0 else ffi.string(lib.OCSP_crl_reason_str(code)).decode()


def _asn1_time(ptr: CData) -> datetime | None:
    """An aware UTC datetime from a borrowed ``ASN1_GENERALIZEDTIME*`` (None if absent)."""
    if ptr == ffi.NULL:
        return None
    fields = ffi.new("int[6]")
    if lib.nodetls_ocsp_time_fields(ptr, fields) != 1:
        return None
    year, month, day, hour, minute, second = (fields[i] for i in range(6))
    # ASN1 allows a leap second (":60"); datetime does not.
    return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
