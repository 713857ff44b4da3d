/* Small helpers the fact files share (ldapa_facts.c, ldapa_facts_ad.c). */
#ifndef VIGIE_LDAPA_FACTS_UTIL_H
#define VIGIE_LDAPA_FACTS_UTIL_H

#include "vigie/ldap_audit.h"

/** Replace fact on obj with TRUE/FALSE, a decimal integer or a string. */
vigie_status ldapa_fact_bool(ldapa_dir *dir, ldapa_obj *obj, const char *fact, bool v,
                             vigie_error *err);
vigie_status ldapa_fact_int(ldapa_dir *dir, ldapa_obj *obj, const char *fact, int64_t v,
                            vigie_error *err);
vigie_status ldapa_fact_str(ldapa_dir *dir, ldapa_obj *obj, const char *fact, const char *v,
                            vigie_error *err);
/** The first value of attr as a decimal integer. \return false if absent or not a number. */
bool ldapa_fact_first_int(const ldapa_obj *obj, const char *attr, int64_t *out);
/** Whether any value of attr equals want (ASCII case-insensitive). */
bool ldapa_fact_has_value(const ldapa_obj *obj, const char *attr, const char *want);

/** The certificate facts of the pki_cas set (ldapa_facts_pki.c). */
vigie_status ldapa_facts_pki(ldapa_dir *dir, vigie_error *err);

#endif
