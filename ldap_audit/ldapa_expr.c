/* The directory rules' view of the shared predicate language (core/expr.c):
 * the derived fact names, and an evaluation whose names are an entry's
 * attributes and facts. The parser and evaluator live in core so the
 * scanner's exposure rules use the same language without ldap_audit. */
#include <strings.h>

#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

/* The derived facts of doc/rules-language.md: the collector stores them
 * beside the attributes, so the collector is not asked to read them. */
static const char *const ex_facts[] = {
    "sid", "rid", "enabled", "privileged", "privileged_groups", "protected_user", "is_dc",
    "is_rodc", "is_server", "is_workstation", "is_msa", "is_trust_account", "is_admin500",
    "is_guest", "is_krbtgt", "never_logged_on", "dormant", "sid_history_privileged",
    "members_total", "members_recursive", "privileged_count", "dc_count", "domain_count",
    "forest_level", "laps_legacy_schema", "laps_schema", "allow_update", "is_msdcs",
    "is_domain_zone", "sid_filtering", "direction", "is_forest", "key_type", "key_bits",
    "signature_hash", "decodable", "anonymous_bind", "anonymous_entries",
    "anonymous_password_values", "cleartext_bind_accepted", "starttls_supported", "ldaps_open",
    "tls_verified", "config_readable", "monitor_readable", "vendor_version", "ppolicy_control",
    "password_scheme",
};

bool ldapa_expr_is_fact(const char *name) {
  for (size_t i = 0; name != NULL && i < sizeof ex_facts / sizeof ex_facts[0]; i++)
    if (strcasecmp(ex_facts[i], name) == 0) return true;
  return false;
}

vigie_status ldapa_expr_parse(const char *text, ldapa_expr **out, size_t *column,
                              vigie_error *err) {
  return vigie_expr_parse(text, out, column, err);
}

void ldapa_expr_free(ldapa_expr *expr) { vigie_expr_free(expr); }

size_t ldapa_expr_name_count(const ldapa_expr *expr) { return vigie_expr_name_count(expr); }

const char *ldapa_expr_name_at(const ldapa_expr *expr, size_t i) {
  return vigie_expr_name_at(expr, i);
}

/* An entry's values by attribute or fact name (ldapa_value is the core's
 * value type, so the store's vectors are handed out as they are). */
static size_t ex_obj_lookup(void *ctx, const char *name, const vigie_expr_value **values) {
  return ldapa_obj_values(ctx, name, values);
}

vigie_status ldapa_expr_eval(const ldapa_expr *expr, const ldapa_obj *obj, time_t now, bool *read,
                             bool *result, vigie_error *err) {
  vigie_error local;
  if (err == NULL) err = &local;
  if (obj == NULL || result == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_expr_eval: bad argument");
  /* The lookup only reads the entry: the cast drops const for the callback's
   * generic context pointer, never to write through it. */
  return vigie_expr_eval(expr, ex_obj_lookup, (void *)(uintptr_t)obj, now, read, result, err);
}
