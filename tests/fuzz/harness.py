"""What every fuzz target shares: the exceptions it may raise, the OpenSSL error-queue
check, a decoder from fuzz bytes to Python values, and real key material.

Theory of operation.  A target is a function of one ``bytes`` argument (what atheris and
libFuzzer hand over; the hypothesis tests draw the bytes, or a seed from the corpus
mutated).  ``documented()`` runs its body and lets only Node's exceptions out:
``NodeError`` (``TypeError``/``ValueError`` subclasses with Node's ``.code``, and
``CryptoError``; a few carry no code because Node's have none, such as the TypeError of
a too long ``session_id_context``), the TLS errors (``ssl.SSLError``) and the system
errors (``OSError`` with an errno code).  Anything else (``SystemError``,
``KeyError``, a bare ``ValueError`` from deep inside, ...) is a finding and is re-raised
as ``Finding``.  After the body, OpenSSL's thread-local error queue must be empty: a
record left there would poison the next call's ``SSL_get_error``.

``Reader`` is a tiny FuzzedDataProvider with a fixed encoding (see ``encode``), so seeds
for structured targets (option dicts) can be written by ``make_corpus.py`` and mutated
byte-wise by libFuzzer.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import trustme

from nodetls._openssl import clear_errors, consume_errors, lib
from nodetls.node.errors import NodeError, NodeSystemError

ALLOWED = (NodeError, ssl.SSLError, NodeSystemError)


class Finding(AssertionError):
    """An input that made a target misbehave."""


@contextlib.contextmanager
def documented() -> Iterator[None]:
    clear_errors()
    try:
        yield
    except ALLOWED:
        pass
    except Exception as exc:
        raise Finding(f"undocumented {type(exc).__name__}: {exc!r}") from exc
    finally:
        left = lib.ERR_peek_error()
        if left:
            records = consume_errors()
            raise Finding(f"OpenSSL error queue left non-empty: {records!r}")


class Reader:
    """Values out of fuzz bytes; an exhausted reader gives zeros and empties."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def blob(self) -> bytes:
        n = self.byte() | self.byte() << 8
        return self.take(n)

    def text(self) -> str:
        return self.take(self.byte()).decode("utf-8", "replace")

    def rest(self) -> bytes:
        return self.take(len(self.data))

    def value(self, depth: int = 0) -> Any:
        tag = self.byte() % 10
        if depth > 3 and tag in (7, 8):
            tag = 0
        if tag == 0:
            return None
        if tag in (1, 2):
            return tag == 1
        if tag == 3:
            return struct.unpack("<q", self.take(8).ljust(8, b"\0"))[0]
        if tag == 4:
            return struct.unpack("<d", self.take(8).ljust(8, b"\0"))[0]
        if tag == 5:
            return self.text()
        if tag == 6:
            return self.blob()
        if tag == 7:
            return [self.value(depth + 1) for _ in range(self.byte() % 5)]
        if tag == 8:
            return {self.text(): self.value(depth + 1) for _ in range(self.byte() % 5)}
        return Opaque()


class Opaque:
    """A value of no type any option accepts."""

    def __repr__(self) -> str:
        return "Opaque()"


def encode(value: Any) -> bytes:
    """The bytes ``Reader.value`` decodes back to ``value`` (for writing seeds)."""
    if value is None:
        return b"\0"
    if isinstance(value, bool):
        return b"\1" if value else b"\2"
    if isinstance(value, int):
        return b"\3" + struct.pack("<q", value)
    if isinstance(value, float):
        return b"\4" + struct.pack("<d", value)
    if isinstance(value, str):
        raw = value.encode()
        return b"\5" + bytes([len(raw)]) + raw
    if isinstance(value, bytes):
        return b"\6" + struct.pack("<H", len(value)) + value
    if isinstance(value, list):
        return b"\7" + bytes([len(value)]) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        out = b"\x08" + bytes([len(value)])
        for key, item in value.items():
            raw = key.encode()
            out += bytes([len(raw)]) + raw + encode(item)
        return out
    return b"\x09"


@dataclass(frozen=True)
class Material:
    """PEM bytes made once per process (trustme; nothing that expires is committed)."""

    ca: bytes
    cert: bytes
    key: bytes
    leaf_der: bytes
    ca_der: bytes


@functools.cache
def material() -> Material:
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1", "::1", "user@example.com")
    return Material(
        ca=ca.cert_pem.bytes(),
        cert=b"".join(p.bytes() for p in leaf.cert_chain_pems),
        key=leaf.private_key_pem.bytes(),
        leaf_der=ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode()),
        ca_der=ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()),
    )
