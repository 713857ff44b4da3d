/* vigie scanner — SSH: the identification line (RFC 4253 4.2), then the
 * server's KEXINIT (7.1) for its algorithms.
 *
 * Step 1 reads the server's line and answers with ours and a KEXINIT of
 * our own, so that any server goes on to send its KEXINIT; step 2 reads
 * that binary packet. Nothing past the KEXINITs is ever sent.
 */
#include <string.h>

#include "scanner/scan_int.h"

#define ID_MAX 255u       /* RFC 4253 4.2: the line is at most 255 bytes */
#define PACKET_MAX 35000u /* RFC 4253 6.1: the least every peer must take */
#define KEXINIT 20u
#define DISCONNECT 1u

/* Name lists of a KEXINIT, in order, and the fact each one feeds (NULL:
 * read and skipped). */
static const char *const lists[10] = {
    "ssh.kex", "ssh.hostkey",     "ssh.cipher", NULL, "ssh.mac",
    NULL,      "ssh.compression", NULL,         NULL, NULL,
};

/* What we offer: broad, so that old and new servers alike go on. */
static const char *const offer[10] = {
    ("curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,diffie-hellman-group14-"
     "sha1,"
     "diffie-hellman-group1-sha1"),
    "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss",
    "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-cbc,3des-"
    "cbc",
    "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-cbc,3des-"
    "cbc",
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha2-256-etm@openssh.com",
    "none,zlib@openssh.com",
    "none,zlib@openssh.com",
    "",
    "",
};

typedef struct ssh_state {
  bool sent; /* our identification and KEXINIT went out */
} ssh_state;

static scan_svc_verdict ssh_start(scan_svc_io *io) {
  io->out_len = 0; /* the server speaks first */
  return SCAN_SVC_MORE;
}

/* Our identification, then one binary packet: length, padding length,
 * KEXINIT payload, padding to a multiple of 8 (RFC 4253 6). The cookie is
 * zero: it only salts a key exchange we never complete. */
static scan_svc_verdict send_ours(scan_svc_io *io) {
  scan_wr w;
  size_t start, payload;
  scan_svc_out(io, &w);
  scan_wr_str(&w, "SSH-2.0-vigie\r\n");
  start = w.len;
  scan_wr_u32be(&w, 0);
  scan_wr_u8(&w, 0);
  scan_wr_u8(&w, KEXINIT);
  for (int i = 0; i < 16; i++) scan_wr_u8(&w, 0);
  for (int i = 0; i < 10; i++) {
    scan_wr_u32be(&w, (uint32_t)strlen(offer[i]));
    scan_wr_str(&w, offer[i]);
  }
  scan_wr_u8(&w, 0);    /* first_kex_packet_follows */
  scan_wr_u32be(&w, 0); /* reserved */
  payload = w.len - start - 5;
  size_t pad = 8 - (5 + payload) % 8;
  if (pad < 4) pad += 8;
  for (size_t i = 0; i < pad; i++) scan_wr_u8(&w, 0);
  scan_wr_u32be_at(&w, start, (uint32_t)(1 + payload + pad));
  if (start + 4 < w.len) w.data[start + 4] = (uint8_t)pad;
  return scan_svc_send(io, &w);
}

/* "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3": protocol, software, comments. */
static bool id_facts(scan_svc_io *io, const uint8_t *p, size_t len) {
  const uint8_t *soft = memchr(p + 4, '-', len - 4), *sp;
  size_t slen;
  if (!scan_svc_identify(io, "ssh", false) || !scan_svc_banner(io, p, len)) return false;
  if (soft == NULL) return true;
  if (!scan_svc_fact(io, "ssh.protocol", p + 4, (size_t)(soft - p - 4))) return false;
  soft++;
  slen = len - (size_t)(soft - p);
  sp = memchr(soft, ' ', slen);
  if (sp != NULL) {
    size_t ilen = slen - (size_t)(sp - soft) - 1;
    if (ilen > 0 && !scan_svc_fact(io, "info", sp + 1, ilen)) return false;
    slen = (size_t)(sp - soft);
  }
  return scan_svc_product_token(io, soft, slen);
}

static scan_svc_verdict read_id(scan_svc_io *io) {
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_expect(&r, "SSH-", 4);
  if (st == SCAN_RD_OK) st = scan_rd_line(&r, ID_MAX, &p, &len);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  if (!id_facts(io, p, len)) return SCAN_SVC_ERROR;
  ((ssh_state *)io->state)->sent = true;
  return send_ours(io);
}

/* One name-list (RFC 4251 5): a length, then names separated by commas. */
static scan_rd_status name_list(scan_rd *r, scan_svc_io *io, const char *fact) {
  uint32_t len;
  const uint8_t *p;
  scan_rd_status st = scan_rd_u32be(r, &len);
  if (st == SCAN_RD_OK) st = scan_rd_bytes(r, len, &p);
  if (st != SCAN_RD_OK) return SCAN_RD_BAD; /* the packet is whole: it lies */
  if (fact != NULL && !scan_svc_fact_list(io, fact, p, len, ',')) return SCAN_RD_BAD;
  return SCAN_RD_OK;
}

/* The server's binary packet; the whole of it must have arrived first so
 * that facts are written once. */
static scan_svc_verdict read_kexinit(scan_svc_io *io) {
  scan_rd r, pkt;
  uint32_t plen;
  uint8_t pad, msg;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u32be(&r, &plen);
  if (st == SCAN_RD_OK && (plen < 2 || plen > PACKET_MAX)) return SCAN_SVC_ERROR;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, plen, &pkt);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  if (scan_rd_u8(&pkt, &pad) != SCAN_RD_OK || pad >= plen - 1 ||
      scan_rd_u8(&pkt, &msg) != SCAN_RD_OK)
    return SCAN_SVC_ERROR;
  pkt.len -= pad;
  if (msg == DISCONNECT)
    return scan_svc_end(scan_svc_fact_str(io, "ssh.disconnected", "true"), SCAN_SVC_ERROR);
  if (msg != KEXINIT || scan_rd_skip(&pkt, 16) != SCAN_RD_OK) return SCAN_SVC_ERROR;
  for (int i = 0; i < 10; i++)
    if (name_list(&pkt, io, lists[i]) != SCAN_RD_OK) return SCAN_SVC_ERROR;
  return scan_svc_end(scan_svc_identify(io, "ssh", true), SCAN_SVC_DONE);
}

static scan_svc_verdict ssh_step(scan_svc_io *io) {
  return ((ssh_state *)io->state)->sent ? read_kexinit(io) : read_id(io);
}

static const uint16_t ssh_ports[] = {22, 2222, 0};

const scan_svc_module scan_svc_ssh = {
    .name = "ssh",
    .ports = ssh_ports,
    .server_first = true,
    .state_size = sizeof(ssh_state),
    .start = ssh_start,
    .step = ssh_step,
};
