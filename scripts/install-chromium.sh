#!/usr/bin/env bash
# Provisions the Chromium that the e2e tests drive through playwright-core (test/helpers/browser.ts),
# with a font set for rendering. Run by `npm install` (scripts/postinstall.sh); idempotent: once
# everything is there it only says so.
#
# 1. CHROMIUM_PATH, when set and executable, is used as it is (nothing is installed).
# 2. /usr/bin/chromium already installed: nothing to do.
# 3. Otherwise, as root where apt offers a `chromium` package (Debian 12), it is installed with
#    fonts-liberation. Without root or apt the script says what is missing and exits 0: the product
#    runs without Chromium; only the e2e tier needs it.
set -euo pipefail

CHROMIUM_BIN=/usr/bin/chromium
log() { echo "install-chromium: $*"; }

if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -x "$CHROMIUM_PATH" ]; then log "using CHROMIUM_PATH=$CHROMIUM_PATH"; exit 0; fi
  log "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}
missing=()
[ -x "$CHROMIUM_BIN" ] || missing+=(chromium)
is_installed fonts-liberation || missing+=(fonts-liberation)
if [ "${#missing[@]}" -eq 0 ]; then
  log "already installed: $CHROMIUM_BIN and fonts-liberation"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  log "missing ${missing[*]}: the e2e tests need them. Run as root on Debian 12 (apt-get), or set CHROMIUM_PATH." >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh machine: update only when apt knows no candidate.
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
log "installing ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ -x "$CHROMIUM_BIN" ] || { log "$CHROMIUM_BIN still missing after apt-get install" >&2; exit 1; }
log "done: $("$CHROMIUM_BIN" --version 2>/dev/null || echo "$CHROMIUM_BIN")"
