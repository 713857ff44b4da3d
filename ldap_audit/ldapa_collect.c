/* The collector: connect, bind, read the rootDSE, pick the profile, run the
 * server probes, read every object set of the profile into the model, then
 * derive the facts. Entries stream from the server into the store one at a
 * time, keeping only the attributes asked for. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapa_collect_int.h"

/* --------------------------------------------------------- attribute lists */

/* The sets whose entries come from the search of set: accounts and dcs
 * are filled from users, computers and msas, so the attributes the rules
 * read on them must be asked for on those searches. */
static size_t sets_fed_by(ldapa_set set, ldapa_set out[3]) {
  size_t n = 0;
  out[n++] = set;
  if (set == LDAPA_SET_USERS || set == LDAPA_SET_COMPUTERS || set == LDAPA_SET_MSAS)
    out[n++] = LDAPA_SET_ACCOUNTS;
  if (set == LDAPA_SET_COMPUTERS) out[n++] = LDAPA_SET_DCS;
  return n;
}

/* builtin, then the rules' names for set and the sets it feeds, ASCII
 * case-insensitive duplicates dropped. \return a NULL-ended array of
 * borrowed strings; caller frees the array. */
static char **attrs_merge(const char *const *builtin, const char *const *const *rules,
                          ldapa_set set) {
  const char *const *lists[4] = {builtin, NULL, NULL, NULL};
  ldapa_set fed[3];
  size_t nl = 1 + sets_fed_by(set, fed);
  for (size_t l = 1; l < nl; l++) lists[l] = rules != NULL ? rules[fed[l - 1]] : NULL;
  size_t n = 0;
  for (size_t l = 0; l < nl; l++)
    for (size_t i = 0; lists[l] != NULL && lists[l][i] != NULL; i++) n++;
  char **out = vigie_calloc(n + 1, sizeof *out);
  if (out == NULL) return NULL;
  size_t k = 0;
  for (size_t l = 0; l < nl; l++)
    for (size_t i = 0; lists[l] != NULL && lists[l][i] != NULL; i++) {
      bool seen = false;
      for (size_t j = 0; j < k && !seen; j++) seen = strcasecmp(out[j], lists[l][i]) == 0;
      if (!seen) out[k++] = (char *)lists[l][i];
    }
  return out;
}

/* ------------------------------------------------------------ storing */

typedef struct sink_values {
  ldapa_dir *dir;
  ldapa_obj *obj;
  size_t attrs_before; /* attributes the entry had before this read */
} sink_values;

/* An entry read twice (a gMSA is a computer too) keeps the values of the
 * first read: appending them again would double multi-valued attributes. */
static bool had_before(const sink_values *v, const char *attr) {
  for (size_t i = 0; i < v->attrs_before; i++) {
    const char *name = ldapa_obj_attr_at(v->obj, i);
    if (name != NULL && strcasecmp(name, attr) == 0) return true;
  }
  return false;
}

static vigie_status store_value(void *ctx, const char *attr, const struct berval *value,
                                vigie_error *err) {
  sink_values *v = ctx;
  if (had_before(v, attr)) return VIGIE_OK;
  return ldapa_obj_add(v->dir, v->obj, attr, value->bv_val, value->bv_len, err);
}

static size_t attr_count(const ldapa_obj *obj) {
  size_t n = 0;
  while (ldapa_obj_attr_at(obj, n) != NULL) n++;
  return n;
}

vigie_status ldapa_collect_store(ldapa_collect_run *run, LDAP *ld, LDAPMessage *entry,
                                 const ldapa_search *s, ldapa_set set, ldapa_obj **out,
                                 vigie_error *err) {
  char *dn = ldap_get_dn(ld, entry);
  if (dn == NULL)
    return ldapa_ldap_fail(ld, LDAP_DECODING_ERROR, LDAPA_PHASE_SEARCH, run->opts->url,
                           "entry without a DN", NULL, err);
  vigie_status status = VIGIE_OK;
  ldapa_obj *obj = ldapa_dir_entry(run->dir, dn, err);
  if (obj == NULL) {
    status = err != NULL ? err->status : VIGIE_ENOMEM;
    goto done;
  }
  status = ldapa_dir_add_to_set(run->dir, set, obj, err);
  if (status != VIGIE_OK) goto done;
  sink_values v = {run->dir, obj, attr_count(obj)};
  bool partial = false;
  char reason[256] = "";
  status = ldapa_entry_values(ld, entry, s, store_value, &v, &partial, reason, sizeof reason, err);
  if (status == VIGIE_OK && partial)
    ldapa_dir_set_read_state(run->dir, set, LDAPA_READ_PARTIAL, reason);
  if (out != NULL) *out = obj;
done:
  ldap_memfree(dn);
  return status;
}

/* One search of a set: the callback stores each entry into set and calls
 * the set's hook; progress is reported every 256 entries. */
typedef struct sink_set {
  ldapa_collect_run *run;
  const ldapa_search *search;
  ldapa_set set;
  ldapa_collect_hook hook;
  size_t *count;
} sink_set;

static vigie_status sink_entry(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err) {
  sink_set *k = ctx;
  ldapa_obj *obj = NULL;
  vigie_status status = ldapa_collect_store(k->run, ld, entry, k->search, k->set, &obj, err);
  if (status == VIGIE_OK && k->hook != NULL) status = k->hook(k->run, obj, err);
  if (status == VIGIE_OK && (++*k->count % 256) == 0 && k->run->progress != NULL)
    k->run->progress(k->run->progress_ctx, k->set, *k->count);
  return status;
}

/* At -vv, each search in a form ldapsearch can replay (bench/ldap.sh does,
 * to compare with the same objects and attributes): set, scope, base,
 * filter, then the attributes. */
static void log_search(const ldapa_collect_run *run, ldapa_set set, const ldapa_search *s) {
  char line[2048];
  size_t used = 0;
  if (run->log == NULL || run->log->level < VIGIE_LOG_DEBUG) return;
  for (char *const *a = s->attrs; a != NULL && *a != NULL && used < sizeof line; a++) {
    int n = snprintf(line + used, sizeof line - used, " %s", *a);
    if (n < 0) break;
    used += (size_t)n;
  }
  if (used >= sizeof line) used = sizeof line - 1;
  line[used] = '\0';
  vigie_log_debug(run->log, "search %s %s \"%s\" \"%s\"%s", ldapa_set_name(set),
                  s->scope == LDAP_SCOPE_BASE ? "base" : s->scope == LDAP_SCOPE_ONELEVEL ? "one" : "sub",
                  s->base, s->filter, line);
}

vigie_status ldapa_collect_search(ldapa_collect_run *run, ldapa_set set, const char *base,
                                  int scope, const char *filter, const char *const *builtin,
                                  ldapa_collect_hook hook, bool optional_base, vigie_error *err) {
  char **attrs = attrs_merge(builtin, run->attrs, set);
  if (attrs == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  ldapa_search s = {
      run->opts->url, base, scope, filter, attrs, run->page_size, run->opts->timeout_seconds, 0};
  size_t count = ldapa_dir_set_size(run->dir, set);
  log_search(run, set, &s);
  sink_set k = {run, &s, set, hook, &count};
  ldapa_search_outcome out;
  vigie_status status = ldapa_search_run(run->ld, &s, sink_entry, &k, &out, err);
  vigie_free(attrs);
  /* An optional object (no PKI, no DNS partition) that does not exist is
   * absent, not unreadable. */
  if (optional_base && out.ldap_rc == LDAP_NO_SUCH_OBJECT && out.entries == 0)
    out.state = LDAPA_READ_COMPLETE;
  ldapa_search_record(run->dir, set, &out);
  if (out.state != LDAPA_READ_COMPLETE)
    vigie_log_verbose(run->log, "%s: set %s read %s: %s", run->opts->url, ldapa_set_name(set),
                      out.state == LDAPA_READ_DENIED ? "denied" : "partially", out.reason);
  if (run->progress != NULL) run->progress(run->progress_ctx, set, count);
  return status;
}

/* ------------------------------------------------------------ rootDSE */

static bool has_value(const ldapa_obj *obj, const char *attr, const char *want) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(obj, attr, &v);
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(v[i].data, want) == 0) return true;
  return false;
}

static vigie_status rootdse_entry(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err) {
  ldapa_collect_run *run = ctx;
  static const ldapa_search any = {0};
  return ldapa_collect_store(run, ld, entry, &any, LDAPA_SET_ROOTDSE, &run->rootdse, err);
}

static vigie_status read_rootdse(ldapa_collect_run *run, vigie_error *err) {
  char star[] = "*", plus[] = "+";
  char *attrs[] = {star, plus, NULL};
  ldapa_search s = {run->opts->url,
                    "",
                    LDAP_SCOPE_BASE,
                    "(objectClass=*)",
                    attrs,
                    0,
                    run->opts->timeout_seconds,
                    0};
  ldapa_search_outcome out;
  vigie_status status = ldapa_search_run(run->ld, &s, rootdse_entry, run, &out, err);
  if (status != VIGIE_OK) return status;
  ldapa_search_record(run->dir, LDAPA_SET_ROOTDSE, &out);
  if (run->rootdse == NULL)
    return vigie_fail(err, VIGIE_EPROTO, "%s: the server did not return its rootDSE (%s)",
                      run->opts->url, out.reason[0] ? out.reason : "no entry");
  return VIGIE_OK;
}

static ldapa_profile detect_profile(const ldapa_obj *rootdse) {
  /* AD publishes its forest level and GC state; LDAP_CAP_ACTIVE_DIRECTORY_OID
   * is in supportedCapabilities of AD DS and Samba AD alike. */
  if (ldapa_obj_first(rootdse, "forestFunctionality") != NULL ||
      ldapa_obj_first(rootdse, "isGlobalCatalogReady") != NULL ||
      has_value(rootdse, "supportedCapabilities", "1.2.840.113556.1.4.800"))
    return LDAPA_PROFILE_AD;
  return LDAPA_PROFILE_OPENLDAP;
}

/* The naming contexts searched: --base alone when given. NULL-ended,
 * borrowed from the model or opts; caller frees the array. */
static const char **naming_contexts(const ldapa_collect_run *run) {
  const ldapa_value *v = NULL;
  size_t n = run->opts->base != NULL ? 1 : ldapa_obj_values(run->rootdse, "namingContexts", &v);
  const char **out = vigie_calloc(n + 1, sizeof *out);
  if (out == NULL) return NULL;
  for (size_t i = 0; i < n; i++) out[i] = run->opts->base != NULL ? run->opts->base : v[i].data;
  return out;
}

/* ------------------------------------------------------------ the run */

static vigie_status collect_connect(ldapa_collect_run *run, vigie_error *err) {
  const ldapa_conn_opts *o = run->opts;
  ldapa_link link = {o->url, o->starttls, o->tls_verify, o->ca_file, o->timeout_seconds};
  vigie_status status = ldapa_link_open(&link, &run->ld, err);
  if (status == VIGIE_OK) status = ldapa_link_bind(run->ld, o, err);
  return status;
}

/* After a fatal error, every set the profile reads that is not known to be
 * complete is marked partial, so nothing in dir passes for a full read. */
static void mark_unfinished(ldapa_collect_run *run, const vigie_error *err) {
  char reason[VIGIE_ERROR_MAX + 64];
  snprintf(reason, sizeof reason, "collection stopped: %s", vigie_error_text(err));
  for (int set = 0; set < LDAPA_SET_COUNT; set++) {
    bool wanted = ldapa_collect_profile_has(run->profile, (ldapa_set)set);
    ldapa_read_state st = ldapa_dir_read_state(run->dir, (ldapa_set)set, NULL);
    if (wanted && (st == LDAPA_READ_NOT_ASKED || st == LDAPA_READ_COMPLETE))
      ldapa_dir_set_read_state(run->dir, (ldapa_set)set, LDAPA_READ_PARTIAL, reason);
  }
}

static vigie_status collect_sets(ldapa_collect_run *run, vigie_error *err) {
  const char **contexts = naming_contexts(run);
  if (contexts == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status =
      ldapa_probe_server(run->opts, run->ld, run->dir, run->rootdse, contexts, run->log, err);
  if (status == VIGIE_OK)
    status = run->profile == LDAPA_PROFILE_AD ? ldapa_collect_ad(run, err)
                                              : ldapa_collect_openldap(run, contexts, err);
  vigie_free(contexts);
  if (status != VIGIE_OK) return status;
  /* Ages are counted from the end of the read. */
  ldapa_dir_set_time(run->dir, time(NULL));
  return run->profile == LDAPA_PROFILE_AD ? ldapa_facts_ad(run->dir, err)
                                          : ldapa_facts_openldap(run->dir, err);
}

vigie_status ldapa_collect(const ldapa_conn_opts *opts, const char *const *const *attrs,
                           ldapa_dir *dir, ldapa_profile *profile_out, ldapa_progress_fn progress,
                           void *progress_ctx, vigie_log *log, vigie_error *err) {
  ldapa_collect_run run = {.opts = opts,
                           .attrs = attrs,
                           .dir = dir,
                           .progress = progress,
                           .progress_ctx = progress_ctx,
                           .log = log,
                           .profile = opts->profile,
                           .page_size = opts->page_size > 0 ? opts->page_size : 500};
  vigie_status status = collect_connect(&run, err);
  if (status != VIGIE_OK) goto done;
  status = read_rootdse(&run, err);
  if (status != VIGIE_OK) goto done;
  if (run.profile == LDAPA_PROFILE_AUTO) run.profile = detect_profile(run.rootdse);
  if (profile_out != NULL) *profile_out = run.profile;
  vigie_log_verbose(log, "%s: profile %s", opts->url, ldapa_profile_name(run.profile));
  status = collect_sets(&run, err);
done:
  if (status != VIGIE_OK) mark_unfinished(&run, err);
  ldapa_dir_set_time(dir, time(NULL));
  ldapa_link_close(run.ld);
  return status;
}
