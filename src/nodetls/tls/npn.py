"""NPN, Next Protocol Negotiation: Node v0.x-v9's ``NPNProtocols`` and ``npnProtocol``.

Theory of operation
-------------------
NPN is ALPN's predecessor (TLS <= 1.2 only; TLS 1.3 has no NPN).  The roles are the
other way round: the *server* advertises its list in the ServerHello and the *client*
picks, server preference first (OpenSSL's ``SSL_select_next_proto``); with no overlap
the client asks for its own first choice.  Node dropped NPN in v10; here it is kept
with Node v8's semantics, through OpenSSL's NPN callbacks (``engine.set_npn_protocols``):

* ``npn_protocols`` (a list of str/bytes, or the wire format, as ``alpn_protocols``) on
  a client offers NPN; on a server advertises the list to clients that offer NPN.
* ALPN takes precedence: OpenSSL advertises no NPN once ALPN chose a protocol.
* ``socket.npn_protocol`` after the handshake (None before it), as Node v8 set it:

  - server: the protocol the client asked for, or False;
  - client: the protocol chosen, False if the server advertised NPN but nothing
    overlapped, None (Node's ``undefined``) if the server advertised no NPN at all.

One difference from Node v8, whose every client offered NPN and every server
advertised it (an empty list when it had none): here NPN is used only by a side given
``npn_protocols``, so a connection without it behaves exactly as Node v20's.  The NPN
callbacks are per ``SSL_CTX``, so a client ``secure_context`` once used with
``npn_protocols`` keeps offering NPN (choosing 'http/1.1' without a list, npn_protocol
False), as every Node v8 client did.
"""

from __future__ import annotations

from nodetls.engine import TLSEngine
from nodetls.tls.alpn import convert_alpn_protocols

__all__ = ["convert_npn_protocols", "negotiated_npn_protocol"]


def convert_npn_protocols(protocols: object) -> bytes | None:
    """Node v8's ``convertNPNProtocols``: the ALPN wire format; None when there is none."""
    return convert_alpn_protocols(protocols) or None


def negotiated_npn_protocol(engine: TLSEngine) -> str | bool | None:
    """``npn_protocol`` once the handshake is done (Node v8's ``getNegotiatedProtocol``)."""
    if engine.is_server:
        return engine.npn_protocol() or False
    selected = engine.npn_selected()
    if selected is None:
        return None
    return (engine.npn_protocol() or False) if selected else False
