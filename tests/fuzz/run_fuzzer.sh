#!/usr/bin/env bash
# Runs one libFuzzer executable for a few seconds, growing a scratch corpus in
# the build tree seeded from the committed one; fails on any crash, leak or
# sanitizer report. Usage: run_fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work"
# libFuzzer reads no sub-folder of a corpus: a corpus kept as one folder per
# module (corpus/svc/<module>/) is passed folder by folder.
mapfile -t subdirs < <(find "$seeds" -mindepth 1 -type d | sort)
# libFuzzer's own exit code for a crash is 77, which meson reads as "skipped":
# a crash must fail the test.
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=4096 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work" "$seeds" "${subdirs[@]}"
