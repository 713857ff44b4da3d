#!/usr/bin/env bash
# Every global symbol our static libraries define carries a module prefix
# (STYLE.md habit 2): vigie_, scan_, ldapa_, rpt_ or rules_ (TAP).
set -u
n=0 failed=0
echo "1..$#"
for lib in "$@"; do
  n=$((n + 1))
  bad=$(nm --defined-only --extern-only "$lib" 2>/dev/null | awk 'NF == 3 { print $3 }' \
    | grep -v -E '^(vigie_|scan_|ldapa_|rpt_|rules_)' | sort -u)
  if [ -z "$(nm --defined-only --extern-only "$lib" 2>/dev/null)" ]; then
    echo "not ok $n - $(basename "$lib"): no symbols read"; failed=$((failed + 1))
  elif [ -n "$bad" ]; then
    echo "not ok $n - $(basename "$lib"): unprefixed symbols"; echo "$bad" | sed 's/^/#   /'
    failed=$((failed + 1))
  else
    echo "ok $n - $(basename "$lib"): every exported symbol is prefixed"
  fi
done
[ "$failed" -eq 0 ]
