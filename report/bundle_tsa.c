/* Proof bundle: RFC 3161 requests and the checks every token goes through,
 * whether it came from a TSA just now, from another machine, or is read
 * back by verify. */
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "report/bundle_int.h"

static vigie_status tsq_fill(TS_REQ *req, const unsigned char sum[32], vigie_error *err) {
  TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
  X509_ALGOR *alg = X509_ALGOR_new();
  unsigned char raw[8];
  BIGNUM *bn = NULL;
  ASN1_INTEGER *nonce = NULL;
  bool ok = mi != NULL && alg != NULL &&
            X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) == 1 &&
            TS_MSG_IMPRINT_set_algo(mi, alg) == 1 && TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)sum, 32) == 1 &&
            TS_REQ_set_version(req, 1) == 1 && TS_REQ_set_msg_imprint(req, mi) == 1 &&
            TS_REQ_set_cert_req(req, 1) == 1;
  /* A 63-bit positive nonce ties the answer to this request. */
  if (ok && RAND_bytes(raw, sizeof raw) == 1) {
    raw[0] &= 0x7f;
    raw[0] |= 0x01;
    ok = (bn = BN_bin2bn(raw, sizeof raw, NULL)) != NULL &&
         (nonce = BN_to_ASN1_INTEGER(bn, NULL)) != NULL && TS_REQ_set_nonce(req, nonce) == 1;
  } else {
    ok = false;
  }
  BN_free(bn);
  ASN1_INTEGER_free(nonce);
  X509_ALGOR_free(alg);
  TS_MSG_IMPRINT_free(mi);
  return ok ? VIGIE_OK : rpt_bundle_ssl_fail(err, VIGIE_ENOMEM, "cannot build the timestamp request");
}

vigie_status rpt_bundle_tsq_new(const unsigned char sum[32], TS_REQ **req, vigie_error *err) {
  *req = TS_REQ_new();
  if (*req == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status = tsq_fill(*req, sum, err);
  if (status != VIGIE_OK) {
    TS_REQ_free(*req);
    *req = NULL;
  }
  return status;
}

static vigie_status status_check(TS_RESP *resp, vigie_error *err) {
  TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
  long st = si ? ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)) : -1;
  if (st == 0 || st == 1) return VIGIE_OK; /* granted, grantedWithMods */
  const STACK_OF(ASN1_UTF8STRING) *text = si ? TS_STATUS_INFO_get0_text(si) : NULL;
  const ASN1_UTF8STRING *t = text && sk_ASN1_UTF8STRING_num(text) > 0
                                 ? sk_ASN1_UTF8STRING_value(text, 0) : NULL;
  return vigie_fail(err, VIGIE_EPROTO, "the TSA refused the request: PKIStatus %ld%s%.*s", st,
                    t ? ": " : "", t ? ASN1_STRING_length(t) : 0,
                    t ? (const char *)ASN1_STRING_get0_data(t) : "");
}

static vigie_status imprint_check(TS_TST_INFO *tst, const unsigned char sum[32], TS_REQ *req,
                                  vigie_error *err) {
  TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
  X509_ALGOR *alg = mi ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
  const ASN1_OBJECT *oid = NULL;
  if (alg != NULL) X509_ALGOR_get0(&oid, NULL, NULL, alg);
  if (oid == NULL || OBJ_obj2nid(oid) != NID_sha256)
    return vigie_fail(err, VIGIE_EVERIFY, "the token's imprint is not a SHA-256");
  ASN1_OCTET_STRING *msg = TS_MSG_IMPRINT_get_msg(mi);
  if (msg == NULL || ASN1_STRING_length(msg) != 32 ||
      memcmp(ASN1_STRING_get0_data(msg), sum, 32) != 0)
    return vigie_fail(err, VIGIE_EVERIFY, "the token is for another MANIFEST (imprint differs)");
  const ASN1_INTEGER *want = req ? TS_REQ_get_nonce(req) : NULL;
  const ASN1_INTEGER *got = TS_TST_INFO_get_nonce(tst);
  if (want != NULL && (got == NULL || ASN1_INTEGER_cmp(want, got) != 0))
    return vigie_fail(err, VIGIE_EVERIFY, "the token's nonce is not the request's (a replay?)");
  return VIGIE_OK;
}

/* Without a CA: the signature must still be intact under the certificate
 * the token carries, so a damaged token is caught; who signed is unknown. */
static vigie_status signature_intact(PKCS7 *token, vigie_error *err) {
  STACK_OF(PKCS7_SIGNER_INFO) *sinfos = PKCS7_get_signer_info(token);
  PKCS7_SIGNER_INFO *si = sinfos && sk_PKCS7_SIGNER_INFO_num(sinfos) == 1
                              ? sk_PKCS7_SIGNER_INFO_value(sinfos, 0) : NULL;
  X509 *signer = si ? PKCS7_cert_from_signer_info(token, si) : NULL;
  if (signer == NULL)
    return vigie_fail(err, VIGIE_EVERIFY,
                      "the token carries no signer certificate (ask the TSA for certReq)");
  BIO *p7bio = PKCS7_dataInit(token, NULL);
  char buf[4096];
  bool ok = p7bio != NULL;
  while (ok && BIO_read(p7bio, buf, sizeof buf) > 0) continue;
  ok = ok && PKCS7_signatureVerify(p7bio, token, si, signer) == 1;
  BIO_free_all(p7bio);
  if (!ok) return rpt_bundle_ssl_fail(err, VIGIE_EVERIFY, "the token's signature does not verify");
  return VIGIE_OK;
}

static vigie_status signer_check(TS_RESP *resp, const char *ca_file, vigie_error *err) {
  TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
  X509_STORE *store = X509_STORE_new();
  if (ctx == NULL || store == NULL) {
    TS_VERIFY_CTX_free(ctx);
    X509_STORE_free(store);
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  }
  if (X509_STORE_load_file(store, ca_file) != 1) {
    TS_VERIFY_CTX_free(ctx);
    X509_STORE_free(store);
    return rpt_bundle_ssl_fail(err, VIGIE_ESYNTAX, "%s: cannot read PEM certificates", ca_file);
  }
  TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE);
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
  TS_VERIFY_CTX_set0_store(ctx, store);
#else
  TS_VERIFY_CTX_set_store(ctx, store); /* the context frees it */
#endif
  vigie_status status = VIGIE_OK;
  if (TS_RESP_verify_response(ctx, resp) != 1)
    status = rpt_bundle_ssl_fail(err, VIGIE_EVERIFY,
                                 "the TSA's signature or chain does not verify against %s", ca_file);
  TS_VERIFY_CTX_free(ctx);
  return status;
}

static void stamp_time(TS_TST_INFO *tst, rpt_bundle_stamp *stamp) {
  const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(tst);
  struct tm tm;
  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
      strftime(stamp->time, sizeof stamp->time, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(stamp->time, sizeof stamp->time, "unknown");
}

vigie_status rpt_bundle_tsr_check(const unsigned char *der, size_t len, const unsigned char sum[32],
                                  TS_REQ *req, const char *ca_file, rpt_bundle_stamp *stamp,
                                  vigie_error *err) {
  const unsigned char *p = der;
  TS_RESP *resp = len <= RPT_BUNDLE_SMALL_MAX ? d2i_TS_RESP(NULL, &p, (long)len) : NULL;
  if (resp == NULL || p != der + len) {
    TS_RESP_free(resp);
    return rpt_bundle_ssl_fail(err, VIGIE_EPROTO, "not a DER TimeStampResp (RFC 3161)");
  }
  vigie_status status = status_check(resp, err);
  TS_TST_INFO *tst = TS_RESP_get_tst_info(resp);
  PKCS7 *token = TS_RESP_get_token(resp);
  if (status == VIGIE_OK && (tst == NULL || token == NULL))
    status = vigie_fail(err, VIGIE_EPROTO, "the answer holds no timestamp token");
  if (status == VIGIE_OK) status = imprint_check(tst, sum, req, err);
  if (status == VIGIE_OK)
    status = ca_file ? signer_check(resp, ca_file, err) : signature_intact(token, err);
  if (status == VIGIE_OK) {
    stamp_time(tst, stamp);
    stamp->signer_checked = ca_file != NULL;
  }
  TS_RESP_free(resp);
  ERR_clear_error();
  return status;
}
