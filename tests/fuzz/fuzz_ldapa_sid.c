/* Fuzz target: the binary SID parser (every byte of objectSid and
 * sIDHistory comes from the server), and the time parsers on the same
 * bytes as text. */
#include <stdlib.h>
#include <string.h>

#include "vigie/ldap_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* On success the text must match the bytes: "S-1-", one dash per
 * sub-authority, and the length the count announces. */
static void fuzz_sid(const uint8_t *data, size_t size) {
  char out[LDAPA_SID_TEXT_MAX];
  uint32_t rid = 0;
  if (ldapa_sid_to_string(data, size, out, sizeof out, &rid, NULL) != VIGIE_OK) return;
  size_t dashes = 0;
  for (const char *p = out; *p; p++) dashes += *p == '-';
  if (strncmp(out, "S-1-", 4) != 0 || dashes != 2u + data[1] || size != 8u + 4u * data[1]) abort();
  char small[16];
  if (ldapa_sid_to_string(data, size, small, sizeof small, NULL, NULL) == VIGIE_OK &&
      strlen(out) >= sizeof small)
    abort(); /* a text that does not fit must be refused */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  fuzz_sid(data, size);
  char *text = vigie_strndup((const char *)data, size);
  if (text == NULL) return 0;
  time_t t;
  (void)ldapa_filetime_parse(text, &t);
  (void)ldapa_gentime_parse(text, &t);
  vigie_free(text);
  return 0;
}
