#!/usr/bin/env bash
# Installs the system packages the build and the tests need, if they are missing: RocksDB (ebl-node)
# is C++ whose Rust bindings bindgen generates with libclang; the web portal's browser tests
# (tests/tests/portal.rs) drive headless Chromium through chromedriver, installed (with a CJK font for
# the Chinese pages) when the first argument is `browser`. Used by `make testnet`, `make test` (with
# `browser`) and CI.
set -euo pipefail
PACKAGES=(clang libclang-dev)
# fonts-noto-cjk: the Chinese pages (and their screenshots) need a CJK font; without one Chromium
# draws empty boxes.
[ "${1:-}" = "browser" ] && PACKAGES+=(chromium chromium-driver fonts-noto-cjk)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "installing ${missing[*]} (RocksDB's build; the portal's browser tests)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
