"""A fleet of nodetls servers sharing TLS session state through one Redis.

Start as many as you like, on one machine or many, against the same Redis:

    python examples/redis_fleet.py serve --port 8443 --redis redis://redis.example:6379
    python examples/redis_fleet.py rotate --redis redis://redis.example:6379

A client that connected to one server resumes on any other: by ticket (the fleet's
ticket keys are a ring kept in Redis by ``nodetls.fleet.RedisTicketRing``; ``rotate``
gives it a new key, and tickets under the previous keys still resume), or by session
id with ``--no-tickets`` (``nodetls.fleet.RedisSessionStore`` answers ``'newSession'``
and ``'resumeSession'`` from Redis).  If Redis is slow or away, handshakes do not wait
for it: they are full handshakes until it returns.

Each server prints ``{"port": N}`` when listening and ``{"reused": bool, "protocol":
str}`` per connection; it stops on SIGINT/SIGTERM, closing its connections within two
seconds.  ``python -m nodetls server --redis URL`` is the same with more options.
Needs ``pip install 'nodetls[redis]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import nodetls as tls
from nodetls import fleet


def say(value: dict[str, Any]) -> None:
    print(json.dumps(value), flush=True)


async def serve(args: argparse.Namespace) -> None:
    if args.key and args.cert:
        key, cert = Path(args.key).read_bytes(), Path(args.cert).read_bytes()
    else:
        key, cert = tls.generate_self_signed(["localhost"])
        print(f"serving a certificate made now:\n{cert.decode()}", file=sys.stderr)

    def on_secure(sock: tls.TLSSocket) -> None:
        say({"reused": sock.is_session_reused(), "protocol": sock.get_protocol()})
        sock.end(b"hello from the fleet\n")

    server = tls.create_server(
        on_secure, key=key, cert=cert, session_timeout=args.session_timeout,
        session_id_context="nodetls-fleet",  # the servers must agree on it
        secure_options=tls.SSL_OP_NO_TICKET if args.no_tickets else 0)
    link = fleet.RedisLink(args.redis, timeout=args.redis_timeout)
    ring = None if args.no_tickets else fleet.RedisTicketRing(link)
    if ring is None:
        fleet.RedisSessionStore(link, lifetime=args.session_timeout).attach(server)
    else:
        ring.attach(server)
        await ring.start()
    try:
        await fleet.serve_until_stopped(
            server, args.port, args.host, deadline=2.0,
            on_listening=lambda s: say({"port": s.address()["port"]}))  # type: ignore[index]
    finally:
        if ring is not None:
            await ring.aclose()
        await link.aclose()


async def rotate(args: argparse.Namespace) -> None:
    link = fleet.RedisLink(args.redis)
    ring = fleet.RedisTicketRing(link)
    try:
        rotated = await ring.rotate()
        await ring.reload()
    finally:
        await link.aclose()
    say({"rotated": rotated, "ticket_keys": ring.keys[0][:16].hex() if ring.keys else None})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run one server")
    serve_cmd.add_argument("--port", type=int, default=8443)
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--key")
    serve_cmd.add_argument("--cert")
    serve_cmd.add_argument("--session-timeout", type=int, default=300)
    serve_cmd.add_argument("--no-tickets", action="store_true")
    serve_cmd.add_argument("--redis-timeout", type=float, default=0.05,
                           help="the longest a handshake waits for Redis, in seconds")
    rotate_cmd = commands.add_parser("rotate", help="give the fleet a new ticket key now")
    for command in (serve_cmd, rotate_cmd):
        command.add_argument("--redis", default="redis://127.0.0.1:6379")
    args = parser.parse_args()
    asyncio.run(serve(args) if args.command == "serve" else rotate(args))


if __name__ == "__main__":
    main()
