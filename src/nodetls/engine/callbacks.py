"""The Python bodies of the engine's ``extern "Python"`` callbacks.

Theory of operation.  OpenSSL calls a C trampoline (``_openssl/csrc/engine.c``), which
checks the connection's slot flags and only then calls one of the functions below.
Each finds its engine from the ``SSL*`` (slot -> ``ffi.new_handle`` -> weak reference,
so the handle does not keep the engine alive) and calls the engine's ``_hook_*``
method.  No Python exception may cross into C: any exception is captured on the engine
(``_capture``), which also tells the C read loop to stop, and the callback returns
OpenSSL's failure value; the engine re-raises it from the method that drove OpenSSL
and the connection is ``FAILED``.  If the engine is gone (garbage collected while
OpenSSL still runs, which should not happen) the callback returns the failure value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodetls._openssl import CData, ffi, lib

if TYPE_CHECKING:
    from nodetls.engine.engine import TLSEngine



def engine_of(ssl: CData) -> TLSEngine | None:
    slot = lib.nodetls_engine_slot_of(ssl)
    if slot == ffi.NULL or slot.handle == ffi.NULL:
        return None
    ref = ffi.from_handle(slot.handle)
    engine: TLSEngine | None = ref()
    return engine


def _run(ssl: CData, failure: int, hook: str, *args: Any) -> Any:
    engine = engine_of(ssl)
    if engine is None:
        return failure
    try:
        return getattr(engine, hook)(*args)
    except BaseException as exc:
        engine._capture(exc)
        return failure


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_handshake(ssl: CData, where: int) -> None:
    _run(ssl, 0, "_hook_handshake", where)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_keylog(ssl: CData, line: CData) -> None:
    _run(ssl, 0, "_hook_keylog", ffi.string(line))


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_new_session(ssl: CData, session: CData) -> int:
    # 0: we never keep OpenSSL's reference (the DER copy is what we hand out).
    _run(ssl, 0, "_hook_new_session", session)
    return 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_client_hello(ssl: CData) -> int:
    return int(_run(ssl, lib.SSL_CLIENT_HELLO_ERROR, "_hook_client_hello"))


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_cert(ssl: CData) -> int:
    return int(_run(ssl, 0, "_hook_cert"))


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_status(ssl: CData) -> int:
    failure = lib.SSL_TLSEXT_ERR_ALERT_FATAL if lib.SSL_is_server(ssl) else 0
    return int(_run(ssl, failure, "_hook_status"))


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_alpn(ssl: CData, out: CData, outlen: CData, offer: CData,
                           offer_len: int) -> int:
    return int(_run(ssl, lib.SSL_TLSEXT_ERR_ALERT_FATAL, "_hook_alpn",
                    out, outlen, offer, offer_len))


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_psk_server(ssl: CData, identity: CData, psk: CData,
                                 max_psk_len: int) -> int:
    return int(_run(ssl, 0, "_hook_psk_server", identity, psk, max_psk_len))


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nodetls_engine_py_psk_client(ssl: CData, hint: CData, identity: CData,
                                 max_identity_len: int, psk: CData, max_psk_len: int) -> int:
    return int(_run(ssl, 0, "_hook_psk_client", hint, identity, max_identity_len,
                    psk, max_psk_len))
