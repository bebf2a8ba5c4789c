"""The stapler's pure rules (cache timing, backoff) and the HTTP client's parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nodetls.engine.ocsp import OCSPResponseInfo
from nodetls.tls.ocsp_http import OCSPFetchError, Target, parse_head, parse_url, request_bytes
from nodetls.tls.ocsp_stapler import (
    RefreshPolicy,
    cache_entry,
    is_due,
    is_servable,
    newer,
    retry_delay,
)

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
POLICY = RefreshPolicy(refresh_margin=3600, min_refresh_interval=10,
                       ttl_without_next_update=600, retry_initial=2, retry_max=300)


def info(this_update: datetime, next_update: datetime | None) -> OCSPResponseInfo:
    return OCSPResponseInfo("good", this_update, next_update, b"der")


def test_week_long_response_refreshes_a_margin_before_next_update() -> None:
    entry = cache_entry(info(T0, T0 + timedelta(days=7)), T0, POLICY)
    assert entry.expires_at == T0 + timedelta(days=7)
    assert entry.refresh_at == T0 + timedelta(days=7) - timedelta(hours=1)
    assert not is_due(entry, entry.refresh_at - timedelta(seconds=1))
    assert is_due(entry, entry.refresh_at)
    assert is_servable(entry, entry.expires_at - timedelta(seconds=1))
    assert not is_servable(entry, entry.expires_at)


def test_short_response_refreshes_at_half_life_not_in_a_loop() -> None:
    # One minute of validity, one hour of margin: the margin alone would make it
    # due at once; the half-life floor waits 30 s.
    entry = cache_entry(info(T0, T0 + timedelta(minutes=1)), T0, POLICY)
    assert entry.refresh_at == T0 + timedelta(seconds=30)


def test_half_life_counts_from_when_it_was_fetched() -> None:
    # Responders pre-produce responses: thisUpdate is often long before the fetch.
    fetched = T0 + timedelta(days=3)
    entry = cache_entry(info(T0, T0 + timedelta(days=4)), fetched, POLICY)
    assert entry.refresh_at == T0 + timedelta(days=4) - timedelta(hours=1)
    entry = cache_entry(info(T0, fetched + timedelta(minutes=20)), fetched, POLICY)
    assert entry.refresh_at == fetched + timedelta(minutes=10)


def test_min_refresh_interval_floor() -> None:
    entry = cache_entry(info(T0, T0 + timedelta(seconds=4)), T0, POLICY)
    assert entry.refresh_at == T0 + timedelta(seconds=10)  # after it expires: fine
    assert entry.expires_at == T0 + timedelta(seconds=4)


def test_response_without_next_update_lives_for_the_ttl() -> None:
    fetched = T0 + timedelta(hours=5)
    entry = cache_entry(info(T0, None), fetched, POLICY)
    assert entry.expires_at == fetched + timedelta(seconds=600)
    assert entry.refresh_at == fetched + timedelta(seconds=300)


def test_nothing_cached_is_due_and_not_servable() -> None:
    assert is_due(None, T0) and not is_servable(None, T0)


def test_retry_delay_doubles_up_to_the_cap() -> None:
    delays = [retry_delay(n, POLICY) for n in range(1, 12)]
    assert delays[:5] == [2, 4, 8, 16, 32]
    assert delays[-1] == 300 and max(delays) == 300
    assert retry_delay(10_000, POLICY) == 300  # no overflow


def test_newer_keeps_the_later_response() -> None:
    old = cache_entry(info(T0, T0 + timedelta(days=1)), T0, POLICY)
    new = cache_entry(info(T0 + timedelta(hours=1), T0 + timedelta(days=1)), T0, POLICY)
    assert newer(None, old) is old
    assert newer(old, new) is new
    assert newer(new, old) is new


def test_policy_refuses_zero_or_negative_times() -> None:
    with pytest.raises(ValueError, match="min_refresh_interval"):
        RefreshPolicy(min_refresh_interval=0)
    with pytest.raises(ValueError, match="retry_max"):
        RefreshPolicy(retry_max=-1)


# -- HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "target"), [
    ("http://ocsp.example.com", Target("ocsp.example.com", 80, "/", "ocsp.example.com")),
    ("http://r3.o.lencr.org/", Target("r3.o.lencr.org", 80, "/", "r3.o.lencr.org")),
    ("HTTP://127.0.0.1:8080/a/b?x=1", Target("127.0.0.1", 8080, "/a/b?x=1", "127.0.0.1:8080")),
    ("http://[::1]:9/ocsp", Target("::1", 9, "/ocsp", "[::1]:9")),
    ("http://[::1]/", Target("::1", 80, "/", "[::1]")),
])
def test_parse_url(url: str, target: Target) -> None:
    assert parse_url(url) == target


@pytest.mark.parametrize("url", [
    "https://ocsp.example.com/", "ldap://x/", "http://", "http://h:99999/",
    "http://h/a\r\nX-Injected: 1", "http://h/a b", "http://h/\x00",
])
def test_parse_url_refuses(url: str) -> None:
    with pytest.raises(OCSPFetchError) as exc:
        parse_url(url)
    assert exc.value.code == "ERR_OCSP_UNSUPPORTED_URL"


def test_request_bytes() -> None:
    raw = request_bytes(parse_url("http://127.0.0.1:8080/ocsp"), b"\x30\x00")
    assert raw == (
        b"POST /ocsp HTTP/1.0\r\nHost: 127.0.0.1:8080\r\n"
        b"Content-Type: application/ocsp-request\r\nAccept: application/ocsp-response\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n\x30\x00"
    )


def test_parse_head() -> None:
    status, headers = parse_head(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
        b"content-length:  42 \r\n\r\n"
    )
    assert status == 200
    assert headers == {"content-type": "application/ocsp-response", "content-length": "42"}
    assert parse_head(b"HTTP/1.0 503 Busy\r\n\r\n")[0] == 503
    for bad in (b"ICY 200 OK\r\n\r\n", b"HTTP/1.0 2x0\r\n\r\n", b"\r\n\r\n"):
        with pytest.raises(OCSPFetchError) as exc:
            parse_head(bad)
        assert exc.value.code == "ERR_OCSP_BAD_HTTP_RESPONSE"
