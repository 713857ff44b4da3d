/* vigie scanner — HL7 v2 over MLLP: a query that changes nothing (QRY^A19
 * for a patient id no one has), framed <VT> message <FS><CR>; any framed
 * answer proves an HL7 listener, and its MSH names the application.
 *
 * Never an ADT or ORM: a real interface engine would act on them.
 */
#include <string.h>

#include "scanner/scan_int.h"

#define VT 0x0bu
#define FS 0x1cu
#define CR 0x0du

/* The time stamp is fixed: the message is a probe, not a record, and a
 * fixed one keeps every request the same. */
static const char query[] =
    "MSH|^~\\&|VIGIE|VIGIE|ANY|ANY|20260101000000||QRY^A19|VIGIE0001|P|2.3\r"
    "QRD|20260101000000|R|I|VIGIE0001|||1^RD|VIGIE-NO-SUCH-PATIENT|DEM\r";

static scan_svc_verdict hl7_start(scan_svc_io *io) {
  scan_wr w;
  scan_svc_out(io, &w);
  scan_wr_u8(&w, VT);
  scan_wr_str(&w, query);
  scan_wr_u8(&w, FS);
  scan_wr_u8(&w, CR);
  return scan_svc_send(io, &w);
}

/* Field n (MSH-1 is the separator itself, so MSH-n is split index n-1) of
 * a segment. \return false when the segment has fewer. */
static bool field(const uint8_t *seg, size_t len, size_t n, const uint8_t **v, size_t *vlen) {
  uint8_t sep = seg[3];
  size_t i = 4, idx = 2;
  while (idx < n) {
    const uint8_t *next = memchr(seg + i, sep, len - i);
    if (next == NULL) return false;
    i = (size_t)(next - seg) + 1;
    idx++;
  }
  const uint8_t *end = memchr(seg + i, sep, len - i);
  *v = seg + i;
  *vlen = end ? (size_t)(end - seg) - i : len - i;
  return true;
}

static bool msh_fact(scan_svc_io *io, const uint8_t *seg, size_t len, size_t n, const char *fact) {
  const uint8_t *v;
  size_t vlen;
  if (!field(seg, len, n, &v, &vlen) || vlen == 0) return true;
  return scan_svc_fact(io, fact, v, vlen);
}

/* The segments of the message: MSH fields, then MSA's acknowledgment code. */
static bool facts(scan_svc_io *io, const uint8_t *msg, size_t len) {
  bool ok = scan_svc_identify(io, "hl7", true);
  size_t at = 0;
  while (ok && at < len) {
    const uint8_t *seg = msg + at, *end = memchr(seg, CR, len - at);
    size_t slen = end ? (size_t)(end - seg) : len - at;
    at += slen + 1;
    if (slen < 4) continue;
    if (memcmp(seg, "MSH", 3) == 0) {
      ok = msh_fact(io, seg, slen, 3, "hl7.sending_application") &&
           msh_fact(io, seg, slen, 4, "hl7.sending_facility") &&
           msh_fact(io, seg, slen, 9, "hl7.message_type") &&
           msh_fact(io, seg, slen, 12, "hl7.version");
    } else if (memcmp(seg, "MSA", 3) == 0) {
      ok = msh_fact(io, seg, slen, 2, "hl7.ack_code"); /* MSA-1: the same count as MSH-2 */
    }
  }
  return ok;
}

static scan_svc_verdict hl7_step(scan_svc_io *io) {
  scan_rd r;
  uint8_t vt;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u8(&r, &vt);
  if (st == SCAN_RD_OK && vt != VT) return SCAN_SVC_NOT_MINE;
  const uint8_t *body = io->in + 1, *fs = io->in_len > 1 ? memchr(body, FS, io->in_len - 1) : NULL;
  if (st == SCAN_RD_OK && fs == NULL) st = SCAN_RD_SHORT;
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  size_t len = (size_t)(fs - body);
  /* An MLLP frame must hold an HL7 message: "MSH" and its separator. */
  if (len < 8 || memcmp(body, "MSH", 3) != 0) return SCAN_SVC_NOT_MINE;
  return scan_svc_end(facts(io, body, len), SCAN_SVC_DONE);
}

static const uint16_t hl7_ports[] = {2575, 6661, 0};

const scan_svc_module scan_svc_hl7 = {
    .name = "hl7",
    .ports = hl7_ports,
    .server_first = false,
    .state_size = 0,
    .start = hl7_start,
    .step = hl7_step,
};
