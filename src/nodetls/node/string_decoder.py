"""Node's ``StringDecoder``: bytes to str across chunk boundaries.

A multi-byte character split between two chunks must come out whole, once both halves have
arrived (``set_encoding('utf8')`` on a stream relies on this).  For the Unicode encodings
Python's incremental codecs do exactly that; invalid UTF-8 becomes U+FFFD as in Node.
``base64`` keeps the 0-2 trailing bytes that do not fill a 3-byte group until more arrive;
``hex`` and ``latin1`` have no state.  ``ascii`` drops the high bit, as Node's does.
"""

from __future__ import annotations

import base64
import codecs

from .validators import validate_encoding

__all__ = ["StringDecoder", "encode_string"]

_ASCII = bytes(range(128)) * 2


class StringDecoder:
    __slots__ = ("_decoder", "_pending", "encoding")

    def __init__(self, encoding: str | None = "utf8") -> None:
        self.encoding = validate_encoding(encoding)
        self._pending = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        if self.encoding == "utf8":
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        elif self.encoding == "utf16le":
            self._decoder = codecs.getincrementaldecoder("utf-16-le")("replace")

    def write(self, data: bytes) -> str:
        """Decode ``data``; bytes of an incomplete trailing character are held back."""
        if self._decoder is not None:
            return self._decoder.decode(data)
        encoding = self.encoding
        if encoding == "latin1":
            return data.decode("latin-1")
        if encoding == "ascii":
            return data.translate(_ASCII).decode("ascii")
        if encoding == "hex":
            return data.hex()
        return self._write_base64(data)

    def _write_base64(self, data: bytes) -> str:
        data = self._pending + data
        whole = len(data) - len(data) % 3
        self._pending = data[whole:]
        return self._b64(data[:whole])

    def _b64(self, data: bytes) -> str:
        if self.encoding == "base64url":
            return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
        return base64.b64encode(data).decode("ascii")

    def end(self, data: bytes | None = None) -> str:
        """Flush: whatever is held back, decoded as far as possible."""
        text = self.write(data) if data else ""
        if self._decoder is not None:
            return text + self._decoder.decode(b"", final=True)
        if self._pending:
            text += self._b64(self._pending)
            self._pending = b""
        return text


def encode_string(text: str, encoding: str | None = None) -> bytes:
    """Node's ``Buffer.from(text, encoding)`` (default UTF-8)."""
    name = validate_encoding(encoding)
    if name == "utf8":
        return text.encode("utf-8", "replace")
    if name == "utf16le":
        return text.encode("utf-16-le", "surrogatepass")
    if name in ("latin1", "ascii"):
        # Node keeps the low byte of each UTF-16 code unit.
        return bytes(ord(c) & 0xFF for c in text) if not text.isascii() else text.encode()
    if name == "hex":
        valid = len(text) - len(text) % 2
        for i in range(0, valid, 2):  # Node stops at the first invalid pair
            if not all(c in "0123456789abcdefABCDEF" for c in text[i : i + 2]):
                valid = i
                break
        return bytes.fromhex(text[:valid])
    cleaned = "".join(text.split()).rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
