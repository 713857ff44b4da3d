/* Proof bundle: Ed25519 keys. The private key is PEM PKCS#8 made with
 * O_EXCL and mode 0600, so keygen never overwrites a key a bundle was
 * signed with; fingerprints are SHA-256 of the DER SubjectPublicKeyInfo,
 * what `openssl pkey -pubout -outform DER | sha256sum` prints. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "report/bundle_int.h"

vigie_status rpt_bundle_key_fingerprint(const EVP_PKEY *key, char out[RPT_BUNDLE_HEX_LEN],
                                        vigie_error *err) {
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return rpt_bundle_ssl_fail(err, VIGIE_EINVAL, "cannot encode the public key");
  unsigned char sum[32];
  vigie_status status = VIGIE_OK;
  if (EVP_Digest(der, (size_t)n, sum, NULL, EVP_sha256(), NULL) != 1)
    status = rpt_bundle_ssl_fail(err, VIGIE_EINVAL, "SHA-256 failed");
  else
    rpt_bundle_hex(sum, 32, out);
  OPENSSL_free(der);
  return status;
}

vigie_status rpt_bundle_key_public_pem(const EVP_PKEY *key, char **pem, size_t *len,
                                       vigie_error *err) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *data = NULL;
  if (bio == NULL || PEM_write_bio_PUBKEY(bio, key) != 1) {
    BIO_free(bio);
    return rpt_bundle_ssl_fail(err, VIGIE_ENOMEM, "cannot write the public key");
  }
  long n = BIO_get_mem_data(bio, &data);
  vigie_status status = VIGIE_OK;
  if (n <= 0 || (*pem = vigie_strndup(data, (size_t)n)) == NULL)
    status = vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  else
    *len = (size_t)n;
  BIO_free(bio);
  return status;
}

static vigie_status key_check_type(EVP_PKEY *key, const char *name, vigie_error *err) {
  if (EVP_PKEY_is_a(key, "ED25519")) return VIGIE_OK;
  return vigie_fail(err, VIGIE_ESYNTAX, "%s: not an Ed25519 key (%s)", name,
                    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown type");
}

/* No passphrase prompt: a signing run must not stop on a terminal read. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag, (void)u;
  return -1;
}

vigie_status rpt_bundle_key_load_private(const char *path, EVP_PKEY **key, vigie_error *err) {
  unsigned char *pem = NULL;
  size_t len = 0;
  vigie_status status = rpt_bundle_read_path(path, RPT_BUNDLE_SMALL_MAX, &pem, &len, err);
  if (status != VIGIE_OK) return status;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
  BIO_free(bio);
  OPENSSL_cleanse(pem, len);
  vigie_free(pem);
  if (*key == NULL)
    return rpt_bundle_ssl_fail(err, VIGIE_ESYNTAX,
                               "%s: not an unencrypted PEM private key (make one with vigie keygen)",
                               path);
  status = key_check_type(*key, path, err);
  if (status != VIGIE_OK) {
    EVP_PKEY_free(*key);
    *key = NULL;
  }
  return status;
}

vigie_status rpt_bundle_key_parse_public(const unsigned char *pem, size_t len, const char *name,
                                         EVP_PKEY **key, vigie_error *err) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL) : NULL;
  BIO_free(bio);
  if (*key == NULL)
    return rpt_bundle_ssl_fail(err, VIGIE_ESYNTAX, "%s: not a PEM public key", name);
  vigie_status status = key_check_type(*key, name, err);
  if (status != VIGIE_OK) {
    EVP_PKEY_free(*key);
    *key = NULL;
  }
  return status;
}

/* O_EXCL refuses an existing file and a planted symbolic link alike. */
static vigie_status create_excl(const char *path, mode_t mode, FILE **out, vigie_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST)
    return vigie_fail(err, VIGIE_EPERM, "%s already exists: vigie keygen never overwrites a key "
                      "(choose another name with -o, or remove it)", path);
  if (fd < 0) return vigie_fail(err, VIGIE_EIO, "%s: %s", path, strerror(errno));
  /* The umask may only have narrowed the mode: set it exactly. */
  if (fchmod(fd, mode) != 0 || (*out = fdopen(fd, "w")) == NULL) {
    int e = errno;
    close(fd);
    unlink(path);
    return vigie_fail(err, VIGIE_EIO, "%s: %s", path, strerror(e));
  }
  return VIGIE_OK;
}

static vigie_status close_checked(FILE *f, const char *path, vigie_status status, vigie_error *err) {
  bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (status == VIGIE_OK && !ok) status = vigie_fail(err, VIGIE_EIO, "%s: write failed", path);
  return status;
}

static vigie_status keygen_write(EVP_PKEY *key, const char *path, const char *pub_path,
                                 vigie_error *err) {
  FILE *kf = NULL, *pf = NULL;
  vigie_status status = create_excl(path, 0600, &kf, err);
  if (status != VIGIE_OK) return status;
  status = create_excl(pub_path, 0644, &pf, err);
  if (status != VIGIE_OK) {
    fclose(kf);
    unlink(path);
    return status;
  }
  if (PEM_write_PKCS8PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL) != 1)
    status = rpt_bundle_ssl_fail(err, VIGIE_EIO, "%s: cannot write the key", path);
  if (status == VIGIE_OK && PEM_write_PUBKEY(pf, key) != 1)
    status = rpt_bundle_ssl_fail(err, VIGIE_EIO, "%s: cannot write the public key", pub_path);
  status = close_checked(kf, path, status, err);
  status = close_checked(pf, pub_path, status, err);
  if (status != VIGIE_OK) {
    unlink(path);
    unlink(pub_path);
  }
  return status;
}

vigie_status rpt_bundle_keygen(const char *path, char fingerprint[RPT_BUNDLE_HEX_LEN],
                               vigie_error *err) {
  size_t plen = strlen(path) + sizeof ".pub";
  char *pub_path = vigie_malloc(plen);
  if (pub_path == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  snprintf(pub_path, plen, "%s.pub", path);
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  vigie_status status = VIGIE_OK;
  if (key == NULL) status = rpt_bundle_ssl_fail(err, VIGIE_ENOMEM, "cannot make an Ed25519 key");
  if (status == VIGIE_OK) status = rpt_bundle_key_fingerprint(key, fingerprint, err);
  if (status == VIGIE_OK) status = keygen_write(key, path, pub_path, err);
  EVP_PKEY_free(key);
  vigie_free(pub_path);
  return status;
}
