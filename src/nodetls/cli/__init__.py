"""``python -m nodetls``: a demo, a TLS echo server (alone or in a fleet), a TLS client,
and fleet tools, on the public API only.

Theory of operation.  Subcommands in the spirit of ``openssl s_server`` and
``openssl s_client``, one module each: ``demo``, ``server`` (with ``nodetls.fleet`` for
``--workers`` and ``--redis``), ``client``, ``fleet rotate`` (``fleet_command``);
``parser`` holds the grammar and the ``--help`` examples, ``common`` what they share.
Only ``import nodetls`` (and ``nodetls.fleet``, itself on the public API) is used, as an
application would.  Everything a person reads goes to stderr for the client (its
stdout carries the peer's bytes only) and to stdout for the others.  Errors are
reported as ``error: <Node code>: <message>`` with exit status 1; usage errors exit
with 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from nodetls.cli.client import run_client
from nodetls.cli.common import EXIT_INTERRUPTED, CLIError
from nodetls.cli.demo import run_demo
from nodetls.cli.fleet_command import run_fleet_command
from nodetls.cli.parser import build_parser
from nodetls.cli.server import run_server

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    status: int = asyncio.run(run_demo(args))
    return status


def _client(args: argparse.Namespace) -> int:
    status: int = asyncio.run(run_client(args))
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(_demo, run_server, _client, run_fleet_command)
    args = parser.parse_args(argv)
    if (getattr(args, "cert", None) is None) != (getattr(args, "key", None) is None):
        parser.error("--cert and --key go together")
    if getattr(args, "rotate_ticket_keys", None) and not args.redis:
        parser.error("--rotate-ticket-keys needs --redis (the fleet's keys live there)")
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except CLIError as err:
        print(f"error: {err.code}: {err}", file=sys.stderr)
        return err.status
