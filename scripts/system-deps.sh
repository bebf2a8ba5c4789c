#!/usr/bin/env bash
# System packages nodetls needs, by what is about to run:
#   scripts/system-deps.sh demo   build and run: a C compiler, the OpenSSL 3 headers,
#                                 pkg-config, Python's venv
#   scripts/system-deps.sh docs   build the documentation: Python's venv
#   scripts/system-deps.sh test   (the default) everything: the demo's, plus the openssl CLI
#                                 (interop tests), Node.js (the oracle for the interop tests)
#                                 and redis-server (the fleet tests)
# Installs only what is missing, with apt-get when running as root (CI, fresh machines).
set -euo pipefail
profile=${1:-test}
case $profile in demo | docs | test) ;; *) echo "usage: $0 [demo|docs|test]" >&2; exit 2 ;; esac
missing=()
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [[ $profile != docs ]]; then
  command -v gcc >/dev/null || missing+=(gcc)
  [[ -e /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
fi
if [[ $profile == test ]]; then
  command -v openssl >/dev/null || missing+=(openssl)
  command -v node >/dev/null || missing+=(nodejs)
  command -v redis-server >/dev/null || missing+=(redis-server)
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "nodetls: please install: ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
