/* Fuzz target: every service module (scanner/svc_*.c) on untrusted server
 * answers. Input: a module name and a NUL (an unknown name picks a module
 * by its first byte), a flags byte (low 4 bits: bytes a call, 0 = whole
 * answer; bit 4: --intrusive), then the server's answer of each step,
 * separated by "VSEP". Each call sees an exact-size copy of the bytes so
 * far, so ASan catches any read past them; the contract is checked too:
 * no MORE after in_full, a NEXT or RECONNECT always carries a request that
 * fits (the answer after a RECONNECT is the next VSEP part, as on the new
 * connection). */
#include <stdlib.h>
#include <string.h>

#include "scanner/scan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const scan_svc_module *pick(const uint8_t **data, size_t *size) {
  const uint8_t *nul = memchr(*data, 0, *size < 16 ? *size : 16);
  size_t count = 0;
  while (scan_svc_all[count] != NULL) count++;
  if (nul != NULL) {
    char name[16];
    memcpy(name, *data, (size_t)(nul - *data) + 1);
    const scan_svc_module *m = scan_svc_by_name(name);
    if (m != NULL) {
      *size -= (size_t)(nul - *data) + 1;
      *data = nul + 1;
      return m;
    }
  }
  return scan_svc_all[(*data)[0] % count];
}

static scan_svc_verdict call(const scan_svc_module *m, scan_svc_io *io, const uint8_t *p,
                             size_t len, bool full) {
  uint8_t *copy = malloc(len ? len : 1);
  if (copy == NULL) abort();
  memcpy(copy, p, len);
  io->in = copy, io->in_len = len, io->in_full = full, io->out_len = 0;
  scan_svc_verdict v = m->step(io);
  free(copy);
  if ((v == SCAN_SVC_NEXT || v == SCAN_SVC_RECONNECT) &&
      (io->out_len == 0 || io->out_len > SCAN_SVC_OUT_MAX))
    abort();
  if (full && v == SCAN_SVC_MORE) abort();
  if ((unsigned)v > SCAN_SVC_RECONNECT) abort();
  return v;
}

static scan_svc_verdict feed(const scan_svc_module *m, scan_svc_io *io, const uint8_t *p,
                             size_t len, size_t chunk) {
  scan_svc_verdict v = SCAN_SVC_MORE;
  size_t step = chunk ? chunk : len;
  for (size_t at = 0; at < len && v == SCAN_SVC_MORE;) {
    at = len - at > step ? at + step : len;
    v = call(m, io, p, at, false);
  }
  return v == SCAN_SVC_MORE ? call(m, io, p, len, true) : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t out[SCAN_SVC_OUT_MAX];
  if (size < 2) return 0;
  const scan_svc_module *m = pick(&data, &size);
  if (size < 1) return 0;
  uint8_t flags = data[0];
  data++, size--;
  void *state = calloc(1, m->state_size ? m->state_size : 1);
  scan_facts *facts = scan_facts_new();
  if (state == NULL || facts == NULL) abort();
  scan_svc_io io = {.out = out,
                    .facts = facts,
                    .state = state,
                    .intrusive = flags & 0x10,
                    .host_name = flags & 0x20 ? "fuzz.example" : NULL,
                    .port = m->ports[0]};
  scan_svc_verdict v = m->start(&io);
  while ((v == SCAN_SVC_MORE || v == SCAN_SVC_NEXT || v == SCAN_SVC_RECONNECT) && size > 0) {
    const uint8_t *sep = memmem(data, size, "VSEP", 4);
    size_t len = sep ? (size_t)(sep - data) : size;
    v = feed(m, &io, data, len, flags & 0x0f);
    data += len, size -= len;
    if (sep != NULL) data += 4, size -= 4;
  }
  scan_facts_free(facts);
  free(state);
  return 0;
}
