/* vigie scanner — SMB: the multi-protocol SMB1 NEGOTIATE that every SMB
 * server understands ([MS-CIFS] 2.2.4.52, [MS-SMB2] 3.3.5.3.1), offering
 * "NT LM 0.12" and SMB 2; a server that picks SMB 2 is then asked the
 * SMB2 NEGOTIATE ([MS-SMB2] 2.2.3) with every dialect up to 3.1.1.
 *
 * smb.v1 says which side of the first offer the server took: true when it
 * answered in SMB1 (it cannot, or would rather not, speak SMB 2). A server
 * that picks SMB 2 may still accept SMB1 from a client offering nothing
 * else; proving that takes a connection of its own.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define NB_MAX 4096u /* a NEGOTIATE answer with its security blob */
#define SMB1_NEGOTIATE 0x72u
#define SMB2_WILDCARD 0x02ffu

typedef struct smb_state {
  bool smb2_sent;
} smb_state;

static const uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};

/* The NetBIOS session message header: type 0, 24-bit length, set later. */
static void nb_open(scan_wr *w) { scan_wr_u32be(w, 0); }
static void nb_close(scan_wr *w) { scan_wr_u32be_at(w, 0, (uint32_t)(w->len - 4)); }

static scan_svc_verdict smb_start(scan_svc_io *io) {
  static const char offer[] = "\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???";
  scan_wr w;
  scan_svc_out(io, &w);
  nb_open(&w);
  scan_wr_bytes(&w, "\xffSMB", 4);
  scan_wr_u8(&w, SMB1_NEGOTIATE);
  scan_wr_u32le(&w, 0);      /* status */
  scan_wr_u8(&w, 0x18);      /* flags: case-insensitive, canonical names */
  scan_wr_u16le(&w, 0xc843); /* flags2: unicode, NT status, extended security, long names */
  for (int i = 0; i < 12; i++) scan_wr_u8(&w, 0); /* PID high, signature, reserved */
  scan_wr_u16le(&w, 0);                           /* TID */
  scan_wr_u16le(&w, 0xfeff);                      /* PID */
  scan_wr_u16le(&w, 0);                           /* UID */
  scan_wr_u16le(&w, 0);                           /* MID */
  scan_wr_u8(&w, 0);                              /* word count */
  scan_wr_u16le(&w, sizeof offer);
  scan_wr_bytes(&w, offer, sizeof offer);
  nb_close(&w);
  return scan_svc_send(io, &w);
}

/* SMB2 NEGOTIATE with the pre-authentication integrity context that 3.1.1
 * requires (SHA-512, a salt) and an encryption context. */
static scan_svc_verdict smb2_negotiate(scan_svc_io *io) {
  scan_wr w;
  scan_svc_out(io, &w);
  nb_open(&w);
  scan_wr_bytes(&w, "\xfeSMB", 4);
  scan_wr_u16le(&w, 64);                         /* header size */
  for (int i = 0; i < 6; i++) scan_wr_u8(&w, 0); /* credit charge, status */
  scan_wr_u16le(&w, 0);                          /* NEGOTIATE */
  scan_wr_u16le(&w, 1);                          /* credits asked */
  scan_wr_u32le(&w, 0);                          /* flags */
  scan_wr_u32le(&w, 0);                          /* next command */
  scan_wr_u32le(&w, 1);                          /* message id: 0 went to the SMB1 negotiate */
  scan_wr_u32le(&w, 0);
  for (int i = 0; i < 4 + 4 + 8 + 16; i++)
    scan_wr_u8(&w, 0); /* process, tree, session, signature */
  scan_wr_u16le(&w, 36);
  scan_wr_u16le(&w, sizeof dialects / sizeof dialects[0]);
  scan_wr_u16le(&w, 1); /* security mode: signing enabled */
  scan_wr_u16le(&w, 0);
  scan_wr_u32le(&w, 0);                      /* capabilities */
  scan_wr_bytes(&w, "vigie-scanner-id", 16); /* client GUID */
  scan_wr_u32le(&w, 112);                    /* negotiate context offset (from the SMB2 header) */
  scan_wr_u16le(&w, 2);
  scan_wr_u16le(&w, 0);
  for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++) scan_wr_u16le(&w, dialects[i]);
  scan_wr_u16le(&w, 0); /* pad to 8 */
  scan_wr_u16le(&w, 1); /* PREAUTH_INTEGRITY_CAPABILITIES */
  scan_wr_u16le(&w, 38);
  scan_wr_u32le(&w, 0);
  scan_wr_u16le(&w, 1);  /* one hash */
  scan_wr_u16le(&w, 32); /* salt length */
  scan_wr_u16le(&w, 1);  /* SHA-512 */
  scan_wr_bytes(&w, "vigie-preauth-salt-32-bytes-long", 32);
  scan_wr_u16le(&w, 0); /* pad to 8 */
  scan_wr_u16le(&w, 2); /* ENCRYPTION_CAPABILITIES */
  scan_wr_u16le(&w, 6);
  scan_wr_u32le(&w, 0);
  scan_wr_u16le(&w, 2);
  scan_wr_u16le(&w, 2); /* AES-128-GCM */
  scan_wr_u16le(&w, 1); /* AES-128-CCM */
  nb_close(&w);
  ((smb_state *)io->state)->smb2_sent = true;
  return scan_svc_send(io, &w);
}

static bool signing(scan_svc_io *io, bool required, bool enabled) {
  return scan_svc_fact_str(io, "smb.signing",
                           required  ? "required"
                           : enabled ? "enabled"
                                     : "disabled");
}

/* SMB1 NEGOTIATE response: the dialect index, the security mode. */
static scan_svc_verdict smb1_answer(scan_svc_io *io, scan_rd *m) {
  uint8_t cmd, words, mode;
  uint32_t status;
  uint16_t index;
  if (scan_rd_u8(m, &cmd) != SCAN_RD_OK || cmd != SMB1_NEGOTIATE ||
      scan_rd_u32le(m, &status) != SCAN_RD_OK || scan_rd_skip(m, 23) != SCAN_RD_OK ||
      scan_rd_u8(m, &words) != SCAN_RD_OK)
    return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "smb", true);
  if (status != 0 || words == 0 || scan_rd_u16le(m, &index) != SCAN_RD_OK || index != 0)
    return scan_svc_end(ok, SCAN_SVC_ERROR); /* no dialect of ours */
  ok = ok && scan_svc_fact_str(io, "smb.v1", "true") &&
       scan_svc_fact_str(io, "smb.dialect", "NT LM 0.12");
  if (words >= 17 && scan_rd_u8(m, &mode) == SCAN_RD_OK)
    ok = ok && signing(io, mode & 0x08, mode & 0x04);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

/* SMB2 header then NEGOTIATE response: structure size 65, security mode,
 * dialect. A wildcard dialect asks for the SMB2 NEGOTIATE. */
static scan_svc_verdict smb2_answer(scan_svc_io *io, scan_rd *m) {
  uint16_t hsize, cmd, size, mode, dialect;
  uint32_t status;
  char text[16];
  smb_state *s = io->state;
  if (scan_rd_u16le(m, &hsize) != SCAN_RD_OK || hsize != 64 || scan_rd_skip(m, 2) != SCAN_RD_OK ||
      scan_rd_u32le(m, &status) != SCAN_RD_OK || scan_rd_u16le(m, &cmd) != SCAN_RD_OK || cmd != 0 ||
      scan_rd_skip(m, 64 - 14) != SCAN_RD_OK)
    return s->smb2_sent ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "smb", true);
  if (status != 0 || scan_rd_u16le(m, &size) != SCAN_RD_OK || size != 65 ||
      scan_rd_u16le(m, &mode) != SCAN_RD_OK || scan_rd_u16le(m, &dialect) != SCAN_RD_OK)
    return scan_svc_end(ok, SCAN_SVC_ERROR);
  if (!s->smb2_sent && !scan_svc_fact_str(io, "smb.v1", "false")) return SCAN_SVC_ERROR;
  if (dialect == SMB2_WILDCARD && !s->smb2_sent) return scan_svc_end(ok, smb2_negotiate(io));
  snprintf(text, sizeof text, "%x.%x.%x", (unsigned)(dialect >> 8), (unsigned)(dialect >> 4 & 0xf),
           (unsigned)(dialect & 0xf));
  ok = ok && scan_svc_fact_str(io, "smb.dialect", text) && signing(io, mode & 2, mode & 1);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict smb_step(scan_svc_io *io) {
  smb_state *s = io->state;
  scan_rd r, m;
  uint32_t nb;
  const uint8_t *magic;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u32be(&r, &nb);
  if (st == SCAN_RD_OK && (nb >> 24 != 0 || nb < 36 || nb > NB_MAX))
    return s->smb2_sent ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, nb, &m);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, s->smb2_sent);
  (void)scan_rd_bytes(&m, 4, &magic);
  if (memcmp(magic, "\xfeSMB", 4) == 0) return smb2_answer(io, &m);
  if (memcmp(magic, "\xffSMB", 4) == 0 && !s->smb2_sent) return smb1_answer(io, &m);
  return s->smb2_sent ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
}

static const uint16_t smb_ports[] = {445, 0};

const scan_svc_module scan_svc_smb = {
    .name = "smb",
    .ports = smb_ports,
    .server_first = false,
    .state_size = sizeof(smb_state),
    .start = smb_start,
    .step = smb_step,
};
