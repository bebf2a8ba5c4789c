"""Bulk throughput of two ``TLSEngine`` objects joined in memory (no sockets).

One client and one server engine in the same thread: the client encrypts ``--total``
bytes in ``--chunk``-sized writes, the ciphertext is handed to the server, which
decrypts it; MB/s (10^6 bytes per second of cleartext) is printed per configuration.
This measures the engine's own overhead on top of OpenSSL's AES-GCM (each run starts
with a 32 MiB warm-up that is not timed); run by hand:

    .venv/bin/python bench/engine_pair.py [--total MiB] [--chunk KiB] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))

from nodetls._openssl import ffi, lib
from nodetls.engine import AppData, TLSEngine

CONFIGS = [
    ("TLSv1.3 TLS_AES_128_GCM_SHA256", "TLSv1.3", None, "TLS_AES_128_GCM_SHA256"),
    ("TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", None),
    ("TLSv1.2 AES256-GCM-SHA384 (Node's bench)", "TLSv1.2", "AES256-GCM-SHA384", None),
]


class Ctx:
    """A bare ``SSL_CTX`` (what the engine needs: ``ctx`` and ``callbacks_installed``)."""

    def __init__(self, version: str, ciphers: str | None, suites: str | None,
                 leaf: trustme.LeafCert | None = None) -> None:
        ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
        number = {"TLSv1.2": lib.TLS1_2_VERSION, "TLSv1.3": lib.TLS1_3_VERSION}[version]
        lib.SSL_CTX_set_min_proto_version(ctx, number)
        lib.SSL_CTX_set_max_proto_version(ctx, number)
        if ciphers:
            lib.SSL_CTX_set_cipher_list(ctx, ciphers.encode())
        if suites:
            lib.SSL_CTX_set_ciphersuites(ctx, suites.encode())
        if leaf is not None:
            from nodetls.engine.x509 import mem_bio, x509_list_from_pem

            cert = x509_list_from_pem(leaf.cert_chain_pems[0].bytes())[0]
            assert lib.SSL_CTX_use_certificate(ctx, cert) == 1
            bio = mem_bio(leaf.private_key_pem.bytes())
            key = ffi.gc(lib.PEM_read_bio_PrivateKey(bio, ffi.NULL, ffi.NULL, ffi.NULL),
                         lib.EVP_PKEY_free)
            assert lib.SSL_CTX_use_PrivateKey(ctx, key) == 1
        self.ctx: Any = ctx
        self.callbacks_installed = False


def handshake(client: TLSEngine, server: TLSEngine) -> None:
    client.start()
    for _ in range(10):
        moved = False
        for src, dst in ((client, server), (server, client)):
            data = src.data_to_send()
            if data:
                dst.receive(data)
                moved = True
        if not moved:
            break
    assert client.cipher() is not None


def transfer(client: TLSEngine, server: TLSEngine, total: int, chunk: int,
             check: bool) -> float:
    payload = memoryview(bytes(range(256)) * (chunk // 256 + 1))[:chunk]
    digest = hashlib.sha256() if check else None
    received = 0
    start = time.perf_counter()
    sent = 0
    while sent < total:
        client.send(payload)
        sent += chunk
        for event in server.receive(client.data_to_send()):
            if type(event) is AppData:
                received += len(event.data)
                if digest is not None:
                    digest.update(event.data)
    elapsed = time.perf_counter() - start
    assert received == sent, (received, sent)
    if digest is not None:
        expected = hashlib.sha256(bytes(payload) * (total // chunk)).hexdigest()
        assert digest.hexdigest() == expected
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=512, help="MiB to send (default 512)")
    parser.add_argument("--chunk", type=int, default=256, help="KiB per send (default 256)")
    parser.add_argument("--check", action="store_true", help="sha256 the received data")
    parser.add_argument("--profile", action="store_true", help="cProfile the first config")
    args = parser.parse_args()
    ca = trustme.CA(key_type=trustme.KeyType.RSA)  # RSA: the suites below need it
    leaf = ca.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    total, chunk = args.total * 1024 * 1024, args.chunk * 1024
    print(f"{ffi.string(lib.OpenSSL_version(0)).decode()}; {args.total} MiB one way, "
          f"{args.chunk} KiB writes")
    for name, version, ciphers, suites in CONFIGS:
        client = TLSEngine(Ctx(version, ciphers, suites), is_server=False)
        server = TLSEngine(Ctx(version, ciphers, suites, leaf), is_server=True)
        handshake(client, server)
        assert client.protocol == version
        # Warm up: let malloc settle on the buffer sizes before the clock runs.
        transfer(client, server, min(total, 32 * 1024 * 1024), chunk, False)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
        elapsed = transfer(client, server, total, chunk, args.check)
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
            args.profile = False
        print(f"{name:45s} {total / elapsed / 1e6:8.1f} MB/s  ({elapsed:.2f} s)")


if __name__ == "__main__":
    main()
