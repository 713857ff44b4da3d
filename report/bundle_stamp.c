/* Proof bundle: get an RFC 3161 token for MANIFEST, online (HTTP POST to a
 * TSA) or by hand (write the request, install the reply). Only MANIFEST is
 * read, so a copy of it alone can be stamped on a connected machine. */
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ssl.h>

#include "report/bundle_int.h"

#define TSA_DEFAULT_TIMEOUT 30

static vigie_status manifest_sum(const char *dir, unsigned char sum[32], vigie_error *err) {
  int rootfd = -1;
  unsigned char *buf = NULL;
  size_t len = 0;
  vigie_status status = rpt_bundle_open_dir(dir, &rootfd, err);
  if (status == VIGIE_OK)
    status = rpt_bundle_read_at(rootfd, RPT_BUNDLE_MANIFEST, RPT_BUNDLE_MANIFEST_MAX, &buf, &len, err);
  if (status == VIGIE_ENOENT)
    vigie_fail(err, status, "%s/" RPT_BUNDLE_MANIFEST ": no such file (sign the folder first: "
               "vigie bundle)", dir);
  if (status == VIGIE_OK) rpt_bundle_sha256(buf, len, sum);
  if (rootfd >= 0) close(rootfd);
  vigie_free(buf);
  return status;
}

/* TLS for an https TSA: the token is signed anyway, but the server name is
 * still checked so a proxy cannot answer in its place unnoticed. */
typedef struct tsa_tls {
  SSL_CTX *ctx;
  const char *host;
} tsa_tls;

static BIO *tsa_tls_cb(BIO *bio, void *arg, int connect, int detail) {
  const tsa_tls *tls = arg;
  if (!connect || !detail) return bio;
  BIO *sbio = BIO_new_ssl(tls->ctx, 1);
  SSL *ssl = NULL;
  if (sbio == NULL || BIO_get_ssl(sbio, &ssl) <= 0 || SSL_set_tlsext_host_name(ssl, tls->host) != 1 ||
      SSL_set1_host(ssl, tls->host) != 1) {
    BIO_free(sbio);
    return NULL;
  }
  return BIO_push(sbio, bio);
}

static vigie_status read_bio(BIO *bio, unsigned char **der, size_t *len, vigie_error *err) {
  char *data = NULL;
  long n = BIO_get_mem_data(bio, &data);
  if (n <= 0) return vigie_fail(err, VIGIE_EPROTO, "the TSA sent an empty answer");
  *der = vigie_malloc((size_t)n);
  if (*der == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  memcpy(*der, data, (size_t)n);
  *len = (size_t)n;
  return VIGIE_OK;
}

static vigie_status tsa_transfer(const rpt_bundle_tsa *tsa, const char *host, const char *port,
                                 const char *path, int use_ssl, BIO *req, unsigned char **der,
                                 size_t *len, vigie_error *err) {
  tsa_tls tls = {NULL, host};
  if (use_ssl) {
    tls.ctx = SSL_CTX_new(TLS_client_method());
    if (tls.ctx == NULL || SSL_CTX_set_default_verify_paths(tls.ctx) != 1)
      return rpt_bundle_ssl_fail(err, VIGIE_ETLS, "cannot set up TLS");
    SSL_CTX_set_verify(tls.ctx, SSL_VERIFY_PEER, NULL);
  }
  /* proxy and no_proxy NULL: OpenSSL reads http_proxy, https_proxy and
   * no_proxy from the environment. */
  BIO *rsp = OSSL_HTTP_transfer(NULL, host, port, path, use_ssl, NULL, NULL, NULL, NULL,
                                use_ssl ? tsa_tls_cb : NULL, &tls, 0, NULL,
                                "application/timestamp-query", req, NULL, 1, RPT_BUNDLE_SMALL_MAX,
                                tsa->timeout > 0 ? tsa->timeout : TSA_DEFAULT_TIMEOUT, 0);
  vigie_status status = VIGIE_OK;
  if (rsp == NULL)
    status = rpt_bundle_ssl_fail(err, VIGIE_ECONNECT, "timestamp authority %s: no answer", tsa->url);
  else
    status = read_bio(rsp, der, len, err);
  BIO_free(rsp);
  SSL_CTX_free(tls.ctx);
  return status;
}

vigie_status rpt_bundle_tsa_post(const rpt_bundle_tsa *tsa, TS_REQ *req, unsigned char **der,
                                 size_t *len, vigie_error *err) {
  char *host = NULL, *port = NULL, *path = NULL;
  int use_ssl = 0;
  if (OSSL_HTTP_parse_url(tsa->url, &use_ssl, NULL, &host, &port, NULL, &path, NULL, NULL) != 1)
    return rpt_bundle_ssl_fail(err, VIGIE_EUSAGE, "--tsa-url \"%s\": not an http:// or https:// URL",
                               tsa->url);
  BIO *body = BIO_new(BIO_s_mem());
  vigie_status status = VIGIE_OK;
  if (body == NULL || i2d_TS_REQ_bio(body, req) != 1)
    status = rpt_bundle_ssl_fail(err, VIGIE_ENOMEM, "cannot encode the timestamp request");
  if (status == VIGIE_OK)
    status = tsa_transfer(tsa, host, port, path, use_ssl, body, der, len, err);
  BIO_free(body);
  OPENSSL_free(host);
  OPENSSL_free(port);
  OPENSSL_free(path);
  return status;
}

vigie_status rpt_bundle_timestamp(const char *dir, const rpt_bundle_tsa *tsa,
                                  rpt_bundle_stamp *stamp, vigie_error *err) {
  unsigned char sum[32], *der = NULL;
  size_t len = 0;
  TS_REQ *req = NULL;
  vigie_status status = manifest_sum(dir, sum, err);
  if (status == VIGIE_OK) status = rpt_bundle_tsq_new(sum, &req, err);
  if (status == VIGIE_OK) status = rpt_bundle_tsa_post(tsa, req, &der, &len, err);
  if (status == VIGIE_OK) status = rpt_bundle_tsr_check(der, len, sum, req, tsa->ca_file, stamp, err);
  if (status == VIGIE_OK) status = rpt_bundle_write(dir, RPT_BUNDLE_TSR, der, len, err);
  vigie_free(der);
  TS_REQ_free(req);
  return status;
}

vigie_status rpt_bundle_query_write(const char *dir, const char *out_path, vigie_error *err) {
  unsigned char sum[32], *der = NULL;
  TS_REQ *req = NULL;
  vigie_status status = manifest_sum(dir, sum, err);
  if (status == VIGIE_OK) status = rpt_bundle_tsq_new(sum, &req, err);
  int n = status == VIGIE_OK ? i2d_TS_REQ(req, &der) : 0;
  if (status == VIGIE_OK && n <= 0)
    status = rpt_bundle_ssl_fail(err, VIGIE_ENOMEM, "cannot encode the timestamp request");
  if (status == VIGIE_OK) status = rpt_bundle_write_path(out_path, der, (size_t)n, err);
  OPENSSL_free(der);
  TS_REQ_free(req);
  return status;
}

vigie_status rpt_bundle_reply_install(const char *dir, const char *reply_path, const char *ca_file,
                                      rpt_bundle_stamp *stamp, vigie_error *err) {
  unsigned char sum[32], *der = NULL;
  size_t len = 0;
  vigie_status status = manifest_sum(dir, sum, err);
  if (status == VIGIE_OK) status = rpt_bundle_read_path(reply_path, RPT_BUNDLE_SMALL_MAX, &der, &len, err);
  if (status == VIGIE_OK) {
    status = rpt_bundle_tsr_check(der, len, sum, NULL, ca_file, stamp, err);
    if (status != VIGIE_OK) {
      char detail[VIGIE_ERROR_MAX];
      snprintf(detail, sizeof detail, "%s", err ? err->msg : "");
      vigie_fail(err, status, "%s: %s", reply_path, detail);
    }
  }
  if (status == VIGIE_OK) status = rpt_bundle_write(dir, RPT_BUNDLE_TSR, der, len, err);
  vigie_free(der);
  return status;
}
