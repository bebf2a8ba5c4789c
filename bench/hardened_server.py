"""An echo server for the robustness checks: nodetls in Node's default configuration, nodetls
hardened, or Node itself, so that the same probes, tlsfuzzer scripts and scanners run
against all three.

    python bench/hardened_server.py --kind default|hardened|hardened-aead|node [--port 4433]
        [--app echo|http] [--key-type rsa|ecdsa] [--key key.pem --cert cert.pem]
        [--max-version TLSv1.3]

* ``default``: ``tls.create_server(key=..., cert=...)``, nothing else: Node's defaults.
* ``hardened``: the same plus ``session_cache_size=20480`` (OpenSSL's default cache size)
  and ``allow_client_renegotiation=False``.
* ``hardened-aead``: ``hardened`` with AEAD-only ``ciphers`` (no CBC suite).
* ``node``: ``node`` running the same echo server with ``tls.createServer``.

Without ``--key``/``--cert`` a self-signed ``localhost`` certificate (RSA 2048 or ECDSA
P-256) is made with the ``openssl`` CLI in a temporary directory.  The server prints
``listening <port>`` once it accepts connections and runs until SIGTERM/SIGINT.  Every
connection echoes what it receives (``--app echo``, for ``abuse_probes.py``) or answers each
request that ends with an empty line (CRLF or LF) with a short HTTP/1.0 response and stays open, as
``openssl s_server -www`` does (``--app http``, what tlsfuzzer's scripts expect), and is
destroyed on its first ``'error'`` (the
pattern Node's documentation asks of a server: after the handshake a TLS error, including
``ERR_TLS_SESSION_ATTACK``, is only reported, and the connection stays open otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nodetls as tls

END_OF_REQUEST = re.compile(rb"\r?\n\r?\n")  # an empty line, CRLF or LF (tlsfuzzer uses both)
HTTP_RESPONSE = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
# hardened-aead also drops the CBC suites (testssl's LUCKY13 finding), at the price of
# every TLS 1.2 client that offers only CBC suites, tlsfuzzer's TLS 1.2 scripts included.
AEAD_CIPHERS = ":".join([
    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
])
HARDENED: dict[str, object] = {"session_cache_size": 20480,
                               "allow_client_renegotiation": False}
KIND_OPTIONS: dict[str, dict[str, object]] = {
    "default": {},
    "hardened": HARDENED,
    "hardened-aead": {**HARDENED, "ciphers": AEAD_CIPHERS},
}

NODE_ECHO = r"""
const tls = require('tls'), fs = require('fs');
const options = { key: fs.readFileSync(process.env.KEY), cert: fs.readFileSync(process.env.CERT) };
if (process.env.MAX_VERSION) options.maxVersion = process.env.MAX_VERSION;
const RESPONSE = 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n';
const server = tls.createServer(options, (s) => {
  s.on('error', () => s.destroy());
  if (process.env.APP !== 'http') return s.pipe(s);
  let request = '';
  s.on('data', (d) => {
    request += d.toString('latin1');
    let end;
    while ((end = request.search(/\r?\n\r?\n/)) >= 0) {
      request = request.slice(end + request.slice(end).match(/^\r?\n\r?\n/)[0].length);
      s.write(RESPONSE);
    }
  });
});
server.on('tlsClientError', () => {});
server.listen(+process.env.PORT, process.env.HOST, () => {
  console.log('listening ' + server.address().port);
});
process.on('SIGTERM', () => process.exit(0));
"""


def self_signed(directory: Path, key_type: str) -> tuple[Path, Path]:
    """A throwaway ``localhost`` certificate made by the ``openssl`` CLI."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    algorithm = (["-newkey", "rsa:2048"] if key_type == "rsa"
                 else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    subprocess.run(["openssl", "req", "-x509", *algorithm, "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=localhost", "-days", "2",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


async def serve_nodetls(args: argparse.Namespace, key: bytes, cert: bytes) -> None:
    options: dict[str, Any] = {"key": key, "cert": cert}
    options.update(KIND_OPTIONS[args.kind])
    if args.max_version:
        options["max_version"] = args.max_version

    def on_connection(sock: tls.TLSSocket) -> None:
        sock.on("error", lambda err: sock.destroy())
        if args.app == "echo":
            sock.pipe(sock)
            return
        request = bytearray()

        def on_data(chunk: bytes) -> None:
            request.extend(chunk)
            while (end := END_OF_REQUEST.search(request)) is not None:
                del request[:end.end()]
                sock.write(HTTP_RESPONSE)

        sock.on("data", on_data)

    server = tls.create_server(on_connection, **options)
    server.on("tlsClientError", lambda err, sock: None)
    await server.listen(args.port, args.host)
    address = server.address()
    assert isinstance(address, dict)
    print(f"listening {address['port']}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=[*KIND_OPTIONS, "node"], default="default")
    parser.add_argument("--app", choices=["echo", "http"], default="echo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4433)
    parser.add_argument("--key-type", choices=["rsa", "ecdsa"], default="rsa")
    parser.add_argument("--key", type=Path)
    parser.add_argument("--cert", type=Path)
    parser.add_argument("--max-version", choices=["TLSv1.2", "TLSv1.3"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.key and args.cert:
            key_path, cert_path = args.key, args.cert
        else:
            key_path, cert_path = self_signed(Path(tmp), args.key_type)
        if args.kind == "node":
            env = {**os.environ, "KEY": str(key_path), "CERT": str(cert_path),
                   "PORT": str(args.port), "HOST": args.host,
                   "MAX_VERSION": args.max_version or "", "APP": args.app}
            proc = subprocess.Popen(["node", "-e", NODE_ECHO], env=env)
            signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
            try:
                sys.exit(proc.wait())
            except KeyboardInterrupt:
                proc.terminate()
                proc.wait()
            return
        asyncio.run(serve_nodetls(args, key_path.read_bytes(), cert_path.read_bytes()))


if __name__ == "__main__":
    main()
