/* Fuzz target: the report.xml reader on a buffer (XML reader, schema, the
 * walk into the model, the checks XSD cannot make, rpt_model_finish). A
 * failure must return no report and carry a message naming the buffer; a
 * report read must write again and read back to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/xml_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write r into a new buffer (caller frees). */
static char *fz_write(const rpt_report *r, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) return NULL;
  vigie_error err;
  vigie_status st = rpt_xml_write(r, f, &err);
  if (fclose(f) != 0 || st == VIGIE_EINVAL) abort(); /* a model read is a model writable */
  if (st != VIGIE_OK) {
    free(buf);
    return NULL;
  }
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 262144) return 0;
  rpt_report *r = NULL, *again = NULL;
  vigie_error err;
  vigie_status st = rpt_xml_read_memory((const char *)data, size, "fuzz.xml", &r, &err);
  if (st != VIGIE_OK) {
    if (r) abort();
    if (st != VIGIE_ENOMEM && strncmp(err.msg, "fuzz.xml", 8) != 0) abort();
    return 0;
  }
  size_t n1 = 0, n2 = 0;
  char *one = fz_write(r, &n1), *two = NULL;
  if (one && rpt_xml_read_memory(one, n1, "fuzz-again.xml", &again, &err) != VIGIE_OK) abort();
  if (again) two = fz_write(again, &n2);
  if (one && two && (n1 != n2 || memcmp(one, two, n1) != 0)) abort();
  free(one);
  free(two);
  rpt_report_free(again);
  rpt_report_free(r);
  return 0;
}
