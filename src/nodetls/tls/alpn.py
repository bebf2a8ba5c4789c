"""``tls.convertALPNProtocols``: a list of protocol names to ALPN's wire format.

The wire format is each name's byte length (one byte) followed by its UTF-8 bytes:
``['h2', 'http/1.1']`` -> ``b'\\x02h2\\x08http/1.1'``.  As in Node, a buffer is taken
to be in wire format already and copied as is, and a name longer than 255 bytes is
``ERR_OUT_OF_RANGE``.  Node writes its result to ``out.ALPNProtocols``: so does the
two-argument form here (``out['ALPNProtocols']``, returning None; an input Node ignores,
neither a list nor a buffer, leaves ``out`` untouched).  The one-argument form returns
the bytes (None for an input Node ignores), the Pythonic shape.  A list may
also hold ``bytes`` names, which Node's ``Buffer.write`` would refuse; Python callers
commonly have them.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any, overload

from nodetls.node.errors import ERR_INVALID_ARG_TYPE
from nodetls.tls.errors import out_of_range

__all__ = ["convert_alpn_protocols"]


def _protocol_bytes(protocol: object) -> bytes:
    if isinstance(protocol, str):
        return protocol.encode("utf-8")
    if isinstance(protocol, bytes | bytearray | memoryview):
        return bytes(protocol)
    raise ERR_INVALID_ARG_TYPE("string", ["string", "Buffer", "ArrayBuffer"], protocol)


def _convert(protocols: Sequence[object]) -> bytes:
    out = bytearray()
    for index, protocol in enumerate(protocols):
        data = _protocol_bytes(protocol)
        if len(data) > 255:
            raise out_of_range(
                f"The byte length of the protocol at index {index} exceeds the maximum length.",
                "<= 255",
                len(data),
            )
        out.append(len(data))
        out += data
    return bytes(out)


def _wire(protocols: object) -> bytes | None:
    if isinstance(protocols, list | tuple):
        return _convert(protocols)
    if isinstance(protocols, bytes | bytearray | memoryview):
        return bytes(protocols)
    return None


@overload
def convert_alpn_protocols(protocols: object) -> bytes | None: ...
@overload
def convert_alpn_protocols(protocols: object, out: MutableMapping[str, Any]) -> None: ...
def convert_alpn_protocols(protocols: object,
                           out: MutableMapping[str, Any] | None = None) -> bytes | None:
    """``['h2', 'http/1.1']`` -> ``b'\\x02h2\\x08http/1.1'``; buffers are copied as is.

    With ``out`` (Node's form), the bytes go to ``out['ALPNProtocols']`` instead."""
    wire = _wire(protocols)
    if out is None:
        return wire
    if not isinstance(out, MutableMapping):
        raise ERR_INVALID_ARG_TYPE("out", "Object", out)
    if wire is not None:
        out["ALPNProtocols"] = wire
    return None
