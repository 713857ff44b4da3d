#!/usr/bin/env bash
# Runs every test of vigie, as CI does: installs the dependencies, builds with
# -Werror and runs the whole suite, then builds with AddressSanitizer and
# UBSan and runs the whole suite again. Run as root on Debian 12: the
# integration tests start real daemons in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
  bash scripts/install-deps.sh
else
  echo "test: not root: skipping the dependency install; lab tests will skip (exit 77)" >&2
fi

# setup DIR ARGS...: configure a build directory, fresh or existing.
setup() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

echo "=== build with -Werror, then the whole suite ==="
setup build-ci -Dwerror=true -Dbuildtype=debugoptimized
meson compile -C build-ci
meson test -C build-ci --print-errorlogs --num-processes 2

echo "=== AddressSanitizer + UBSan build (clang, with libFuzzer runs), then the whole suite again ==="
CC=clang setup build-asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined \
  -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dfuzz=true
meson compile -C build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C build-asan --print-errorlogs --num-processes 2
