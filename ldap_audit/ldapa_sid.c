/* Binary SIDs (MS-DTYP 2.4.2) to their "S-1-5-21-..." text. The bytes come
 * from the directory, so every length is checked against what was read and
 * no count in the data is trusted. */
#include <inttypes.h>
#include <stdio.h>

#include "vigie/ldap_audit.h"

#define SID_HEADER 8u       /* revision, count, 6-byte authority */
#define SID_MAX_SUBAUTH 15u /* MS-DTYP caps the sub-authorities at 15 */

static uint32_t sid_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Append sep and v (hex for big authorities) to out at *pos; false when the
 * buffer is too small. */
static bool sid_append(char *out, size_t out_size, size_t *pos, const char *sep, uint64_t v,
                       bool hex) {
  int n = hex ? snprintf(out + *pos, out_size - *pos, "%s0x%012" PRIX64, sep, v)
              : snprintf(out + *pos, out_size - *pos, "%s%" PRIu64, sep, v);
  if (n < 0 || (size_t)n >= out_size - *pos) return false;
  *pos += (size_t)n;
  return true;
}

static vigie_status sid_check(const uint8_t *b, size_t len, vigie_error *err) {
  if (b == NULL || len < SID_HEADER)
    return vigie_fail(err, VIGIE_ESYNTAX, "SID of %zu bytes is shorter than its header", len);
  if (b[0] != 1) return vigie_fail(err, VIGIE_ESYNTAX, "SID revision %u is not 1", b[0]);
  unsigned n = b[1];
  if (n == 0 || n > SID_MAX_SUBAUTH)
    return vigie_fail(err, VIGIE_ESYNTAX, "SID with %u sub-authorities (1 to 15 allowed)", n);
  if (len != SID_HEADER + 4u * n)
    return vigie_fail(err, VIGIE_ESYNTAX, "SID of %zu bytes, %u expected for %u sub-authorities",
                      len, SID_HEADER + 4u * n, n);
  return VIGIE_OK;
}

vigie_status ldapa_sid_to_string(const void *bin, size_t len, char *out, size_t out_size,
                                 uint32_t *rid, vigie_error *err) {
  const uint8_t *b = bin;
  vigie_status status = sid_check(b, len, err);
  if (status != VIGIE_OK) return status;
  if (out == NULL || out_size == 0) return vigie_fail(err, VIGIE_EINVAL, "no room for the SID");
  uint64_t authority = 0;
  for (size_t i = 2; i < SID_HEADER; i++) authority = authority << 8 | b[i];
  size_t pos = 0;
  /* MS-DTYP 2.4.2.1: an authority of 2^32 or more is written in hex. */
  bool ok = sid_append(out, out_size, &pos, "S-1-", authority, authority >= (UINT64_C(1) << 32));
  uint32_t last = 0;
  for (unsigned i = 0; ok && i < b[1]; i++) {
    last = sid_le32(b + SID_HEADER + 4u * i);
    ok = sid_append(out, out_size, &pos, "-", last, false);
  }
  if (!ok) {
    out[0] = '\0';
    return vigie_fail(err, VIGIE_EINVAL, "SID text longer than the %zu-byte buffer", out_size);
  }
  if (rid != NULL) *rid = last;
  return VIGIE_OK;
}
