"""``nodetls.generate_self_signed``: the public extra's defaults and argument checks."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

import nodetls as tls
from tests.support.openssl import openssl


def x509_text(cert: bytes, *args: str) -> str:
    return openssl("x509", "-noout", *args, input=cert)


def test_defaults_cover_the_loopback_names() -> None:
    key, cert = tls.generate_self_signed()
    text = x509_text(cert, "-text")
    assert "Subject: CN = localhost" in text
    assert "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" in text
    assert "NIST CURVE: P-256" in text
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_days_key_type_and_common_name() -> None:
    before = time.time()
    _, cert = tls.generate_self_signed(["svc.test"], key_type="rsa", days=2,
                                       common_name="My Service")
    text = x509_text(cert, "-text")
    assert "Subject: CN = My Service" in text and "DNS:svc.test" in text
    assert "Public-Key: (2048 bit)" in text
    end = x509_text(cert, "-enddate").strip().split("=", 1)[1]
    not_after = datetime.strptime(end, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)
    assert abs(not_after.timestamp() - (before + 2 * 86400)) < 60


def test_a_long_first_name_does_not_become_the_common_name() -> None:
    long_name = "a" * 60 + ".test"
    _, cert = tls.generate_self_signed([long_name])
    text = x509_text(cert, "-text")
    assert f"DNS:{long_name}" in text
    assert "Subject: CN = nodetls self-signed" in text


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"hostnames": "localhost"}, "ERR_INVALID_ARG_TYPE"),
        ({"hostnames": [b"localhost"]}, "ERR_INVALID_ARG_TYPE"),
        ({"hostnames": []}, "ERR_INVALID_ARG_VALUE"),
        ({"hostnames": ["a,b"]}, "ERR_INVALID_ARG_VALUE"),
        ({"key_type": "dsa"}, "ERR_INVALID_ARG_VALUE"),
        ({"key_type": 1}, "ERR_INVALID_ARG_TYPE"),
        ({"days": 0}, "ERR_OUT_OF_RANGE"),
        ({"days": 1.5}, "ERR_INVALID_ARG_TYPE"),
        ({"common_name": 3}, "ERR_INVALID_ARG_TYPE"),
        ({"common_name": "x" * 65}, "ERR_OSSL_ASN1_STRING_TOO_LONG"),
    ],
)
def test_bad_arguments_raise_node_errors(kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(Exception) as info:
        tls.generate_self_signed(**kwargs)  # type: ignore[arg-type]
    assert getattr(info.value, "code", None) == code
