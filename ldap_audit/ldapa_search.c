/* Searches that stream: RFC 2696 paged results handed to a callback one
 * entry at a time (memory stays bounded by one page), MS-ADTS range
 * retrieval of long multi-valued attributes, and result codes that limit a
 * read turned into read states rather than errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapa_collect_int.h"

#define RANGE_MAX_ROUNDS 100000 /* 1500 values a round: far beyond any group */

__attribute__((format(printf, 3, 4))) static void outcome_limit(ldapa_search_outcome *out,
                                                                ldapa_read_state state,
                                                                const char *fmt, ...) {
  if (state > out->state || out->state == LDAPA_READ_COMPLETE) out->state = state;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out->reason, sizeof out->reason, fmt, ap);
  va_end(ap);
}

/* A result code that ends a search short, as a read state and reason. */
static void outcome_from_rc(ldapa_search_outcome *out, const ldapa_search *s, int rc,
                            const char *text) {
  out->ldap_rc = rc;
  const char *t = text != NULL ? text : "";
  switch (rc) {
    case LDAP_SUCCESS: return;
    case LDAP_NO_SUCH_OBJECT:
      outcome_limit(out, LDAPA_READ_DENIED, "base \"%s\" does not exist or is not visible %s",
                    s->base, t);
      return;
    case LDAP_INSUFFICIENT_ACCESS:
      outcome_limit(out, out->entries ? LDAPA_READ_PARTIAL : LDAPA_READ_DENIED,
                    "insufficient access under \"%s\" %s", s->base, t);
      return;
    case LDAP_SIZELIMIT_EXCEEDED:
      outcome_limit(out, LDAPA_READ_PARTIAL, "server size limit reached under \"%s\" %s", s->base,
                    t);
      return;
    default: break;
  }
  char what[128];
  snprintf(what, sizeof what, "%s (%d)", ldap_err2string(rc), rc);
  outcome_limit(out, out->entries ? LDAPA_READ_PARTIAL : LDAPA_READ_DENIED, "%s under \"%s\"", what,
                s->base);
  size_t n = strlen(out->reason);
  if (t[0] != '\0' && n + 3 < sizeof out->reason)
    snprintf(out->reason + n, sizeof out->reason - n, ": %s", t);
}

/* One page: send the search, stream entries, parse the final result.
 * *cookie is replaced by the server's (empty at the end). */
static vigie_status search_page(LDAP *ld, const ldapa_search *s, struct berval **cookie,
                                ldapa_entry_fn fn, void *ctx, ldapa_search_outcome *out,
                                vigie_error *err) {
  LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL};
  LDAPMessage *msg = NULL;
  LDAPControl **srv = NULL;
  char *text = NULL;
  int msgid = -1, code = LDAP_SUCCESS;
  vigie_status status = VIGIE_OK;
  struct timeval tv = ldapa_link_timeval(s->timeout_seconds);
  if (s->page_size > 0) {
    /* Not critical: a server without paging still answers, up to its limit. */
    int rc = ldap_create_page_control(ld, (ber_int_t)s->page_size, *cookie, 0, &page);
    if (rc != LDAP_SUCCESS)
      return ldapa_ldap_fail(ld, rc, LDAPA_PHASE_SEARCH, s->url, "page control", NULL, err);
    ctrls[0] = page;
  }
  int rc = ldap_search_ext(ld, s->base, s->scope, s->filter, s->attrs, 0, ctrls, NULL, &tv,
                           s->max_entries > 0 ? (int)s->max_entries : 0, &msgid);
  if (rc != LDAP_SUCCESS) {
    status = ldapa_ldap_fail(ld, rc, LDAPA_PHASE_SEARCH, s->url, "search", NULL, err);
    goto done;
  }
  for (;;) {
    ldap_msgfree(msg);
    msg = NULL;
    rc = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &msg);
    if (rc == 0) {
      ldap_abandon_ext(ld, msgid, NULL, NULL);
      status = vigie_fail(err, VIGIE_ETIMEOUT, "%s: no answer in %ld s to a search under \"%s\"",
                          s->url, (long)tv.tv_sec, s->base);
      goto done;
    }
    if (rc < 0) {
      int e = LDAP_SERVER_DOWN;
      ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &e);
      status = ldapa_ldap_fail(ld, e, LDAPA_PHASE_SEARCH, s->url, "search interrupted", NULL, err);
      goto done;
    }
    if (rc == LDAP_RES_SEARCH_ENTRY) {
      status = fn(ctx, ld, msg, err);
      if (status != VIGIE_OK) {
        ldap_abandon_ext(ld, msgid, NULL, NULL);
        goto done;
      }
      out->entries++;
      continue;
    }
    if (rc == LDAP_RES_SEARCH_RESULT) break;
    /* Continuation references: referrals are not chased (other hosts). */
  }
  rc = ldap_parse_result(ld, msg, &code, NULL, &text, NULL, &srv, 0);
  if (rc != LDAP_SUCCESS) {
    status = ldapa_ldap_fail(ld, rc, LDAPA_PHASE_SEARCH, s->url, "search result", NULL, err);
    goto done;
  }
  outcome_from_rc(out, s, code, text);
  ber_bvfree(*cookie);
  *cookie = NULL;
  LDAPControl *resp = srv ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, srv, NULL) : NULL;
  if (code == LDAP_SUCCESS && s->page_size > 0 && resp != NULL) {
    struct berval c = {0, NULL};
    ber_int_t estimate = 0;
    if (ldap_parse_pageresponse_control(ld, resp, &estimate, &c) == LDAP_SUCCESS && c.bv_len > 0)
      *cookie = ber_bvdup(&c);
    ber_memfree(c.bv_val);
  }
done:
  ldap_controls_free(srv);
  ldap_memfree(text);
  ldap_msgfree(msg);
  if (page != NULL) ldap_control_free(page);
  return status;
}

vigie_status ldapa_search_run(LDAP *ld, const ldapa_search *s, ldapa_entry_fn fn, void *ctx,
                              ldapa_search_outcome *out, vigie_error *err) {
  memset(out, 0, sizeof *out);
  out->state = LDAPA_READ_COMPLETE;
  struct berval *cookie = NULL;
  vigie_status status = VIGIE_OK;
  do {
    status = search_page(ld, s, &cookie, fn, ctx, out, err);
    if (s->max_entries > 0 && out->entries >= s->max_entries) break;
  } while (status == VIGIE_OK && cookie != NULL);
  ber_bvfree(cookie);
  if (status != VIGIE_OK && out->state == LDAPA_READ_COMPLETE) {
    out->state = LDAPA_READ_PARTIAL;
    snprintf(out->reason, sizeof out->reason, "%s", vigie_error_text(err));
  }
  return status;
}

void ldapa_search_record(ldapa_dir *dir, ldapa_set set, const ldapa_search_outcome *out) {
  ldapa_dir_set_read_state(dir, set, out->state,
                           out->state == LDAPA_READ_COMPLETE ? NULL : out->reason);
}

/* ------------------------------------------------------------ ranges */

/* "member;range=0-1499" -> base "member", *last 1499 or -1 for "*".
 * Other options (";binary") are dropped too. \return whether ranged. */
static bool range_parse(const char *name, char *base, size_t base_size, long *first, long *last) {
  size_t n = strcspn(name, ";");
  snprintf(base, base_size, "%.*s", (int)n, name);
  const char *r = strcasestr(name, ";range=");
  if (r == NULL) return false;
  char *end = NULL;
  *first = strtol(r + 7, &end, 10);
  if (end == r + 7 || *end != '-') return false;
  if (end[1] == '*') {
    *last = -1;
    return true;
  }
  const char *p = end + 1;
  *last = strtol(p, &end, 10);
  return end != p && *last >= *first;
}

typedef struct range_ctx {
  ldapa_value_fn fn;
  void *ctx;
  const char *want; /* the attribute being completed */
  long next, last;  /* the next index asked for; the last index returned */
  bool got;
} range_ctx;

static vigie_status range_values(LDAP *ld, LDAPMessage *entry, range_ctx *r, vigie_error *err) {
  BerElement *ber = NULL;
  vigie_status status = VIGIE_OK;
  for (char *a = ldap_first_attribute(ld, entry, &ber); a != NULL && status == VIGIE_OK;
       a = ldap_next_attribute(ld, entry, ber)) {
    char base[256];
    long first = 0, last = 0;
    if (range_parse(a, base, sizeof base, &first, &last) && strcasecmp(base, r->want) == 0 &&
        first == r->next) {
      struct berval **vals = ldap_get_values_len(ld, entry, a);
      for (size_t i = 0; vals != NULL && vals[i] != NULL && status == VIGIE_OK; i++)
        status = r->fn(r->ctx, base, vals[i], err);
      ldap_value_free_len(vals);
      r->got = true;
      r->last = last;
    }
    ldap_memfree(a);
  }
  ber_free(ber, 0);
  return status;
}

static vigie_status range_entry(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err) {
  return range_values(ld, entry, ctx, err);
}

/* Fetch "attr;range=next-*" rounds until the server says "*". */
static vigie_status range_complete(LDAP *ld, const ldapa_search *s, const char *dn,
                                   const char *attr, long next, ldapa_value_fn fn, void *ctx,
                                   bool *partial, char *reason, size_t reason_size,
                                   vigie_error *err) {
  range_ctx r = {fn, ctx, attr, next, 0, false};
  vigie_status status = VIGIE_OK;
  for (int round = 0; round < RANGE_MAX_ROUNDS; round++) {
    char want[300];
    snprintf(want, sizeof want, "%s;range=%ld-*", attr, r.next);
    char *attrs[] = {want, NULL};
    ldapa_search b = {s->url, dn, LDAP_SCOPE_BASE,    "(objectClass=*)",
                      attrs,  0,  s->timeout_seconds, 0};
    ldapa_search_outcome out;
    r.got = false;
    status = ldapa_search_run(ld, &b, range_entry, &r, &out, err);
    if (status != VIGIE_OK) return status;
    if (out.state != LDAPA_READ_COMPLETE || !r.got) {
      *partial = true;
      snprintf(reason, reason_size, "%s of \"%s\" read only up to value %ld: %s", attr, dn, r.next,
               out.state != LDAPA_READ_COMPLETE ? out.reason : "the server sent no range");
      return VIGIE_OK;
    }
    if (r.last < 0) return VIGIE_OK; /* "-*": the last range */
    r.next = r.last + 1;
  }
  *partial = true;
  snprintf(reason, reason_size, "%s of \"%s\": too many ranges", attr, dn);
  return VIGIE_OK;
}

vigie_status ldapa_entry_values(LDAP *ld, LDAPMessage *entry, const ldapa_search *s,
                                ldapa_value_fn fn, void *ctx, bool *partial, char *reason,
                                size_t reason_size, vigie_error *err) {
  BerElement *ber = NULL;
  char *dn = ldap_get_dn(ld, entry);
  vigie_status status = VIGIE_OK;
  for (char *a = ldap_first_attribute(ld, entry, &ber); a != NULL && status == VIGIE_OK;
       a = ldap_next_attribute(ld, entry, ber)) {
    char base[256];
    long first = 0, last = -1;
    bool ranged = range_parse(a, base, sizeof base, &first, &last);
    struct berval **vals = ldap_get_values_len(ld, entry, a);
    for (size_t i = 0; vals != NULL && vals[i] != NULL && status == VIGIE_OK; i++)
      status = fn(ctx, base, vals[i], err);
    ldap_value_free_len(vals);
    if (status == VIGIE_OK && ranged && last >= 0 && dn != NULL)
      status =
          range_complete(ld, s, dn, base, last + 1, fn, ctx, partial, reason, reason_size, err);
    ldap_memfree(a);
  }
  ber_free(ber, 0);
  ldap_memfree(dn);
  return status;
}
