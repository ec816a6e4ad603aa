#!/usr/bin/env bash
# Installs Debian's Chromium (driven by playwright-core in the e2e tests) and a font set for rendering.
# Idempotent: when everything is already installed it only says so and exits 0.
# Run as root on Debian 12 (bookworm): bash scripts/install-chromium.sh
set -euo pipefail

CHROMIUM_BIN=/usr/bin/chromium
packages=(chromium fonts-liberation)

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
[ -x "$CHROMIUM_BIN" ] || missing+=(chromium)
is_installed fonts-liberation || missing+=(fonts-liberation)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-chromium: already installed: ${packages[*]} ($CHROMIUM_BIN)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: missing ${missing[*]}; run this script as root" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: missing ${missing[*]} and apt-get is not available (Debian 12 expected)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: installing ${missing[*]}"
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

if [ ! -x "$CHROMIUM_BIN" ]; then
  echo "install-chromium: $CHROMIUM_BIN still missing after apt-get install" >&2
  exit 1
fi
echo "install-chromium: done: $("$CHROMIUM_BIN" --version 2>/dev/null || echo "$CHROMIUM_BIN")"
