/* Fuzz target: the nmap-style port list parser, with and without names. */
#include <stdlib.h>

#include "vigie/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *spec = vigie_strndup((const char *)data, size);
  if (spec == NULL) return 0;
  vigie_ports ports;
  vigie_error err;
  vigie_ports_clear(&ports);
  if (vigie_ports_parse(&ports, spec, NULL, &err) == VIGIE_OK) {
    unsigned seen = 0;
    for (int p = vigie_ports_next(&ports, 0); p >= 0; p = p < 65535 ? vigie_ports_next(&ports, p + 1) : -1)
      seen++;
    if (seen != ports.count) abort(); /* the count must match the map */
  }
  vigie_free(spec);
  return 0;
}
