"""The OpenSSL error queue as Python values.

OpenSSL reports failures by pushing records onto a thread-local queue.  A stale record
left there by an earlier call turns a later ``SSL_ERROR_WANT_READ`` into a fatal
``SSL_ERROR_SSL`` (openssl#8470), so callers clear the queue before any call whose
errors they read, and drain it completely after a failure.  The first record is the
root cause; that is the one Node reports (``err.library``, ``err.reason``, and the code
``ERR_<LIB>_<REASON>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from nodetls._openssl._binding import ffi, lib


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One entry of the OpenSSL error queue."""

    packed: int
    library: str
    reason: str
    message: str  # OpenSSL's one-line form: "error:0A00010B:SSL routines::wrong version number"
    lib_code: int
    reason_code: int


class OpenSSLError(Exception):
    """OpenSSL said no: ``records`` is the drained error queue, root cause first.

    ``library`` and ``reason`` are the first record's texts, for people (and Node's
    error fields); code that decides what a failure means compares :attr:`codes`.
    """

    def __init__(self, records: list[ErrorRecord], context: str = "") -> None:
        self.records = records
        first = records[0] if records else None
        self.library = first.library if first else ""
        self.reason = first.reason if first else ""
        text = first.message if first else f"{context or 'OpenSSL call'} failed"
        super().__init__(text)

    @property
    def codes(self) -> tuple[int, int] | None:
        """``(library, reason)`` numbers of the root cause (``ERR_LIB_SSL``,
        ``SSL_R_...``), None for an empty queue: what decisions are made on."""
        first = self.records[0] if self.records else None
        return (first.lib_code, first.reason_code) if first else None


def _string(ptr: object) -> str:
    return "" if ptr == ffi.NULL else ffi.string(ptr).decode("utf-8", "replace")


def _record(code: int) -> ErrorRecord:
    buf = ffi.new("char[]", 256)
    lib.ERR_error_string_n(code, buf, 256)
    return ErrorRecord(
        packed=code,
        library=_string(lib.ERR_lib_error_string(code)),
        reason=_string(lib.ERR_reason_error_string(code)),
        message=ffi.string(buf).decode("utf-8", "replace"),
        lib_code=lib.ERR_GET_LIB(code),
        reason_code=lib.ERR_GET_REASON(code),
    )


def consume_errors() -> list[ErrorRecord]:
    """Drain the whole error queue, oldest (root cause) first."""
    records = []
    while (code := lib.ERR_get_error()) != 0:
        records.append(_record(code))
    return records


def clear_errors() -> None:
    lib.ERR_clear_error()


def openssl_assert(ok: bool, context: str = "") -> None:
    """Raise the drained error queue as an ``OpenSSLError`` unless ``ok``."""
    if not ok:
        raise OpenSSLError(consume_errors(), context)
