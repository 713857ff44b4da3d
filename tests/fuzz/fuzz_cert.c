/* Fuzz target: certificate facts from DER (d2i_X509 and everything that
 * reads the parsed certificate: names, SANs, times, key, name matching).
 * Trust is skipped: it reads the system store, not the input. */
#include <stdlib.h>

#include "vigie/scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scan_facts *facts = scan_facts_new();
  if (facts == NULL) return 0;
  const char *names[] = {"www.example.test", "198.18.0.10", "2001:db8::1"};
  scan_tls_opts opts = {.host_names = names, .host_name_count = 3, .skip_trust = true};
  vigie_error err;
  vigie_status status = scan_tls_cert_facts(data, size, &opts, INT64_C(1767225600), facts, &err);
  /* A parsed leaf always yields its subject, fingerprint and chain length. */
  if (status == VIGIE_OK && (scan_facts_get(facts, "cert.sha256") == NULL ||
                             scan_facts_get(facts, "cert.chain_length") == NULL))
    abort();
  if (status != VIGIE_OK && status != VIGIE_ETLS && status != VIGIE_ENOMEM) abort();
  scan_facts_free(facts);
  return 0;
}
