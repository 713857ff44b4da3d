#!/usr/bin/env bash
# Meta-test (STYLE.md habit 14): every command and option that --help shows
# is documented in the man page, and the man page names no command that the
# binary lacks (TAP).
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
man=${1:?usage: test_manpage.sh doc/vigie.1}
# The man page with groff's escapes undone, so "\-\-exclude" reads "--exclude".
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man")

commands=$("$bin" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' | grep -v '^help$')
checks=()
for cmd in $commands; do
  checks+=("command $cmd|vigie $cmd")
  while read -r opt; do
    checks+=("option $opt of $cmd|$opt")
  done < <("$bin" "$cmd" --help | grep -oE '^  (-[A-Za-z], )?--?[A-Za-z][A-Za-z-]*' | sed -E 's/^  (-[A-Za-z], )?//')
done
while read -r opt; do
  checks+=("global option $opt|$opt")
done < <("$bin" --help | grep -oE '^  -[A-Za-z], --[a-z-]+' | sed -E 's/^  -[A-Za-z], //')

echo "1..$((${#checks[@]} + 1))"
n=0 failed=0
for c in "${checks[@]}"; do
  n=$((n + 1))
  name=${c%%|*} needle=${c#*|}
  if grep -qF -- "$needle" <<<"$text"; then echo "ok $n - man page documents $name"
  else echo "not ok $n - man page documents $name"; failed=$((failed + 1)); fi
done
n=$((n + 1))
documented=$(grep -oE '^\.SS vigie [a-z]+' "$man" | awk '{ print $3 }')
extra=""
for cmd in $documented; do grep -qx "$cmd" <<<"$commands" || extra="$extra $cmd"; done
if [ -z "$extra" ]; then echo "ok $n - man page documents no missing command"
else echo "not ok $n - man page documents commands the binary lacks:$extra"; failed=$((failed + 1)); fi
[ "$failed" -eq 0 ]
