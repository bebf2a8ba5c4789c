"""``python -m nodetls fleet rotate --redis URL``: give a fleet new ticket keys now.

It rotates the fleet's ring in Redis exactly as a server's schedule does (under the
ring's lock, so it never races a scheduled rotation), prints the key names now in
service, and exits; every server applies the rotation within a second.
"""

from __future__ import annotations

import argparse
import asyncio

from nodetls import fleet
from nodetls.cli.common import CLIError


async def rotate(args: argparse.Namespace) -> int:
    link = fleet.RedisLink(args.redis)
    ring = fleet.RedisTicketRing(link, keep=args.keep_ticket_keys)
    try:
        if not await ring.rotate():
            raise CLIError("ERR_FLEET_ROTATE", f"could not rotate the ticket keys at "
                           f"{args.redis}: Redis did not answer, or another rotation "
                           "holds the lock")
        await ring.reload()
    finally:
        await link.aclose()
    current, upcoming = ring.keys[0], ring.keys[1] if len(ring.keys) > 1 else None
    print(f"rotated: tickets now encrypted under key {current[:16].hex()}")
    if upcoming is not None:
        print(f"  next key {upcoming[:16].hex()} (decrypts already, encrypts at the next "
              f"rotation); {len(ring.keys)} keys decrypt")
    return 0


def run_fleet_command(args: argparse.Namespace) -> int:
    status: int = asyncio.run(rotate(args))
    return status
