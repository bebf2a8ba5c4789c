"""Node.js as a peer and as an oracle.

* ``node_peer(script, **env)``: ``node -e script`` as a ``Peer`` (bounded, killed by PID);
  ``env`` values are passed as environment variables.
* ``run_node(script, payload)``: one blocking run of ``node -e script`` with ``payload``
  as JSON on stdin; the JSON it prints.  For oracles: what does Node do with these inputs?
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.support.procs import Peer

NODE = shutil.which("node") or "node"


async def node_peer(script: str, **env: str) -> Peer:
    return await Peer.start(NODE, "-e", script, env=env, stdin=False)


def run_node(script: str, payload: object, timeout: float = 20.0) -> Any:
    """Bounded by ``timeout`` (``subprocess.run`` kills the process by PID on expiry)."""
    proc = subprocess.run([NODE, "-e", script], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"node failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout)
