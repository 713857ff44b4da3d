/* Fuzz target: answers from the network against every pattern of the
 * shipped service probes, then into a JSON line as a banner fact. Whatever
 * the bytes, matching stays inside its buffers, facts set are bounded, and
 * the JSON line is one line. */
#include <stdlib.h>
#include <string.h>

#include "vigie/scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loaded once per process: compiling 70 patterns per input would be all
 * the fuzzer measures. */
static scan_probes *fuzz_probes(void) {
  static scan_probes *probes;
  if (probes == NULL &&
      scan_probes_load(VIGIE_FUZZ_RULES "/service-probes.xml",
                       VIGIE_FUZZ_RULES "/service-probes.xsd", &probes, NULL) != VIGIE_OK)
    abort(); /* the shipped file must load */
  return probes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scan_facts *facts = scan_facts_new();
  char text[SCAN_PROBE_TEXT_MAX + 1];
  if (facts == NULL) return 0;
  if (scan_probes_text(data, size, text) > SCAN_PROBE_TEXT_MAX ||
      strlen(text) > SCAN_PROBE_TEXT_MAX)
    abort();
  if (scan_probes_match(fuzz_probes(), SIZE_MAX, data, size, facts)) {
    const char *service = scan_facts_get(facts, "service");
    if (service == NULL || strlen(service) > 255) abort();
  }
  scan_facts_add(facts, "banner", data, size);
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  scan_result r = {.addr = {.family = 2, .v4 = 0x7f000001}, .port = 1, .state = 1, .reason = 4};
  if (mem != NULL) {
    if (scan_output_jsonl_facts(mem, &r, NULL, facts) != VIGIE_OK) abort();
    fclose(mem);
    if (len == 0 || memchr(buf, '\n', len) != buf + len - 1) abort(); /* one line exactly */
    free(buf);
  }
  scan_facts_free(facts);
  return 0;
}
