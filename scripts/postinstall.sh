#!/usr/bin/env bash
# Runs after `npm install` / `npm ci`: provides what the product needs besides npm packages, each step
# idempotent and cached outside the clone (a fresh clone reuses the cache):
#   - the mediasoup worker (built once from mediasoup 3.8.4's bundled sources)
#   - Asterisk 22 (an installed one, or a Debian sid chroot), unless ARI_URL points at a running Asterisk
#   - Chromium for the e2e tests (Debian's package; scripts/install-chromium.sh)
#   - PostgreSQL, HAProxy and SIPp for the cluster's tests and benchmarks (scripts/install-cluster-tools.sh)
# Set SKIP_PROVISIONING=1 to skip all of them (e.g. in a container image that brings them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${SKIP_PROVISIONING:-}" = "1" ]; then
  echo "postinstall: SKIP_PROVISIONING=1, not building the mediasoup worker nor provisioning Asterisk, Chromium or the cluster tools"
  exit 0
fi
bash scripts/build-mediasoup-worker.sh
if [ -n "${ARI_URL:-}" ]; then
  echo "postinstall: ARI_URL is set, using that Asterisk; not provisioning a local one"
elif [ -f scripts/provision-asterisk.sh ]; then
  bash scripts/provision-asterisk.sh
fi
bash scripts/install-chromium.sh
bash scripts/install-cluster-tools.sh
