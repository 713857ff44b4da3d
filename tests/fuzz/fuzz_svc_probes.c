/* Fuzz target: the probe-file loader on arbitrary bytes (a consultant's
 * hand-edited file): refused or loaded, never a crash or a leak; a file that
 * loads has probes whose requests and patterns can be used. */
#include <stdlib.h>
#include <string.h>

#include "vigie/scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scan_probes *probes = NULL;
  vigie_error err = {0};
  vigie_status status = scan_probes_load_memory(
      (const char *)data, size, "fuzz.xml", VIGIE_FUZZ_RULES "/service-probes.xsd", &probes, &err);
  if ((status == VIGIE_OK) != (probes != NULL)) abort();
  if (status != VIGIE_OK && vigie_error_text(&err)[0] == '\0') abort(); /* says why */
  for (size_t i = 0; i < scan_probes_count(probes); i++) {
    size_t len;
    (void)scan_probes_request(probes, i, &len);
    if (len > 4096 || scan_probes_name(probes, i) == NULL) abort();
    (void)scan_probes_lists_port(probes, i, 80);
  }
  scan_facts *facts = scan_facts_new();
  if (facts != NULL) (void)scan_probes_match(probes, SIZE_MAX, data, size, facts);
  scan_facts_free(facts);
  scan_probes_free(probes);
  return 0;
}
