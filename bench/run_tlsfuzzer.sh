#!/usr/bin/env bash
# Run the selected tlsfuzzer server scripts against one TLS server; by hand, never in CI.
#
#   bench/run_tlsfuzzer.sh TLSFUZZER_DIR HOST PORT rsa|ecdsa [OUT_DIR]
#
# TLSFUZZER_DIR is a checkout of tlsfuzzer (github.com/tlsfuzzer/tlsfuzzer); PYTHON (default
# python3) must import tlslite-ng and ecdsa at the versions its requirements.txt names
# (tlsfuzzer's current scripts need tlslite-ng 0.9.0b2: pip install --pre), e.g. a venv of
# their own.  The server is an echo server with a self-signed certificate of the given key
# type, e.g. `python bench/hardened_server.py --kind hardened --key-type rsa --port 4433`.
# Each script's log goes to OUT_DIR (default ./tlsfuzzer-<key type>-<port>); one line per
# script, PASS or FAIL (exit code), then "N of M scripts passed".
#
# The selection: tlsfuzzer's server-side scripts that apply to a server configured as
# Node's default (TLS 1.2 and 1.3, Node's default ciphers, no DHE parameters, no client
# certificates, tickets on), with the arguments that describe that configuration.
set -u
dir=${1:?tlsfuzzer checkout}; host=${2:?host}; port=${3:?port}; kind=${4:?rsa or ecdsa}
out=${5:-./tlsfuzzer-$kind-$port}
py=${PYTHON:-python3}
limit=${SCRIPT_TIMEOUT:-600}

# "script|argument|argument...": 40 for an RSA certificate...
RSA=(
  # TLS 1.3 (25)
  "test-tls13-conversation.py"
  "test-tls13-hrr.py"
  "test-tls13-count-tickets.py|-t|2"
  "test-tls13-session-resumption.py|--client-pke|psk_dhe_ke|-e|sanity - TLS 1.2|-e|use TLS 1.2 ticket in TLS 1.3"
  "test-tls13-keyupdate.py"
  "test-tls13-legacy-version.py"
  "test-tls13-nociphers.py"
  "test-tls13-record-padding.py"
  "test-tls13-version-negotiation.py"
  "test-tls13-zero-length-data.py"
  "test-tls13-rsa-signatures.py"
  "test-tls13-signature-algorithms.py"
  "test-tls13-ecdhe-curves.py"
  "test-tls13-empty-alert.py"
  "test-tls13-unencrypted-alert.py"
  "test-tls13-invalid-ciphers.py"
  "test-tls13-finished.py"
  "test-tls13-ccs.py"
  "test-tls13-multiple-ccs-messages.py"
  "test-tls13-zero-content-type.py"
  "test-tls13-keyshare-omitted.py"
  "test-tls13-serverhello-random.py"
  "test-tls13-finished-plaintext.py"
  "test-tls13-unrecognised-groups.py"
  "test-tls13-obsolete-curves.py"
  # TLS 1.2 (15); -d: (EC)DHE and the extensions OpenSSL 3 needs to pick an RSA
  # signature (without signature_algorithms TLS 1.2 means SHA-1, refused at any level)
  "test-conversation.py|-d"
  "test-sessionID-resumption.py|-d"
  "test-session-ticket-resumption.py|-d"
  "test-renegotiation-disabled.py|-d"
  "test-legacy-renegotiation.py|-d"
  "test-extended-master-secret-extension.py|-d"
  "test-encrypt-then-mac.py|-d"
  "test-fallback-scsv.py|-d"
  "test-downgrade-protection.py|-d"
  "test-ccs.py|-d"
  "test-no-heartbeat.py|-d"
  "test-zero-length-data.py|-d"
  "test-truncating-of-client-hello.py|-d"
  "test-invalid-client-hello-w-record-overflow.py|-d"
  "test-record-layer-fragmentation.py|-d"
)
# ...and 16 for an ECDSA (P-256) certificate.
ECDSA=(
  # TLS 1.3 (7): the scripts whose ClientHello offers ECDSA signature schemes (most
  # offer RSA ones only and cannot reach an ECDSA server)
  "test-tls13-conversation.py"
  "test-tls13-ecdsa-support.py"
  "test-tls13-ecdhe-curves.py"
  "test-tls13-unencrypted-alert.py"
  "test-tls13-zero-content-type.py"
  "test-tls13-multiple-ccs-messages.py"
  "test-tls13-obsolete-curves.py"
  # TLS 1.2 (9)
  "test-sessionID-resumption.py|-d"
  "test-session-ticket-resumption.py|-d"
  "test-renegotiation-disabled.py|-d"
  "test-hello-request-by-client.py|-d"
  "test-conversation.py|-d"
  "test-ecdsa-sig-flexibility.py"
  "test-ccs.py|-d"
  "test-zero-length-data.py|-d"
  "test-record-layer-fragmentation.py|-d"
)

if [ "$kind" = rsa ]; then scripts=("${RSA[@]}"); else scripts=("${ECDSA[@]}"); fi
mkdir -p "$out"
passed=0
for entry in "${scripts[@]}"; do
  IFS='|' read -r -a fields <<< "$entry"
  name=${fields[0]}
  args=("${fields[@]:1}")
  PYTHONPATH=$dir timeout "$limit" "$py" "$dir/scripts/$name" -h "$host" -p "$port" \
    "${args[@]}" > "$out/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then passed=$((passed + 1)); echo "PASS  $name"; else echo "FAIL  $name (exit $rc)"; fi
done
echo "$passed of ${#scripts[@]} scripts passed"
