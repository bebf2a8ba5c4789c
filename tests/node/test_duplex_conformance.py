"""The Duplex conformance suite over every kind of connected pair layer 3 offers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.node.duplex_conformance import ALL_CHECKS, PairFactory


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
async def test_conformance(
    make_pair: PairFactory, check: Callable[[PairFactory], Awaitable[None]]
) -> None:
    await check(make_pair)
