"""The bounded fuzz run of the normal suite: every target, a fixed budget of examples.

Inputs are arbitrary bytes or a seed of ``make_corpus.seeds()`` mutated (bytes
overwritten, inserted, deleted, or the input cut).  The run is derandomized, so CI sees
the same inputs every time (a finding here is a regression); ``make fuzz`` runs the same
targets under atheris, coverage-guided and for as long as asked.  The budget (about two
minutes for all targets together on a small CI machine) is the ``max_examples`` below; a
single example slower than ``deadline`` is a finding too (a hang).
"""

from __future__ import annotations

import datetime
import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import targets
from tests.fuzz.make_corpus import seeds

BUDGET = {
    "engine_receive": 4000,
    "options": 4000,
    "pem_der_pfx": 3000,
    "cert_object": 1500,
    "identity": 6000,
    "session": 2000,
    "ticket_keys": 1000,
}


@functools.cache
def corpus() -> dict[str, list[bytes]]:
    return seeds()


@st.composite
def mutated(draw: st.DrawFn, target: str) -> bytes:
    data = bytearray(draw(st.sampled_from(corpus()[target])))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("put", "insert", "delete", "cut")))
        chunk = draw(st.binary(min_size=1, max_size=8))
        if op == "put":
            data[at:at + len(chunk)] = chunk
        elif op == "insert":
            data[at:at] = chunk
        elif op == "delete":
            del data[at:at + len(chunk)]
        else:
            del data[at:]
    return bytes(data)


def inputs(target: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=512), st.deferred(lambda: mutated(target)))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("target", sorted(targets.TARGETS))
def test_fuzz(target: str) -> None:
    @settings(max_examples=BUDGET[target], deadline=datetime.timedelta(seconds=2),
              derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(inputs(target))
    def run(data: bytes) -> None:
        targets.TARGETS[target](data)

    run()
