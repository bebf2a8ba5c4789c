"""A fleet of nodetls servers sharing TLS session state through one Redis.

Start as many as you like, on one machine or many, against the same Redis:

    python examples/redis_fleet.py serve --port 8443 --redis redis://10.0.0.5:6379
    python examples/redis_fleet.py rotate --redis redis://10.0.0.5:6379

A client that connected to one server resumes its session on any other, by either of the
two mechanisms TLS has, both driven through Node's API only:

* **Tickets.** Every server encrypts its tickets with the same 48 ``ticket_keys``, kept
  in Redis under ``nodetls:ticket-keys``: the first server to start creates them (``SET
  NX``), the others read them.  ``rotate`` writes fresh keys and publishes them on the
  channel of the same name; each server applies them with ``server.set_ticket_keys()``.
  New tickets use the new keys; an older ticket gets a full handshake, never an error.
* **Session ids** (clients or servers with tickets off: ``--no-tickets``).  The
  ``'newSession'`` listener stores the session under ``nodetls:session:<id>`` with the
  ``session_timeout`` as its expiry, and ``'resumeSession'`` fetches it.  Both listeners
  are ``async def`` returning their answer (the handshake waits meanwhile), which the
  Python API accepts beside Node's ``cb``.  With nodetls this works on TLS 1.3 too.

The servers must agree on ``session_id_context``: Node's default derives it from the
command line, which differs between servers started with different ports, so it is set
explicitly here.

Each server prints one JSON line when listening (``{"port": N}``), one per connection
(``{"reused": bool, "protocol": str}``) and one whenever it applies new ticket keys
(``{"ticket_keys": "<name hex>"}``); it stops at the end of its standard input or on
SIGINT/SIGTERM.  Without ``--key``/``--cert`` it serves a certificate made on the spot
for ``localhost``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import PubSub

import nodetls as tls

KEYS = "nodetls:ticket-keys"
SESSION = "nodetls:session:"
SESSION_ID_CONTEXT = "nodetls-fleet"


def say(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def fleet_ticket_keys(store: redis.Redis) -> bytes:
    """The fleet's keys: created by the first server, read by the others."""
    await store.set(KEYS, os.urandom(48), nx=True)
    keys = await store.get(KEYS)
    assert isinstance(keys, bytes) and len(keys) == 48, "nodetls:ticket-keys must be 48 bytes"
    return keys


def share_sessions(server: tls.Server, store: redis.Redis, lifetime: int) -> None:
    """Session-id resumption across the fleet: the external cache of Node's API."""

    async def new_session(session_id: bytes, data: bytes, cb: object) -> None:
        await store.set(SESSION + session_id.hex(), data, ex=lifetime)

    async def resume_session(session_id: bytes, cb: object) -> bytes | None:
        data = await store.get(SESSION + session_id.hex())
        return data if isinstance(data, bytes) else None

    server.on("newSession", new_session)
    server.on("resumeSession", resume_session)


async def follow_rotations(server: tls.Server, channel: PubSub) -> None:
    """Apply the keys ``rotate`` publishes; they affect new tickets only."""
    async for message in channel.listen():
        keys = message.get("data")
        if message.get("type") == "message" and isinstance(keys, bytes) and len(keys) == 48:
            server.set_ticket_keys(keys)
            say({"ticket_keys": keys[:16].hex()})


async def serve(args: argparse.Namespace) -> None:
    store = redis.Redis.from_url(args.redis)
    if args.key and args.cert:
        key, cert = Path(args.key).read_bytes(), Path(args.cert).read_bytes()
    else:
        key, cert = tls.generate_self_signed(["localhost"])
    options: dict[str, Any] = {
        "key": key, "cert": cert, "session_id_context": SESSION_ID_CONTEXT,
        "session_timeout": args.session_timeout,
        "ticket_keys": await fleet_ticket_keys(store),
    }
    if args.no_tickets:
        options["secure_options"] = tls.SSL_OP_NO_TICKET

    def on_secure(sock: tls.TLSSocket) -> None:
        say({"reused": sock.is_session_reused(), "protocol": sock.get_protocol()})
        sock.end(b"hello from the fleet\n")

    server = tls.create_server(on_secure, **options)
    share_sessions(server, store, args.session_timeout)
    async with store, store.pubsub() as channel:
        await channel.subscribe(KEYS)  # before listening: no rotation can be missed
        rotations = asyncio.create_task(follow_rotations(server, channel))
        await server.listen(args.port, args.host)
        address = server.address()
        assert isinstance(address, dict)
        say({"port": address["port"]})
        await until_stopped()
        rotations.cancel()
        server.close()
        await server.wait_closed()


async def until_stopped() -> None:
    """The end of standard input (a parent that goes away), SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    fd = sys.stdin.fileno()

    def on_input() -> None:
        if not os.read(fd, 65536):
            stopped.set()

    with contextlib.suppress(OSError):  # not pollable (a file, /dev/null): signals only
        loop.add_reader(fd, on_input)
    await stopped.wait()


async def rotate(args: argparse.Namespace) -> None:
    store = redis.Redis.from_url(args.redis)
    keys = os.urandom(48)
    await store.set(KEYS, keys)
    receivers = await store.publish(KEYS, keys)
    await store.aclose()
    say({"ticket_keys": keys[:16].hex(), "servers": receivers})


def main(argv: list[str] | None = None) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", parents=[common], help="run one server")
    serve_cmd.add_argument("--port", type=int, default=8443)
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--key")
    serve_cmd.add_argument("--cert")
    serve_cmd.add_argument("--session-timeout", type=int, default=300)
    serve_cmd.add_argument("--no-tickets", action="store_true")
    commands.add_parser("rotate", parents=[common], help="give the fleet new ticket keys")
    args = parser.parse_args(argv)
    asyncio.run(serve(args) if args.command == "serve" else rotate(args))


if __name__ == "__main__":
    main()
