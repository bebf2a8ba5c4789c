"""A fleet member built on ``nodetls.fleet`` the way an application would, for the tests.

``python fleet_server.py '<json>'`` with ``key``, ``cert`` (PEM text) and optionally
``workers`` (0: one process, no supervisor), ``redis`` (URL), ``redis_timeout``
(the link's bound, seconds; 1 by default here), ``no_tickets``,
``rotate_every``, ``keep``, ``deadline``, ``max_version``.  It prints JSON lines:
``{"port": N}`` once every process listens, ``{"worker", "pid", "reused", "protocol"}``
per connection (then it sends ``x`` and ends the connection), ``{"log": text}`` for
each record of the ``nodetls.fleet`` logger (outages, rotations applied, restarts), and
``{"stopped": true}`` on its way out.  It stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import Any

import nodetls as tls
from nodetls import fleet


def say(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


class JSONLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        say({"log": record.getMessage(), "pid": os.getpid()})


def log_as_json() -> None:
    logger = logging.getLogger("nodetls.fleet")
    logger.addHandler(JSONLines())
    logger.setLevel(logging.INFO)


def make_server(cfg: dict[str, Any], worker: fleet.Worker | None) -> tls.Server:
    options: dict[str, Any] = {"key": cfg["key"].encode(), "cert": cfg["cert"].encode(),
                               "session_id_context": "fleet-test", "session_timeout": 300}
    if worker is not None:
        options["ticket_keys"] = list(worker.ticket_keys)
    if cfg.get("no_tickets"):
        options["secure_options"] = tls.SSL_OP_NO_TICKET
    if cfg.get("max_version"):
        options["max_version"] = cfg["max_version"]
    index = None if worker is None else worker.index

    def on_secure(sock: tls.TLSSocket) -> None:
        say({"worker": index, "pid": os.getpid(), "reused": sock.is_session_reused(),
             "protocol": sock.get_protocol()})
        sock.end(b"x")

    return tls.create_server(on_secure, **options)


async def serve(cfg: dict[str, Any], worker: fleet.Worker | None) -> None:
    log_as_json()
    server = make_server(cfg, worker)
    # The tests default to a generous bound: on a loaded CI machine a 50 ms one would turn
    # a slow Redis reply into a (correct, but unwanted here) full handshake.
    link = (fleet.RedisLink(cfg["redis"], timeout=cfg.get("redis_timeout", 1.0))
            if cfg.get("redis") else None)
    ring = None
    if link is not None and cfg.get("no_tickets"):
        fleet.RedisSessionStore(link).attach(server)
    elif link is not None:
        ring = fleet.RedisTicketRing(link, keep=cfg.get("keep", 2),
                                     rotate_every=cfg.get("rotate_every"))
        ring.attach(server)
        await ring.start()
    deadline = float(cfg.get("deadline", 2.0))
    try:
        if worker is not None:
            await fleet.serve_worker(worker, server)
        else:
            await fleet.serve_until_stopped(
                server, 0, "127.0.0.1", deadline=deadline,
                on_listening=lambda s: say({"port": s.address()["port"]}))  # type: ignore[index]
    finally:
        if ring is not None:
            await ring.aclose()
        if link is not None:
            await link.aclose()


async def worker_main(worker: fleet.Worker) -> None:
    await serve(worker.config, worker)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    status = 0
    if cfg.get("workers"):
        log_as_json()
        status = fleet.run_workers(worker_main, port=0, host="127.0.0.1", workers=cfg["workers"],
                          deadline=float(cfg.get("deadline", 2.0)), config=cfg,
                          on_ready=lambda port: say({"port": port}))
    else:
        asyncio.run(serve(cfg, None))
    say({"stopped": True})
    sys.exit(status)


if __name__ == "__main__":
    main()
