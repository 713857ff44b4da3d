/* Fuzz target: the proof bundle's MANIFEST parser (hostile input in
 * vigie verify). What it accepts must be canonical: written back, it is
 * the input byte for byte, every path safe and the order strict. */
#include <stdlib.h>
#include <string.h>

#include "report/bundle_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 20) return 0;
  rpt_bundle_manifest m = {0};
  vigie_error err;
  if (rpt_bundle_manifest_parse((const char *)data, size, &m, &err) != VIGIE_OK) {
    if (m.count != 0 || m.v != NULL || err.msg[0] == '\0') abort();
    return 0;
  }
  size_t pos = 0;
  for (size_t i = 0; i < m.count; i++) {
    char hex[65];
    size_t len = strlen(m.v[i].path);
    if (rpt_bundle_path_check(m.v[i].path, len) != NULL) abort();
    if (i > 0 && strcmp(m.v[i - 1].path, m.v[i].path) >= 0) abort();
    rpt_bundle_hex(m.v[i].sum, 32, hex);
    if (pos + 67 + len > size || memcmp(data + pos, hex, 64) != 0 ||
        memcmp(data + pos + 64, "  ", 2) != 0 || memcmp(data + pos + 66, m.v[i].path, len) != 0 ||
        data[pos + 66 + len] != '\n')
      abort();
    pos += 67 + len;
  }
  if (pos != size) abort();
  rpt_bundle_manifest_clear(&m);
  return 0;
}
