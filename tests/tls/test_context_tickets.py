"""Session ticket keys: Node's 48-byte layout, rotation, and tickets shared with Node.

A ticket minted by a Node server must resume on a nodetls server holding the same
``ticket_keys``, and the other way round: both sides use the same 16-byte name, 16-byte
HMAC-SHA256 secret and 16-byte AES-128-CBC key.  The Node server runs in a child
process (stopped by its own PID); our client drives a ``TLSEngine`` over a socket.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nodetls
from nodetls.engine import HandshakeDone, TLSEngine, TLSFailure
from tests.support.node import NODE
from tests.support.procs import stop_popen
from tests.tls.ctxlab import Materials, handshake, make_materials

SID = "nodetls-ticket-test"

_NODE_SERVER = r"""
const tls = require('tls');
const [key, cert, keysHex, sid] = JSON.parse(process.argv[1]);
const server = tls.createServer({ key, cert, ticketKeys: Buffer.from(keysHex, 'hex'),
                                  sessionIdContext: sid, maxVersion: 'TLSv1.2' });
server.on('secureConnection', (socket) => {
  process.stdout.write(JSON.stringify({ reused: socket.isSessionReused() }) + '\n');
  socket.end();
});
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');
server.on('tlsClientError', (err) => say({ error: err.code }));
server.listen(0, '127.0.0.1', () => say({ port: server.address().port }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""


@pytest.fixture(scope="module")
def mat(tmp_path_factory: pytest.TempPathFactory) -> Materials:
    return make_materials(Path(tmp_path_factory.mktemp("tickets")))


class NodeServer:
    def __init__(self, mat: Materials, keys: bytes) -> None:
        assert NODE is not None
        args = json.dumps([mat.rsa_key, mat.rsa_cert, keys.hex(), SID])
        self.proc = subprocess.Popen([NODE, "-e", _NODE_SERVER, args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.line()["port"])

    def line(self, timeout: float = 5.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "node server said nothing"
        value = json.loads(self.proc.stdout.readline())
        assert isinstance(value, dict)
        return value

    def stop(self) -> None:
        stop_popen(self.proc, grace=5)


@pytest.fixture
def node_server(mat: Materials) -> Iterator[NodeServer]:
    server = NodeServer(mat, KEYS)
    try:
        yield server
    finally:
        server.stop()


KEYS = bytes(range(48))


def connect(port: int, ctx: nodetls.SecureContext, session: bytes | None = None) -> TLSEngine:
    """A full client handshake with our engine over a real socket."""
    engine = TLSEngine(ctx.context, is_server=False)
    if session is not None:
        assert engine.set_session(session)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        events = engine.start()
        while not any(isinstance(e, HandshakeDone) for e in events):
            assert not any(isinstance(e, TLSFailure) for e in events), events
            if out := engine.data_to_send():
                sock.sendall(out)
            data = sock.recv(65536)
            assert data, "node closed the connection during the handshake"
            events += engine.receive(data)
        if out := engine.data_to_send():  # our Finished, on a resumed handshake
            sock.sendall(out)
    return engine


def server_ctx(mat: Materials, keys: Any, **options: Any) -> nodetls.SecureContext:
    return nodetls.create_secure_context(key=mat.rsa_key, cert=mat.rsa_cert, ticket_keys=keys,
                                         session_id_context=SID, **options)


def test_ticket_from_node_resumes_on_nodetls(mat: Materials, node_server: NodeServer) -> None:
    client = nodetls.create_secure_context(max_version="TLSv1.2")
    first = connect(node_server.port, client)
    assert node_server.line() == {"reused": False}
    ticket = first.tls_ticket()
    assert ticket is not None and ticket[:16] == KEYS[:16]  # Node writes its key name first
    session = first.session()
    assert session is not None
    assert handshake(client, server_ctx(mat, KEYS), session=session).client.is_session_reused()
    other_keys = bytes(reversed(KEYS))
    assert not handshake(client, server_ctx(mat, other_keys),
                         session=session).client.is_session_reused()


def test_ticket_from_nodetls_resumes_on_node(mat: Materials, node_server: NodeServer) -> None:
    client = nodetls.create_secure_context(max_version="TLSv1.2")
    minted = handshake(client, server_ctx(mat, KEYS))
    assert minted.ok
    ticket, session = minted.client.tls_ticket(), minted.client.session()
    assert ticket is not None and ticket[:16] == KEYS[:16]
    assert session is not None
    resumed = connect(node_server.port, client, session)
    assert resumed.is_session_reused()
    assert node_server.line() == {"reused": True}


def test_keys_are_random_48_bytes_and_round_trip() -> None:
    a, b = nodetls.create_secure_context(), nodetls.create_secure_context()
    ka, kb = a.context.get_ticket_keys(), b.context.get_ticket_keys()
    assert len(ka) == len(kb) == 48 and ka != kb
    a.context.set_ticket_keys(KEYS)
    assert a.context.get_ticket_keys() == KEYS
    assert nodetls.create_secure_context(ticket_keys=KEYS).context.get_ticket_keys() == KEYS
    with pytest.raises(ValueError):
        a.context.set_ticket_keys(KEYS[:47])


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_shared_keys_resume_and_rotation_refuses(mat: Materials, version: str) -> None:
    client = nodetls.create_secure_context(max_version=version)
    issuing = server_ctx(mat, KEYS)
    first = handshake(client, issuing)
    assert first.ok and first.client.protocol == version
    session = first.client.session()
    assert session is not None
    sibling = server_ctx(mat, KEYS)
    assert handshake(client, sibling, session=session).client.is_session_reused()
    sibling.context.set_ticket_keys(bytes(48))  # rotation: old tickets fail silently
    again = handshake(client, sibling, session=session)
    assert again.ok and not again.client.is_session_reused()


# --- key rings (beyond Node): the first key encrypts, every key decrypts -------------

OLD, NEW = os.urandom(48), os.urandom(48)


def _mint(mat: Materials, client: nodetls.SecureContext, keys: Any) -> bytes:
    minted = handshake(client, server_ctx(mat, keys))
    assert minted.ok
    session = minted.client.session()
    assert session is not None
    return session


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_a_ring_decrypts_older_keys_and_renews_under_the_first(mat: Materials,
                                                               version: str) -> None:
    client = nodetls.create_secure_context(max_version=version)
    old_session = _mint(mat, client, OLD)
    ring = server_ctx(mat, [NEW, OLD])
    resumed = handshake(client, ring, session=old_session)
    assert resumed.ok and resumed.client.is_session_reused()
    renewed = resumed.client.tls_ticket()
    assert renewed is not None and renewed[:16] == NEW[:16]  # renewed under the first key
    # ... and that renewed ticket resumes on a server holding the new key only
    renewed_session = resumed.client.session()
    assert renewed_session is not None
    assert handshake(client, server_ctx(mat, NEW), session=renewed_session).client \
        .is_session_reused()


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_a_ring_encrypts_with_its_first_key_and_refuses_strangers(mat: Materials,
                                                                  version: str) -> None:
    client = nodetls.create_secure_context(max_version=version)
    minted = handshake(client, server_ctx(mat, [NEW, OLD]))
    ticket = minted.client.tls_ticket()
    assert ticket is not None and ticket[:16] == NEW[:16]
    stranger = _mint(mat, client, os.urandom(48))
    refused = handshake(client, server_ctx(mat, [NEW, OLD]), session=stranger)
    assert refused.ok and not refused.client.is_session_reused()


def test_a_ticket_under_the_current_key_stays_reusable_on_tls12(mat: Materials) -> None:
    """One key behaves as Node: a TLS 1.2 ticket under the current key is not renewed."""
    client = nodetls.create_secure_context(max_version="TLSv1.2")
    minted = handshake(client, server_ctx(mat, [NEW, OLD]))
    ticket, session = minted.client.tls_ticket(), minted.client.session()
    assert ticket is not None and session is not None
    resumed = handshake(client, server_ctx(mat, [NEW, OLD]), session=session)
    assert resumed.client.is_session_reused()
    assert resumed.client.tls_ticket() == ticket


def test_get_ticket_keys_returns_the_first_key_of_a_ring(mat: Materials) -> None:
    ctx = server_ctx(mat, [NEW, OLD])
    assert ctx.context.get_ticket_keys() == NEW
    assert ctx.context.get_ticket_key_ring() == [NEW, OLD]
    ctx.context.set_ticket_keys(OLD)
    assert ctx.context.get_ticket_key_ring() == [OLD]
    ctx = server_ctx(mat, (bytearray(OLD), memoryview(NEW)))
    assert ctx.context.get_ticket_key_ring() == [OLD, NEW]


@pytest.mark.parametrize(("keys", "code", "message"), [
    ([], "ERR_INVALID_ARG_VALUE", "The property 'options.ticket_keys' must not be empty"),
    ([NEW, OLD[:47]], "ERR_INVALID_ARG_VALUE",
     "The property 'options.ticket_keys[1]' must be exactly 48 bytes. Received 47"),
    ([NEW, "x" * 48], "ERR_INVALID_ARG_TYPE", "The \"options.ticket_keys[1]\" property must be"),
    (NEW[:47], "ERR_INVALID_ARG_VALUE",
     "The property 'options.ticket_keys' must be exactly 48 bytes. Received 47"),
])
def test_bad_rings_are_refused_with_node_codes(keys: Any, code: str, message: str) -> None:
    with pytest.raises((TypeError, ValueError)) as caught:
        nodetls.create_secure_context(ticket_keys=keys)
    assert getattr(caught.value, "code", None) == code
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_node_server_holding_the_current_key_resumes_a_ring_ticket(
        mat: Materials, node_server: NodeServer) -> None:
    """The ring's first key is plain Node ``ticketKeys``: Node (holding KEYS) resumes a
    ticket minted by a nodetls ring [KEYS, OLD], and the ring resumes Node's ticket."""
    client = nodetls.create_secure_context(max_version="TLSv1.2")
    from_ring = _mint(mat, client, [KEYS, OLD])
    assert connect(node_server.port, client, from_ring).is_session_reused()
    assert node_server.line() == {"reused": True}
    from_node = connect(node_server.port, client).session()
    assert node_server.line() == {"reused": False}
    assert from_node is not None
    rotated = server_ctx(mat, [NEW, KEYS])  # KEYS is now the older key of the ring
    resumed = handshake(client, rotated, session=from_node)
    assert resumed.client.is_session_reused()
    ticket = resumed.client.tls_ticket()
    assert ticket is not None and ticket[:16] == NEW[:16]


def test_replacing_the_ring_while_other_threads_resume_is_safe(mat: Materials) -> None:
    """cffi releases the GIL around OpenSSL calls, so a handshake on one thread can run
    while another thread replaces the ring (which frees the old one); the C callback and
    the set share a lock for that.  A stress run: handshakes keep resuming throughout
    (the race itself is too narrow to be hit on demand, so this cannot prove the lock)."""
    client = nodetls.create_secure_context(max_version="TLSv1.2")
    ring = server_ctx(mat, [NEW, OLD])
    session = _mint(mat, client, NEW)
    stop = threading.Event()

    def rotate() -> None:
        while not stop.is_set():
            ring.context.set_ticket_keys([NEW, OLD])
            ring.context.set_ticket_keys([NEW, os.urandom(48), OLD])

    rotator = threading.Thread(target=rotate)
    rotator.start()
    try:
        for _ in range(100):
            assert handshake(client, ring, session=session).client.is_session_reused()
    finally:
        stop.set()
        rotator.join(timeout=10)
    assert ring.context.get_ticket_keys() == NEW
