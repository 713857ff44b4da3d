/* The OpenLDAP profile: every entry under the naming contexts (with its
 * password values, for the schemes), and the ppolicy entries. */
#include "ldapa_collect_int.h"

static const char *const entries_attrs[] = {"objectClass", "userPassword", NULL};
static const char *const ppolicy_attrs[] = {"objectClass",        "cn",
                                            "pwdAttribute",       "pwdMinLength",
                                            "pwdMaxFailure",      "pwdLockout",
                                            "pwdMaxAge",          "pwdInHistory",
                                            "pwdCheckQuality",    "pwdAllowUserChange",
                                            "pwdMustChange",      "pwdSafeModify",
                                            "pwdLockoutDuration", NULL};

vigie_status ldapa_collect_openldap(ldapa_collect_run *run, const char *const *contexts,
                                    vigie_error *err) {
  if (contexts[0] == NULL) {
    const char *why = "the rootDSE lists no naming context (give --base)";
    ldapa_dir_set_read_state(run->dir, LDAPA_SET_ENTRIES, LDAPA_READ_DENIED, why);
    ldapa_dir_set_read_state(run->dir, LDAPA_SET_PPOLICIES, LDAPA_READ_DENIED, why);
    return VIGIE_OK;
  }
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; contexts[i] != NULL && status == VIGIE_OK; i++) {
    status = ldapa_collect_search(run, LDAPA_SET_ENTRIES, contexts[i], LDAP_SCOPE_SUBTREE,
                                  "(objectClass=*)", entries_attrs, NULL, false, err);
    if (status == VIGIE_OK)
      status = ldapa_collect_search(run, LDAPA_SET_PPOLICIES, contexts[i], LDAP_SCOPE_SUBTREE,
                                    "(objectClass=pwdPolicy)", ppolicy_attrs, NULL, false, err);
  }
  return status;
}
