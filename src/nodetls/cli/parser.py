"""The command line's grammar: subcommands, their options, and examples in ``--help``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import nodetls as tls
from nodetls.cli.common import add_tls_arguments, host_port

Command = Callable[[argparse.Namespace], int]

EXAMPLES = """\
examples:
  python -m nodetls demo
  python -m nodetls server --port 8443                 # makes a certificate, prints its file
  python -m nodetls client localhost:8443 --ca /tmp/nodetls-XXXX-cert.pem
  python -m nodetls server --port 8443 --key key.pem --cert cert.pem --workers 4
  python -m nodetls server --port 8443 --key key.pem --cert cert.pem \\
      --workers 2 --redis redis://redis.example:6379 --rotate-ticket-keys 3600
  python -m nodetls fleet rotate --redis redis://redis.example:6379
"""

SERVER_EXAMPLES = """\
examples:
  python -m nodetls server --port 0                    # any free port, a certificate made now
  python -m nodetls server --key key.pem --cert cert.pem --alpn h2,http/1.1
  python -m nodetls server --key key.pem --cert cert.pem --workers 4
      4 processes on one port, sharing ticket keys (resumption works across them)
  python -m nodetls server --key key.pem --cert cert.pem --workers 2 \\
      --redis redis://redis.example:6379 --rotate-ticket-keys 3600
      a fleet member: ticket keys from Redis, rotated hourly by one server at a time
  python -m nodetls server --key key.pem --cert cert.pem --redis redis://redis.example:6379 \\
      --no-tickets
      session-id resumption across the fleet, sessions kept in Redis
"""

CLIENT_EXAMPLES = """\
examples:
  echo hello | python -m nodetls client localhost:8443 --ca cert.pem
  python -m nodetls client example.com:443 --alpn h2 --session-out s.bin </dev/null
  python -m nodetls client example.com:443 --session-in s.bin </dev/null   # resumes
"""


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def build_parser(demo: Command, server: Command, client: Command,
                 fleet: Command) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nodetls", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Node's tls module for Python: demo, echo server, client, fleet tools.")
    parser.add_argument("--version", action="version", version=f"nodetls {tls.__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    demo_parser = commands.add_parser(
        "demo", help="echo server + client in one process, then exit",
        description="Start an echo server with a certificate made on the spot, connect to "
                    "it, echo a line, exit.")
    demo_parser.set_defaults(command=demo)
    add_server_parser(commands).set_defaults(command=server)
    add_client_parser(commands).set_defaults(command=client)
    add_fleet_parser(commands).set_defaults(command=fleet)
    return parser


def add_server_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]
                      ) -> argparse.ArgumentParser:
    server = commands.add_parser(
        "server", help="TLS echo server (like openssl s_server), alone or in a fleet",
        description="Echo every byte back; log each handshake.", epilog=SERVER_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    add_tls_arguments(server)
    server.add_argument("--key-type", choices=("ec", "rsa"), default="ec",
                        help="key of the certificate made when --cert is not given")
    server.add_argument("--request-cert", action="store_true",
                        help="ask clients for a certificate; log whether it verifies")
    server.add_argument("--require-cert", action="store_true",
                        help="ask for a client certificate and refuse clients without a "
                             "valid one")
    server.add_argument("--session-timeout", type=positive_int, default=300, metavar="SECONDS",
                        help="session and ticket lifetime (default 300, as Node)")
    server.add_argument("--deadline", type=positive_float, default=10.0, metavar="SECONDS",
                        help="on SIGTERM, how long open connections may take to close "
                             "(default 10)")
    fleet = server.add_argument_group("fleet (nodetls.fleet)")
    fleet.add_argument("--workers", type=positive_int, default=1, metavar="N",
                       help="N processes on the port (SO_REUSEPORT), sharing ticket keys; "
                            "a worker that dies is restarted")
    fleet.add_argument("--redis", metavar="URL",
                       help="share ticket keys (or, with --no-tickets, sessions) through "
                            "Redis, e.g. redis://host:6379 (pip install 'nodetls[redis]')")
    fleet.add_argument("--no-tickets", action="store_true",
                       help="no session tickets (SSL_OP_NO_TICKET): resumption by session "
                            "id, through Redis with --redis")
    fleet.add_argument("--rotate-ticket-keys", type=positive_float, metavar="SECONDS",
                       help="rotate the fleet's ticket keys this often (needs --redis)")
    fleet.add_argument("--keep-ticket-keys", type=positive_int, default=2, metavar="N",
                       help="ticket keys that still decrypt after a rotation (default 2)")
    fleet.add_argument("--redis-timeout", type=positive_float, default=0.05,
                       metavar="SECONDS", help="the longest a handshake waits for Redis "
                       "(default 0.05); past it, a full handshake")
    return server


def add_client_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]
                      ) -> argparse.ArgumentParser:
    client = commands.add_parser(
        "client", help="TLS client (like openssl s_client)", epilog=CLIENT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Connect, report the connection on stderr, then copy stdin to the peer "
                    "and the peer to stdout.")
    client.add_argument("target", type=host_port, metavar="HOST:PORT")
    client.add_argument("--servername", help="SNI name and name to check "
                                             "(default: HOST unless it is an IP address)")
    client.add_argument("--no-sni", action="store_true", help="send no server name")
    client.add_argument("--insecure", action="store_true",
                        help="do not reject an unverified server (reject_unauthorized=False)")
    add_tls_arguments(client)
    client.add_argument("--session-out", metavar="FILE", help="save the session for resuming")
    client.add_argument("--session-in", metavar="FILE", help="resume the session in FILE")
    return client


def add_fleet_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]
                     ) -> argparse.ArgumentParser:
    fleet = commands.add_parser(
        "fleet", help="act on a fleet's shared state in Redis",
        description="Tools for a fleet of servers started with --redis.",
        epilog="example:\n  python -m nodetls fleet rotate --redis redis://redis.example:6379\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = fleet.add_subparsers(title="actions", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate", help="rotate the fleet's ticket keys now",
        description="Rotate the ticket keys in Redis now; every server applies the "
                    "rotation within a second, and tickets under the previous keys "
                    "still resume.")
    rotate.add_argument("--redis", required=True, metavar="URL")
    rotate.add_argument("--keep-ticket-keys", type=positive_int, default=2, metavar="N",
                        help="ticket keys that still decrypt after the rotation (default 2)")
    return fleet
