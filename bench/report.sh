#!/usr/bin/env bash
# bench/report.sh — `vigie report` on 100,000 findings over 10,000 assets
# (bench/report_gen.py writes a valid scan.xml of that size, with rule ids of
# the real catalogue). Prints per run the wall time, CPU time and peak RSS of
# the whole command (reading, joining, scoring, writing report.xml,
# report.html, findings.csv, findings.json and scan.nmap.xml), the size of
# each output, and whether headless Chromium opens report.html (and how long
# it takes to load it). A benchmark, not a test: it prints, it asserts
# nothing. Targets of the report issue: ≤ 2 s, ≤ 256 MiB, report.html ≤ 20 MB.
#
# usage: bench/report.sh [RUNS]   (default 3)
# Environment: VIGIE_BIN (default build/vigie), VIGIE_RULES_DIR (default rules/).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${VIGIE_BIN:-$root/build/vigie}
export VIGIE_RULES_DIR=${VIGIE_RULES_DIR:-$root/rules}
runs=${1:-3}
work=$(mktemp -d /tmp/vigie-bench-report.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -x /usr/bin/time ] || { echo "bench/report.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
python3 "$here/report_gen.py" --ports 10000 --findings-per-port 10 -o "$work/scan.xml" ||
  { echo "bench/report.sh: the generator failed" >&2; exit 1; }
findings=$(grep -c '<finding ' "$work/scan.xml")
assets=$(grep -c '<service' "$work/scan.xml")
echo "input: $work/scan.xml, $(du -h "$work/scan.xml" | cut -f1), $assets services, $findings findings"
echo
printf '%-4s %8s %8s %10s %10s %10s %10s %10s\n' run wall_s cpu_s rss_MiB html_MB xml_MB csv_MB json_MB
for i in $(seq 1 "$runs"); do
  rm -rf "$work/out"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" report -q --scan "$work/scan.xml" \
    --establishment "Benchmark" --finess 750000001 -o "$work/out" || { echo "run $i failed" >&2; continue; }
  read -r wall user sys rss <"$work/time"
  mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1e6 }'; }
  printf '%-4s %8s %8.2f %10.1f %10s %10s %10s %10s\n' "$i" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
    "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$(mb "$work/out/report.html")" "$(mb "$work/out/report.xml")" \
    "$(mb "$work/out/findings.csv")" "$(mb "$work/out/findings.json")"
done

echo
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium: not installed, report.html not opened"
else
  start=$(date +%s.%N)
  if timeout 300 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$work/chromium" \
      --virtual-time-budget=10000 --dump-dom "file://$work/out/report.html" >"$work/dom.html" 2>"$work/chromium.log"; then
    end=$(date +%s.%N)
    printf 'chromium: opened report.html in %.1f s, DOM dumped %s bytes\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
      "$(stat -c %s "$work/dom.html")"
  else
    echo "chromium: failed to open report.html:"; tail -5 "$work/chromium.log"
  fi
fi
