/* Fact helpers, and the OpenLDAP facts: the scheme of every password value
 * (doc/rules-language.md, "OpenLDAP, entries"). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapa_facts_util.h"

vigie_status ldapa_fact_str(ldapa_dir *dir, ldapa_obj *obj, const char *fact, const char *v,
                            vigie_error *err) {
  ldapa_obj_clear(obj, fact);
  return ldapa_obj_add_str(dir, obj, fact, v, err);
}

vigie_status ldapa_fact_bool(ldapa_dir *dir, ldapa_obj *obj, const char *fact, bool v,
                             vigie_error *err) {
  return ldapa_fact_str(dir, obj, fact, v ? "TRUE" : "FALSE", err);
}

vigie_status ldapa_fact_int(ldapa_dir *dir, ldapa_obj *obj, const char *fact, int64_t v,
                            vigie_error *err) {
  ldapa_obj_clear(obj, fact);
  return ldapa_obj_add_int(dir, obj, fact, v, err);
}

bool ldapa_fact_first_int(const ldapa_obj *obj, const char *attr, int64_t *out) {
  const char *text = ldapa_obj_first(obj, attr);
  if (text == NULL || text[0] == '\0') return false;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

bool ldapa_fact_has_value(const ldapa_obj *obj, const char *attr, const char *want) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(obj, attr, &v);
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(v[i].data, want) == 0) return true;
  return false;
}

/* {CRYPT} hashes by their salt prefix (crypt(5)); DES is 13 characters
 * with no '$' prefix. */
static const char *crypt_kind(const char *h, size_t len) {
  static const struct {
    const char *prefix, *name;
  } kinds[] = {{"$1$", "CRYPT-MD5"},      {"$5$", "CRYPT-SHA256"},  {"$6$", "CRYPT-SHA512"},
               {"$2a$", "CRYPT-BCRYPT"},  {"$2b$", "CRYPT-BCRYPT"}, {"$2y$", "CRYPT-BCRYPT"},
               {"$y$", "CRYPT-YESCRYPT"}, {"$7$", "CRYPT-SCRYPT"}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    size_t n = strlen(kinds[i].prefix);
    if (len >= n && memcmp(h, kinds[i].prefix, n) == 0) return kinds[i].name;
  }
  return len == 13 && h[0] != '$' ? "CRYPT-DES" : "CRYPT";
}

/* The scheme of one userPassword value into out: CLEAR without a "{...}"
 * prefix, else the scheme upper-cased, {CRYPT} refined. */
static void password_scheme(const ldapa_value *v, char *out, size_t out_size) {
  const char *close = v->len > 1 && v->data[0] == '{' ? memchr(v->data, '}', v->len) : NULL;
  size_t n = close != NULL ? (size_t)(close - v->data) - 1 : 0;
  if (close == NULL || n == 0 || n >= out_size) {
    snprintf(out, out_size, "CLEAR");
    return;
  }
  for (size_t i = 0; i < n; i++) out[i] = (char)toupper((unsigned char)v->data[1 + i]);
  out[n] = '\0';
  if (strcmp(out, "CRYPT") == 0)
    snprintf(out, out_size, "%s", crypt_kind(close + 1, v->len - n - 2));
}

/* What replaces each password value once its scheme is known: hashes
 * (and cleartext passwords) must never reach a result file. */
#define PASSWORD_REDACTED "(redacted by vigie)"

static vigie_status entry_password_facts(ldapa_dir *dir, ldapa_obj *obj, vigie_error *err) {
  const ldapa_value *v = NULL;
  size_t nv = ldapa_obj_values(obj, "userPassword", &v);
  if (nv == 0 || strcmp(v[0].data, PASSWORD_REDACTED) == 0) return VIGIE_OK; /* done before */
  ldapa_obj_clear(obj, "password_scheme");
  vigie_status status = VIGIE_OK;
  for (size_t k = 0; k < nv && status == VIGIE_OK; k++) {
    char scheme[64];
    password_scheme(&v[k], scheme, sizeof scheme);
    status = ldapa_obj_add_str(dir, obj, "password_scheme", scheme, err);
  }
  /* The old values stay readable in the store's arena until the clear
   * below, which only unlinks them. */
  ldapa_obj_clear(obj, "userPassword");
  for (size_t k = 0; k < nv && status == VIGIE_OK; k++)
    status = ldapa_obj_add_str(dir, obj, "userPassword", PASSWORD_REDACTED, err);
  return status;
}

vigie_status ldapa_facts_openldap(ldapa_dir *dir, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  size_t n = ldapa_dir_set_size(dir, LDAPA_SET_ENTRIES);
  for (size_t i = 0; i < n && status == VIGIE_OK; i++)
    status = entry_password_facts(dir, ldapa_dir_set_at(dir, LDAPA_SET_ENTRIES, i), err);
  return status;
}
