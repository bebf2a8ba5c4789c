"""The accept path of ``net.Server`` on asyncio's selector loop (``node/acceptor.py``):
bursts larger than one wake-up's accepts, closing, and running out of file descriptors."""

from __future__ import annotations

import asyncio
import errno
import sys
from pathlib import Path

from nodetls.node import Socket, net
from nodetls.node.acceptor import MAX_ACCEPTS, Acceptor
from tests.support.procs import running

SRC = str(Path(__file__).resolve().parents[2] / "src")


async def test_a_burst_larger_than_one_wake_up_is_accepted_whole() -> None:
    total = MAX_ACCEPTS + 50
    accepted: list[Socket] = []
    all_in = asyncio.get_running_loop().create_future()

    def on_connection(sock: Socket) -> None:
        accepted.append(sock)
        sock.end(b"hi")
        if len(accepted) == total:
            all_in.set_result(None)

    server = net.create_server(on_connection)
    await server.listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    clients = await asyncio.gather(*(
        asyncio.open_connection("127.0.0.1", address["port"]) for _ in range(total)))
    try:
        await all_in
        greetings = await asyncio.gather(*(reader.read() for reader, _ in clients))
        assert greetings == [b"hi"] * total
        # asyncio's own loop is served by the acceptor; others (uvloop) by create_server.
        if type(asyncio.get_running_loop()).__module__.startswith("asyncio"):
            assert isinstance(server._aserver, Acceptor)
    finally:
        for _, writer in clients:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_after_close_nothing_is_accepted() -> None:
    server = net.create_server(lambda sock: sock.destroy())
    await server.listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    server.close()
    await server.wait_closed()
    try:
        await asyncio.open_connection("127.0.0.1", address["port"])
    except ConnectionRefusedError:
        pass
    else:
        raise AssertionError("a closed server accepted a connection")


# A server whose process may open only a few more files: it holds every connection until
# accept() fails, reports the failure the loop's handler got, frees what it held, and
# must then accept the rest (asyncio's rule: pause accepting, retry a second later).
_SERVER = """
import asyncio, json, os, resource
from nodetls.node import net

TOTAL = int(os.environ["TOTAL"])

async def main():
    held, count = [], 0
    loop = asyncio.get_running_loop()

    def on_exception(loop, context):
        exc = context.get("exception")
        print(json.dumps({"message": context["message"],
                          "errno": getattr(exc, "errno", None)}), flush=True)
        for sock in held:
            sock.destroy()
        held.clear()

    def on_connection(sock):
        nonlocal count
        count += 1
        held.append(sock)
        if count == TOTAL:
            print(json.dumps({"accepted": count}), flush=True)

    loop.set_exception_handler(on_exception)
    server = net.create_server(on_connection)
    await server.listen(0, "127.0.0.1")
    used = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (used + 6, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    print(json.dumps({"port": server.address()["port"]}), flush=True)
    await loop.create_future()

asyncio.run(main())
"""


async def test_out_of_file_descriptors_pauses_accepting_then_resumes() -> None:
    total = 12
    async with running(sys.executable, "-c", _SERVER,
                       env={"PYTHONPATH": SRC, "TOTAL": str(total)}) as peer:
        port = (await peer.line())["port"]
        clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(total)]
        try:
            failures = []
            while "accepted" not in (said := await peer.line()):
                failures.append(said)
            assert said == {"accepted": total}
            assert failures, "accept() never ran out of file descriptors"
            assert all(f == {"message": "socket.accept() out of system resource",
                             "errno": errno.EMFILE} for f in failures)
        finally:
            for _, writer in clients:
                writer.close()
