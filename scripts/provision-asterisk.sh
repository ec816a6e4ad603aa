#!/usr/bin/env bash
# Provisions the Asterisk that `npm start` and the e2e tests run (src/ari/asterisk/process.ts).
#
#   bash scripts/provision-asterisk.sh        # as root; idempotent, a no-op once done
#
# 1. An `asterisk` binary already installed on the host is used as it is.
# 2. Otherwise, where apt offers an `asterisk` package (Ubuntu, Debian trixie-backports, sid), it is installed.
# 3. Otherwise (Debian 12 has no asterisk package) a Debian sid chroot with `asterisk asterisk-modules` is
#    built once at $ASTERISK_CHROOT, by default ${XDG_CACHE_HOME:-$HOME/.cache}/mobile-contact-center/asterisk-sid,
#    outside the repository so that every clone (and CI) on this machine reuses it. It is built in a temporary
#    directory next to it and renamed when complete: a directory at $ASTERISK_CHROOT with the marker file
#    .mobile-contact-center-asterisk inside is always a finished chroot.
# 4. baresip (a scriptable SIP user agent: the desk phone and customer phone of the tests)
#    is installed next to the Asterisk in use: on the host, or in the chroot (also into an older chroot).
#
# Environment: ASTERISK_CHROOT (where the chroot lives), DEBIAN_MIRROR (default http://deb.debian.org/debian),
# ASTERISK_PROVISION=chroot (skip steps 1 and 2 and always use the chroot).
set -euo pipefail

STARTED=$(date +%s)
MARKER_NAME=.mobile-contact-center-asterisk
ROOT=${ASTERISK_CHROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/mobile-contact-center/asterisk-sid}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
MODE=${ASTERISK_PROVISION:-auto}
export DEBIAN_FRONTEND=noninteractive

log() {
  local s=$(($(date +%s) - STARTED))
  printf 'provision-asterisk [%02d:%02d] %s\n' $((s / 60)) $((s % 60)) "$*"
}
die() {
  log "ERROR: $*" >&2
  exit 1
}
finish() {
  ensure_baresip
  local s=$(($(date +%s) - STARTED))
  log "done in ${s}s: $*"
  exit 0
}
# baresip, a scriptable SIP user agent: the desk phone and the customer's phone of the e2e tests
# (bench:calls uses SIPp). Next to the Asterisk in use: on the host (Debian 12 has it), else in the
# chroot.
ensure_baresip() {
  if command -v baresip >/dev/null 2>&1; then return 0; fi
  if [ -f "$ROOT/$MARKER_NAME" ] && [ -x "$ROOT/usr/sbin/asterisk" ] && ! command -v asterisk >/dev/null 2>&1 && [ ! -x /usr/sbin/asterisk ]; then
    [ -x "$ROOT/usr/bin/baresip" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then log "warning: baresip is missing in $ROOT; run this script as root to add it"; return 0; fi
    log "installing baresip in the chroot"
    # /proc for the package scripts, in a private mount namespace: gone when the command ends.
    unshare --mount --propagation private -- sh -c 'mount -t proc proc "$1/proc" && chroot "$1" apt-get -o Acquire::Check-Valid-Until=false update -qq && chroot "$1" apt-get install -y --no-install-recommends baresip && chroot "$1" apt-get clean' sh "$ROOT" ||
      log "warning: baresip did not install in the chroot; the desk-phone tests need it"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then log "warning: baresip is not installed (apt-get install baresip as root)"; return 0; fi
  log "installing baresip on the host"
  apt-get install -y --no-install-recommends baresip || { apt-get update -qq && apt-get install -y --no-install-recommends baresip; } ||
    log "warning: baresip did not install; the desk-phone tests need it"
}
need_root() {
  [ "$(id -u)" -eq 0 ] || die "$1; run this script as root"
}

# --- 1. an asterisk already installed on the host -------------------------------------------------------
host_asterisk() {
  command -v asterisk 2>/dev/null || { [ -x /usr/sbin/asterisk ] && echo /usr/sbin/asterisk; } || true
}
if [ "$MODE" != chroot ]; then
  bin=$(host_asterisk)
  if [ -n "$bin" ]; then
    finish "using the asterisk installed on the host: $bin ($("$bin" -V 2>/dev/null || echo 'version unknown'))"
  fi
fi

# --- 3a. a chroot that is already complete ----------------------------------------------------------------
if [ -f "$ROOT/$MARKER_NAME" ] && [ -x "$ROOT/usr/sbin/asterisk" ]; then
  finish "chroot already provisioned at $ROOT ($(head -n1 "$ROOT/$MARKER_NAME"))"
fi

need_root "Asterisk is not provisioned"
command -v apt-get >/dev/null || die "no asterisk binary, and apt-get is not available (Debian or Ubuntu expected)"

# --- 2. an apt candidate on the host ----------------------------------------------------------------------
if [ "$MODE" != chroot ]; then
  log "no asterisk on the host; asking apt whether it has a candidate (apt-get update)"
  apt-get update -qq
  candidate=$(apt-cache policy asterisk 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
    log "installing asterisk $candidate from the host's apt sources"
    apt-get install -y --no-install-recommends asterisk asterisk-modules
    bin=$(host_asterisk)
    [ -n "$bin" ] || die "apt-get installed asterisk but no asterisk binary is on PATH"
    finish "installed on the host: $bin ($("$bin" -V 2>/dev/null || true))"
  fi
  log "apt has no asterisk package here: building a Debian sid chroot at $ROOT"
fi

# --- 3b. build the chroot ---------------------------------------------------------------------------------
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap on the host"
  [ -n "${candidate+x}" ] || apt-get update -qq
  apt-get install -y --no-install-recommends debootstrap
fi

PARENT=$(dirname "$ROOT")
mkdir -p "$PARENT"
# One builder at a time; a second run waits, then finds the chroot done.
exec 9>"$ROOT.lock"
if ! flock -n 9; then
  log "another provisioning run holds $ROOT.lock; waiting for it"
  flock 9
fi
if [ -f "$ROOT/$MARKER_NAME" ] && [ -x "$ROOT/usr/sbin/asterisk" ]; then
  finish "chroot provisioned meanwhile by another run at $ROOT"
fi

# Unmounts everything mounted at or below $1 (deepest first).
unmount_below() {
  local dir mounts
  dir=$(realpath -m "$1")
  mounts=$(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r)
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}
# Removes a directory tree without ever crossing into a mounted file system.
remove_tree() {
  unmount_below "$1"
  rm -rf --one-file-system "$1"
}

# Leftovers of an interrupted build, and a directory at $ROOT that has no marker, are not trusted.
for stale in "$ROOT".build.*; do
  [ -d "$stale" ] || continue
  log "removing the leftover of an interrupted build: $stale"
  remove_tree "$stale"
done
if [ -e "$ROOT" ]; then
  die "$ROOT exists but has no $MARKER_NAME marker (not built by this script?): remove it, or set ASTERISK_CHROOT"
fi

BUILD=$(mktemp -d "$ROOT.build.XXXXXX")
chmod 755 "$BUILD"
PROC_MOUNTED=
STEP_PID=
cleanup() {
  local rc=$?
  # An interrupted step (debootstrap, dpkg) is ended with all its children before the tree is removed.
  if [ -n "$STEP_PID" ]; then kill -TERM -- "-$STEP_PID" 2>/dev/null || true; sleep 1; kill -KILL -- "-$STEP_PID" 2>/dev/null || true; fi
  if [ -n "$PROC_MOUNTED" ]; then umount "$BUILD/proc" 2>/dev/null || umount -l "$BUILD/proc" || true; fi
  if [ -d "$BUILD" ]; then
    log "build did not complete (exit $rc); removing $BUILD"
    remove_tree "$BUILD"
  fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

# Runs a long step in its own process group and waits for it, so that Ctrl+C or a TERM reaches this
# script at once (debootstrap and dpkg would otherwise go on unpacking), and cleanup ends the whole step.
step() {
  setsid "$@" &
  STEP_PID=$!
  local rc=0
  wait "$STEP_PID" || rc=$?
  STEP_PID=
  return "$rc"
}
in_chroot() { step chroot "$BUILD" "$@"; }

log "debootstrap --variant=minbase sid from $MIRROR into $BUILD (downloads ~100 packages)"
step debootstrap --variant=minbase sid "$BUILD" "$MIRROR"

log "configuring apt in the chroot"
cat >"$BUILD/etc/apt/apt.conf.d/90mobile-contact-center" <<'EOF'
// The archive's Release files can look expired from the build machines' clocks.
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
APT::Install-Recommends "false";
EOF
# Keep package scripts from starting services inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$BUILD/usr/sbin/policy-rc.d"
chmod 755 "$BUILD/usr/sbin/policy-rc.d"

mount -t proc proc "$BUILD/proc" # Asterisk's package scripts need /proc
PROC_MOUNTED=1

log "apt-get update in the chroot"
in_chroot apt-get -o Acquire::Check-Valid-Until=false update
log "installing asterisk asterisk-modules in the chroot"
in_chroot apt-get install -y -o Dpkg::Progress-Fancy=0 asterisk asterisk-modules
# Music on hold: the opsound files, when sid has them (else musiconhold falls back, see asterisk-config/README.md).
if chroot "$BUILD" apt-cache show asterisk-moh-opsound-gsm >/dev/null 2>&1; then
  log "installing asterisk-moh-opsound-gsm (music on hold) in the chroot"
  in_chroot apt-get install -y asterisk-moh-opsound-gsm || log "warning: asterisk-moh-opsound-gsm did not install; going on"
fi
# baresip, a scriptable SIP user agent (the desk phone and the customer's phone in tests; see ensure_baresip).
log "installing baresip (SIP user agent for tests and bench:calls) in the chroot"
in_chroot apt-get install -y baresip || log "warning: baresip did not install; the desk-phone tests need it"

# root on these machines may lack CAP_DAC_OVERRIDE: Asterisk runs as root in the chroot, so root owns its files.
log "chown root:root Asterisk's directories (runs as root without CAP_DAC_OVERRIDE)"
for d in /etc/asterisk /var/lib/asterisk /var/spool/asterisk /var/log/asterisk /var/cache/asterisk /usr/share/asterisk /var/run/asterisk; do
  if [ -e "$BUILD$d" ]; then chroot "$BUILD" chown -R root:root "$d"; fi
done

in_chroot apt-get clean
version=$(chroot "$BUILD" asterisk -V 2>/dev/null || echo "asterisk (version unknown)")
baresip_bin=$([ -x "$BUILD/usr/bin/baresip" ] && echo /usr/bin/baresip || echo none)

umount "$BUILD/proc"
PROC_MOUNTED=

# Mount point of each running instance's runtime dir (see src/ari/asterisk/installation.ts).
mkdir -p "$BUILD/srv/mobile-contact-center"
{
  echo "$version"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) mirror=$MIRROR baresip=$baresip_bin"
} >"$BUILD/$MARKER_NAME"

mv -T "$BUILD" "$ROOT"
trap - EXIT
finish "chroot ready at $ROOT: $version, baresip: $baresip_bin, $(du -sh --one-file-system "$ROOT" | cut -f1)"
