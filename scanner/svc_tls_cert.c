/* Certificate facts: what a server's chain says (names, validity, key,
 * signature, fingerprint), whether it matches the names the target is known
 * by (RFC 6125) and whether it verifies against the trust store. Reads DER
 * so that the live path, the unit tests and the fuzz target share it. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scanner/scan_int.h"

/* ------------------------------------------------------ name matching */

static bool is_ip_literal(const char *host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* Length of s without one trailing dot (the root label). */
static size_t trim_dot(const char *s, size_t len) {
  return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

static bool label_eq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
  return true;
}

bool scan_tls_name_match(const char *pattern, size_t len, const char *host) {
  if (pattern == NULL || host == NULL || memchr(pattern, '\0', len) != NULL) return false;
  if (is_ip_literal(host)) return false;
  size_t plen = trim_dot(pattern, len), hlen = trim_dot(host, strlen(host));
  if (plen == 0 || hlen == 0) return false;
  if (plen < 2 || pattern[0] != '*' || pattern[1] != '.') {
    /* No wildcard: a '*' anywhere else is a literal that never matches. */
    return memchr(pattern, '*', plen) == NULL && plen == hlen && label_eq(pattern, host, plen);
  }
  const char *rest = pattern + 1; /* ".example.org" */
  size_t rlen = plen - 1;
  /* At least two labels after the wildcard, so "*.org" matches nothing. */
  if (memchr(rest + 1, '.', rlen - 1) == NULL || memchr(rest, '*', rlen) != NULL) return false;
  const char *dot = memchr(host, '.', hlen);
  if (dot == NULL || dot == host) return false; /* the wildcard label is never empty */
  size_t hrest = hlen - (size_t)(dot - host);
  return hrest == rlen && label_eq(rest, dot, rlen);
}

/* --------------------------------------------------------- formatting */

static vigie_status add_name(scan_facts *out, const char *fact, const X509_NAME *name) {
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL) return VIGIE_ENOMEM;
  vigie_status status = VIGIE_ENOMEM;
  /* RFC 2253 with its escapes, but UTF-8 kept readable. */
  unsigned long flags = XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    status = scan_facts_add(out, fact, data != NULL ? data : "", n > 0 ? (size_t)n : 0);
  }
  BIO_free(bio);
  return status;
}

static vigie_status add_int(scan_facts *out, const char *fact, long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  return scan_facts_add_str(out, fact, buf);
}

/* An ASN1_TIME as ISO 8601 UTC, and as Unix seconds in *when. */
static vigie_status add_time(scan_facts *out, const char *fact, const ASN1_TIME *t, int64_t *when) {
  struct tm tm;
  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) return VIGIE_OK; /* left out: unreadable */
  char buf[96];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  *when = (int64_t)timegm(&tm);
  return scan_facts_add_str(out, fact, buf);
}

/* Floor division, so that a certificate expired an hour ago has -1 day. */
static long long days_floor(int64_t secs) {
  long long d = secs / 86400;
  return (secs % 86400 < 0) ? d - 1 : d;
}

static vigie_status add_validity(scan_facts *out, X509 *leaf, int64_t now) {
  int64_t not_before = 0, not_after = 0;
  vigie_status status = add_time(out, "cert.not_before", X509_get0_notBefore(leaf), &not_before);
  if (status == VIGIE_OK)
    status = add_time(out, "cert.not_after", X509_get0_notAfter(leaf), &not_after);
  if (status != VIGIE_OK || scan_facts_get(out, "cert.not_after") == NULL) return status;
  status = scan_facts_add_str(out, "cert.expired", now > not_after ? "true" : "false");
  if (status == VIGIE_OK) status = add_int(out, "cert.days_left", days_floor(not_after - now));
  if (status == VIGIE_OK && scan_facts_get(out, "cert.not_before") != NULL && now < not_before)
    status = scan_facts_add_str(out, "cert.not_yet_valid", "true");
  return status;
}

static const char *key_type_name(const EVP_PKEY *key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return "rsa";
    case EVP_PKEY_EC: return "ec";
    case EVP_PKEY_ED25519: return "ed25519";
    case EVP_PKEY_ED448: return "ed448";
    case EVP_PKEY_DSA: return "dsa";
    default: return "other";
  }
}

static vigie_status add_key(scan_facts *out, X509 *leaf) {
  EVP_PKEY *key = X509_get0_pubkey(leaf);
  if (key == NULL) return scan_facts_add_str(out, "cert.key_type", "unreadable");
  vigie_status status = scan_facts_add_str(out, "cert.key_type", key_type_name(key));
  if (status == VIGIE_OK) status = add_int(out, "cert.key_bits", EVP_PKEY_get_bits(key));
  char group[64];
  if (status == VIGIE_OK && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
      EVP_PKEY_get_group_name(key, group, sizeof group, NULL) == 1)
    status = scan_facts_add_str(out, "cert.key_curve", group);
  return status;
}

static vigie_status add_sig_alg(scan_facts *out, X509 *leaf) {
  int nid = X509_get_signature_nid(leaf);
  const char *name = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
  return scan_facts_add_str(out, "cert.sig_alg", name != NULL ? name : "unknown");
}

/* Self-signed: its subject names its issuer and its own key verifies its
 * signature (a mere name equality would call a forged look-alike so). */
static vigie_status add_self_signed(scan_facts *out, X509 *leaf) {
  EVP_PKEY *key = X509_get0_pubkey(leaf);
  bool self = X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(leaf)) == 0 &&
              key != NULL && X509_verify(leaf, key) == 1;
  ERR_clear_error(); /* a failed verify leaves its reason queued: not ours to report */
  return scan_facts_add_str(out, "cert.self_signed", self ? "true" : "false");
}

static vigie_status add_fingerprint(scan_facts *out, X509 *leaf) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(leaf, EVP_sha256(), md, &n) != 1) return VIGIE_ENOMEM;
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return scan_facts_add_str(out, "cert.sha256", hex);
}

/* ------------------------------------------------------ names and SANs */

static vigie_status add_ip_san(scan_facts *out, const ASN1_OCTET_STRING *ip) {
  char buf[INET6_ADDRSTRLEN];
  int len = ASN1_STRING_length(ip);
  int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, ASN1_STRING_get0_data(ip), buf, sizeof buf) == NULL)
    return scan_facts_add_str(out, "cert.san.invalid", "ip");
  return scan_facts_add_str(out, "cert.san", buf);
}

static vigie_status add_sans(scan_facts *out, const GENERAL_NAMES *sans) {
  vigie_status status = VIGIE_OK;
  for (int i = 0; status == VIGIE_OK && i < sk_GENERAL_NAME_num(sans); i++) {
    const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_DNS)
      status = scan_facts_add(out, "cert.san", ASN1_STRING_get0_data(gn->d.dNSName),
                              (size_t)ASN1_STRING_length(gn->d.dNSName));
    else if (gn->type == GEN_IPADD)
      status = add_ip_san(out, gn->d.iPAddress);
  }
  return status;
}

/* Whether one known name matches: an IP address against iPAddress SANs
 * only; a DNS name against dNSName SANs, or the CNs when there is no
 * dNSName (RFC 6125 section 6.4.4). */
static bool host_matches(X509 *leaf, const GENERAL_NAMES *sans, const char *host) {
  unsigned char ip[16];
  int iplen = inet_pton(AF_INET, host, ip) == 1 ? 4 : inet_pton(AF_INET6, host, ip) == 1 ? 16 : 0;
  bool any_dns = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
    const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_IPADD && iplen > 0 && ASN1_STRING_length(gn->d.iPAddress) == iplen &&
        memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), ip, (size_t)iplen) == 0)
      return true;
    if (gn->type != GEN_DNS) continue;
    any_dns = true;
    if (scan_tls_name_match((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
                            (size_t)ASN1_STRING_length(gn->d.dNSName), host))
      return true;
  }
  if (any_dns || iplen > 0) return false;
  const X509_NAME *subject = X509_get_subject_name(leaf);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    unsigned char *cn = NULL;
    int n = ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    bool ok = n > 0 && scan_tls_name_match((const char *)cn, (size_t)n, host);
    OPENSSL_free(cn);
    if (ok) return true;
  }
  return false;
}

static vigie_status add_names(scan_facts *out, X509 *leaf, const scan_tls_opts *opts) {
  GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
  vigie_status status = add_sans(out, sans);
  if (status == VIGIE_OK && opts->host_name_count > 0) {
    bool match = false;
    for (size_t i = 0; !match && i < opts->host_name_count; i++)
      match = opts->host_names[i] != NULL && host_matches(leaf, sans, opts->host_names[i]);
    status = scan_facts_add_str(out, "cert.name_mismatch", match ? "false" : "true");
  }
  GENERAL_NAMES_free(sans);
  ERR_clear_error(); /* a malformed extension is left out, not reported */
  return status;
}

/* --------------------------------------------------------------- trust */

static vigie_status add_trust(scan_facts *out, STACK_OF(X509) * chain, const scan_tls_opts *opts) {
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  vigie_status status = VIGIE_ENOMEM;
  if (store == NULL || ctx == NULL || untrusted == NULL) goto done;
  for (int i = 1; i < sk_X509_num(chain); i++)
    if (!sk_X509_push(untrusted, sk_X509_value(chain, i))) goto done;
  int loaded = opts->ca_file != NULL ? X509_STORE_load_file(store, opts->ca_file)
                                     : X509_STORE_set_default_paths(store);
  if (loaded != 1 || X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) != 1) {
    /* Trust unknown: say why, and leave cert.trusted out rather than guess. */
    char text[VIGIE_ERROR_MAX], why[VIGIE_ERROR_MAX + 16];
    scan_tls_error_text(text, sizeof text);
    snprintf(why, sizeof why, "trust store: %s", text);
    status = scan_facts_add_str(out, "cert.verify_error", why);
    goto done;
  }
  bool ok = X509_verify_cert(ctx) == 1;
  status = scan_facts_add_str(out, "cert.trusted", ok ? "true" : "false");
  if (status == VIGIE_OK && !ok)
    status = scan_facts_add_str(out, "cert.verify_error",
                                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
done:
  ERR_clear_error();
  sk_X509_free(untrusted); /* the certificates belong to chain */
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return status;
}

/* ------------------------------------------------------------ the chain */

/* Parse up to SCAN_TLS_CHAIN_MAX DER certificates, one after the other. */
static vigie_status parse_chain(const uint8_t *der, size_t len, STACK_OF(X509) * chain,
                                vigie_error *err) {
  const unsigned char *p = der, *end = der + len;
  while (p < end && sk_X509_num(chain) < SCAN_TLS_CHAIN_MAX) {
    long left = end - p > 0x7fffffff ? 0x7fffffff : (long)(end - p);
    X509 *x = d2i_X509(NULL, &p, left);
    if (x == NULL) break;
    if (!sk_X509_push(chain, x)) {
      X509_free(x);
      return VIGIE_ENOMEM;
    }
  }
  if (sk_X509_num(chain) == 0) return scan_tls_fail(err, VIGIE_ETLS, "certificate");
  ERR_clear_error();
  return VIGIE_OK;
}

static vigie_status add_leaf(scan_facts *out, X509 *leaf, const scan_tls_opts *opts, int64_t now) {
  vigie_status status = add_name(out, "cert.subject", X509_get_subject_name(leaf));
  if (status == VIGIE_OK) status = add_names(out, leaf, opts);
  if (status == VIGIE_OK) status = add_name(out, "cert.issuer", X509_get_issuer_name(leaf));
  if (status == VIGIE_OK) status = add_validity(out, leaf, now);
  if (status == VIGIE_OK) status = add_key(out, leaf);
  if (status == VIGIE_OK) status = add_sig_alg(out, leaf);
  if (status == VIGIE_OK) status = add_self_signed(out, leaf);
  if (status == VIGIE_OK) status = add_fingerprint(out, leaf);
  return status;
}

vigie_status scan_tls_cert_facts(const uint8_t *der, size_t len, const scan_tls_opts *opts,
                                 int64_t now, scan_facts *out, vigie_error *err) {
  if (der == NULL || opts == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "scan_tls_cert_facts: NULL argument");
  STACK_OF(X509) *chain = sk_X509_new_null();
  if (chain == NULL) return vigie_fail(err, VIGIE_ENOMEM, "certificate chain");
  vigie_status status = parse_chain(der, len, chain, err);
  if (status == VIGIE_OK) status = add_leaf(out, sk_X509_value(chain, 0), opts, now);
  if (status == VIGIE_OK) status = add_int(out, "cert.chain_length", sk_X509_num(chain));
  for (int i = 0; status == VIGIE_OK && i < sk_X509_num(chain); i++)
    status = add_name(out, "cert.chain", X509_get_subject_name(sk_X509_value(chain, i)));
  if (status == VIGIE_OK && !opts->skip_trust) status = add_trust(out, chain, opts);
  if (status == VIGIE_ENOMEM) vigie_fail(err, status, "certificate facts: out of memory");
  sk_X509_pop_free(chain, X509_free);
  ERR_clear_error();
  return status;
}
