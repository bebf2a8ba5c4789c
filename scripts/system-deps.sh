#!/usr/bin/env bash
# System packages nodetls needs to build and test: a C compiler, the OpenSSL 3 headers,
# the openssl CLI (interop tests), Node.js (the oracle for the interop tests) and
# redis-server (the fleet test: servers sharing sessions through a real Redis).
# Installs only what is missing, with apt-get when running as root (CI, fresh machines).
set -euo pipefail
missing=()
command -v gcc >/dev/null || missing+=(gcc)
[[ -e /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
command -v openssl >/dev/null || missing+=(openssl)
command -v node >/dev/null || missing+=(nodejs)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v pkg-config >/dev/null || missing+=(pkg-config)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
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
