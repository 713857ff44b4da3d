/* One service connection: a non-blocking socket, maybe with non-blocking
 * OpenSSL over it, and every end of an I/O call as one of four states so the
 * engine never sees errno or SSL_get_error. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "scanner/svc_int.h"

SSL_CTX *scan_svc_tls_ctx_new(void) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL) return NULL;
  /* We look at servers, we do not trust them: an expired, self-signed or
   * SHA-1 certificate, TLS 1.0, an export cipher must all still answer, so
   * the report can say so. */
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_security_level(ctx, 0);
  (void)SSL_CTX_set_min_proto_version(ctx, 0);
  (void)SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
  SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return ctx;
}

static void svc_sockaddr(const vigie_addr *a, uint16_t port, struct sockaddr_storage *ss,
                         socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (a->family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(a->v4);
    *len = sizeof *in;
    return;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  for (int b = 0; b < 16; b++) in6->sin6_addr.s6_addr[b] = (uint8_t)(a->v6 >> (8 * (15 - b)));
  *len = sizeof *in6;
}

int scan_svc_conn_open(scan_svc_conn *c, const vigie_addr *addr, uint16_t port) {
  struct sockaddr_storage ss;
  socklen_t len;
  c->ssl = NULL;
  c->want_write = true;
  c->fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return errno;
  svc_sockaddr(addr, port, &ss, &len);
  if (connect(c->fd, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS) return 0;
  int e = errno;
  close(c->fd);
  c->fd = -1;
  return e;
}

int scan_svc_conn_result(const scan_svc_conn *c) {
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) return errno;
  return so_error;
}

/* SNI takes a DNS name, never an address literal (RFC 6066, 3). */
static bool svc_sni_ok(const char *name) {
  if (name == NULL || *name == '\0' || strchr(name, ':') != NULL) return false;
  for (const char *p = name; *p != '\0'; p++)
    if ((*p < '0' || *p > '9') && *p != '.') return true;
  return false;
}

bool scan_svc_conn_tls(scan_svc_conn *c, SSL_CTX *ctx, const char *host_name) {
  c->ssl = SSL_new(ctx);
  if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) return false;
  if (svc_sni_ok(host_name)) (void)SSL_set_tlsext_host_name(c->ssl, host_name);
  SSL_set_connect_state(c->ssl);
  return true;
}

/* What SSL_get_error says, as our four ends. The error queue is this
 * thread's: cleared so that one server's failure never shows on another. */
static scan_svc_ioend svc_ssl_end(scan_svc_conn *c, int rc) {
  int e = SSL_get_error(c->ssl, rc);
  ERR_clear_error();
  switch (e) {
    case SSL_ERROR_WANT_READ: c->want_write = false; return SCAN_SVC_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE: c->want_write = true; return SCAN_SVC_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN: return SCAN_SVC_IO_EOF;
    default: return SCAN_SVC_IO_ERROR;
  }
}

scan_svc_ioend scan_svc_conn_handshake(scan_svc_conn *c) {
  int rc = SSL_do_handshake(c->ssl);
  return rc == 1 ? SCAN_SVC_IO_OK : svc_ssl_end(c, rc);
}

static scan_svc_ioend svc_errno_end(scan_svc_conn *c, bool writing) {
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    c->want_write = writing;
    return SCAN_SVC_IO_AGAIN;
  }
  return SCAN_SVC_IO_ERROR;
}

scan_svc_ioend scan_svc_conn_send(scan_svc_conn *c, const uint8_t *buf, size_t len, size_t *sent) {
  *sent = 0;
  if (len == 0) return SCAN_SVC_IO_OK;
  if (c->ssl != NULL) {
    size_t n = 0;
    int rc = SSL_write_ex(c->ssl, buf, len, &n);
    if (rc != 1) return svc_ssl_end(c, rc);
    *sent = n;
    return SCAN_SVC_IO_OK;
  }
  ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
  if (n < 0) return svc_errno_end(c, true);
  *sent = (size_t)n;
  return SCAN_SVC_IO_OK;
}

scan_svc_ioend scan_svc_conn_recv(scan_svc_conn *c, uint8_t *buf, size_t cap, size_t *got) {
  *got = 0;
  if (c->ssl != NULL) {
    size_t n = 0;
    int rc = SSL_read_ex(c->ssl, buf, cap, &n);
    if (rc != 1) return svc_ssl_end(c, rc);
    *got = n;
    return SCAN_SVC_IO_OK;
  }
  ssize_t n = recv(c->fd, buf, cap, 0);
  if (n < 0) return svc_errno_end(c, false);
  if (n == 0) return SCAN_SVC_IO_EOF;
  *got = (size_t)n;
  return SCAN_SVC_IO_OK;
}

const char *scan_svc_conn_tls_version(const scan_svc_conn *c) {
  return c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
}

const char *scan_svc_conn_tls_cipher(const scan_svc_conn *c) {
  return c->ssl != NULL ? SSL_get_cipher_name(c->ssl) : NULL;
}

void scan_svc_conn_close(scan_svc_conn *c) {
  if (c->ssl != NULL) SSL_free(c->ssl);
  c->ssl = NULL;
  if (c->fd < 0) return;
  struct linger lg = {1, 0};
  (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c->fd);
  c->fd = -1;
}

/* A record header: content type alert (21) or handshake (22), then major
 * version 3 and a minor version 0 to 4. Plain text never starts so. */
bool scan_svc_looks_tls(const uint8_t *in, size_t len) {
  return len >= 3 && (in[0] == 0x15 || in[0] == 0x16) && in[1] == 0x03 && in[2] <= 0x04;
}

vigie_status scan_svc_facts_merge(scan_facts *to, const scan_facts *from) {
  const char *name, *value;
  size_t len;
  for (size_t i = 0; scan_facts_at(from, i, &name, &value, &len); i++) {
    vigie_status status = scan_facts_add(to, name, value, len);
    if (status != VIGIE_OK) return status;
  }
  return VIGIE_OK;
}
