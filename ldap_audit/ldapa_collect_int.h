/* Private to the collector files of ldap_audit/ (ldapa_conn, ldapa_search,
 * ldapa_probe, ldapa_collect*): the libldap boundary. Nothing here leaves
 * the room; include/vigie/ldap_audit.h is the public interface. */
#ifndef VIGIE_LDAPA_COLLECT_INT_H
#define VIGIE_LDAPA_COLLECT_INT_H

#include <ldap.h>

#include "vigie/ldap_audit.h"

/* Where a libldap failure happened: the same code means different things
 * (LDAP_SERVER_DOWN is "unreachable" before the first answer and "cut" in
 * the middle of a search). */
typedef enum ldapa_phase {
  LDAPA_PHASE_CONNECT = 0, /* TCP connection and ldaps:// handshake */
  LDAPA_PHASE_STARTTLS,
  LDAPA_PHASE_BIND,
  LDAPA_PHASE_SEARCH,
} ldapa_phase;

/** The one mapping of libldap results to vigie statuses. Fills err with
 * "URL: what: libldap's text (the server's diagnostic)".
 * \param ld           the handle (for its diagnostic message; may be NULL)
 * \param rc           an LDAP result code or a negative libldap code
 * \param server_text  the server's message from a result (may be NULL)
 * \return the status, never VIGIE_OK (rc 0 is reported as VIGIE_EPROTO). */
vigie_status ldapa_ldap_fail(LDAP *ld, int rc, ldapa_phase phase, const char *url, const char *what,
                             const char *server_text, vigie_error *err);

/* How a connection is opened. */
typedef struct ldapa_link {
  const char *url;     /* ldap:// or ldaps:// URL of one host */
  bool starttls;       /* run StartTLS after connecting (ldap:// only) */
  bool tls_verify;     /* require a verified certificate */
  const char *ca_file; /* CA bundle, or NULL for the system's */
  int timeout_seconds; /* connect and per-operation timeout */
} ldapa_link;

/** Open and connect a handle (TCP, then TLS for ldaps:// or StartTLS), with
 * LDAPv3, referrals off and timeouts set. No bind.
 * \param[out] out  the handle; caller frees with ldapa_link_close
 * \return VIGIE_ESYNTAX (bad URL), VIGIE_ECONNECT, VIGIE_ETLS, VIGIE_ETIMEOUT. */
vigie_status ldapa_link_open(const ldapa_link *link, LDAP **out, vigie_error *err);
/** Unbind and free (ld may be NULL). */
void ldapa_link_close(LDAP *ld);

/** Bind as opts says: nothing for anonymous, a simple bind, or SASL GSSAPI.
 * \return VIGIE_EAUTH on refused credentials, or the mapped failure. */
vigie_status ldapa_link_bind(LDAP *ld, const ldapa_conn_opts *opts, vigie_error *err);

/** A simple bind with dn and password, returning the raw LDAP result code
 * in *ldap_rc (for probes that want the code, not a status).
 * \return VIGIE_OK when the server answered, whatever the code; a mapped
 * failure when it did not (connection, timeout). */
vigie_status ldapa_link_simple_bind_rc(LDAP *ld, const char *url, const char *dn,
                                       const char *password, int *ldap_rc, vigie_error *err);

/** The timeout of a link as a timeval. */
struct timeval ldapa_link_timeval(int timeout_seconds);

/* ------------------------------------------------------------ searches */

typedef struct ldapa_search {
  const char *url; /* for messages */
  const char *base;
  int scope; /* LDAP_SCOPE_BASE, _ONELEVEL, _SUBTREE */
  const char *filter;
  char **attrs;        /* NULL-ended, borrowed; NULL for all user attributes */
  int page_size;       /* RFC 2696 page size; 0: no paging */
  int timeout_seconds; /* per message */
  size_t max_entries;  /* stop (complete) after this many; 0: no cap */
} ldapa_search;

/* How one search ended when the connection held. */
typedef struct ldapa_search_outcome {
  size_t entries;         /* entries handed to the callback */
  ldapa_read_state state; /* COMPLETE, PARTIAL or DENIED */
  int ldap_rc;            /* the last LDAP result code */
  char reason[256];       /* why it is not complete */
} ldapa_search_outcome;

/* Called once per entry; a status other than VIGIE_OK stops the search. */
typedef vigie_status (*ldapa_entry_fn)(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err);

/** Run a (paged) search and stream each entry to fn. Result codes that
 * only limit what was read (sizeLimitExceeded, timeLimitExceeded,
 * adminLimitExceeded, insufficientAccessRights, noSuchObject, referrals)
 * end it with out->state PARTIAL or DENIED and a reason, not an error.
 * \return VIGIE_EPROTO when the connection is cut (out->state PARTIAL),
 * VIGIE_ETIMEOUT, VIGIE_ENOMEM, or fn's status. */
vigie_status ldapa_search_run(LDAP *ld, const ldapa_search *s, ldapa_entry_fn fn, void *ctx,
                              ldapa_search_outcome *out, vigie_error *err);

/* Called with every value of every attribute of an entry, the attribute's
 * options (";range=...", ";binary") removed. */
typedef vigie_status (*ldapa_value_fn)(void *ctx, const char *attr, const struct berval *value,
                                       vigie_error *err);

/** Hand every value of entry to fn, fetching the rest of ranged attributes
 * (MS-ADTS range retrieval: "member;range=0-1499" then "member;range=1500-*"
 * on the same DN until the range ends in "*").
 * \param[out] partial  set when a range could not be read to its end
 * \param reason        why (reason_size bytes), when *partial */
vigie_status ldapa_entry_values(LDAP *ld, LDAPMessage *entry, const ldapa_search *s,
                                ldapa_value_fn fn, void *ctx, bool *partial, char *reason,
                                size_t reason_size, vigie_error *err);

/** Record an outcome's state on a set of dir (COMPLETE, or the reason). */
void ldapa_search_record(ldapa_dir *dir, ldapa_set set, const ldapa_search_outcome *out);

/* ------------------------------------------------------------ probes */

/** Run the server probes of doc/rules-language.md and store them on the
 * `server` entry (named after the URL). rootdse is the rootDSE entry read on
 * the audit connection; contexts the naming contexts to search anonymously.
 * Only the host of opts->url is contacted. Probe failures become facts
 * (FALSE, 0), never errors, except VIGIE_ENOMEM. */
vigie_status ldapa_probe_server(const ldapa_conn_opts *opts, LDAP *audit_ld, ldapa_dir *dir,
                                ldapa_obj *rootdse, const char *const *contexts, vigie_log *log,
                                vigie_error *err);

/* ------------------------------------------------------------ the run */

/* One collection: what ldapa_collect was given and what it has learnt. */
typedef struct ldapa_collect_run {
  const ldapa_conn_opts *opts;
  const char *const *const *attrs; /* rules' attributes per set, or NULL */
  ldapa_dir *dir;
  LDAP *ld;           /* the audit connection */
  ldapa_obj *rootdse; /* in dir */
  ldapa_profile profile;
  int page_size;
  ldapa_progress_fn progress;
  void *progress_ctx;
  vigie_log *log;
} ldapa_collect_run;

/* Called on each entry a set's search stores (e.g. to put DCs in dcs). */
typedef vigie_status (*ldapa_collect_hook)(ldapa_collect_run *run, ldapa_obj *obj,
                                           vigie_error *err);

/** Store one entry in set (values of attributes it did not have yet).
 * \param[out] out  the entry in the model (may be NULL) */
vigie_status ldapa_collect_store(ldapa_collect_run *run, LDAP *ld, LDAPMessage *entry,
                                 const ldapa_search *s, ldapa_set set, ldapa_obj **out,
                                 vigie_error *err);

/** Search base and store every entry in set, asking for builtin and the
 * rules' attributes of set; record the set's read state. optional_base: a
 * base that does not exist means an empty set, not a refused one.
 * \return only connection-level failures (EPROTO, ETIMEOUT, ENOMEM). */
vigie_status ldapa_collect_search(ldapa_collect_run *run, ldapa_set set, const char *base,
                                  int scope, const char *filter, const char *const *builtin,
                                  ldapa_collect_hook hook, bool optional_base, vigie_error *err);

/** Whether profile reads set (AUTO: only the server and the rootDSE). */
bool ldapa_collect_profile_has(ldapa_profile profile, ldapa_set set);

/** Read the sets of each profile (ldapa_collect_ad.c, ldapa_collect_openldap.c). */
vigie_status ldapa_collect_ad(ldapa_collect_run *run, vigie_error *err);
vigie_status ldapa_collect_openldap(ldapa_collect_run *run, const char *const *contexts,
                                    vigie_error *err);

#endif
