#!/usr/bin/env bash
# One run of every robustness check against every kind of server, side by side; by hand.
#
#   bench/robustness_run.sh TLSFUZZER_DIR [OUT_DIR] [KIND...]
#
# For each kind of bench/hardened_server.py (default: default hardened hardened-aead node),
# one after the other (the checks load the machine; never two at once): the eleven abuse
# probes against its echo server (bench/abuse_probes.py), tlsfuzzer against its HTTP
# server with an RSA and with an ECDSA certificate (bench/run_tlsfuzzer.sh, the `hardened`
# profile for the kinds that refuse client renegotiation), and the 36 outside-client
# checks against the RSA one (bench/outside_clients.py).  Each server is stopped by its
# PID.  Logs go to OUT_DIR (default ./robustness); the last lines are the summary table.
#
# Environment: PYTHON (default python3) runs nodetls and the bench scripts (PYTHONPATH
# must reach src/); TLSFUZZER_PYTHON the tlsfuzzer venv's python; SSLYZE, TESTSSL,
# GNUTLS_CLI, CURL the tools (default: from PATH); BASE_PORT (default 4540).
set -u
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=${1:?tlsfuzzer checkout}; out=${2:-./robustness}; shift $(( $# < 2 ? $# : 2 ))
kinds=("$@"); [ ${#kinds[@]} -eq 0 ] && kinds=(default hardened hardened-aead node)
py=${PYTHON:-python3}
port=${BASE_PORT:-4540}
mkdir -p "$out"
declare -A summary

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  server_pid=
}
trap stop_server EXIT

# start_server LOG ARGS...: start bench/hardened_server.py and wait for "listening"
start_server() {
  local log=$1; shift
  port=$((port + 1))
  "$py" "$here/hardened_server.py" --port "$port" "$@" > "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    grep -q '^listening' "$log" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start: $log" >&2; return 1
}

last() { tail -n 1 "$1" | grep -o '^[0-9]* of [0-9]*'; }

for kind in "${kinds[@]}"; do
  profile=node; [[ $kind == hardened* ]] && profile=hardened
  dir="$out/$kind"; mkdir -p "$dir"
  echo "== $kind"

  start_server "$dir/server-echo.log" --kind "$kind" --app echo
  "$py" "$here/abuse_probes.py" "127.0.0.1:$port" > "$dir/probes.txt" 2>&1
  stop_server
  summary[$kind,probes]=$(last "$dir/probes.txt")

  for key in rsa ecdsa; do
    start_server "$dir/server-http-$key.log" --kind "$kind" --app http --key-type "$key"
    PYTHON=${TLSFUZZER_PYTHON:-python3} bash "$here/run_tlsfuzzer.sh" "$fuzzer" 127.0.0.1 \
      "$port" "$key" "$profile" "$dir/tlsfuzzer-$key" > "$dir/tlsfuzzer-$key.txt" 2>&1
    summary[$kind,$key]=$(last "$dir/tlsfuzzer-$key.txt")
    if [ "$key" = rsa ]; then
      "$py" "$here/outside_clients.py" "127.0.0.1:$port" --out "$dir/outside" \
        --sslyze "${SSLYZE:-sslyze}" --testssl "${TESTSSL:-testssl}" \
        --gnutls-cli "${GNUTLS_CLI:-gnutls-cli}" --curl "${CURL:-curl}" \
        > "$dir/outside.txt" 2>&1
      summary[$kind,outside]=$(last "$dir/outside.txt")
    fi
    stop_server
  done
  grep -h '^FAIL' "$dir"/*.txt | sed 's/^/   /'
done

printf '\n%-14s %-16s %-16s %-16s %-10s\n' kind "tlsfuzzer RSA" "tlsfuzzer ECDSA" outside probes
for kind in "${kinds[@]}"; do
  printf '%-14s %-16s %-16s %-16s %-10s\n' "$kind" "${summary[$kind,rsa]}" \
    "${summary[$kind,ecdsa]}" "${summary[$kind,outside]}" "${summary[$kind,probes]}"
done
