/* vigie scanner — DICOM: an A-ASSOCIATE-RQ for Verification (PS3.8 9.3.2)
 * from "VIGIE" to "ANY-SCP"; the A-ASSOCIATE-AC (its implementation class
 * and version), -RJ (result, source, reason) or A-ABORT says what the peer
 * thinks of us; after an AC, an A-RELEASE-RQ leaves politely.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define PDU_MAX (SCAN_SVC_IN_MAX - 6u)
#define PDU_RQ 0x01u
#define PDU_AC 0x02u
#define PDU_RJ 0x03u
#define PDU_RELEASE_RQ 0x05u
#define PDU_RELEASE_RP 0x06u
#define PDU_ABORT 0x07u
#define APP_CONTEXT "1.2.840.10008.3.1.1.1"
#define VERIFICATION "1.2.840.10008.1.1"
#define IMPLICIT_LE "1.2.840.10008.1.2"
/* Our implementation class: a UUID-derived OID (ISO/IEC 9834-8, "2.25."),
 * so it needs no registered root. */
#define VIGIE_CLASS_UID "2.25.203847562110950343619265843271120396301"
#define VIGIE_VERSION "VIGIE_0_1"

typedef struct dicom_state {
  bool released; /* A-RELEASE-RQ sent */
} dicom_state;

static void item(scan_wr *w, uint8_t type, const char *value) {
  scan_wr_u8(w, type);
  scan_wr_u8(w, 0);
  scan_wr_u16be(w, (uint16_t)strlen(value));
  scan_wr_str(w, value);
}

/* An AE title: 16 bytes, space padded. */
static void ae(scan_wr *w, const char *title) {
  char buf[16];
  size_t n = strlen(title);
  memset(buf, ' ', sizeof buf);
  memcpy(buf, title, n < 16 ? n : 16);
  scan_wr_bytes(w, buf, sizeof buf);
}

static scan_svc_verdict dicom_start(scan_svc_io *io) {
  scan_wr w;
  size_t pc, ui;
  scan_svc_out(io, &w);
  scan_wr_u8(&w, PDU_RQ);
  scan_wr_u8(&w, 0);
  scan_wr_u32be(&w, 0); /* length, set below */
  scan_wr_u16be(&w, 1); /* protocol version */
  scan_wr_u16be(&w, 0);
  ae(&w, "ANY-SCP");
  ae(&w, "VIGIE");
  for (int i = 0; i < 32; i++) scan_wr_u8(&w, 0);
  item(&w, 0x10, APP_CONTEXT);
  scan_wr_bytes(&w, "\x20\x00\x00\x00\x01\x00\x00\x00", 8); /* presentation context 1 */
  pc = w.len;
  item(&w, 0x30, VERIFICATION);
  item(&w, 0x40, IMPLICIT_LE);
  scan_wr_u16be_at(&w, pc - 6, (uint16_t)(w.len - pc + 4));
  scan_wr_bytes(&w, "\x50\x00\x00\x00", 4); /* user information */
  ui = w.len;
  scan_wr_bytes(&w, "\x51\x00\x00\x04\x00\x00\x40\x00", 8); /* maximum PDU: 16384 */
  item(&w, 0x52, VIGIE_CLASS_UID);
  item(&w, 0x55, VIGIE_VERSION);
  scan_wr_u16be_at(&w, ui - 2, (uint16_t)(w.len - ui));
  scan_wr_u32be_at(&w, 2, (uint32_t)(w.len - 6));
  return scan_svc_send(io, &w);
}

/* "OFFIS_DCMTK_367" names dcmtk 3.6.7. */
static bool product(scan_svc_io *io, const uint8_t *v, size_t len) {
  char ver[16];
  size_t n = 0;
  if (len < 12 || len > 20 || memcmp(v, "OFFIS_DCMTK_", 12) != 0) return true;
  for (size_t i = 12; i < len && n + 2 < sizeof ver; i++) {
    if (v[i] < '0' || v[i] > '9') return true;
    if (n > 0) ver[n++] = '.';
    ver[n++] = (char)v[i];
  }
  ver[n] = '\0';
  return scan_svc_fact_str(io, "product", "DCMTK") &&
         (n == 0 || scan_svc_fact_str(io, "version", ver));
}

/* Sub-items of User Information: implementation class UID (0x52) and
 * version name (0x55). */
static bool user_info(scan_svc_io *io, scan_rd *ui) {
  uint8_t type, reserved;
  uint16_t len;
  const uint8_t *v;
  while (scan_rd_left(ui) > 0) {
    if (scan_rd_u8(ui, &type) != SCAN_RD_OK || scan_rd_u8(ui, &reserved) != SCAN_RD_OK ||
        scan_rd_u16be(ui, &len) != SCAN_RD_OK || scan_rd_bytes(ui, len, &v) != SCAN_RD_OK)
      return false;
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == 0)) len--;
    if (io == NULL || len == 0) continue;
    if (type == 0x52 && !scan_svc_fact(io, "dicom.implementation_class_uid", v, len)) return false;
    if (type == 0x55 &&
        (!scan_svc_fact(io, "dicom.implementation_version", v, len) || !product(io, v, len)))
      return false;
  }
  return true;
}

/* The AC's variable items after its 68 fixed bytes; io NULL checks only. */
static bool ac_items(scan_svc_io *io, scan_rd pdu, bool *accepted) {
  uint8_t type, reserved;
  uint16_t len;
  scan_rd body;
  if (scan_rd_skip(&pdu, 68) != SCAN_RD_OK) return false;
  while (scan_rd_left(&pdu) > 0) {
    if (scan_rd_u8(&pdu, &type) != SCAN_RD_OK || scan_rd_u8(&pdu, &reserved) != SCAN_RD_OK ||
        scan_rd_u16be(&pdu, &len) != SCAN_RD_OK || scan_rd_sub(&pdu, len, &body) != SCAN_RD_OK)
      return false;
    /* Presentation context: id, reserved, result (0 acceptance), reserved. */
    if (type == 0x21 && body.len >= 3 && body.data[2] == 0) *accepted = true;
    if (type == 0x50 && !user_info(io, &body)) return false;
  }
  return true;
}

static scan_svc_verdict accept(scan_svc_io *io, scan_rd *pdu) {
  bool verification = false;
  if (!ac_items(NULL, *pdu, &verification)) return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "dicom", true) &&
            scan_svc_fact_str(io, "dicom.association", "accepted") &&
            scan_svc_fact_str(io, "dicom.verification", verification ? "accepted" : "rejected") &&
            ac_items(io, *pdu, &verification);
  if (!ok) return SCAN_SVC_ERROR;
  ((dicom_state *)io->state)->released = true;
  scan_wr w; /* A-RELEASE-RQ: type, reserved, length 4, 4 reserved bytes */
  scan_svc_out(io, &w);
  scan_wr_bytes(&w, "\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00", 10);
  return scan_svc_send(io, &w);
}

static const char *reject_reason(uint8_t source, uint8_t reason) {
  static const char *const user[] = {NULL,
                                     "no-reason-given",
                                     "application-context-name-not-supported",
                                     "calling-ae-title-not-recognized",
                                     NULL,
                                     NULL,
                                     NULL,
                                     "called-ae-title-not-recognized"};
  if (source == 1 && reason < 8 && user[reason] != NULL) return user[reason];
  if (source == 2) return reason == 2 ? "protocol-version-not-supported" : "no-reason-given";
  if (source == 3)
    return reason == 1   ? "temporary-congestion"
           : reason == 2 ? "local-limit-exceeded"
                         : "no-reason-given";
  return "unknown";
}

/* A-ASSOCIATE-RJ: reserved, result (1 permanent, 2 transient), source, reason. */
static scan_svc_verdict reject(scan_svc_io *io, scan_rd *pdu) {
  uint8_t reserved, result, source, reason;
  if (pdu->len != 4 || scan_rd_u8(pdu, &reserved) != SCAN_RD_OK ||
      scan_rd_u8(pdu, &result) != SCAN_RD_OK || scan_rd_u8(pdu, &source) != SCAN_RD_OK ||
      scan_rd_u8(pdu, &reason) != SCAN_RD_OK || (result != 1 && result != 2))
    return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "dicom", true) &&
            scan_svc_fact_str(io, "dicom.association", "rejected") &&
            scan_svc_fact_str(io, "dicom.reject_reason", reject_reason(source, reason)) &&
            scan_svc_fact_str(io, "dicom.reject_permanent", result == 1 ? "true" : "false");
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict dicom_step(scan_svc_io *io) {
  dicom_state *s = io->state;
  scan_rd r, pdu;
  uint8_t type, reserved;
  uint32_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u8(&r, &type);
  if (st == SCAN_RD_OK) st = scan_rd_u8(&r, &reserved);
  if (st == SCAN_RD_OK) st = scan_rd_u32be(&r, &len);
  if (st == SCAN_RD_OK && (len > PDU_MAX || (type != PDU_AC && type != PDU_RJ &&
                                             type != PDU_ABORT && type != PDU_RELEASE_RP)))
    return s->released ? SCAN_SVC_DONE : SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, len, &pdu);
  if (st != SCAN_RD_OK)
    return s->released && io->in_full ? SCAN_SVC_DONE : scan_svc_short_or(io, st, false);
  if (s->released) return SCAN_SVC_DONE; /* A-RELEASE-RP, or whatever ends it */
  if (type == PDU_AC) return accept(io, &pdu);
  if (type == PDU_RJ) return reject(io, &pdu);
  if (type == PDU_ABORT && len == 4)
    return scan_svc_end(scan_svc_identify(io, "dicom", true) &&
                            scan_svc_fact_str(io, "dicom.association", "aborted"),
                        SCAN_SVC_DONE);
  return SCAN_SVC_NOT_MINE;
}

static const uint16_t dicom_ports[] = {104, 11112, 4242, 0};

const scan_svc_module scan_svc_dicom = {
    .name = "dicom",
    .ports = dicom_ports,
    .server_first = false,
    .state_size = sizeof(dicom_state),
    .start = dicom_start,
    .step = dicom_step,
};
