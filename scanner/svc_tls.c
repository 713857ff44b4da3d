/* TLS inspection: each protocol version tried alone, each weak suite
 * family tried alone, the certificate chain of the best handshake turned
 * into facts (svc_tls_cert.c). One TCP connection per handshake, each with
 * its own deadline, so a silent or slow server costs at most timeout_ms per
 * attempt. Everything OpenSSL needs lives in a library context made for one
 * call: worker threads never share mutable state, and the system's
 * openssl.cnf (which may forbid old versions) does not apply to it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "scanner/scan_int.h"

#define TLS_DEFAULT_TIMEOUT_MS 5000u
/* Every suite OpenSSL knows but the NULL ciphers, at security level 0:
 * without it Debian's OpenSSL refuses TLS < 1.2, SHA-1 and short keys. */
#define TLS_ALL_CIPHERS "ALL:@SECLEVEL=0"

/* --------------------------------------------------------- OpenSSL errors */

void scan_tls_error_text(char *buf, size_t len) {
  unsigned long e = ERR_get_error();
  if (e == 0)
    snprintf(buf, len, "no error text");
  else
    ERR_error_string_n(e, buf, len);
  ERR_clear_error();
}

vigie_status scan_tls_fail(vigie_error *err, vigie_status status, const char *what) {
  char text[256];
  scan_tls_error_text(text, sizeof text);
  return vigie_fail(err, status, "%s: %s", what, text);
}

/* ------------------------------------------------------------ one call */

typedef enum try_result {
  TRY_ACCEPTED,    /* the handshake completed */
  TRY_REFUSED,     /* the server answered with an alert or closed */
  TRY_UNTESTED,    /* this OpenSSL cannot offer it */
  TRY_TIMEOUT,     /* no answer before the deadline */
  TRY_UNREACHABLE, /* the TCP connection failed */
  TRY_NO_STARTTLS, /* the server refused STARTTLS */
} try_result;

static const char *const try_names[] = {
    [TRY_ACCEPTED] = "accepted", [TRY_REFUSED] = "refused",         [TRY_UNTESTED] = "untested",
    [TRY_TIMEOUT] = "timeout",   [TRY_UNREACHABLE] = "unreachable", [TRY_NO_STARTTLS] = "refused",
};

/* What one handshake offers: a version range and a cipher list (NULL keeps
 * OpenSSL's; TLS 1.3 suites are never restricted). */
typedef struct tls_offer {
  int min_version, max_version;
  const char *ciphers;
} tls_offer;

typedef struct tls_run {
  const vigie_addr *addr;
  uint16_t port;
  const scan_tls_opts *opts;
  unsigned timeout_ms;
  OSSL_LIB_CTX *libctx;                      /* owned: the providers of this call */
  OSSL_PROVIDER *prov_default, *prov_legacy; /* owned; legacy may be NULL */
  scan_facts *out;                           /* borrowed */
  vigie_error *err;                          /* borrowed */
  uint8_t *chain;                            /* owned: DER chain of the best handshake */
  size_t chain_len;
  char cipher[128];   /* the last accepted handshake's suite */
  bool tcp_ok;        /* some TCP connection was made */
  vigie_status fatal; /* a local failure that ends the call */
} tls_run;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes. */
static bool wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    struct pollfd p = {.fd = fd, .events = events};
    int rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

/* ------------------------------------------------------------------ TCP */

static void sockaddr_of(const vigie_addr *a, uint16_t port, struct sockaddr_storage *ss,
                        socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (a->family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(a->v4);
    *len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    for (int b = 0; b < 16; b++) in6->sin6_addr.s6_addr[b] = (uint8_t)(a->v6 >> (8 * (15 - b)));
    *len = sizeof *in6;
  }
}

/* A non-blocking connection, finished by the deadline. \return the socket,
 * or -1 with *why TRY_UNREACHABLE or TRY_TIMEOUT. */
static int tcp_open(tls_run *r, int64_t deadline, try_result *why) {
  *why = TRY_UNREACHABLE;
  int fd = socket(r->addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_storage ss;
  socklen_t len;
  sockaddr_of(r->addr, r->port, &ss, &len);
  int soerr = connect(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
  if (soerr == EINPROGRESS) {
    if (!wait_fd(fd, POLLOUT, deadline)) {
      *why = TRY_TIMEOUT;
      close(fd);
      return -1;
    }
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = errno;
  }
  if (soerr == 0) {
    r->tcp_ok = true;
    return fd;
  }
  close(fd);
  return -1;
}

static bool send_all(int fd, const uint8_t *buf, size_t len, int64_t deadline) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n > 0) {
      buf += n;
      len -= (size_t)n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    } else if (!wait_fd(fd, POLLOUT, deadline)) {
      return false;
    }
  }
  return true;
}

/* ------------------------------------------------------------- STARTTLS */

/* Run the preamble on fd. \return TRY_ACCEPTED when TLS may start,
 * TRY_NO_STARTTLS when the server said no, TRY_TIMEOUT; a broken exchange
 * sets r->fatal to VIGIE_EPROTO. */
static try_result starttls(tls_run *r, int fd, int64_t deadline) {
  scan_starttls_state *st = vigie_malloc(sizeof *st);
  if (st == NULL) {
    r->fatal = vigie_fail(r->err, VIGIE_ENOMEM, "STARTTLS state");
    return TRY_UNREACHABLE;
  }
  scan_starttls_step step = scan_starttls_begin(st, r->opts->starttls);
  uint8_t buf[512];
  size_t have = 0, used = 0;
  for (;;) {
    if (step == SCAN_STARTTLS_SEND) {
      if (!send_all(fd, st->out, st->out_len, deadline)) break;
      step = SCAN_STARTTLS_MORE;
    }
    if (step == SCAN_STARTTLS_READY || step == SCAN_STARTTLS_REFUSED ||
        step == SCAN_STARTTLS_BROKEN)
      break;
    if (used == have) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n == 0) break; /* closed mid-preamble */
      if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(fd, POLLIN, deadline)) continue;
      if (n < 0) break;
      have = (size_t)n;
      used = 0;
    }
    size_t u;
    step = scan_starttls_feed(st, buf + used, have - used, &u);
    used += u;
  }
  vigie_free(st);
  /* Bytes after the server's yes would be read as TLS: a server (or a
   * man in the middle) injecting them is broken. */
  if (step == SCAN_STARTTLS_READY && used == have) return TRY_ACCEPTED;
  if (step == SCAN_STARTTLS_REFUSED) return TRY_NO_STARTTLS;
  if (step == SCAN_STARTTLS_MORE || step == SCAN_STARTTLS_SEND) {
    if (now_ms() >= deadline) return TRY_TIMEOUT;
  }
  r->fatal = vigie_fail(r->err, VIGIE_EPROTO, "%s STARTTLS: the server broke the exchange",
                        scan_starttls_name(r->opts->starttls));
  return TRY_UNREACHABLE;
}

/* ----------------------------------------------------------- handshakes */

/* A client context that offers exactly what offer says. \return NULL with
 * *untested when this OpenSSL cannot offer it (no such suite or version). */
static SSL_CTX *offer_ctx(tls_run *r, const tls_offer *offer, bool *untested) {
  *untested = false;
  SSL_CTX *ctx = SSL_CTX_new_ex(r->libctx, NULL, TLS_client_method());
  if (ctx == NULL) {
    r->fatal = scan_tls_fail(r->err, VIGIE_ETLS, "SSL_CTX_new");
    return NULL;
  }
  SSL_CTX_set_security_level(ctx, 0);
  /* Old servers know no secure renegotiation (RFC 5746): OpenSSL 3 would
   * hang up on them, which would read as a refusal. */
  SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* trust is judged apart, with its reason */
  bool ok = SSL_CTX_set_min_proto_version(ctx, offer->min_version) == 1 &&
            SSL_CTX_set_max_proto_version(ctx, offer->max_version) == 1 &&
            (offer->ciphers == NULL || SSL_CTX_set_cipher_list(ctx, offer->ciphers) == 1);
  if (!ok) {
    ERR_clear_error();
    SSL_CTX_free(ctx);
    *untested = true;
    return NULL;
  }
  return ctx;
}

/* Whether the ClientHello this SSL would send holds any suite at all: a
 * cipher string can match suites that the versions offered cannot carry. */
static bool offers_something(SSL *ssl) {
  STACK_OF(SSL_CIPHER) *ciphers = SSL_get1_supported_ciphers(ssl);
  bool some = ciphers != NULL && sk_SSL_CIPHER_num(ciphers) > 0;
  sk_SSL_CIPHER_free(ciphers);
  return some;
}

static try_result handshake(SSL *ssl, int fd, int64_t deadline) {
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl);
    if (rc == 1) return TRY_ACCEPTED;
    int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return TRY_TIMEOUT;
      continue;
    }
    /* An alert, a reset or a plain close: servers refuse all three ways. */
    ERR_clear_error();
    return TRY_REFUSED;
  }
}

/* Keep the chain of the best handshake: the first one accepted, since
 * versions are tried from the highest down. */
static void keep_chain(tls_run *r, SSL *ssl) {
  STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
  if (r->chain != NULL || chain == NULL) return;
  size_t total = 0;
  for (int i = 0; i < sk_X509_num(chain) && i < SCAN_TLS_CHAIN_MAX; i++) {
    int n = i2d_X509(sk_X509_value(chain, i), NULL);
    if (n > 0) total += (size_t)n;
  }
  r->chain = vigie_malloc(total);
  if (r->chain == NULL) {
    r->fatal = vigie_fail(r->err, VIGIE_ENOMEM, "certificate chain");
    return;
  }
  unsigned char *p = r->chain;
  for (int i = 0; i < sk_X509_num(chain) && i < SCAN_TLS_CHAIN_MAX; i++)
    if (i2d_X509(sk_X509_value(chain, i), NULL) > 0) i2d_X509(sk_X509_value(chain, i), &p);
  r->chain_len = (size_t)(p - r->chain);
}

static void note_accepted(tls_run *r, SSL *ssl) {
  const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
  snprintf(r->cipher, sizeof r->cipher, "%s", c != NULL ? SSL_CIPHER_get_name(c) : "unknown");
  keep_chain(r, ssl);
}

/* SNI carries host names only (RFC 6066 section 3): never an address. */
static void set_sni(SSL *ssl, const char *sni) {
  unsigned char ip[16];
  if (sni == NULL || *sni == '\0' || inet_pton(AF_INET, sni, ip) == 1 ||
      inet_pton(AF_INET6, sni, ip) == 1)
    return;
  SSL_set_tlsext_host_name(ssl, sni);
}

/* Connect, run the preamble, shake hands with ctx. */
static try_result attempt_unguarded(tls_run *r, SSL_CTX *ctx) {
  int64_t deadline = now_ms() + r->timeout_ms;
  SSL *ssl = SSL_new(ctx);
  if (ssl == NULL) {
    r->fatal = scan_tls_fail(r->err, VIGIE_ETLS, "SSL_new");
    return TRY_UNREACHABLE;
  }
  if (!offers_something(ssl)) {
    SSL_free(ssl);
    return TRY_UNTESTED;
  }
  try_result res;
  int fd = tcp_open(r, deadline, &res);
  if (fd >= 0 && r->opts->starttls != SCAN_STARTTLS_NONE)
    res = starttls(r, fd, deadline);
  else if (fd >= 0)
    res = TRY_ACCEPTED;
  if (res == TRY_ACCEPTED) {
    set_sni(ssl, r->opts->sni);
    SSL_set_fd(ssl, fd);
    res = handshake(ssl, fd, deadline);
  }
  if (res == TRY_ACCEPTED) {
    note_accepted(r, ssl);
    SSL_shutdown(ssl); /* one close_notify, not waited for */
  }
  ERR_clear_error();
  SSL_free(ssl);
  if (fd >= 0) close(fd);
  return res;
}

/* OpenSSL writes with write(), so a peer that hung up raises SIGPIPE. A
 * library must not change the process's handlers (another thread may rely
 * on them): SIGPIPE is blocked in this thread only for the attempt, and one
 * it raised, pending for this thread alone, is taken before unblocking. */
static try_result attempt(tls_run *r, SSL_CTX *ctx) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  bool blocked = pthread_sigmask(SIG_BLOCK, &pipe_set, &old) == 0;
  try_result res = attempt_unguarded(r, ctx);
  if (blocked && !sigismember(&old, SIGPIPE)) {
    sigset_t pending;
    const struct timespec zero = {0, 0};
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
      sigtimedwait(&pipe_set, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  return res;
}

static try_result try_offer(tls_run *r, const tls_offer *offer) {
  bool untested;
  SSL_CTX *ctx = offer_ctx(r, offer, &untested);
  if (ctx == NULL) return untested ? TRY_UNTESTED : TRY_UNREACHABLE;
  try_result res = attempt(r, ctx);
  SSL_CTX_free(ctx);
  return res;
}

/* --------------------------------------------------------------- facts */

static const struct tls_version {
  int version;
  const char *fact, *cipher_fact, *label;
} tls_versions[] = {
    /* Highest first: the first accepted handshake gives the certificate. */
    {TLS1_3_VERSION, "tls.v1_3", "tls.cipher.v1_3", "TLSv1.3"},
    {TLS1_2_VERSION, "tls.v1_2", "tls.cipher.v1_2", "TLSv1.2"},
    {TLS1_1_VERSION, "tls.v1_1", "tls.cipher.v1_1", "TLSv1.1"},
    {TLS1_VERSION, "tls.v1_0", "tls.cipher.v1_0", "TLSv1.0"},
};
#define TLS_VERSIONS (sizeof tls_versions / sizeof tls_versions[0])

/* The weak families, each offered alone on every version that can carry
 * it, so the server picks the highest it has. */
static const struct weak_family {
  const char *name, *fact;
  tls_offer offer;
} weak_families[] = {
    {"null", "tls.weak.null", {TLS1_VERSION, TLS1_2_VERSION, "eNULL:@SECLEVEL=0"}},
    {"export", "tls.weak.export", {TLS1_VERSION, TLS1_VERSION, "EXP:@SECLEVEL=0"}},
    {"anon", "tls.weak.anon", {TLS1_VERSION, TLS1_2_VERSION, "aNULL:@SECLEVEL=0"}},
    {"rc4", "tls.weak.rc4", {TLS1_VERSION, TLS1_2_VERSION, "RC4:@SECLEVEL=0"}},
    {"3des", "tls.weak.3des", {TLS1_VERSION, TLS1_2_VERSION, "3DES:@SECLEVEL=0"}},
    /* TLS 1.0 defines no AEAD suite: what it carries besides RC4 and NULL
     * is CBC, open to BEAST and Lucky 13. */
    {"cbc_tls1_0",
     "tls.weak.cbc_tls1_0",
     {TLS1_VERSION, TLS1_VERSION, "ALL:-RC4:-eNULL:@SECLEVEL=0"}},
};
#define WEAK_FAMILIES (sizeof weak_families / sizeof weak_families[0])

static vigie_status add_result(tls_run *r, const char *fact, try_result res) {
  return scan_facts_add_str(r->out, fact, try_names[res]);
}

/* SSLv3: Debian builds OpenSSL without it; say so rather than "refused". */
static vigie_status sslv3(tls_run *r) {
#ifdef OPENSSL_NO_SSL3
  return add_result(r, "tls.sslv3", TRY_UNTESTED);
#else
  tls_offer offer = {SSL3_VERSION, SSL3_VERSION, TLS_ALL_CIPHERS};
  try_result res = try_offer(r, &offer);
  if (res == TRY_ACCEPTED) scan_facts_add_str(r->out, "tls.versions", "SSLv3");
  return add_result(r, "tls.sslv3", res);
#endif
}

/* Each version alone. \return VIGIE_OK, or the status that ends the call:
 * the server unreachable (first attempt), STARTTLS broken, a local failure.
 * *stop is set when STARTTLS was refused (nothing more to learn). */
static vigie_status versions(tls_run *r, bool *stop) {
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; status == VIGIE_OK && i < TLS_VERSIONS; i++) {
    const struct tls_version *v = &tls_versions[i];
    tls_offer offer = {v->version, v->version,
                       v->version == TLS1_3_VERSION ? NULL : TLS_ALL_CIPHERS};
    try_result res = try_offer(r, &offer);
    if (r->fatal != VIGIE_OK) return r->fatal;
    if (!r->tcp_ok && res != TRY_UNTESTED) {
      char a[64];
      return vigie_fail(r->err, res == TRY_TIMEOUT ? VIGIE_ETIMEOUT : VIGIE_ECONNECT,
                        "%s port %u: %s", vigie_addr_format(r->addr, a, sizeof a), r->port,
                        res == TRY_TIMEOUT ? "no answer in time" : "connection failed");
    }
    if (res == TRY_NO_STARTTLS && i > 0) res = TRY_UNREACHABLE; /* said yes before */
    if (res == TRY_NO_STARTTLS) {
      *stop = true;
      return scan_facts_add_str(r->out, "starttls", "refused");
    }
    if (i == 0 && r->opts->starttls != SCAN_STARTTLS_NONE)
      status = scan_facts_add_str(r->out, "starttls", "offered");
    if (status == VIGIE_OK) status = add_result(r, v->fact, res);
    if (status == VIGIE_OK && res == TRY_ACCEPTED)
      status = scan_facts_add_str(r->out, v->cipher_fact, r->cipher);
  }
  return status;
}

static vigie_status weak_suites(tls_run *r) {
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; status == VIGIE_OK && i < WEAK_FAMILIES; i++) {
    const struct weak_family *f = &weak_families[i];
    try_result res = try_offer(r, &f->offer);
    if (r->fatal != VIGIE_OK) return r->fatal;
    if (res == TRY_NO_STARTTLS) res = TRY_UNREACHABLE; /* it said yes before: now broken */
    status = add_result(r, f->fact, res);
    if (status == VIGIE_OK && res == TRY_ACCEPTED)
      status = scan_facts_add_str(r->out, "tls.weak", f->name);
  }
  return status;
}

/* tls.versions and tls, from the per-version facts already set. */
static vigie_status summary(tls_run *r) {
  vigie_status status = VIGIE_OK;
  bool any = scan_facts_get(r->out, "tls.versions") != NULL;
  for (size_t i = TLS_VERSIONS; status == VIGIE_OK && i-- > 0;) {
    const char *v = scan_facts_get(r->out, tls_versions[i].fact);
    if (v == NULL || strcmp(v, "accepted") != 0) continue;
    status = scan_facts_add_str(r->out, "tls.versions", tls_versions[i].label);
    any = true;
  }
  if (status == VIGIE_OK && any) status = scan_facts_set(r->out, "tls", "true");
  return status;
}

static vigie_status cert(tls_run *r) {
  if (r->chain == NULL) return VIGIE_OK;
  vigie_error cerr;
  vigie_error_clear(&cerr);
  vigie_status status =
      scan_tls_cert_facts(r->chain, r->chain_len, r->opts, (int64_t)time(NULL), r->out, &cerr);
  if (status == VIGIE_ENOMEM) return vigie_fail(r->err, status, "%s", cerr.msg);
  /* A certificate OpenSSL took in the handshake but not alone: a fact. */
  if (status != VIGIE_OK) return scan_facts_add_str(r->out, "cert.error", cerr.msg);
  return VIGIE_OK;
}

static vigie_status run_open(tls_run *r) {
  r->libctx = OSSL_LIB_CTX_new();
  if (r->libctx == NULL) return scan_tls_fail(r->err, VIGIE_ENOMEM, "OSSL_LIB_CTX_new");
  r->prov_default = OSSL_PROVIDER_load(r->libctx, "default");
  if (r->prov_default == NULL) return scan_tls_fail(r->err, VIGIE_ETLS, "OpenSSL default provider");
  /* RC4 and a few old ciphers live in the legacy provider: without it those
   * families are reported untested, never refused. */
  r->prov_legacy = OSSL_PROVIDER_load(r->libctx, "legacy");
  ERR_clear_error();
  return VIGIE_OK;
}

static void run_close(tls_run *r) {
  vigie_free(r->chain);
  if (r->prov_legacy != NULL) OSSL_PROVIDER_unload(r->prov_legacy);
  if (r->prov_default != NULL) OSSL_PROVIDER_unload(r->prov_default);
  OSSL_LIB_CTX_free(r->libctx);
  ERR_clear_error();
}

vigie_status scan_tls_inspect(const vigie_addr *addr, uint16_t port, const scan_tls_opts *opts,
                              scan_facts *out, vigie_error *err) {
  if (addr == NULL || opts == NULL || out == NULL ||
      (addr->family != AF_INET && addr->family != AF_INET6) ||
      (size_t)opts->starttls > SCAN_STARTTLS_POSTGRESQL)
    return vigie_fail(err, VIGIE_EINVAL, "scan_tls_inspect: invalid argument");
  tls_run r = {.addr = addr,
               .port = port,
               .opts = opts,
               .out = out,
               .err = err,
               .timeout_ms = opts->timeout_ms ? opts->timeout_ms : TLS_DEFAULT_TIMEOUT_MS};
  bool stop = false;
  vigie_status status = run_open(&r);
  if (status == VIGIE_OK) status = versions(&r, &stop);
  if (status == VIGIE_OK && !stop) status = sslv3(&r);
  if (status == VIGIE_OK && !stop && opts->test_weak) status = weak_suites(&r);
  if (status == VIGIE_OK && !stop) status = summary(&r);
  if (status == VIGIE_OK && !stop) status = cert(&r);
  if (status == VIGIE_OK && r.fatal != VIGIE_OK) status = r.fatal;
  run_close(&r);
  return status;
}
