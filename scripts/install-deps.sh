#!/usr/bin/env bash
# Installs the system packages the build needs, if they are missing: RocksDB (ebl-node) is C++ whose
# Rust bindings bindgen generates with libclang. Used by `make test` and by CI.
set -euo pipefail
PACKAGES=(clang libclang-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "installing ${missing[*]} (needed to build RocksDB)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
