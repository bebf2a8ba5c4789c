"""One error rule: the ``tls`` layer decides on OpenSSL's numbers, never on its texts."""

from __future__ import annotations

from nodetls.engine.errors import TLSError as EngineTLSError
from nodetls.engine.openssl_errors import PEER_DID_NOT_RETURN_A_CERTIFICATE, ErrorRecord
from nodetls.tls.errors import (
    CryptoError,
    is_missing_client_certificate,
    openssl_codes,
    translate_openssl_error,
)

TEXT = "peer did not return a certificate"


def _record(lib_code: int, reason_code: int, reason: str = TEXT) -> ErrorRecord:
    return ErrorRecord(packed=0, library="SSL routines", reason=reason,
                       message=f"error:0A0000C7:SSL routines::{reason}", lib_code=lib_code,
                       reason_code=reason_code)


def test_translated_error_keeps_the_codes_of_its_cause() -> None:
    engine_error = EngineTLSError([_record(*PEER_DID_NOT_RETURN_A_CERTIFICATE)], "SSL_read")
    made = translate_openssl_error(engine_error)
    assert isinstance(made, CryptoError)
    assert made.code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"
    assert openssl_codes(made) == openssl_codes(engine_error) == PEER_DID_NOT_RETURN_A_CERTIFICATE
    assert is_missing_client_certificate(made) and is_missing_client_certificate(engine_error)


def test_the_text_alone_decides_nothing() -> None:
    lib_code, reason_code = PEER_DID_NOT_RETURN_A_CERTIFICATE
    same_text_other_code = EngineTLSError([_record(lib_code, reason_code + 1)], "SSL_read")
    assert not is_missing_client_certificate(translate_openssl_error(same_text_other_code))
    other_text_same_code = EngineTLSError([_record(lib_code, reason_code, "reworded")])
    assert is_missing_client_certificate(translate_openssl_error(other_text_same_code))
    assert openssl_codes(ValueError("peer did not return a certificate")) is None
    assert openssl_codes(EngineTLSError([])) is None
