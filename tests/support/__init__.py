"""The one set of test helpers every tier shares.

* ``events``: futures on events and bounded waits (``event``, ``wait``, ``until``, ``collect``).
* ``guard``: the uncaught-exception guard (Node's ``'uncaughtException'``), autouse in
  every tier through ``tests/conftest.py``.
* ``procs``: subprocess peers, bounded in time and stopped by their own PID.
* ``node`` / ``openssl``: running ``node`` and the ``openssl`` CLI as peers or oracles.
* ``node_batch``: many Node.js servers or clients in one ``node`` process.
* ``certs``: the PEM material of the session's trustme CA, and a free port.
"""
