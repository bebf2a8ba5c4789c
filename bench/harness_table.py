"""Issue-style ratio table from the JSONL records of one run of the load-generation harness.

The harness (a C load generator, a minimal C server, Node's server; see
docs/guides/performance.md) appends one JSON record per measurement.  This script takes the
median of each server x certificate x test and prints one markdown row per test and
certificate: nodetls's figure, Node's, the C floor's, and the three ratios the performance
goals are stated in (nodetls / Node, nodetls / C floor, uvloop / asyncio).  Lower is better
everywhere.  Only records from one run should be passed: ratios across runs on a shared
machine mean little.

    python bench/harness_table.py results.jsonl [--nodetls nodetls] [--uvloop nodetls-uvloop]
        [--compact]

``--compact`` prints only the ratios, RSA and ECDSA side by side (the README's table).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

# (test, metric, label), in the order of the table.
ROWS = (
    ("hs13", "cpu_s_per_1k", "TLS 1.3 full handshake, CPU-s / 1000"),
    ("hs12", "cpu_s_per_1k", "TLS 1.2 full handshake, CPU-s / 1000"),
    ("res13", "cpu_s_per_1k", "TLS 1.3 resumption, CPU-s / 1000"),
    ("res12", "cpu_s_per_1k", "TLS 1.2 resumption, CPU-s / 1000"),
    ("pingpong", "cpu_s_per_1k", "64-byte ping-pong, CPU-s / 1000 round trips"),
    ("bulk-sink", "cpu_s_per_GiB", "bulk sink (decrypt), CPU-s / GiB"),
    ("bulk-echo", "cpu_s_per_GiB", "bulk echo (decrypt + encrypt), CPU-s / GiB"),
    ("idle", "kib_per_conn", "idle connection, KiB"),
)
CERTS = (("rsa2048", "RSA"), ("ecdsa-p256", "ECDSA"))

Medians = dict[tuple[str, str, str], float]


def medians(path: Path) -> tuple[Medians, Medians]:
    """Median of each (server, cert, test) metric, and of its resumed fraction."""
    values: defaultdict[tuple[str, str, str], list[float]] = defaultdict(list)
    resumed: defaultdict[tuple[str, str, str], list[float]] = defaultdict(list)
    metric = {test: name for test, name, _ in ROWS}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        test = rec.get("test")
        if test not in metric or metric[test] not in rec:
            continue
        key = (rec["server"], rec["cert"], test)
        values[key].append(float(rec[metric[test]]))
        if "resumed_frac" in rec:
            resumed[key].append(float(rec["resumed_frac"]))
    return ({k: statistics.median(v) for k, v in values.items()},
            {k: statistics.median(v) for k, v in resumed.items()})


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(med: Medians, resumed: Medians, ours: str, uvloop: str) -> str:
    head = ("| test | cert | nodetls (asyncio) | nodetls (uvloop) | Node 20 | C floor "
            "| nodetls / Node | nodetls / C floor | uvloop / asyncio |")
    lines = [head, "|" + "---|" * 9]
    notes = []
    for test, _, label in ROWS:
        for cert, cert_label in CERTS:
            a, u = med.get((ours, cert, test)), med.get((uvloop, cert, test))
            n, c = med.get(("node", cert, test)), med.get(("c-ref", cert, test))
            worst = max((x for x in (a, u) if x is not None), default=None)
            lines.append(f"| {label} | {cert_label} | {fmt(a)} | {fmt(u)} | {fmt(n)} | {fmt(c)} "
                         f"| {ratio(worst, n)} | {ratio(worst, c)} | {ratio(u, a)} |")
            frac = resumed.get(("node", cert, test))
            if frac is not None and frac < 0.99:
                notes.append(f"Node resumed {frac:.0%} of the {cert_label} {test} connections.")
    lines.append("")
    lines.append("The two nodetls ratios use the higher of its asyncio and uvloop figures.")
    lines.extend(notes)
    return "\n".join(lines)


def compact(med: Medians, ours: str, uvloop: str) -> str:
    lines = ["| test | nodetls / Node (RSA, ECDSA) | nodetls / C floor (RSA, ECDSA) "
             "| uvloop / asyncio (RSA, ECDSA) |", "|---|---|---|---|"]
    for test, _, label in ROWS:
        cells: list[list[str]] = [[], [], []]
        for cert, _ in CERTS:
            a, u = med.get((ours, cert, test)), med.get((uvloop, cert, test))
            worst = max((x for x in (a, u) if x is not None), default=None)
            cells[0].append(ratio(worst, med.get(("node", cert, test))))
            cells[1].append(ratio(worst, med.get(("c-ref", cert, test))))
            cells[2].append(ratio(u, a))
        lines.append(f"| {label.split(',')[0]} | " + " | ".join(", ".join(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--nodetls", default="nodetls", help="server name of nodetls on asyncio")
    parser.add_argument("--uvloop", default="nodetls-uvloop", help="server name on uvloop")
    parser.add_argument("--compact", action="store_true", help="ratios only, both certificates")
    args = parser.parse_args()
    med, resumed = medians(args.jsonl)
    if args.compact:
        print(compact(med, args.nodetls, args.uvloop))
    else:
        print(table(med, resumed, args.nodetls, args.uvloop))


if __name__ == "__main__":
    main()
