/* vigie scanner — LDAP: an anonymous search of the root DSE (RFC 4512
 * 5.1), read with a minimal BER reader (RFC 4511 5.1: definite lengths
 * only, each one checked against what contains it).
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define MSG_MAX (SCAN_SVC_IN_MAX - 1u)
#define STARTTLS_OID "1.3.6.1.4.1.1466.20037"
#define SEARCH_ENTRY 0x64u
#define SEARCH_DONE 0x65u
#define EXTENDED_RESPONSE 0x78u

typedef struct attr_fact {
  const char *attr; /* as asked */
  const char *fact;
} attr_fact;

static const attr_fact attrs[] = {
    {"namingContexts", "ldap.naming_contexts"},
    {"supportedLDAPVersion", "ldap.versions"},
    {"vendorName", "product"},
    {"vendorVersion", "version"},
    {"supportedSASLMechanisms", "ldap.sasl_mechanisms"},
    {"supportedExtension", "ldap.extensions"},
    {"dnsHostName", "ldap.dns_host_name"},
    {"defaultNamingContext", "ldap.default_naming_context"},
    {"forestFunctionality", "ldap.forest_functionality"},
    {"domainFunctionality", "ldap.domain_functionality"},
};

/* One BER element: tag, definite length (RFC 4511 5.1 forbids the
 * indefinite form), then the contents as a reader. */
static scan_rd_status ber(scan_rd *r, uint8_t *tag, scan_rd *content) {
  uint8_t b;
  uint32_t len = 0;
  scan_rd_status st = scan_rd_u8(r, tag);
  if (st == SCAN_RD_OK && (*tag & 0x1f) == 0x1f)
    return SCAN_RD_BAD; /* multi-byte tags: not LDAP's */
  if (st == SCAN_RD_OK) st = scan_rd_u8(r, &b);
  if (st != SCAN_RD_OK) return st;
  if (b < 0x80) {
    len = b;
  } else {
    size_t n = b & 0x7f;
    if (n == 0 || n > 4) return SCAN_RD_BAD;
    for (size_t i = 0; i < n; i++) {
      if ((st = scan_rd_u8(r, &b)) != SCAN_RD_OK) return st;
      len = len << 8 | b;
    }
  }
  if (len > MSG_MAX) return SCAN_RD_BAD;
  return scan_rd_sub(r, len, content);
}

static void put_str(scan_wr *w, uint8_t tag, const char *s) {
  scan_wr_u8(w, tag);
  scan_wr_u8(w, (uint8_t)strlen(s)); /* our strings are all under 128 bytes */
  scan_wr_str(w, s);
}

/* SearchRequest, message 1: base "", scope base, no aliases, no limits,
 * (objectClass=*), the root DSE attributes we read. Lengths under 256 fit
 * the two-byte long form, written as 0x81 n. */
static scan_svc_verdict ldap_start(scan_svc_io *io) {
  scan_wr w;
  size_t attr_at;
  scan_svc_out(io, &w);
  scan_wr_bytes(&w, "\x30\x82\x00\x00\x02\x01\x01\x63\x82\x00\x00", 11);
  scan_wr_bytes(&w, "\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00", 17);
  put_str(&w, 0x87, "objectClass");
  scan_wr_bytes(&w, "\x30\x82\x00\x00", 4);
  attr_at = w.len;
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) put_str(&w, 0x04, attrs[i].attr);
  scan_wr_u16be_at(&w, attr_at - 2, (uint16_t)(w.len - attr_at));
  scan_wr_u16be_at(&w, 9, (uint16_t)(w.len - 11));
  scan_wr_u16be_at(&w, 2, (uint16_t)(w.len - 4));
  return scan_svc_send(io, &w);
}

static const char *fact_of(const uint8_t *name, size_t len) {
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
    if (strlen(attrs[i].attr) == len && scan_svc_find(name, len, attrs[i].attr) == name)
      return attrs[i].fact;
  return NULL;
}

/* One attribute: type, SET OF values. io NULL: only check the encoding. */
static bool attribute(scan_svc_io *io, scan_rd *a, size_t *values) {
  uint8_t tag;
  scan_rd type, set, v;
  if (ber(a, &tag, &type) != SCAN_RD_OK || tag != 0x04 || ber(a, &tag, &set) != SCAN_RD_OK ||
      tag != 0x31)
    return false;
  const char *fact = fact_of(type.data, type.len);
  while (scan_rd_left(&set) > 0) {
    if (ber(&set, &tag, &v) != SCAN_RD_OK || tag != 0x04) return false;
    (*values)++;
    if (io == NULL || fact == NULL) continue;
    if (!scan_svc_fact(io, fact, v.data, v.len)) return false;
    if (v.len == strlen(STARTTLS_OID) && memcmp(v.data, STARTTLS_OID, v.len) == 0 &&
        !scan_svc_fact_str(io, "starttls", "offered"))
      return false;
  }
  return true;
}

/* SearchResultEntry: objectName, then a SEQUENCE OF attributes. */
static bool entry(scan_svc_io *io, scan_rd *op, size_t *values) {
  uint8_t tag;
  scan_rd dn, list, a;
  if (ber(op, &tag, &dn) != SCAN_RD_OK || tag != 0x04 || ber(op, &tag, &list) != SCAN_RD_OK ||
      tag != 0x30)
    return false;
  while (scan_rd_left(&list) > 0)
    if (ber(&list, &tag, &a) != SCAN_RD_OK || tag != 0x30 || !attribute(io, &a, values))
      return false;
  return true;
}

/* The LDAPResult's resultCode (RFC 4511 4.1.9): the op's first element. */
static bool result_code(scan_rd *op, unsigned *code) {
  uint8_t tag, b;
  scan_rd v;
  if (ber(op, &tag, &v) != SCAN_RD_OK || tag != 0x0a || v.len == 0 || v.len > 2) return false;
  *code = 0;
  while (scan_rd_u8(&v, &b) == SCAN_RD_OK) *code = *code << 8 | b;
  return true;
}

/* Every message of the answer, up to SearchResultDone (or a notice of
 * disconnection). \return SHORT until it is all there, BAD on an encoding
 * error. With write false nothing is written: the first pass checks, so
 * that facts come only from a whole, well-formed answer. */
static scan_rd_status messages(scan_svc_io *io, bool write, size_t *values, unsigned *code) {
  scan_rd r, msg, id, op;
  uint8_t tag;
  bool done = false;
  scan_rd_init(&r, io->in, io->in_len);
  while (!done && scan_rd_left(&r) > 0) {
    scan_rd_status st = ber(&r, &tag, &msg);
    if (st != SCAN_RD_OK) return st;
    if (tag != 0x30 || ber(&msg, &tag, &id) != SCAN_RD_OK || tag != 0x02 ||
        ber(&msg, &tag, &op) != SCAN_RD_OK)
      return SCAN_RD_BAD;
    if (tag == SEARCH_ENTRY) {
      if (!entry(write ? io : NULL, &op, values)) return SCAN_RD_BAD;
    } else if (tag == SEARCH_DONE || tag == EXTENDED_RESPONSE) {
      if (!result_code(&op, code)) return SCAN_RD_BAD;
      done = true;
    } else if (tag != 0x73) { /* a SearchResultReference is allowed and skipped */
      return SCAN_RD_BAD;
    }
  }
  return done ? SCAN_RD_OK : SCAN_RD_SHORT;
}

static bool summary(scan_svc_io *io, size_t values, unsigned code) {
  char num[16];
  bool ok = scan_svc_fact_str(io, "ldap.anonymous_rootdse", values > 0 ? "true" : "false");
  if (code != 0) {
    snprintf(num, sizeof num, "%u", code);
    ok = ok && scan_svc_fact_str(io, "ldap.result_code", num);
  }
  /* Active Directory names no vendor; its functional levels give it away. */
  if (scan_facts_get(io->facts, "ldap.forest_functionality") != NULL &&
      scan_facts_get(io->facts, "product") == NULL)
    ok = ok && scan_svc_fact_str(io, "product", "Microsoft Active Directory");
  return ok;
}

static scan_svc_verdict ldap_step(scan_svc_io *io) {
  size_t values = 0;
  unsigned code = 0;
  if (io->in_len > 0 && io->in[0] != 0x30) return SCAN_SVC_NOT_MINE;
  scan_rd_status st = messages(io, false, &values, &code);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  values = 0;
  bool ok = scan_svc_identify(io, "ldap", true) &&
            messages(io, true, &values, &code) == SCAN_RD_OK && summary(io, values, code);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static const uint16_t ldap_ports[] = {389, 3268, 0};

const scan_svc_module scan_svc_ldap = {
    .name = "ldap",
    .ports = ldap_ports,
    .server_first = false,
    .state_size = 0,
    .start = ldap_start,
    .step = ldap_step,
};
