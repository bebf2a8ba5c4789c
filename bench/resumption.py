"""Session resumption cost, nodetls against Node, in one run of ``shared/bench``.

Runs the shared harness (``bench.py`` with its C ``loadgen``) on the ``res13`` and
``res12`` tests for ``bench/project_server.py`` (nodetls with default options) and
Node's reference server, then prints, per test, the medians over the repetitions and
the ratio nodetls/Node:

* ``res/s``: resumption handshakes per second (each: connect, resumed handshake, 1-byte
  echo, close; the loadgen offers a fresh ticket from its pool every time);
* ``cpu/1k``: server CPU-seconds per 1000 connections, whatever they turned into;
* ``resumed``: the share of connections the server resumed.  Node's TLS 1.3 server
  issues no ticket on a resumed connection, so the loadgen runs out of fresh tickets
  and about a third of Node's connections are full handshakes; nodetls renews the
  ticket (as OpenSSL does by default) and resumes them all;
* ``cpu/1k resumed``: the same CPU divided by the resumed connections only, an upper
  bound of the cost of one resumption (for Node it still includes the full handshakes).

Usage (the harness must be built: ``shared/bench/setup.sh``)::

    bench/run_resumption.sh                       # or:
    .venv/bin/python bench/resumption.py --sbench /tmp/sbench --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = ("res13", "res12")


def run_harness(sbench: Path, jsonl: Path, certs: str, reps: int) -> None:
    jsonl.unlink(missing_ok=True)
    cmd = [sys.executable, "./bench.py", "--servers", f"{HERE / 'project_server.py'},node",
           "--tests", ",".join(TESTS), "--certs", certs, "--reps", str(reps), "--no-limits",
           "--jsonl", str(jsonl), "--md", str(jsonl.with_suffix(".md"))]
    env = {**os.environ, "BENCH_PYTHON": sys.executable}
    subprocess.run(cmd, cwd=sbench, env=env, check=True, timeout=1800)


def medians(jsonl: Path) -> dict[tuple[str, str], dict[str, float]]:
    """(server, test) -> median res/s, cpu/1k, resumed fraction, cpu/1k resumed."""
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for line in jsonl.read_text().splitlines():
        record = json.loads(line)
        if record.get("test") not in TESTS or "lg" not in record:
            continue
        lg = record["lg"]
        ops, resumed = lg["ops"], lg["resumed"]
        runs.setdefault((record["server"], record["test"]), []).append({
            "res/s": lg["ops_per_s"],
            "cpu/1k": record["server_cpu_s"] / ops * 1000,
            "resumed": resumed / ops,
            "cpu/1k resumed": record["server_cpu_s"] / max(resumed, 1) * 1000,
        })
    return {key: {name: statistics.median(r[name] for r in reps) for name in reps[0]}
            for key, reps in runs.items()}


def report(table: dict[tuple[str, str], dict[str, float]]) -> str:
    names = ("res/s", "cpu/1k", "resumed", "cpu/1k resumed")
    lines = ["| test | metric | nodetls | Node | nodetls/Node |", "|---|---|---|---|---|"]
    for test in TESTS:
        ours, node = table.get(("project_server", test)), table.get(("node", test))
        if ours is None or node is None:
            continue
        for name in names:
            fmt = "{:.0%}" if name == "resumed" else "{:.3f}" if "cpu" in name else "{:.0f}"
            ratio = ours[name] / node[name] if node[name] else float("nan")
            lines.append(f"| {test} | {name} | {fmt.format(ours[name])} | "
                         f"{fmt.format(node[name])} | {ratio:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sbench", type=Path,
                        default=Path(os.environ.get("SBENCH", HERE.parent.parent / "shared"
                                                    / "bench")),
                        help="the built shared/bench directory (with ./loadgen)")
    parser.add_argument("--certs", default="ecdsa-p256")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--jsonl", type=Path, default=Path("/tmp/nodetls-resumption.jsonl"))
    parser.add_argument("--report-only", action="store_true",
                        help="only summarise an existing --jsonl")
    args = parser.parse_args()
    if not args.report_only:
        run_harness(args.sbench, args.jsonl, args.certs, args.reps)
    print(report(medians(args.jsonl)))


if __name__ == "__main__":
    main()
