/* Facts of the certificates in cACertificate (AD's NTAuth store,
 * certification authorities, AIA): key type and size, signature hash, and
 * whether the bytes decode at all. One value of each fact per certificate,
 * in the attribute's order, so "any value" predicates see each of them. */
#include <ctype.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "ldapa_facts_util.h"

/* Upper-case OpenSSL's short names ("rsaEncryption" is not one: the base
 * types are named here). */
static void pki_key_type(EVP_PKEY *key, char *out, size_t size) {
  int id = EVP_PKEY_get_base_id(key);
  const char *name = id == EVP_PKEY_RSA       ? "RSA"
                     : id == EVP_PKEY_DSA     ? "DSA"
                     : id == EVP_PKEY_EC      ? "EC"
                     : id == EVP_PKEY_ED25519 ? "ED25519"
                     : id == EVP_PKEY_ED448   ? "ED448"
                                              : OBJ_nid2sn(id);
  snprintf(out, size, "%s", name != NULL ? name : "UNKNOWN");
}

static void pki_hash(const X509 *x, char *out, size_t size) {
  int md = NID_undef, pk = NID_undef, bits = 0;
  uint32_t flags = 0;
  const char *name =
      X509_get_signature_info((X509 *)x, &md, &pk, &bits, &flags) == 1 && md != NID_undef
          ? OBJ_nid2sn(md)
          : NULL;
  snprintf(out, size, "%s", name != NULL ? name : "UNKNOWN");
  for (char *p = out; *p; p++) *p = (char)toupper((unsigned char)*p);
}

static vigie_status pki_cert_facts(ldapa_dir *dir, ldapa_obj *obj, const ldapa_value *v,
                                   vigie_error *err) {
  const unsigned char *p = (const unsigned char *)v->data;
  X509 *x = v->len < LONG_MAX ? d2i_X509(NULL, &p, (long)v->len) : NULL;
  EVP_PKEY *key = x != NULL ? X509_get0_pubkey(x) : NULL;
  /* Trailing bytes after the certificate: not a clean DER value. */
  bool decodable = key != NULL && p == (const unsigned char *)v->data + v->len;
  vigie_status status = ldapa_obj_add_str(dir, obj, "decodable", decodable ? "TRUE" : "FALSE", err);
  if (decodable && status == VIGIE_OK) {
    char type[32], hash[32];
    pki_key_type(key, type, sizeof type);
    pki_hash(x, hash, sizeof hash);
    status = ldapa_obj_add_str(dir, obj, "key_type", type, err);
    if (status == VIGIE_OK)
      status = ldapa_obj_add_int(dir, obj, "key_bits", EVP_PKEY_get_bits(key), err);
    if (status == VIGIE_OK) status = ldapa_obj_add_str(dir, obj, "signature_hash", hash, err);
  }
  X509_free(x);
  return status;
}

vigie_status ldapa_facts_pki(ldapa_dir *dir, vigie_error *err) {
  static const char *const facts[] = {"decodable", "key_type", "key_bits", "signature_hash"};
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < ldapa_dir_set_size(dir, LDAPA_SET_PKI_CAS) && status == VIGIE_OK; i++) {
    ldapa_obj *obj = ldapa_dir_set_at(dir, LDAPA_SET_PKI_CAS, i);
    for (size_t f = 0; f < sizeof facts / sizeof facts[0]; f++) ldapa_obj_clear(obj, facts[f]);
    const ldapa_value *v = NULL;
    size_t n = ldapa_obj_values(obj, "cACertificate", &v);
    for (size_t k = 0; k < n && status == VIGIE_OK; k++)
      status = pki_cert_facts(dir, obj, &v[k], err);
  }
  return status;
}
