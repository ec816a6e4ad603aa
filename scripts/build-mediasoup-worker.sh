#!/usr/bin/env bash
# Builds the mediasoup 3.8.4 worker once and caches it outside the repo, then points
# node_modules/mediasoup/worker/out/Release/mediasoup-worker (where mediasoup looks by default) at it.
#
# Called from the root package.json "postinstall" (mediasoup's own postinstall is skipped through
# "allowScripts": {"mediasoup": false}; it cannot build here). Idempotent: with a cached worker it only
# (re)creates the link and exits in well under a second. A build takes 3 to 6 minutes on 2 idle cores
# (17 minutes when the machine is busy).
#
# Environment:
#   MEDIASOUP_WORKER_CACHE       cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/mobile-contact-center/mediasoup-worker-3.8.4)
#   MEDIASOUP_MAX_CORES          parallel compile jobs (default: all cores)
#   MEDIASOUP_WORKER_BIN         when it names an existing executable, nothing is built (mediasoup uses it)
#   MEDIASOUP_SKIP_WORKER_BUILD  =1 skips everything (for installs that never start the SFU)
#   MEDIASOUP_KEEP_BUILD_DIR     =1 keeps the temporary build folder after a failed build
#
# Why a temporary copy: the two patches below are applied to a copy of node_modules/mediasoup/worker, so
# node_modules stays as npm wrote it and `npm ci` / `npm install` never see a modified package.
set -euo pipefail

MEDIASOUP_VERSION=3.8.4
log() { printf 'build-mediasoup-worker: %s\n' "$*"; }
die() { printf 'build-mediasoup-worker: error: %s\n' "$*" >&2; exit 1; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."   # the repo root, wherever npm runs us from

if [ "${MEDIASOUP_SKIP_WORKER_BUILD:-}" = "1" ]; then
  log "MEDIASOUP_SKIP_WORKER_BUILD=1: skipped"
  exit 0
fi

pkg_dir=node_modules/mediasoup
if [ ! -f "$pkg_dir/package.json" ]; then
  log "$pkg_dir is not installed: nothing to build"
  exit 0
fi
if command -v node >/dev/null; then
  installed_version=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$pkg_dir/package.json")
else
  installed_version=$(grep -o '"version"[[:space:]]*:[[:space:]]*"[^"]*"' "$pkg_dir/package.json" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')
fi
if [ "$installed_version" != "$MEDIASOUP_VERSION" ]; then
  log "mediasoup $installed_version is installed; this script only builds $MEDIASOUP_VERSION: skipped"
  log "(a newer mediasoup fetches or builds its own worker: allow its install script in package.json \"allowScripts\")"
  exit 0
fi

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  if [ -x "$MEDIASOUP_WORKER_BIN" ]; then
    log "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN exists: nothing to build"
    exit 0
  fi
  log "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN does not exist; building the default worker"
fi

cache_dir=${MEDIASOUP_WORKER_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(cd ~ && pwd)}/.cache}/mobile-contact-center/mediasoup-worker-$MEDIASOUP_VERSION}
cached_bin=$cache_dir/mediasoup-worker
link_dir=$pkg_dir/worker/out/Release
link=$link_dir/mediasoup-worker

# Makes node_modules/mediasoup/worker/out/Release/mediasoup-worker point at the cached binary.
# A symlink when possible (7 MB saved per checkout), a copy otherwise; replaced atomically either way.
link_worker() {
  mkdir -p "$link_dir"
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$cached_bin" ]; then
    return 0
  fi
  local tmp="$link.tmp.$$"
  rm -f "$tmp"
  if ln -s "$cached_bin" "$tmp" 2>/dev/null; then
    mv -f "$tmp" "$link"
    log "linked $link -> $cached_bin"
  else
    cp "$cached_bin" "$tmp" && chmod 755 "$tmp" && mv -f "$tmp" "$link"
    log "copied $cached_bin to $link"
  fi
}

worker_ok() { [ -f "$cached_bin" ] && [ -x "$cached_bin" ] && [ -s "$cached_bin" ]; }

if worker_ok; then
  link_worker
  log "using cached mediasoup $MEDIASOUP_VERSION worker $cached_bin"
  exit 0
fi

mkdir -p "$cache_dir"
# One build at a time per cache (two checkouts installing at once share the result).
if command -v flock >/dev/null; then
  exec 9>"$cache_dir/.lock"
  if ! flock -n 9; then
    log "another build of this worker is running; waiting for it"
    flock 9
  fi
  if worker_ok; then
    link_worker
    log "using mediasoup $MEDIASOUP_VERSION worker built meanwhile: $cached_bin"
    exit 0
  fi
  # We hold the lock: build folders left by a killed build (SIGKILL, power loss) are garbage.
  rm -rf "$cache_dir"/build.*
fi

# Build tools: install only what is missing (Debian/Ubuntu).
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "missing build tools: ${missing[*]} (install them, or run as root on Debian/Ubuntu so apt-get can)"
  fi
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
case "${MEDIASOUP_MAX_CORES:-}" in
  ''|*[!0-9]*|0) [ -z "${MEDIASOUP_MAX_CORES:-}" ] || log "ignoring MEDIASOUP_MAX_CORES=$MEDIASOUP_MAX_CORES (not a positive integer)" ;;
  *) [ "$MEDIASOUP_MAX_CORES" -ge "$jobs" ] || jobs=$MEDIASOUP_MAX_CORES ;;
esac

build_dir=$(mktemp -d "$cache_dir/build.XXXXXX")
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "${MEDIASOUP_KEEP_BUILD_DIR:-}" = "1" ]; then
    log "build folder kept: $build_dir"
  else
    rm -rf "$build_dir"
  fi
  rm -f "$cached_bin.tmp.$$"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP   # so an interrupted build still cleans up (never looks done)

start=$SECONDS
elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

log "building the mediasoup $MEDIASOUP_VERSION worker with $jobs jobs (3 to 6 minutes on 2 cores)"
log "build folder: $build_dir; result: $cached_bin"
cp -a "$pkg_dir/worker" "$build_dir/worker"
rm -rf "$build_dir/worker/out"
src=$build_dir/worker

# Patch 1: gyp on Python >= 3.10 (collections.MutableSet moved to collections.abc).
sed -i 's/collections\.MutableSet/collections.abc.MutableSet/' "$src/deps/gyp/pylib/gyp/common.py"
# Patch 2: abseil with glibc >= 2.34, where SIGSTKSZ is no longer a constant (long vs int in std::max).
sed -i 's/std::max(SIGSTKSZ, 65536)/std::max<size_t>(SIGSTKSZ, 65536)/' \
  "$src/deps/libwebrtc/deps/abseil-cpp/abseil-cpp/absl/debugging/failure_signal_handler.cc"
grep -q 'collections\.abc\.MutableSet' "$src/deps/gyp/pylib/gyp/common.py" || die "gyp patch did not apply"
grep -q 'std::max<size_t>(SIGSTKSZ' "$src/deps/libwebrtc/deps/abseil-cpp/abseil-cpp/absl/debugging/failure_signal_handler.cc" \
  || die "abseil patch did not apply"

# Progress: one line per compiled file with the elapsed time and an estimate (3.8.4 makes 1027 targets);
# compiler warnings stay in the log only, errors are shown.
build_log=$build_dir/build.log
total=1027
out_prefix=$src/out/Release/
n=0
# The worker Makefile does nothing when MEDIASOUP_WORKER_BIN is set: build with it unset.
if ! env -u MEDIASOUP_WORKER_BIN PYTHON=python3 make -C "$src" PYTHON=python3 CORES="$jobs" 2>&1 \
  | tee "$build_log" \
  | while IFS= read -r line; do
      case "$line" in
        *'(target)'*)
          n=$((n + 1)); pct=$((n * 100 / total)); [ "$pct" -le 99 ] || pct=99
          line=${line#"${line%%[![:space:]]*}"}
          printf 'build-mediasoup-worker: [%s %2d%%] %s\n' "$(elapsed)" "$pct" "${line/"$out_prefix"/}" ;;
        *': error: '*|*': fatal error: '*|*'*** '*|Traceback*) printf 'build-mediasoup-worker: %s\n' "$line" ;;
      esac
    done; then
  tail -n 40 "$build_log" >&2
  [ "${MEDIASOUP_KEEP_BUILD_DIR:-}" = "1" ] || log "(set MEDIASOUP_KEEP_BUILD_DIR=1 to keep the build folder)"
  die "make failed after $(elapsed)"
fi

built=$src/out/Release/mediasoup-worker
[ -x "$built" ] || die "make succeeded but $built is missing"
# Temp name then rename: an interrupted build never leaves something that looks like a finished worker.
cp "$built" "$cached_bin.tmp.$$"
chmod 755 "$cached_bin.tmp.$$"
mv -f "$cached_bin.tmp.$$" "$cached_bin"
link_worker
log "built mediasoup $MEDIASOUP_VERSION worker in $(elapsed): $cached_bin ($(du -h "$cached_bin" | cut -f1))"
