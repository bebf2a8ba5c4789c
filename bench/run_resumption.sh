#!/usr/bin/env bash
# Resumed handshakes per second and server CPU per 1000 resumptions, nodetls vs Node, in
# one run of ../shared/bench (tests res13 and res12).  See bench/resumption.py.
#   SBENCH=/tmp/sbench bench/run_resumption.sh --reps 3 --certs ecdsa-p256
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec "${PYTHON:-$top/.venv/bin/python}" "$top/bench/resumption.py" "$@"
