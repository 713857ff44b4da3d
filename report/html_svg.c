/* Inline SVG drawings of report.html: colours come from classes of the
 * stylesheet (style attributes would be refused by the page's CSP). */
#include "report/html.h"

void rpt_html_svg_gauge(FILE *out, int value, bool en) {
  fprintf(out, "<svg class=gauge width=\"260\" height=\"46\" viewBox=\"0 0 260 46\" role=\"img\" "
               "aria-label=\"%s %d/5\">",
          en ? "level" : "niveau", value);
  for (int i = 1; i <= 5; i++)
    fprintf(out, "<rect class=\"g%d\" x=\"%d\" y=\"4\" width=\"44\" height=\"22\" rx=\"3\"/>",
            i <= value ? value : 0, (i - 1) * 48);
  for (int i = 1; i <= 5; i++)
    fprintf(out, "<text x=\"%d\" y=\"42\" text-anchor=\"middle\">%d</text>", (i - 1) * 48 + 22, i);
  fputs("</svg>", out);
}

void rpt_html_svg_bars(FILE *out, const size_t counts[RPT_SEV_COUNT], bool en) {
  size_t max = 1;
  for (int s = 0; s < RPT_SEV_COUNT; s++)
    if (counts[s] > max) max = counts[s];
  fprintf(out, "<svg class=bars width=\"420\" height=\"%d\" viewBox=\"0 0 420 %d\" role=\"img\">",
          RPT_SEV_COUNT * 22, RPT_SEV_COUNT * 22);
  for (int s = 0; s < RPT_SEV_COUNT; s++) {
    unsigned w = (unsigned)(counts[s] * 260 / max);
    fprintf(out,
            "<text x=\"0\" y=\"%d\">%s</text><rect class=\"b%d\" x=\"80\" y=\"%d\" width=\"%u\" "
            "height=\"16\"/><text x=\"%u\" y=\"%d\">%zu</text>",
            s * 22 + 14, rpt_html_sev((rpt_severity)s, en), s, s * 22 + 2, w, 86 + w, s * 22 + 14,
            counts[s]);
  }
  fputs("</svg>", out);
}
