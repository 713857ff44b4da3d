/* The one stylesheet of report.html and its CSP hash. The page allows only
 * this exact text (style-src 'sha256-…'), so any injected style is refused. */
#include <openssl/evp.h>
#include <string.h>

#include "report/esc.h"
#include "report/html.h"

static const char style[] =
    "body{font:14px/1.45 system-ui,sans-serif;color:#1b1b1b;margin:0 auto;max-width:1200px;"
    "padding:1em 2em}"
    "h1{font-size:1.6em;border-bottom:3px solid #000091;padding-bottom:.2em}"
    "h2{font-size:1.3em;color:#000091;border-bottom:1px solid #ccc;margin-top:2em}"
    "h3{font-size:1.1em;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse;margin:.5em 0;width:100%}"
    "th,td{border:1px solid #ccc;padding:.2em .4em;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}"
    "th{background:#eef}"
    "td.n,th.n{text-align:right}"
    "pre,.v{font:12px/1.3 monospace;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}"
    ".note{color:#555;font-style:italic}"
    ".warn{color:#a00}"
    ".lv{display:flex;gap:2em;flex-wrap:wrap}"
    ".lv>div{flex:1 1 320px}"
    ".card{border:1px solid #ccc;border-left:6px solid #888;padding:.4em .8em;margin:1em 0}"
    ".card.s0{border-left-color:#7a0010}.card.s1{border-left-color:#d1335b}"
    ".card.s2{border-left-color:#e68a00}.card.s3{border-left-color:#3a7bd5}"
    "tr.s0 td:first-child{background:#f6d0d6}tr.s1 td:first-child{background:#fbe0e6}"
    "tr.s2 td:first-child{background:#fdecd0}tr.s3 td:first-child{background:#dde9fa}"
    "svg .g0{fill:#ddd}svg .g1{fill:#c9191e}svg .g2{fill:#e4794a}svg .g3{fill:#e1c000}"
    "svg .g4{fill:#8fbf4a}svg .g5{fill:#18753c}svg text{font:12px sans-serif;fill:#1b1b1b}"
    "svg .b0{fill:#7a0010}svg .b1{fill:#d1335b}svg .b2{fill:#e68a00}svg .b3{fill:#3a7bd5}"
    "svg .b4{fill:#888}"
    "summary{cursor:pointer;font-weight:600}"
    "footer{margin-top:3em;color:#555;font-size:.9em}"
    "@media print{body{max-width:none;padding:0;font-size:11px}"
    "section.s{break-before:page}section.s:first-of-type{break-before:auto}"
    "details>summary{list-style:none}"
    "details::details-content{content-visibility:visible;display:block}"
    "tr,.card{break-inside:avoid}a{color:inherit;text-decoration:none}"
    "a[href]::after{content:\" (\" attr(href) \")\";font-size:.85em}}";

const char *rpt_html_style(void) { return style; }

bool rpt_html_style_hash(char out[45]) {
  char csp[RPT_CSP_HASH_LEN]; /* "sha256-" and the base64 */
  if (!rpt_csp_hash(style, strlen(style), csp)) return false;
  memcpy(out, csp + 7, 45);
  return true;
}
