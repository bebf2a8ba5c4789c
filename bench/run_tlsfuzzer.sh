#!/usr/bin/env bash
# Run the selected tlsfuzzer server scripts against one TLS server; by hand, never in CI.
#
#   bench/run_tlsfuzzer.sh TLSFUZZER_DIR HOST PORT rsa|ecdsa [node|hardened] [OUT_DIR]
#
# TLSFUZZER_DIR is a checkout of tlsfuzzer (github.com/tlsfuzzer/tlsfuzzer); PYTHON (default
# python3) must import tlslite-ng and ecdsa at the versions its requirements.txt names
# (tlsfuzzer's current scripts need tlslite-ng 0.9.0b2: pip install --pre), e.g. a venv of
# their own.  The server answers HTTP requests with a certificate of the given key type,
# e.g. `python bench/hardened_server.py --kind hardened --app http --key-type rsa`.
# Each script's log goes to OUT_DIR (default ./tlsfuzzer-<key type>-<port>); one line per
# script, PASS or FAIL (exit code), then "N of M scripts passed".
#
# The arguments describe the server, as OpenSSL's own tlsfuzzer run does
# (test/recipes/95-test_external_tlsfuzzer_data/cert.json.in): TLS 1.2 and 1.3 only
# (Node's min_version), ECDHE only (no dhparam: -d), Node's ciphers, tickets on.  The
# profile (default `node`) says how the server treats a client's renegotiation: `node`
# accepts it, `hardened` (allow_client_renegotiation=False) refuses it, so the probes
# that need a renegotiation to succeed cannot apply there and are excluded (HARDENED below).
# A probe is excluded (-e) only when it cannot apply to such a server; where OpenSSL 3.0
# answers with another alert than the one the script prefers, the probe is declared an
# expected failure with the exact answer (-x/-X), so the script still fails if the
# server's answer changes.  Every exclusion and expected failure has its reason beside it.
set -u
dir=${1:?tlsfuzzer checkout}; host=${2:?host}; port=${3:?port}; kind=${4:?rsa or ecdsa}
profile=${5:-node}
out=${6:-./tlsfuzzer-$kind-$port}
py=${PYTHON:-python3}
limit=${SCRIPT_TIMEOUT:-600}

# The probes of each script that need TLS 1.0/1.1 (below Node's min_version TLSv1.2).
OLD_TLS=(
  # test-extended-master-secret-extension.py
  "-e" "sanity TLSv1.1" "-e" "extended master secret in TLSv1.1"
)
# OpenSSL 3.0 chooses these alerts (s_server answers the same):
LEGACY_VERSION=(  # legacy_version (3, 0) in a TLS 1.3 ClientHello: handshake_failure
  "-x" "version (3, 0)" "-X" 'received "handshake_failure"')
PADDING=(  # a ClientHello over its maximum message size: illegal_parameter (statem)
  "-x" 'huge pad: 131584 of "0" byte padding' "-X" 'received "illegal_parameter"'
  "-x" 'max pad: 16777021 of "0" byte padding' "-X" 'received "illegal_parameter"')
LEGACY_RENEG=(  # renegotiation without RFC 5746: a warning no_renegotiation, not fatal
  "-x" "insecure (legacy) renegotiation with GET after 2nd handshake"
  "-X" "Alert(warning, no_renegotiation)"
  "-x" "insecure (legacy) renegotiation with incomplete GET"
  "-X" "Alert(warning, no_renegotiation)")
FINISHED=(  # a TLS 1.3 Finished longer than 64 bytes: illegal_parameter (statem's size check)
  "-n" "0")
for cipher in "TLS_AES_128_GCM_SHA256 48 16348 131072 196608 16777183 -- 48 16348" \
              "TLS_AES_256_GCM_SHA384 32 48 16332 131072 196608 16777167 -- 32 48 16332"; do
  read -r -a pads <<< "$cipher"; side=right
  for pad in "${pads[@]:1}"; do
    if [ "$pad" = -- ]; then side=left; continue; fi
    if [ $side = right ]; then l=0 r=$pad; else l=$pad r=0; fi
    FINISHED+=("-x" "padding - cipher ${pads[0]}, pad_byte 0, pad_left $l, pad_right $r"
               "-X" "illegal_parameter")
  done
done
KEYUPDATE=(  # a KeyUpdate past its size: illegal_parameter; and the answer to a KeyUpdate
  # that asks for one goes out with the server's next write, not on its own (s_server too)
  "-n" "0" "-x" "large KeyUpdate message" "-X" 'received "illegal_parameter"'
  "-x" "app data split, conversation with KeyUpdate msg"
  "-X" "Timeout when waiting for peer message")
OVERFLOW=(  # all probes (-n 0), OpenSSL's arguments; a session id length that overruns
  # the ClientHello: illegal_parameter
  "-n" "0" "-d" "--ems" "-C" "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
  "-x" "session ID len fuzz to 5 w/ext" "-X" 'received "illegal_parameter"')
ECDSA_SCHEMES=(  # one P-256 certificate: a TLS 1.3 scheme names its curve, so a client that
  # allows only P-384, P-521 or brainpool signatures gets handshake_failure
  "-x" "Test with ecdsa_secp384r1_sha384" "-X" "Alert(fatal, handshake_failure)"
  "-x" "Test with ecdsa_secp521r1_sha512" "-X" "Alert(fatal, handshake_failure)"
  "-x" "Test with ecdsa_brainpoolP256r1tls13_sha256" "-X" "Alert(fatal, handshake_failure)"
  "-x" "Test with ecdsa_brainpoolP384r1tls13_sha384" "-X" "Alert(fatal, handshake_failure)"
  "-x" "Test with ecdsa_brainpoolP512r1tls13_sha512" "-X" "Alert(fatal, handshake_failure)")
SHA1_SIG=(  # SHA-1 signatures are refused at OpenSSL 3's default security level (1)
  "-x" "connect with sha1+ecdsa only" "-X" "Alert(fatal, handshake_failure)")
MULTI_CCS=(  # a ChangeCipherSpec record that is not exactly one byte 0x01, or a second
  # one: decode_error; a ChangeCipherSpec right after the ClientHello (before the
  # ServerHello) makes OpenSSL 3.0 end the connection (s_server: decode_error; nodetls and
  # Node destroy the socket on that error, so the script sees the connection close)
  # (the alert is not always read before the close, so no -X)
  "-x" "multiple CCS Messages in one TLS record" "-x" "second CCS before client finished"
  "-x" "multiple CCS Messages in one TCP packet"
  "-x" "CH and multiple CCS Messages in one TCP packet" "-x" "sanity with one CCS message")

# "script|argument|argument...": 40 for an RSA certificate...
RSA=(
  # TLS 1.3 (25); -n 0: every probe of the scripts that otherwise run a random sample
  "test-tls13-conversation.py"
  "test-tls13-hrr.py"
  "test-tls13-count-tickets.py|-t|2"
  "test-tls13-session-resumption.py|--client-pke|psk_dhe_ke|-e|sanity - TLS 1.2|-e|use TLS 1.2 ticket in TLS 1.3"
  "test-tls13-keyupdate.py|${KEYUPDATE[*]@Q}"
  "test-tls13-legacy-version.py|${LEGACY_VERSION[*]@Q}"
  "test-tls13-nociphers.py"
  "test-tls13-record-padding.py"
  # TLS 1.1 is below min_version
  "test-tls13-version-negotiation.py|-n|0|-e|fallback from TLS 1.8 to 1.1"
  "test-tls13-zero-length-data.py"
  "test-tls13-rsa-signatures.py"
  "test-tls13-signature-algorithms.py|-n|0"
  "test-tls13-ecdhe-curves.py"
  "test-tls13-empty-alert.py"
  "test-tls13-unencrypted-alert.py"
  "test-tls13-invalid-ciphers.py|-n|0"
  "test-tls13-finished.py|${FINISHED[*]@Q}"
  "test-tls13-ccs.py"
  "test-tls13-multiple-ccs-messages.py|${MULTI_CCS[*]@Q}"
  "test-tls13-zero-content-type.py"
  "test-tls13-keyshare-omitted.py"
  "test-tls13-serverhello-random.py"
  "test-tls13-finished-plaintext.py|-n|0"
  "test-tls13-unrecognised-groups.py"
  # OpenSSL refuses an obsolete group alone with handshake_failure (-a) and ignores it
  # beside a supported one (--relaxed), as RFC 8446 lets a server ignore unknown groups
  "test-tls13-obsolete-curves.py|-a|handshake_failure|--relaxed"
  # TLS 1.2 (15); -d: (EC)DHE and the extensions OpenSSL 3 needs to pick an RSA
  # signature (without signature_algorithms TLS 1.2 means SHA-1, refused at any level)
  "test-conversation.py|-d"
  "test-sessionID-resumption.py|-d"
  # Node's ticket callback does not renew a ticket it resumes from
  "test-session-ticket-resumption.py|-d|--no-new-ticket-on-resumption"
  "test-renegotiation-disabled.py|-d"
  "test-legacy-renegotiation.py|-d|${LEGACY_RENEG[*]@Q}"
  # no DHE: Node configures no dhparam, so the DHE probe cannot apply
  "test-extended-master-secret-extension.py|-d|${OLD_TLS[*]@Q}|-e|extended master secret w/DHE"
  "test-encrypt-then-mac.py|-d"
  "test-fallback-scsv.py|-d|--tls-1.3|--min-support|TLSv1.2"
  # TLS 1.0/1.1 are below min_version: no downgrade to them can be checked
  "test-downgrade-protection.py|-d|--server-max-protocol|TLSv1.3|-e|TLS 1.3 downgrade check for Protocol (3, 1)|-e|TLS 1.3 downgrade check for Protocol (3, 2)"
  "test-ccs.py|-d"
  "test-no-heartbeat.py|-d"
  "test-zero-length-data.py|-d"
  "test-truncating-of-client-hello.py|-d|${PADDING[*]@Q}"
  "test-invalid-client-hello-w-record-overflow.py|${OVERFLOW[*]@Q}"
  "test-record-layer-fragmentation.py|-d"
)
# ...and 16 for an ECDSA (P-256) certificate.
ECDSA=(
  # TLS 1.3 (7): the scripts whose ClientHello offers ECDSA signature schemes (most
  # offer RSA ones only and cannot reach an ECDSA server)
  "test-tls13-conversation.py"
  "test-tls13-ecdsa-support.py|${ECDSA_SCHEMES[*]@Q}"
  "test-tls13-ecdhe-curves.py"
  "test-tls13-unencrypted-alert.py"
  "test-tls13-zero-content-type.py"
  "test-tls13-multiple-ccs-messages.py|${MULTI_CCS[*]@Q}"
  "test-tls13-obsolete-curves.py|-a|handshake_failure|--relaxed"
  # TLS 1.2 (9)
  "test-sessionID-resumption.py|-d"
  "test-session-ticket-resumption.py|-d|--no-new-ticket-on-resumption"
  "test-renegotiation-disabled.py|-d"
  "test-hello-request-by-client.py|-d"
  "test-conversation.py|-d"
  "test-ecdsa-sig-flexibility.py|${SHA1_SIG[*]@Q}"
  "test-ccs.py|-d"
  "test-zero-length-data.py|-d"
  "test-record-layer-fragmentation.py|-d"
)
# A server that refuses a client's renegotiation: the probes that renegotiate as part of
# what they check cannot apply (test-renegotiation-disabled.py checks the refusal itself).
declare -A HARDENED=(
  ["test-session-ticket-resumption.py"]="-e 'session resumption with renegotiation' -e 'renegotiation with removal of session_ticket ext'"
  ["test-extended-master-secret-extension.py"]="-e 'extended master secret with renegotiation' -e 'renegotiate with EMS in session without EMS' -e 'renegotiate without EMS in session with EMS'"
  ["test-legacy-renegotiation.py"]="-e 'secure renegotiation with GET after 2nd handshake' -e 'secure renegotiation with incomplete GET' -e 'sending both SCSV and renegotiation_info in renegotiated handshake' -e 'sending both SCSV and renegotiation_info in renegotiation+resumption'"
)

# A server that accepts it (Node's default): OpenSSL 3.0 refuses a renegotiation that
# drops extended master secret from a session that had it (RFC 7627 consistency).
declare -A NODE=(
  ["test-extended-master-secret-extension.py"]="-x 'renegotiate without EMS in session with EMS' -X 'Alert(fatal, handshake_failure)'"
)

if [ "$kind" = rsa ]; then scripts=("${RSA[@]}"); else scripts=("${ECDSA[@]}"); fi
mkdir -p "$out"
passed=0
for entry in "${scripts[@]}"; do
  IFS='|' read -r -a fields <<< "$entry"
  name=${fields[0]}
  args=()
  # a field is one argument, or several quoted ones (the lists above, expanded with @Q)
  for field in "${fields[@]:1}"; do
    if [[ $field == \'* ]]; then eval "args+=($field)"; else args+=("$field"); fi
  done
  if [ "$profile" = hardened ]; then extra=${HARDENED[$name]:-}; else extra=${NODE[$name]:-}; fi
  eval "args+=($extra)"
  PYTHONPATH=$dir timeout "$limit" "$py" "$dir/scripts/$name" -h "$host" -p "$port" \
    "${args[@]}" > "$out/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then passed=$((passed + 1)); echo "PASS  $name"; else echo "FAIL  $name (exit $rc)"; fi
done
echo "$passed of ${#scripts[@]} scripts passed"
