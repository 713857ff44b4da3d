#!/usr/bin/env bash
# report.html in headless Chromium (file:// only, no network): the page of
# the hostile fixture loads with no CSP violation and no console message,
# its DOM has the ten sections in order and no script, a copy with a wrong
# style hash IS reported (so this test can fail), and a screenshot and a
# PDF print are made. TAP. Usage: test_report_chromium.sh HTML_DRIVER OUTDIR
set -u
driver=$1 out=$2
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "1..1"; echo "not ok 1 - chromium is missing (scripts/install-deps.sh installs it)"; exit 1
  fi
  echo "1..0 # SKIP chromium is not installed and we are not root"; exit 77
fi
sandbox=()
[ "$(id -u)" -eq 0 ] && sandbox=(--no-sandbox) # Chromium refuses its sandbox as root

rm -rf "$out" && mkdir -p "$out" || exit 1
# Headless Chromium on one local file: its stderr carries console messages
# (CSP violations among them) as "CONSOLE" lines.
run_chrome() { # name file extra-args...
  local name=$1 file=$2
  shift 2
  timeout 120 "$chrome" --headless "${sandbox[@]}" --disable-gpu --no-first-run \
    --disable-extensions --disable-background-networking --enable-logging=stderr --v=0 \
    --user-data-dir="$out/profile-$name" --virtual-time-budget=3000 "$@" \
    "file://$file" >"$out/$name.out" 2>"$out/$name.err"
}
problems() { grep -E "Content Security Policy|Refused|Uncaught|CONSOLE" "$1" || true; }

echo "1..11"
"$driver" "$out/report.html" fr && "$driver" "$out/report-en.html" en
check "html_driver writes report.html (fr, en)" '[ -s "$out/report.html" ] && [ -s "$out/report-en.html" ]'

run_chrome fr "$out/report.html" --dump-dom
check "Chromium loads report.html" '[ -s "$out/fr.out" ]'
p=$(problems "$out/fr.err")
check "no CSP violation nor console message" '[ -z "$p" ]'
[ -n "$p" ] && echo "$p" | cut -c1-300 | sed 's/^/# /'

# The DOM after parsing: ten headings in order, no script, our markers as text.
headings=$(grep -o '<h2>[^<]*</h2>' "$out/fr.out" | sed 's/<[^>]*>//g' | tr '\n' '|')
want="1. Synthèse managériale|2. Synthèse technique|3. Périmètre et méthode|4. Couverture|5. Plan d'action priorisé|6. Exposition par hôte et service|7. Annuaire par catégorie|8. Dérogations|9. Vue CaRE domaine 1|10. Annexe|"
check "the DOM has the ten sections in order" '[ "$headings" = "$want" ]'
[ "$headings" = "$want" ] || echo "# got: $headings"
check "no script element nor event handler in the DOM" \
  '! grep -qiE "<script|<svg onload| onload=\"|javascript:" "$out/fr.out"'
check "hostile markers are shown as text" \
  'grep -qF "&lt;script&gt;alert(1)&lt;/script&gt;" "$out/fr.out"'

run_chrome en "$out/report-en.html" --dump-dom
check "English page: no console message, English headings" \
  '[ -z "$(problems "$out/en.err")" ] && grep -q "<h2>1. Executive summary</h2>" "$out/en.out"'

# A copy whose style hash is wrong must be refused: proves we read the log.
sed "s/style-src 'sha256-[A-Za-z0-9+\/=]*'/style-src 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='/" \
  "$out/report.html" >"$out/broken.html"
check "the broken copy differs only by its hash" \
  '[ "$(cmp -l "$out/report.html" "$out/broken.html" | wc -l)" -gt 0 ] && [ "$(wc -c <"$out/report.html")" -eq "$(wc -c <"$out/broken.html")" ]'
run_chrome broken "$out/broken.html" --dump-dom
check "a wrong style hash IS reported as a CSP violation" \
  'grep -q "Content Security Policy" "$out/broken.err"'

run_chrome shot "$out/report.html" --screenshot="$out/report-screenshot.png" --window-size=1280,2000
check "screenshot saved and non-empty" \
  '[ -s "$out/report-screenshot.png" ] && [ "$(head -c 4 "$out/report-screenshot.png" | od -An -c | tr -d " ")" = "211PNG" ]'
run_chrome pdf "$out/report.html" --no-pdf-header-footer --print-to-pdf="$out/report.pdf"
check "Print to PDF gives a PDF" \
  '[ -s "$out/report.pdf" ] && [ "$(head -c 5 "$out/report.pdf")" = "%PDF-" ]'

[ "$failed" -eq 0 ]
