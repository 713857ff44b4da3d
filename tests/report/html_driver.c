/* Test-only: writes report.html from the hostile fixture model, for
 * tests/integration/test_report_chromium.sh. Usage: html_driver OUT [fr|en] */
#include <stdio.h>
#include <stdlib.h>

#include "report/html_fixture.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: html_driver OUT [fr|en]\n");
    return 2;
  }
  char *big;
  rpt_report *r = fixture_build(argc > 2 ? argv[2] : "fr", &big);
  FILE *out = fopen(argv[1], "w");
  vigie_error err;
  vigie_status st = out ? rpt_html_write(r, NULL, out, &err) : VIGIE_EIO;
  if (out && fclose(out) != 0) st = VIGIE_EIO;
  if (st != VIGIE_OK) fprintf(stderr, "html_driver: %s: %s\n", argv[1], vigie_strerror(st));
  rpt_report_free(r);
  free(big);
  return st == VIGIE_OK ? 0 : 1;
}
