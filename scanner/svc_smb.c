/* vigie scanner — SMB: the multi-protocol SMB1 NEGOTIATE that every SMB
 * server understands ([MS-CIFS] 2.2.4.52, [MS-SMB2] 3.3.5.3.1), offering
 * "NT LM 0.12" and SMB 2; a server that picks SMB 2 is then asked the
 * SMB2 NEGOTIATE ([MS-SMB2] 2.2.3) with every dialect up to 3.1.1, then an
 * SMB2 SESSION_SETUP ([MS-SMB2] 2.2.5) carrying an NTLMSSP NEGOTIATE_MESSAGE
 * ([MS-NLMP] 2.2.1.1). The server's CHALLENGE_MESSAGE (2.2.1.2) names it
 * (NetBIOS and DNS names, domain, forest) and states its OS version; we
 * stop there: no AUTHENTICATE_MESSAGE, no credentials, no session.
 *
 * On port 139 the NetBIOS session service wants a session request first
 * (RFC 1002 4.3.2); we call "*SMBSERVER", the name Windows and Samba both
 * answer to whatever their own.
 *
 * smb.v1 says whether the server accepts SMB1. A server that answers the
 * first offer in SMB1 does. One that picks SMB 2 there may still accept
 * SMB1 from a client offering nothing else (Samba with server min protocol
 * = NT1 and Windows with SMB1 enabled both pick SMB 2): once the SMB 2
 * exchange is over, the module asks for a connection of its own
 * (SCAN_SVC_RECONNECT) and offers "NT LM 0.12" alone there. A dialect index
 * other than 0xFFFF is SMB1 accepted; 0xFFFF (Samba 4.17's answer), an
 * error status, a closed connection (Windows with SMB1 off) or an SMB 2
 * answer is SMB1 refused. No clear answer leaves smb.v1 unset.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scanner/scan_int.h"

#define NB_MAX 4096u /* a NEGOTIATE answer with its security blob */
#define NB_SESSION_REQUEST 0x81u
#define NB_POSITIVE 0x82u
#define NB_NEGATIVE 0x83u
#define SMB1_NEGOTIATE 0x72u
#define SMB1_SESSION_SETUP 0x73u
#define SMB1_CAP_EXTENDED_SECURITY 0x80000000u
#define SMB1_FLAGS2_UNICODE 0x8000u
#define SMB2_NEGOTIATE 0u
#define SMB2_SESSION_SETUP 1u
#define SMB2_WILDCARD 0x02ffu
#define STATUS_MORE_PROCESSING_REQUIRED 0xc0000016u
#define NTLM_NEGOTIATE_LEN 40u
#define NTLM_CHALLENGE 2u
#define NTLM_FLAG_VERSION 0x02000000u
#define NAME_MAX_UTF16 512u /* bytes of a name AV pair we decode (DNS names: 255 characters) */

/* Where the conversation is: which request is out. */
typedef enum smb_phase {
  SMB_NEGOTIATE1 = 0, /* the SMB1 multi-protocol NEGOTIATE */
  SMB_NBSS,           /* port 139: the NetBIOS session request */
  SMB_NEGOTIATE2,     /* the SMB2 NEGOTIATE */
  SMB_SETUP,          /* the SMB2 SESSION_SETUP with the NTLMSSP NEGOTIATE_MESSAGE */
  SMB_SETUP1,         /* the same in SMB1: SESSION_SETUP_ANDX, extended security */
  SMB_V1_ONLY,        /* on a new connection: the NEGOTIATE offering NT LM 0.12 alone */
} smb_phase;

typedef struct smb_state {
  uint8_t phase;    /* smb_phase */
  uint8_t mid;      /* the next SMB2 message id */
  bool named_guid;  /* ServerGuid is a NUL-padded host name (see is_samba) */
  bool v1_probe;    /* on the SMB1-only connection (its NetBIOS session on 139) */
} smb_state;

static const uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};

/* A server that has answered in SMB is confirmed: a broken answer after
 * that is an ERROR, not another protocol. */
static bool confirmed(const smb_state *s) {
  return s->phase == SMB_NEGOTIATE2 || s->phase == SMB_SETUP || s->phase == SMB_SETUP1 ||
         s->v1_probe;
}

/* The NetBIOS session message header: type 0, 24-bit length, set later. */
static void nb_open(scan_wr *w) { scan_wr_u32be(w, 0); }
static void nb_close(scan_wr *w) { scan_wr_u32be_at(w, 0, (uint32_t)(w->len - 4)); }

/* A NetBIOS name, first-level encoded (RFC 1001 14.1): 15 characters padded
 * with spaces and a suffix byte, each nibble as 'A' + nibble, no scope. */
static void nb_name(scan_wr *w, const char *name, uint8_t suffix) {
  size_t n = strlen(name);
  scan_wr_u8(w, 32);
  for (size_t i = 0; i < 16; i++) {
    uint8_t c = i == 15 ? suffix : i < n ? (uint8_t)name[i] : (uint8_t)' ';
    scan_wr_u8(w, (uint8_t)('A' + (c >> 4)));
    scan_wr_u8(w, (uint8_t)('A' + (c & 0x0f)));
  }
  scan_wr_u8(w, 0);
}

static scan_svc_verdict nb_session_request(scan_svc_io *io) {
  scan_wr w;
  scan_svc_out(io, &w);
  scan_wr_u32be(&w, NB_SESSION_REQUEST << 24); /* type, flags, length set below */
  nb_name(&w, "*SMBSERVER", 0x20);             /* called: the file server service */
  nb_name(&w, "VIGIE", 0x00);                  /* calling: a workstation */
  scan_wr_u16be_at(&w, 2, (uint16_t)(w.len - 4));
  ((smb_state *)io->state)->phase = SMB_NBSS;
  return scan_svc_send(io, &w);
}

/* The SMB1 header ([MS-CIFS] 2.2.3.1) of a request with message id mid. */
static void smb1_header(scan_wr *w, uint8_t command, uint16_t mid) {
  scan_wr_bytes(w, "\xffSMB", 4);
  scan_wr_u8(w, command);
  scan_wr_u32le(w, 0);      /* status */
  scan_wr_u8(w, 0x18);      /* flags: case-insensitive, canonical names */
  scan_wr_u16le(w, 0xc843); /* flags2: unicode, NT status, extended security, long names */
  for (int i = 0; i < 12; i++) scan_wr_u8(w, 0); /* PID high, signature, reserved */
  scan_wr_u16le(w, 0);                           /* TID */
  scan_wr_u16le(w, 0xfeff);                      /* PID */
  scan_wr_u16le(w, 0);                           /* UID */
  scan_wr_u16le(w, mid);
}

/* The SMB1 NEGOTIATE: every dialect we speak, or (v1_probe) NT LM 0.12
 * alone, the question of the SMB1-only connection. */
static scan_svc_verdict smb1_negotiate(scan_svc_io *io) {
  static const char all[] = "\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???";
  static const char v1[] = "\x02NT LM 0.12";
  smb_state *s = io->state;
  scan_wr w;
  scan_svc_out(io, &w);
  nb_open(&w);
  smb1_header(&w, SMB1_NEGOTIATE, 0);
  scan_wr_u8(&w, 0); /* word count */
  scan_wr_u16le(&w, s->v1_probe ? sizeof v1 : sizeof all);
  scan_wr_bytes(&w, s->v1_probe ? v1 : all, s->v1_probe ? sizeof v1 : sizeof all);
  nb_close(&w);
  s->phase = s->v1_probe ? SMB_V1_ONLY : SMB_NEGOTIATE1;
  return scan_svc_send(io, &w);
}

static scan_svc_verdict smb_start(scan_svc_io *io) {
  return io->port == 139 ? nb_session_request(io) : smb1_negotiate(io);
}

/* The SMB 2 exchange is over: the same first request again, on a new
 * connection, this time offering SMB1 alone. */
static scan_svc_verdict v1_probe(scan_svc_io *io) {
  ((smb_state *)io->state)->v1_probe = true;
  scan_svc_verdict v = smb_start(io);
  return v == SCAN_SVC_NEXT ? SCAN_SVC_RECONNECT : v;
}

static bool v1_fact(scan_svc_io *io, bool accepted, const char *answer) {
  return scan_svc_fact_str(io, "smb.v1", accepted ? "true" : "false") &&
         scan_svc_fact_str(io, "smb.v1_answer", answer);
}

/* The answer to NT LM 0.12 alone ([MS-CIFS] 2.2.4.52.2): a dialect index
 * of 0xFFFF, or an error status, is no; any other index is yes. */
static scan_svc_verdict v1_only_answer(scan_svc_io *io, scan_rd *m) {
  uint8_t cmd, words;
  uint32_t status;
  uint16_t index;
  if (scan_rd_u8(m, &cmd) != SCAN_RD_OK || cmd != SMB1_NEGOTIATE ||
      scan_rd_u32le(m, &status) != SCAN_RD_OK || scan_rd_skip(m, 23) != SCAN_RD_OK ||
      scan_rd_u8(m, &words) != SCAN_RD_OK)
    return SCAN_SVC_ERROR;
  if (status != 0 || words == 0) return scan_svc_end(v1_fact(io, false, "error"), SCAN_SVC_DONE);
  if (scan_rd_u16le(m, &index) != SCAN_RD_OK) return SCAN_SVC_ERROR;
  if (index == 0xffffu) return scan_svc_end(v1_fact(io, false, "no-dialect"), SCAN_SVC_DONE);
  return scan_svc_end(v1_fact(io, true, "accepted"), SCAN_SVC_DONE);
}

/* The SMB2 header of a request: one credit asked, message id mid (the
 * SMB1 NEGOTIATE took 0), no session yet. */
static void smb2_header(scan_wr *w, uint16_t command, uint32_t mid) {
  scan_wr_bytes(w, "\xfeSMB", 4);
  scan_wr_u16le(w, 64);                         /* header size */
  for (int i = 0; i < 6; i++) scan_wr_u8(w, 0); /* credit charge, status */
  scan_wr_u16le(w, command);
  scan_wr_u16le(w, 1); /* credits asked */
  scan_wr_u32le(w, 0); /* flags */
  scan_wr_u32le(w, 0); /* next command */
  scan_wr_u32le(w, mid);
  scan_wr_u32le(w, 0);
  for (int i = 0; i < 4 + 4 + 8 + 16; i++) scan_wr_u8(w, 0); /* process, tree, session, signature */
}

/* SMB2 NEGOTIATE with the pre-authentication integrity context that 3.1.1
 * requires (SHA-512, a salt) and an encryption context. */
static scan_svc_verdict smb2_negotiate(scan_svc_io *io) {
  smb_state *s = io->state;
  scan_wr w;
  scan_svc_out(io, &w);
  nb_open(&w);
  smb2_header(&w, SMB2_NEGOTIATE, s->mid++);
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
  s->phase = SMB_NEGOTIATE2;
  return scan_svc_send(io, &w);
}

/* NTLMSSP NEGOTIATE_MESSAGE: no domain, no workstation; flags UNICODE,
 * REQUEST_TARGET, NTLM, ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, VERSION
 * (so that the CHALLENGE_MESSAGE carries the server's), 128, 56. The
 * VERSION that follows is ours, zero but for the NTLM revision (15). */
static void ntlm_negotiate(scan_wr *w) {
  scan_wr_bytes(w, "NTLMSSP\0", 8);
  scan_wr_u32le(w, 1);
  scan_wr_u32le(w, 0xa2088205u);
  for (int i = 0; i < 16; i++) scan_wr_u8(w, 0); /* domain and workstation fields */
  for (int i = 0; i < 7; i++) scan_wr_u8(w, 0);
  scan_wr_u8(w, 15);
}

static scan_svc_verdict smb2_session_setup(scan_svc_io *io) {
  smb_state *s = io->state;
  scan_wr w;
  scan_svc_out(io, &w);
  nb_open(&w);
  smb2_header(&w, SMB2_SESSION_SETUP, s->mid++);
  scan_wr_u16le(&w, 25);
  scan_wr_u8(&w, 0);          /* flags: no binding */
  scan_wr_u8(&w, 1);          /* security mode: signing enabled */
  scan_wr_u32le(&w, 0);       /* capabilities */
  scan_wr_u32le(&w, 0);       /* channel */
  scan_wr_u16le(&w, 64 + 24); /* security buffer offset, from the SMB2 header */
  scan_wr_u16le(&w, NTLM_NEGOTIATE_LEN);
  scan_wr_u32le(&w, 0); /* previous session id */
  scan_wr_u32le(&w, 0);
  ntlm_negotiate(&w);
  nb_close(&w);
  s->phase = SMB_SETUP;
  return scan_svc_send(io, &w);
}

/* SESSION_SETUP_ANDX with extended security ([MS-SMB] 2.2.4.6.1): the
 * same NTLMSSP NEGOTIATE_MESSAGE as the blob, empty native OS and LAN
 * manager strings (Unicode, aligned on 2 from the SMB header). */
static scan_svc_verdict smb1_session_setup(scan_svc_io *io) {
  scan_wr w;
  scan_svc_out(io, &w);
  nb_open(&w);
  smb1_header(&w, SMB1_SESSION_SETUP, 1);
  scan_wr_u8(&w, 12);       /* word count */
  scan_wr_u32le(&w, 0xff);  /* no AndX command */
  scan_wr_u16le(&w, 4356);  /* max buffer size */
  scan_wr_u16le(&w, 1);     /* max mpx count */
  scan_wr_u16le(&w, 0);     /* VC number */
  scan_wr_u32le(&w, 0);     /* session key */
  scan_wr_u16le(&w, NTLM_NEGOTIATE_LEN);
  scan_wr_u32le(&w, 0);
  scan_wr_u32le(&w, 0x80000054u); /* unicode, NT SMBs, NT status, extended security */
  scan_wr_u16le(&w, NTLM_NEGOTIATE_LEN + 1 + 4);
  ntlm_negotiate(&w);
  for (int i = 0; i < 5; i++) scan_wr_u8(&w, 0); /* pad, two empty strings */
  nb_close(&w);
  ((smb_state *)io->state)->phase = SMB_SETUP1;
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
  uint32_t status, caps;
  uint16_t index;
  if (scan_rd_u8(m, &cmd) != SCAN_RD_OK || cmd != SMB1_NEGOTIATE ||
      scan_rd_u32le(m, &status) != SCAN_RD_OK || scan_rd_skip(m, 23) != SCAN_RD_OK ||
      scan_rd_u8(m, &words) != SCAN_RD_OK)
    return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "smb", true);
  if (status != 0 || words == 0 || scan_rd_u16le(m, &index) != SCAN_RD_OK || index != 0)
    return scan_svc_end(ok, SCAN_SVC_ERROR); /* no dialect of ours */
  ok = ok && v1_fact(io, true, "picked") && scan_svc_fact_str(io, "smb.dialect", "NT LM 0.12");
  if (words < 17 || scan_rd_u8(m, &mode) != SCAN_RD_OK) return scan_svc_end(ok, SCAN_SVC_DONE);
  ok = ok && signing(io, mode & 0x08, mode & 0x04);
  /* Max mpx, VCs, buffer and raw sizes, session key, then capabilities. */
  if (scan_rd_skip(m, 16) != SCAN_RD_OK || scan_rd_u32le(m, &caps) != SCAN_RD_OK ||
      !(caps & SMB1_CAP_EXTENDED_SECURITY))
    return scan_svc_end(ok, SCAN_SVC_DONE);
  return scan_svc_end(ok, smb1_session_setup(io));
}

/* The 64-byte SMB2 header after its magic: size 64, status, command. */
static bool smb2_header_read(scan_rd *m, uint32_t *status, uint16_t *cmd) {
  uint16_t hsize;
  return scan_rd_u16le(m, &hsize) == SCAN_RD_OK && hsize == 64 && scan_rd_skip(m, 2) == SCAN_RD_OK &&
         scan_rd_u32le(m, status) == SCAN_RD_OK && scan_rd_u16le(m, cmd) == SCAN_RD_OK &&
         scan_rd_skip(m, 64 - 14) == SCAN_RD_OK;
}

/* Samba sends as ServerGuid its NetBIOS name in lower case, NUL-padded
 * (smbd 4.17 in the lab: "lab-data" and eight NULs); a real GUID is random
 * and all but never a run of name characters then only NULs. */
static bool guid_is_name(const uint8_t *g) {
  size_t n = 0;
  while (n < 16 && ((g[n] >= 'a' && g[n] <= 'z') || (g[n] >= '0' && g[n] <= '9') || g[n] == '-' ||
                    g[n] == '_' || g[n] == '.'))
    n++;
  for (size_t i = n; i < 16; i++)
    if (g[i] != 0) return false;
  return n > 0 && n < 16;
}

static bool dialect_fact(scan_svc_io *io, uint16_t dialect) {
  char text[16];
  snprintf(text, sizeof text, "%x.%x.%x", (unsigned)(dialect >> 8), (unsigned)(dialect >> 4 & 0xf),
           (unsigned)(dialect & 0xf));
  return scan_svc_fact_str(io, "smb.dialect", text);
}

/* SMB2 NEGOTIATE response: structure size 65, security mode, dialect,
 * ServerGuid. A wildcard dialect asks for the SMB2 NEGOTIATE; a real one
 * for the SESSION_SETUP. */
static scan_svc_verdict smb2_answer(scan_svc_io *io, scan_rd *m) {
  uint16_t cmd, size, mode, dialect;
  uint32_t status;
  const uint8_t *guid;
  smb_state *s = io->state;
  bool first = s->phase == SMB_NEGOTIATE1;
  if (!smb2_header_read(m, &status, &cmd) || cmd != SMB2_NEGOTIATE)
    return first ? SCAN_SVC_NOT_MINE : SCAN_SVC_ERROR;
  bool ok = scan_svc_identify(io, "smb", true);
  if (status != 0 || scan_rd_u16le(m, &size) != SCAN_RD_OK || size != 65 ||
      scan_rd_u16le(m, &mode) != SCAN_RD_OK || scan_rd_u16le(m, &dialect) != SCAN_RD_OK ||
      scan_rd_skip(m, 2) != SCAN_RD_OK || scan_rd_bytes(m, 16, &guid) != SCAN_RD_OK)
    return scan_svc_end(ok, SCAN_SVC_ERROR);
  /* The SMB1 NEGOTIATE took message id 0: the next SMB2 request is 1. */
  if (first) s->mid = 1;
  if (dialect == SMB2_WILDCARD && first) return scan_svc_end(ok, smb2_negotiate(io));
  s->named_guid = guid_is_name(guid);
  ok = ok && dialect_fact(io, dialect) && signing(io, mode & 2, mode & 1);
  return scan_svc_end(ok, smb2_session_setup(io));
}

/* ------------------------------------------------ the CHALLENGE_MESSAGE */

/* A name AV pair (UTF-16LE) as UTF-8; an unpaired surrogate becomes
 * U+FFFD. \return false when the name is longer than NAME_MAX_UTF16. */
static bool utf16_name(const uint8_t *p, size_t n, char *out, size_t *len) {
  size_t at = 0;
  if (n > NAME_MAX_UTF16) return false;
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint32_t c = (uint32_t)(p[i] | p[i + 1] << 8), lo;
    bool pair = c >= 0xd800 && c < 0xdc00 && i + 3 < n &&
                (lo = (uint32_t)(p[i + 2] | p[i + 3] << 8)) >= 0xdc00 && lo < 0xe000;
    if (pair) c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00), i += 2;
    else if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    if (c < 0x80) {
      out[at++] = (char)c;
    } else if (c < 0x800) {
      out[at++] = (char)(0xc0 | c >> 6), out[at++] = (char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out[at++] = (char)(0xe0 | c >> 12), out[at++] = (char)(0x80 | (c >> 6 & 0x3f));
      out[at++] = (char)(0x80 | (c & 0x3f));
    } else {
      out[at++] = (char)(0xf0 | c >> 18), out[at++] = (char)(0x80 | (c >> 12 & 0x3f));
      out[at++] = (char)(0x80 | (c >> 6 & 0x3f)), out[at++] = (char)(0x80 | (c & 0x3f));
    }
  }
  *len = at;
  return true;
}

/* MsvAvTimestamp: a FILETIME (100 ns since 1601), as UTC ISO 8601. */
static bool timestamp_fact(scan_svc_io *io, scan_rd *v) {
  uint32_t lo, hi;
  char text[32];
  struct tm tm;
  if (scan_rd_u32le(v, &lo) != SCAN_RD_OK || scan_rd_u32le(v, &hi) != SCAN_RD_OK) return true;
  uint64_t secs = ((uint64_t)hi << 32 | lo) / 10000000u;
  if (secs < 11644473600u) return true; /* before 1970: a broken clock, nothing to say */
  time_t t = (time_t)(secs - 11644473600u);
  if (gmtime_r(&t, &tm) == NULL || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return true;
  return scan_svc_fact_str(io, "smb.time", text);
}

/* One AV pair of TargetInfo ([MS-NLMP] 2.2.2.1): the names become facts,
 * the timestamp the server's clock; the others say nothing of the host. */
static bool av_pair(scan_svc_io *io, uint16_t id, scan_rd *v) {
  static const char *const names[] = {NULL,            "smb.netbios_name", "smb.netbios_domain",
                                      "smb.dns_name",  "smb.dns_domain",   "smb.dns_forest"};
  char text[NAME_MAX_UTF16 * 2];
  size_t len;
  const uint8_t *p;
  if (id == 7) return timestamp_fact(io, v);
  if (id == 0 || id >= sizeof names / sizeof names[0]) return true;
  size_t n = scan_rd_left(v);
  if (n == 0 || scan_rd_bytes(v, n, &p) != SCAN_RD_OK || !utf16_name(p, n, text, &len)) return true;
  return scan_svc_fact(io, names[id], text, len);
}

/* TargetInfo: AV pairs up to MsvAvEOL or its end; each value inside it. */
static bool target_info(scan_svc_io *io, scan_rd *ti) {
  bool ok = true;
  uint16_t id, len;
  scan_rd v;
  while (ok && scan_rd_u16le(ti, &id) == SCAN_RD_OK && id != 0 &&
         scan_rd_u16le(ti, &len) == SCAN_RD_OK && scan_rd_sub(ti, len, &v) == SCAN_RD_OK)
    ok = av_pair(io, id, &v);
  return ok;
}

/* The Windows releases a VERSION's build number names. */
typedef struct win_build {
  uint16_t build;
  const char *name;
} win_build;

static const win_build win_builds[] = {
    {2195, "Windows 2000"},
    {2600, "Windows XP"},
    {3790, "Windows Server 2003 / XP x64"},
    {6001, "Windows Server 2008 / Vista SP1"},
    {6002, "Windows Server 2008 SP2 / Vista SP2"},
    {7600, "Windows Server 2008 R2 / 7"},
    {7601, "Windows Server 2008 R2 SP1 / 7 SP1"},
    {9200, "Windows Server 2012 / 8"},
    {9600, "Windows Server 2012 R2 / 8.1"},
    {10240, "Windows 10 1507"},
    {14393, "Windows Server 2016 / 10 1607"},
    {17763, "Windows Server 2019 / 10 1809"},
    {19041, "Windows 10 2004"},
    {19042, "Windows 10 20H2"},
    {19043, "Windows 10 21H1"},
    {19044, "Windows 10 21H2"},
    {19045, "Windows 10 22H2"},
    {20348, "Windows Server 2022"},
    {22000, "Windows 11 21H2"},
    {22621, "Windows 11 22H2"},
    {22631, "Windows 11 23H2"},
    {26100, "Windows Server 2025 / 11 24H2"},
};

/* Samba's NTLMSSP server fills the VERSION with constants, not the host's:
 * 6.1, build 0, revision 15 (smbd 4.17 in the lab says exactly that);
 * Windows states its real build, which is never 0. With the ServerGuid
 * habit (guid_is_name), either is Samba's own doing. */
static bool is_samba(const smb_state *s, uint8_t major, uint8_t minor, uint16_t build) {
  return (major == 6 && minor == 1 && build == 0) || s->named_guid;
}

/* Windows: an NT major version (5, 6, 10) and a build from Windows 2000
 * on; the release named when the build is a known one. */
static bool windows_product(scan_svc_io *io, uint8_t major, uint8_t minor, uint16_t build) {
  char version[24];
  if ((major != 5 && major != 6 && major != 10) || build < 2195) return true;
  snprintf(version, sizeof version, "%u.%u.%u", major, minor, build);
  bool ok = scan_svc_fact_str(io, "product", "Microsoft Windows") &&
            scan_svc_fact_str(io, "version", version);
  for (size_t i = 0; ok && i < sizeof win_builds / sizeof win_builds[0]; i++)
    if (win_builds[i].build == build) return scan_svc_fact_str(io, "info", win_builds[i].name);
  return ok;
}

/* VERSION ([MS-NLMP] 2.2.2.10): smb.os_version as stated, then the product. */
static bool os_version(scan_svc_io *io, scan_rd *c) {
  uint8_t major, minor, revision;
  uint16_t build;
  char text[24];
  if (scan_rd_u8(c, &major) != SCAN_RD_OK || scan_rd_u8(c, &minor) != SCAN_RD_OK ||
      scan_rd_u16le(c, &build) != SCAN_RD_OK || scan_rd_skip(c, 3) != SCAN_RD_OK ||
      scan_rd_u8(c, &revision) != SCAN_RD_OK)
    return true;
  snprintf(text, sizeof text, "%u.%u.%u", major, minor, build);
  if (!scan_svc_fact_str(io, "smb.os_version", text)) return false;
  if (scan_facts_get(io->facts, "product") != NULL) return true; /* SMB1 named it already */
  if (is_samba(io->state, major, minor, build)) return scan_svc_fact_str(io, "product", "Samba");
  return windows_product(io, major, minor, build);
}

/* CHALLENGE_MESSAGE: the fixed fields, the VERSION when the flags say it
 * is there, then TargetInfo at the offset it gives, checked against the
 * message's own length. \return false on ENOMEM or a broken message. */
static bool challenge(scan_svc_io *io, const uint8_t *p, size_t n) {
  scan_rd c, all, ti;
  uint32_t type, flags, ti_off;
  uint16_t ti_len;
  scan_rd_init(&c, p, n);
  if (scan_rd_skip(&c, 8) != SCAN_RD_OK || scan_rd_u32le(&c, &type) != SCAN_RD_OK ||
      type != NTLM_CHALLENGE || scan_rd_skip(&c, 8) != SCAN_RD_OK ||
      scan_rd_u32le(&c, &flags) != SCAN_RD_OK || scan_rd_skip(&c, 16) != SCAN_RD_OK ||
      scan_rd_u16le(&c, &ti_len) != SCAN_RD_OK || scan_rd_skip(&c, 2) != SCAN_RD_OK ||
      scan_rd_u32le(&c, &ti_off) != SCAN_RD_OK)
    return false;
  scan_rd_init(&all, p, n);
  if (scan_rd_skip(&all, ti_off) != SCAN_RD_OK || scan_rd_sub(&all, ti_len, &ti) != SCAN_RD_OK)
    return false;
  /* The VERSION sits between the fixed fields and the payload. */
  bool ok = true;
  if ((flags & NTLM_FLAG_VERSION) && (ti_len == 0 || ti_off >= 56)) ok = os_version(io, &c);
  return ok && target_info(io, &ti);
}

/* Where the NTLMSSP message starts in a security blob: at once for raw
 * NTLMSSP, inside the negTokenResp's responseToken for SPNEGO ([RFC 4178]
 * 4.2.2), where the OCTET STRING holds it whole. */
static const uint8_t *ntlmssp_in(const uint8_t *blob, size_t n, size_t *left) {
  for (size_t i = 0; i + 12 <= n; i++)
    if (memcmp(blob + i, "NTLMSSP\0\x02\0\0\0", 12) == 0) {
      *left = n - i;
      return blob + i;
    }
  return NULL;
}

/* SESSION_SETUP response ([MS-SMB2] 2.2.6): MORE_PROCESSING_REQUIRED with
 * the server's token at the offset it gives from the SMB2 header. Any other
 * status is a server that will not talk NTLM to strangers: done. */
static scan_svc_verdict setup_answer(scan_svc_io *io, scan_rd *m, const scan_rd *msg) {
  uint32_t status;
  uint16_t cmd, size, off, len;
  const uint8_t *blob, *ntlm;
  size_t left;
  scan_rd at = *msg, sec;
  if (!smb2_header_read(m, &status, &cmd) || cmd != SMB2_SESSION_SETUP) return SCAN_SVC_ERROR;
  if (status != STATUS_MORE_PROCESSING_REQUIRED) return SCAN_SVC_DONE;
  if (scan_rd_u16le(m, &size) != SCAN_RD_OK || size != 9 || scan_rd_skip(m, 2) != SCAN_RD_OK ||
      scan_rd_u16le(m, &off) != SCAN_RD_OK || scan_rd_u16le(m, &len) != SCAN_RD_OK ||
      scan_rd_skip(&at, off) != SCAN_RD_OK || scan_rd_sub(&at, len, &sec) != SCAN_RD_OK ||
      scan_rd_bytes(&sec, len, &blob) != SCAN_RD_OK)
    return SCAN_SVC_ERROR;
  ntlm = ntlmssp_in(blob, len, &left);
  if (ntlm == NULL) return SCAN_SVC_DONE; /* another mechanism than NTLMSSP: nothing to read */
  return challenge(io, ntlm, left) ? SCAN_SVC_DONE : SCAN_SVC_ERROR;
}

/* A NUL-terminated UTF-16LE string of SESSION_SETUP_ANDX's answer, as the
 * fact name; its bytes must end inside the message. Where it lies goes to
 * *p and *len when p is not NULL. */
static bool native_string(scan_svc_io *io, scan_rd *r, const char *name, const uint8_t **p,
                          size_t *len) {
  char text[NAME_MAX_UTF16 * 2];
  size_t n = 0, out;
  uint16_t unit = 1;
  const uint8_t *start = r->data + r->off;
  while (n < NAME_MAX_UTF16 && scan_rd_u16le(r, &unit) == SCAN_RD_OK && unit != 0) n += 2;
  if (unit != 0 || n == 0) return true;
  if (!utf16_name(start, n, text, &out)) return true;
  if (p != NULL) *p = start, *len = n;
  return scan_svc_fact(io, name, text, out);
}

/* NativeLanMan "Samba 4.17.12-Debian" names product and version; the
 * VERSION of the challenge that follows then decides nothing more. */
static bool lanman_product(scan_svc_io *io, const uint8_t *p, size_t n) {
  char text[NAME_MAX_UTF16 * 2];
  size_t len;
  if (n == 0 || !utf16_name(p, n, text, &len) || len < 6 || memcmp(text, "Samba ", 6) != 0)
    return true;
  return scan_svc_product_token(io, (const uint8_t *)text, len);
}

/* SESSION_SETUP_ANDX response with extended security ([MS-SMB] 2.2.4.6.2):
 * MORE_PROCESSING_REQUIRED, four words (AndX, action, blob length), the
 * security blob, then NativeOS and NativeLanMan, Unicode when flags2 says
 * so (aligned on 2 from the SMB header). */
static scan_svc_verdict smb1_setup_answer(scan_svc_io *io, scan_rd *m) {
  uint8_t cmd, words;
  uint16_t flags2, blob_len;
  uint32_t status;
  const uint8_t *blob, *lanman = NULL, *ntlm;
  size_t lanman_len = 0, left;
  if (scan_rd_u8(m, &cmd) != SCAN_RD_OK || cmd != SMB1_SESSION_SETUP ||
      scan_rd_u32le(m, &status) != SCAN_RD_OK || scan_rd_skip(m, 1) != SCAN_RD_OK ||
      scan_rd_u16le(m, &flags2) != SCAN_RD_OK || scan_rd_skip(m, 20) != SCAN_RD_OK ||
      scan_rd_u8(m, &words) != SCAN_RD_OK)
    return SCAN_SVC_ERROR;
  if (status != STATUS_MORE_PROCESSING_REQUIRED) return SCAN_SVC_DONE;
  if (words != 4 || scan_rd_skip(m, 6) != SCAN_RD_OK || scan_rd_u16le(m, &blob_len) != SCAN_RD_OK ||
      scan_rd_skip(m, 2) != SCAN_RD_OK || scan_rd_bytes(m, blob_len, &blob) != SCAN_RD_OK)
    return SCAN_SVC_ERROR;
  bool ok = true;
  if ((flags2 & SMB1_FLAGS2_UNICODE) && m->off % 2 == 1) (void)scan_rd_skip(m, 1);
  if (flags2 & SMB1_FLAGS2_UNICODE)
    ok = native_string(io, m, "smb.native_os", NULL, NULL) &&
         native_string(io, m, "smb.native_lanman", &lanman, &lanman_len) &&
         lanman_product(io, lanman, lanman_len);
  ntlm = ntlmssp_in(blob, blob_len, &left);
  if (!ok || ntlm == NULL) return scan_svc_end(ok, SCAN_SVC_DONE);
  return challenge(io, ntlm, left) ? SCAN_SVC_DONE : SCAN_SVC_ERROR;
}

/* ------------------------------------------------------------- the steps */

/* RFC 1002 4.3.3/4.3.4: a positive response (no data) lets SMB begin; a
 * negative one (an error code) still proves the session service. */
static scan_svc_verdict nbss_answer(scan_svc_io *io) {
  scan_rd r;
  uint8_t type, flags, code;
  uint16_t len;
  bool again = ((const smb_state *)io->state)->v1_probe; /* the SMB1-only connection */
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u8(&r, &type);
  if (st == SCAN_RD_OK && type != NB_POSITIVE && type != NB_NEGATIVE)
    return again ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_u8(&r, &flags);
  if (st == SCAN_RD_OK) st = scan_rd_u16be(&r, &len);
  if (st == SCAN_RD_OK && (flags != 0 || len != (type == NB_POSITIVE ? 0 : 1)))
    return again ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK && type == NB_NEGATIVE) st = scan_rd_u8(&r, &code);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, again);
  if (type == NB_POSITIVE) return smb1_negotiate(io);
  if (again) return SCAN_SVC_DONE; /* refused this time: SMB1 stays unknown */
  char text[8];
  snprintf(text, sizeof text, "0x%02x", code);
  return scan_svc_end(scan_svc_identify(io, "smb", true) &&
                          scan_svc_fact_str(io, "smb.netbios_refused", text),
                      SCAN_SVC_DONE);
}

static scan_svc_verdict smb_step(scan_svc_io *io) {
  smb_state *s = io->state;
  scan_rd r, m, msg;
  uint32_t nb;
  const uint8_t *magic;
  bool mine = confirmed(s);
  if (s->phase == SMB_NBSS) return nbss_answer(io);
  /* Closed at once on the SMB1-only offer: Windows with SMB1 off does so. */
  if (s->phase == SMB_V1_ONLY && io->in_len == 0 && io->in_full)
    return scan_svc_end(v1_fact(io, false, "closed"), SCAN_SVC_DONE);
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u32be(&r, &nb);
  if (st == SCAN_RD_OK && (nb >> 24 != 0 || nb < 36 || nb > NB_MAX))
    return mine ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, nb, &m);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, mine);
  msg = m;
  (void)scan_rd_bytes(&m, 4, &magic);
  if (s->phase == SMB_V1_ONLY && memcmp(magic, "\xfeSMB", 4) == 0)
    return scan_svc_end(v1_fact(io, false, "smb2"), SCAN_SVC_DONE);
  if (s->phase == SMB_V1_ONLY && memcmp(magic, "\xffSMB", 4) == 0) return v1_only_answer(io, &m);
  if (s->phase == SMB_SETUP && memcmp(magic, "\xfeSMB", 4) == 0) {
    scan_svc_verdict v = setup_answer(io, &m, &msg);
    return v == SCAN_SVC_DONE ? v1_probe(io) : v;
  }
  if (memcmp(magic, "\xfeSMB", 4) == 0) return smb2_answer(io, &m);
  if (memcmp(magic, "\xffSMB", 4) == 0 && s->phase == SMB_NEGOTIATE1) return smb1_answer(io, &m);
  if (memcmp(magic, "\xffSMB", 4) == 0 && s->phase == SMB_SETUP1) return smb1_setup_answer(io, &m);
  return mine ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
}

/* 139 after 445: the NetBIOS session service carries the same SMB. */
static const uint16_t smb_ports[] = {445, 139, 0};

const scan_svc_module scan_svc_smb = {
    .name = "smb",
    .ports = smb_ports,
    .server_first = false,
    .state_size = sizeof(smb_state),
    .start = smb_start,
    .step = smb_step,
};
