#!/usr/bin/env bash
# Provisions, from Debian's packages, what the cluster's tests and benchmarks run beside the product:
#   - postgresql (15): each test starts its own private cluster (test/helpers/postgres.ts)
#   - haproxy (2.6): the load balancer in front of the nodes (deploy/haproxy.cfg)
#   - sip-tester (SIPp 3.6): cheap SIP phones for bench:calls
# Run by `npm install` (scripts/postinstall.sh); idempotent: once everything is there it only says so.
# Without root or apt it says what is missing and exits 0: one node on SQLite needs none of them.
set -euo pipefail

log() { echo "install-cluster-tools: $*"; }

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}
missing=()
for pkg in postgresql haproxy sip-tester; do is_installed "$pkg" || missing+=("$pkg"); done
if [ "${#missing[@]}" -eq 0 ]; then
  log "already installed: postgresql, haproxy, sip-tester"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  log "missing ${missing[*]}: the cluster tests and bench:calls need them. Run as root on Debian 12 (apt-get)." >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
log "installing ${missing[*]}"
# The postgresql package creates a `main` cluster; nothing starts it here (no init system), and the
# project never uses it: tests run their own clusters as the package's `postgres` user.
apt-get install -y -qq --no-install-recommends "${missing[@]}"
for bin in /usr/lib/postgresql/15/bin/initdb /usr/sbin/haproxy /usr/bin/sipp; do
  [ -x "$bin" ] || { log "$bin missing after apt-get install" >&2; exit 1; }
done
log "done: $(/usr/lib/postgresql/15/bin/postgres --version), $(/usr/sbin/haproxy -v | head -1), sipp $(/usr/bin/sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1)"
