/* Fuzz target: the STARTTLS preamble parsers. The first byte picks the
 * protocol, the second the fragment size, the rest is what the server
 * sends; the parser must never read past a fragment, never consume more
 * than it is given, and stay done once it has ruled. */
#include <stdlib.h>

#include "scanner/scan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  scan_starttls_state *st = vigie_malloc(sizeof *st);
  if (st == NULL) return 0;
  scan_starttls kind = (scan_starttls)(1 + data[0] % SCAN_STARTTLS_POSTGRESQL);
  size_t chunk = 1 + data[1] % 16;
  const uint8_t *in = data + 2;
  size_t len = size - 2;
  scan_starttls_step step = scan_starttls_begin(st, kind);
  while (len > 0 && (step == SCAN_STARTTLS_MORE || step == SCAN_STARTTLS_SEND)) {
    if (step == SCAN_STARTTLS_SEND && (st->out_len == 0 || st->out_len > sizeof st->out)) abort();
    size_t n = len < chunk ? len : chunk, used = 0;
    step = scan_starttls_feed(st, in, n, &used);
    if (used > n || (step == SCAN_STARTTLS_MORE && used != n)) abort();
    in += used;
    len -= used;
  }
  if (step == SCAN_STARTTLS_READY || step == SCAN_STARTTLS_REFUSED) {
    size_t used;
    if (scan_starttls_feed(st, data, size, &used) != SCAN_STARTTLS_BROKEN || used != 0) abort();
  }
  vigie_free(st);
  return 0;
}
