"""Name resolution for ``connect``: Node's ``lookup``, ``family``, ``hints`` and
``auto_select_family`` options.

Theory of operation
-------------------
:func:`lookup_options` validates the options as Node's ``lookupAndConnect`` does (same
codes and messages) and freezes them.  :func:`resolve` turns a host into the addresses
to try, in order:

* an IP literal is its own address: no lookup, no ``'lookup'`` event, as in Node;
* otherwise ``lookup(hostname, {'family', 'hints', 'all'}, cb)`` answers, the user's
  function or by default ``getaddrinfo`` (``hints`` its flags; ``AI_ADDRCONFIG`` when
  neither family nor hints is given, as Node does off Windows).  ``cb`` takes either of
  Node's forms, ``cb(err, address, family)`` or, when ``options['all']``,
  ``cb(err, [{'address', 'family'}, ...])``, at once or later; an address that is not
  an IP literal is ``ERR_INVALID_IP_ADDRESS``, a lookup error is passed on unchanged;
* with ``auto_select_family`` (Node v20's default, unless ``family`` or
  ``local_address`` is given) the lookup asks for every address and
  they are tried one after the other, families alternating from the first answer's,
  each attempt but the last given up after ``auto_select_family_attempt_timeout`` ms
  (default 250, at least 10): Node v20's ``internalConnectMultiple``.  Without it, only
  the first address is tried.

``'lookup'`` is reported once, with the first address (or the error).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .errors import ERR_INVALID_IP_ADDRESS, dns_exception
from .validators import (
    validate_boolean,
    validate_function,
    validate_int32,
    validate_number,
    validate_one_of,
)

__all__ = ["LookupCallback", "LookupOptions", "ip_version", "lookup_options", "resolve"]

LookupCallback = Callable[[BaseException | None, str | None, int | None, str], None]
Address = tuple[int, str]  # (AF_INET or AF_INET6, address)

DEFAULT_ATTEMPT_TIMEOUT_MS: Final = 250
MIN_ATTEMPT_TIMEOUT_MS: Final = 10  # Node raises smaller values to this
_AF = {4: socket.AF_INET, 6: socket.AF_INET6}


@dataclass(frozen=True, slots=True)
class LookupOptions:
    """How ``connect`` finds and tries the addresses of a host name."""

    family: int = 0
    hints: int = 0
    lookup: Callable[..., Any] | None = None
    auto_select_family: bool = True
    attempt_timeout: float = DEFAULT_ATTEMPT_TIMEOUT_MS / 1000.0  # seconds

    def attempts(self, addresses: Sequence[Address]) -> list[tuple[Address, float | None]]:
        """The addresses to try with each attempt's time bound (None: unbounded)."""
        if not self.auto_select_family:
            return [(addresses[0], None)]
        ordered = _interleave(addresses)
        last = len(ordered) - 1
        return [(a, None if i == last else self.attempt_timeout) for i, a in enumerate(ordered)]


def lookup_options(*, family: object = 0, hints: object = 0, lookup: object = None,
                   auto_select_family: object = None,
                   auto_select_family_attempt_timeout: object = None,
                   local_address: object = None) -> LookupOptions:
    """Validate Node's options (``ERR_INVALID_ARG_TYPE``/``_VALUE``, ``ERR_OUT_OF_RANGE``).
    As in Node, a given ``family`` or ``local_address`` turns ``auto_select_family`` off."""
    family = 0 if family is None else family
    validate_one_of(family, "options.family", (0, 4, 6))
    hints = 0 if hints is None else hints
    validate_int32(hints, "options.hints")
    function: Callable[..., Any] | None = None
    if lookup is not None:
        validate_function(lookup, "options.lookup")
        function = lookup  # type: ignore[assignment]
    auto = True
    if auto_select_family is not None:
        validate_boolean(auto_select_family, "options.auto_select_family")
        auto = bool(auto_select_family)
    timeout: float = DEFAULT_ATTEMPT_TIMEOUT_MS
    if auto_select_family_attempt_timeout is not None:
        validate_number(auto_select_family_attempt_timeout,
                        "options.auto_select_family_attempt_timeout", 1, 2**31 - 1)
        assert isinstance(auto_select_family_attempt_timeout, int | float)
        timeout = max(auto_select_family_attempt_timeout, MIN_ATTEMPT_TIMEOUT_MS)
    assert isinstance(family, int) and isinstance(hints, int)
    auto = auto and family == 0 and not local_address
    return LookupOptions(family, hints, function, auto, timeout / 1000.0)


def ip_version(text: object) -> int:
    """Node's ``net.isIP``: 4, 6 or 0."""
    if not isinstance(text, str) or not text:
        return 0
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return 0


def _interleave(addresses: Sequence[Address]) -> list[Address]:
    first = addresses[0][0]
    same = [a for a in addresses if a[0] == first]
    other = [a for a in addresses if a[0] != first]
    merged: list[Address] = []
    for index in range(max(len(same), len(other))):
        merged.extend(group[index] for group in (same, other) if index < len(group))
    return merged


async def resolve(host: str, options: LookupOptions, on_lookup: LookupCallback | None) -> (
    list[Address]
):
    """The addresses of ``host`` (see the module's docstring); raises the lookup's error."""
    version = ip_version(host)
    if version:
        return [(_AF[version], host)]
    query: dict[str, Any] = {}
    if options.family:
        query["family"] = options.family
    hints = options.hints or (0 if options.family else socket.AI_ADDRCONFIG)
    query["hints"] = hints
    if options.auto_select_family:
        query["all"] = True
    try:
        answer = await _lookup(options.lookup or _default_lookup, host, query)
        addresses = _addresses(answer)
    except Exception as exc:
        if on_lookup is not None:
            on_lookup(exc, None, None, host)
        raise
    if on_lookup is not None:
        first = addresses[0]
        on_lookup(None, first[1], 6 if first[0] == socket.AF_INET6 else 4, host)
    return addresses


async def _lookup(lookup: Callable[..., Any], host: str, query: dict[str, Any]) -> Any:
    """Call ``lookup(host, query, cb)``; resolves to what ``cb`` answered."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Any] = loop.create_future()

    def cb(err: BaseException | None = None, address: Any = None, family: Any = None) -> None:
        if answer.done():
            return
        if err is not None:
            answer.set_exception(err)
        else:
            answer.set_result(address if isinstance(address, list) else [
                {"address": address, "family": family}])

    result = lookup(host, query, cb)
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        await result  # an async def lookup: it still answers through cb
    return await answer


def _addresses(answer: Sequence[Mapping[str, Any]]) -> list[Address]:
    addresses: list[Address] = []
    for entry in answer:
        address = entry.get("address") if isinstance(entry, Mapping) else None
        version = ip_version(address)
        if not version:
            raise ERR_INVALID_IP_ADDRESS(address)
        assert isinstance(address, str)
        if (_AF[version], address) not in addresses:
            addresses.append((_AF[version], address))
    if not addresses:
        raise ERR_INVALID_IP_ADDRESS(None)
    return addresses


def _default_lookup(host: str, query: Mapping[str, Any],
                    cb: Callable[..., None]) -> asyncio.Future[None]:
    """``dns.lookup``: ``getaddrinfo`` in the loop's executor."""

    async def run() -> None:
        family = _AF.get(query.get("family", 0), socket.AF_UNSPEC)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, family=family, type=socket.SOCK_STREAM, flags=query["hints"])
        except socket.gaierror as exc:
            cb(dns_exception(exc, host))
            return
        found = [{"address": str(info[4][0]), "family": 6 if info[0] == socket.AF_INET6 else 4}
                 for info in infos]
        if query.get("all"):
            cb(None, found)
        else:
            cb(None, found[0]["address"], found[0]["family"])

    return asyncio.ensure_future(run())
