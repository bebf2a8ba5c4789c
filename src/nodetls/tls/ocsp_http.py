"""The smallest HTTP client an OCSP fetch needs: one POST over asyncio streams.

Theory of operation.  RFC 6960 appendix A: the request is the DER ``OCSPRequest`` as the
body of an HTTP POST with ``Content-Type: application/ocsp-request``; the answer is the
DER ``OCSPResponse``.  We speak HTTP/1.0 with ``Connection: close``, so the server may
not answer with chunked encoding and the body ends at ``Content-Length`` or at EOF.
No redirects, no proxies, no TLS (OCSP over https would need OCSP to check the
responder's own certificate, which is why responders use plain http).

The URL comes from a certificate, i.e. from outside: it is checked for a scheme we
speak and for characters that could split the request line.  Every step is bounded:
one overall ``timeout`` and a ``max_size`` on the body (responses are a few KiB).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_MAX_SIZE = 256 * 1024
_HEAD_LIMIT = 64 * 1024


class OCSPFetchError(OSError):
    """Fetching an OCSP response failed before there was a response to judge.

    Codes: ``ERR_OCSP_UNSUPPORTED_URL``, ``ERR_OCSP_FETCH_FAILED`` (connection or I/O),
    ``ERR_OCSP_FETCH_TIMEOUT``, ``ERR_OCSP_HTTP_STATUS`` (``.status`` is the HTTP
    status), ``ERR_OCSP_BAD_HTTP_RESPONSE``, ``ERR_OCSP_RESPONSE_TOO_LARGE``.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    path: str  # request target: path plus query
    host_header: str


def parse_url(url: str) -> Target:
    """Where to send the POST for ``url``; only ``http://`` URLs are spoken."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise OCSPFetchError("ERR_OCSP_UNSUPPORTED_URL", f"control character in {url!r}")
    parts = urlsplit(url)
    try:
        port = parts.port or 80
    except ValueError as exc:
        raise OCSPFetchError("ERR_OCSP_UNSUPPORTED_URL", f"bad port in {url!r}") from exc
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise OCSPFetchError("ERR_OCSP_UNSUPPORTED_URL", f"not an http:// URL: {url!r}")
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(host, port, path, shown if port == 80 else f"{shown}:{port}")


def request_bytes(target: Target, body: bytes) -> bytes:
    head = (
        f"POST {target.path} HTTP/1.0\r\n"
        f"Host: {target.host_header}\r\n"
        "Content-Type: application/ocsp-request\r\n"
        "Accept: application/ocsp-response\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


async def post_ocsp_request(
    url: str, body: bytes, *, timeout: float, max_size: int = DEFAULT_MAX_SIZE
) -> bytes:
    """POST ``body`` to ``url``; the response body of a 200, else ``OCSPFetchError``."""
    target = parse_url(url)
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(target, body, max_size)
    except OCSPFetchError:
        raise
    except TimeoutError as exc:  # before OSError: TimeoutError is one
        raise OCSPFetchError("ERR_OCSP_FETCH_TIMEOUT", f"{url}: no answer in {timeout}s") from exc
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise OCSPFetchError("ERR_OCSP_FETCH_FAILED", f"{url}: {exc!r}") from exc


async def _exchange(target: Target, body: bytes, max_size: int) -> bytes:
    reader, writer = await asyncio.open_connection(target.host, target.port, limit=_HEAD_LIMIT)
    try:
        writer.write(request_bytes(target, body))
        await writer.drain()
        return await _read_response(reader, max_size)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader, max_size: int) -> bytes:
    status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
    if status != 200:
        raise OCSPFetchError("ERR_OCSP_HTTP_STATUS", f"HTTP status {status}", status=status)
    if headers.get("transfer-encoding", "identity").lower() != "identity":
        # Not allowed in an answer to HTTP/1.0; refuse rather than misread the body.
        raise OCSPFetchError("ERR_OCSP_BAD_HTTP_RESPONSE", "unexpected Transfer-Encoding")
    length = headers.get("content-length")
    if length is None:
        return await _read_to_eof(reader, max_size)
    if not length.isdigit():
        raise OCSPFetchError("ERR_OCSP_BAD_HTTP_RESPONSE", f"bad Content-Length {length!r}")
    if int(length) > max_size:
        raise OCSPFetchError("ERR_OCSP_RESPONSE_TOO_LARGE", f"{length} bytes > {max_size}")
    return await reader.readexactly(int(length))


async def _read_to_eof(reader: asyncio.StreamReader, max_size: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await reader.read(65536):
        size += len(chunk)
        if size > max_size:
            raise OCSPFetchError("ERR_OCSP_RESPONSE_TOO_LARGE", f"more than {max_size} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status code and lower-cased headers of an HTTP/1.x response head."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise OCSPFetchError("ERR_OCSP_BAD_HTTP_RESPONSE", f"bad status line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(code), headers
