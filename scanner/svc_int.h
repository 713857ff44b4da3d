/* The service stage's internals, shared by svc_conn.c, svc_deep.c and
 * svc_engine.c (and their tests); the public side is in scanner.h. */
#ifndef VIGIE_SVC_INT_H
#define VIGIE_SVC_INT_H

#include <openssl/ssl.h>

#include "vigie/scanner.h"

/* ------------------------------------------------------- one connection */

/* How an I/O call on a non-blocking connection ended. */
typedef enum scan_svc_ioend {
  SCAN_SVC_IO_OK = 0, /* done, or some bytes moved */
  SCAN_SVC_IO_AGAIN,  /* would block: wait for conn->want_write ? EPOLLOUT : EPOLLIN */
  SCAN_SVC_IO_EOF,    /* the peer closed */
  SCAN_SVC_IO_ERROR   /* reset, refused, TLS failure */
} scan_svc_ioend;

typedef struct scan_svc_conn {
  int fd;          /* -1 when closed */
  SSL *ssl;        /* NULL for plain text */
  bool want_write; /* the last AGAIN waits for writability */
} scan_svc_conn;

/** A client TLS context for looking, not trusting: no verification, every
 * protocol version and cipher OpenSSL still has (an old server must answer
 * too). \return NULL on failure. Free with SSL_CTX_free. */
SSL_CTX *scan_svc_tls_ctx_new(void);

/** Start a non-blocking connect to addr:port. \return 0 (in progress or
 * done: wait for writability either way) or an errno value. */
int scan_svc_conn_open(scan_svc_conn *c, const vigie_addr *addr, uint16_t port);
/** Once writable: 0 when connected, else the connect's errno. */
int scan_svc_conn_result(const scan_svc_conn *c);
/** Put TLS over the connected socket; SNI is host_name unless NULL.
 * \return false on allocation failure. */
bool scan_svc_conn_tls(scan_svc_conn *c, SSL_CTX *ctx, const char *host_name);
scan_svc_ioend scan_svc_conn_handshake(scan_svc_conn *c);
scan_svc_ioend scan_svc_conn_send(scan_svc_conn *c, const uint8_t *buf, size_t len, size_t *sent);
scan_svc_ioend scan_svc_conn_recv(scan_svc_conn *c, uint8_t *buf, size_t cap, size_t *got);
/** The negotiated protocol ("TLSv1.3") and cipher, or NULL. Borrowed. */
const char *scan_svc_conn_tls_version(const scan_svc_conn *c);
const char *scan_svc_conn_tls_cipher(const scan_svc_conn *c);
/** Close with a reset (no TIME_WAIT, no half-open session left behind). */
void scan_svc_conn_close(scan_svc_conn *c);

/** Whether bytes look like a TLS record (alert or handshake, SSL 3.0 to
 * TLS 1.3 record versions) rather than a plain text answer. */
bool scan_svc_looks_tls(const uint8_t *in, size_t len);

/* --------------------------------------------------- deep-look workers */

/* A pool of threads running blocking scan_svc_deep_fn jobs; each job owns
 * its facts until scan_svc_deep_join hands them back in order. */
typedef struct scan_svc_deep scan_svc_deep;

/** \return a pool of threads workers calling fn, or NULL (ENOMEM, or no
 * thread could start). */
scan_svc_deep *scan_svc_deep_new(scan_svc_deep_fn fn, void *user, unsigned threads);
/** Queue a job for (addr, port); target is the caller's index for it;
 * starttls as scan_svc_deep_fn takes it (copied, may be NULL).
 * \return VIGIE_ENOMEM. */
vigie_status scan_svc_deep_queue(scan_svc_deep *pool, size_t target, const vigie_addr *addr,
                                 uint16_t port, const char *host_name, const char *starttls);
/** Jobs queued and jobs done so far (for progress). */
void scan_svc_deep_progress(scan_svc_deep *pool, size_t *queued, size_t *done);
/** Stop taking new jobs when stop is set (the running ones finish), wait for
 * every thread, then call merge for each job in queue order: its facts, or
 * NULL for one that never ran (stopped).
 * Frees the pool. */
void scan_svc_deep_join(scan_svc_deep *pool, bool stop,
                        void (*merge)(size_t target, const scan_facts *facts, void *user),
                        void *user);

/* ------------------------------------------------------------- helpers */

/** Copy every fact of from into to. \return VIGIE_ENOMEM. */
vigie_status scan_svc_facts_merge(scan_facts *to, const scan_facts *from);

#endif
