"""tlslite-ng as a peer: a TLS 1.2 client that carries on after a refused renegotiation.

OpenSSL's and Node's clients give up on the server's ``no_renegotiation`` warning;
tlslite-ng, written in Python, lets a test send ClientHellos on an open connection and
read the raw answers.  Blocking: run it in an executor, under ``wait``.
"""

from __future__ import annotations

import os
import socket
import warnings

with warnings.catch_warnings():  # tlslite's package imports asyncore (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    from tlslite import HandshakeSettings, TLSConnection  # type: ignore[import-untyped]
    from tlslite.constants import (  # type: ignore[import-untyped]
        AlertDescription,
        AlertLevel,
        CipherSuite,
        ContentType,
    )
    from tlslite.messages import Alert, ClientHello  # type: ignore[import-untyped]

__all__ = ["AlertDescription", "AlertLevel", "ContentType", "renegotiating_client"]


def renegotiating_client(port: int, attempts: int = 1) -> list[object]:
    """tlslite-ng: a TLS 1.2 handshake, then ``attempts`` ClientHellos on the open
    connection; the server's answers (record type, alert level and description), then an
    echo of 'ping'."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        conn = TLSConnection(raw)
        settings = HandshakeSettings()
        settings.maxVersion = (3, 3)
        conn.handshakeClientCert(settings=settings)
        answer: list[object] = []
        for _ in range(attempts):
            hello = ClientHello().create(
                (3, 3), os.urandom(32), b"",
                [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                 CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
            for _ in conn._sendMsg(hello, update_hashes=False):
                pass
            for result in conn._getNextRecord():
                if result not in (0, 1):
                    break
            header, parser = result
            answer.append(header.type)
            if header.type == ContentType.alert:
                alert = Alert().parse(parser)
                answer += [alert.level, alert.description]
        conn.write(b"ping")
        answer.append(conn.read(max=64))
        conn.close()
        return answer
