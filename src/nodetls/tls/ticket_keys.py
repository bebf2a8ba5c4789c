"""Ticket keys as the ``ticket_keys`` option and ``Server.set_ticket_keys`` take them.

Node takes one 48-byte buffer (16 name, 16 HMAC-SHA256, 16 AES-128-CBC).  nodetls also
takes a list of such keys, a ring: the first encrypts new tickets, every key decrypts,
and a ticket under an older key is renewed under the first (the engine's C ticket
callback does this by key name).  A ring lets keys rotate without a wave of full
handshakes: add the new key in front, drop the oldest later.  One key (not in a list)
is validated and behaves exactly as in Node.
"""

from __future__ import annotations

from typing import Final

from nodetls.node.errors import ERR_INVALID_ARG_VALUE
from nodetls.node.validators import is_buffer_like, validate_buffer

__all__ = ["TICKET_KEY_LENGTH", "ticket_key_ring"]

TICKET_KEY_LENGTH: Final = 48


def ticket_key_ring(value: object, name: str, buffer_name: str | None = None) -> list[bytes]:
    """The ring a key or a list of keys describes, or Node's error naming ``name``.

    ``buffer_name`` is the name Node's type error uses for one key when it differs
    (``set_ticket_keys`` says ``'buffer'``)."""
    if isinstance(value, list | tuple):
        if not value:
            raise ERR_INVALID_ARG_VALUE(name, value, "must not be empty")
        return [_one_key(key, f"{name}[{i}]", f"{name}[{i}]") for i, key in enumerate(value)]
    return [_one_key(value, name, buffer_name or name)]


def _one_key(value: object, name: str, buffer_name: str) -> bytes:
    validate_buffer(value, buffer_name)
    assert is_buffer_like(value)
    if len(value) != TICKET_KEY_LENGTH:
        raise ERR_INVALID_ARG_VALUE(name, len(value), "must be exactly 48 bytes")
    return bytes(value)
