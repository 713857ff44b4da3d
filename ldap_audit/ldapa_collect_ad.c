/* The Active Directory profile: the object sets of doc/rules-language.md
 * read from the domain, configuration and DNS naming contexts, and the few
 * forest-wide counts the domain facts need. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapa_collect_int.h"

#define UAC_SERVER_TRUST 0x2000L
#define UAC_PARTIAL_SECRETS 0x4000000L

static const char *const account_attrs[] = {
    "objectClass",        "objectSid",       "sAMAccountName", "cn",
    "userAccountControl", "primaryGroupID",  "pwdLastSet",     "lastLogonTimestamp",
    "whenCreated",        "operatingSystem", "sIDHistory",     "dNSHostName",
    "msDS-AllowedToDelegateTo", NULL};
static const char *const group_attrs[] = {
    "objectClass", "objectSid", "sAMAccountName", "cn", "member", "groupType", NULL};
static const char *const domain_attrs[] = {"objectSid", "name", "msDS-Behavior-Version", NULL};
static const char *const trust_attrs[] = {
    "cn", "trustPartner", "trustAttributes", "trustDirection", "trustType", "securityIdentifier",
    NULL};
static const char *const dns_attrs[] = {"dc", "name", "dNSProperty", NULL};
static const char *const config_attrs[] = {
    "objectClass",           "cn", "dSHeuristics", "msDS-Behavior-Version", "revision",
    "msDS-EnabledFeatureBL", NULL};
static const char *const ntds_attrs[] = {"objectClass", "msDS-Behavior-Version", "options", NULL};
static const char *const pki_attrs[] = {"objectClass",          "cn",          "cACertificate",
                                        "certificateTemplates", "dNSHostName", NULL};
static const char *const gpo_attrs[] = {"cn", "displayName", "gPCFileSysPath", NULL};

/* ------------------------------------------------------------ hooks */

static vigie_status hook_account(ldapa_collect_run *run, ldapa_obj *obj, vigie_error *err) {
  return ldapa_dir_add_to_set(run->dir, LDAPA_SET_ACCOUNTS, obj, err);
}

/* Computers are accounts; those with the DC or RODC flag are DCs too. */
static vigie_status hook_computer(ldapa_collect_run *run, ldapa_obj *obj, vigie_error *err) {
  vigie_status status = ldapa_dir_add_to_set(run->dir, LDAPA_SET_ACCOUNTS, obj, err);
  const char *uac = ldapa_obj_first(obj, "userAccountControl");
  long flags = uac != NULL ? strtol(uac, NULL, 10) : 0;
  if (status == VIGIE_OK && (flags & (UAC_SERVER_TRUST | UAC_PARTIAL_SECRETS)) != 0)
    status = ldapa_dir_add_to_set(run->dir, LDAPA_SET_DCS, obj, err);
  return status;
}

/* ------------------------------------------------------------ helpers */

/* prefix + nc in a new string (caller frees), or NULL. */
static char *dn_join(const char *prefix, const char *nc) {
  size_t n = strlen(prefix) + strlen(nc) + 1;
  char *out = vigie_malloc(n);
  if (out != NULL) snprintf(out, n, "%s%s", prefix, nc);
  return out;
}

static vigie_status search_under(ldapa_collect_run *run, ldapa_set set, const char *prefix,
                                 const char *nc, int scope, const char *filter,
                                 const char *const *builtin, ldapa_collect_hook hook, bool optional,
                                 vigie_error *err) {
  if (nc == NULL) {
    ldapa_dir_set_read_state(run->dir, set, LDAPA_READ_DENIED,
                             "the rootDSE does not name the naming context of this set");
    return VIGIE_OK;
  }
  char *base = dn_join(prefix, nc);
  if (base == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status =
      ldapa_collect_search(run, set, base, scope, filter, builtin, hook, optional, err);
  vigie_free(base);
  return status;
}

typedef struct count_ctx {
  size_t n;
} count_ctx;

static vigie_status count_entry(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err) {
  (void)ld, (void)entry, (void)err;
  ((count_ctx *)ctx)->n++;
  return VIGIE_OK;
}

/* Count the entries of a search and store the count (or whether there is
 * one, as TRUE/FALSE) as fact on obj;
 * when the search is limited, the fact is left out and the domain set
 * marked partial. */
static vigie_status count_fact(ldapa_collect_run *run, ldapa_obj *obj, const char *fact,
                               bool boolean, const char *base, int scope, const char *filter,
                               vigie_error *err) {
  char one[] = "1.1";
  char *attrs[] = {one, NULL};
  ldapa_search s = {
      run->opts->url, base, scope, filter, attrs, run->page_size, run->opts->timeout_seconds, 0};
  count_ctx c = {0};
  ldapa_search_outcome out;
  vigie_status status = ldapa_search_run(run->ld, &s, count_entry, &c, &out, err);
  if (status != VIGIE_OK) return status;
  if (out.state != LDAPA_READ_COMPLETE) {
    ldapa_dir_set_read_state(run->dir, LDAPA_SET_DOMAIN, LDAPA_READ_PARTIAL, out.reason);
    return VIGIE_OK;
  }
  ldapa_obj_clear(obj, fact);
  if (boolean) return ldapa_obj_add_str(run->dir, obj, fact, c.n > 0 ? "TRUE" : "FALSE", err);
  return ldapa_obj_add_int(run->dir, obj, fact, (int64_t)c.n, err);
}

/* domain_count (crossRefs of domains) and the LAPS schema attributes. */
static vigie_status domain_forest_facts(ldapa_collect_run *run, const char *config_nc,
                                        const char *schema_nc, vigie_error *err) {
  ldapa_obj *domain = ldapa_dir_set_at(run->dir, LDAPA_SET_DOMAIN, 0);
  if (domain == NULL || config_nc == NULL || schema_nc == NULL) return VIGIE_OK;
  char *partitions = dn_join("CN=Partitions,", config_nc);
  if (partitions == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  /* SYSTEM_FLAG_CR_NTDS_DOMAIN (2) marks the crossRefs of domains. */
  vigie_status status =
      count_fact(run, domain, "domain_count", false, partitions, LDAP_SCOPE_ONELEVEL,
                 "(&(objectClass=crossRef)(systemFlags:1.2.840.113556.1.4.803:=2))", err);
  vigie_free(partitions);
  if (status == VIGIE_OK)
    status = count_fact(run, domain, "laps_legacy_schema", true, schema_nc, LDAP_SCOPE_ONELEVEL,
                        "(lDAPDisplayName=ms-Mcs-AdmPwd)", err);
  if (status == VIGIE_OK)
    status = count_fact(run, domain, "laps_schema", true, schema_nc, LDAP_SCOPE_ONELEVEL,
                        "(lDAPDisplayName=msLAPS-Password)", err);
  return status;
}

/* ------------------------------------------------------------ sets */

static vigie_status read_domain_sets(ldapa_collect_run *run, const char *nc, vigie_error *err) {
  vigie_status status = search_under(run, LDAPA_SET_DOMAIN, "", nc, LDAP_SCOPE_BASE,
                                     "(objectClass=*)", domain_attrs, NULL, false, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_USERS, "", nc, LDAP_SCOPE_SUBTREE,
                          "(&(objectCategory=person)(objectClass=user))", account_attrs,
                          hook_account, false, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_COMPUTERS, "", nc, LDAP_SCOPE_SUBTREE,
                          "(objectClass=computer)", account_attrs, hook_computer, false, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_MSAS, "", nc, LDAP_SCOPE_SUBTREE,
                          "(|(objectClass=msDS-ManagedServiceAccount)"
                          "(objectClass=msDS-GroupManagedServiceAccount))",
                          account_attrs, hook_account, false, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_GROUPS, "", nc, LDAP_SCOPE_SUBTREE, "(objectClass=group)",
                          group_attrs, NULL, false, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_TRUSTS, "CN=System,", nc, LDAP_SCOPE_SUBTREE,
                          "(objectClass=trustedDomain)", trust_attrs, NULL, false, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_GPOS, "", nc, LDAP_SCOPE_SUBTREE,
                          "(objectClass=groupPolicyContainer)", gpo_attrs, NULL, false, err);
  /* The sets derived from computers are read exactly as well as they. */
  const char *why = NULL;
  ldapa_read_state st = ldapa_dir_read_state(run->dir, LDAPA_SET_COMPUTERS, &why);
  ldapa_dir_set_read_state(run->dir, LDAPA_SET_DCS, st, why);
  ldapa_dir_set_read_state(run->dir, LDAPA_SET_ACCOUNTS, st, why);
  st = ldapa_dir_read_state(run->dir, LDAPA_SET_USERS, &why);
  ldapa_dir_set_read_state(run->dir, LDAPA_SET_ACCOUNTS, st, why);
  return status;
}

/* The configuration singletons: each optional (Samba lacks some). */
static vigie_status read_config_set(ldapa_collect_run *run, const char *domain_nc,
                                    const char *config_nc, vigie_error *err) {
  static const char ds[] = "CN=Directory Service,CN=Windows NT,CN=Services,";
  static const char features[] =
      "CN=Optional Features,CN=Directory Service,CN=Windows NT,CN=Services,";
  vigie_status status = search_under(run, LDAPA_SET_CONFIG, ds, config_nc, LDAP_SCOPE_BASE,
                                     "(objectClass=*)", config_attrs, NULL, true, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_CONFIG, features, config_nc, LDAP_SCOPE_ONELEVEL,
                          "(objectClass=msDS-OptionalFeature)", config_attrs, NULL, true, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_CONFIG, "CN=Partitions,", config_nc, LDAP_SCOPE_BASE,
                          "(objectClass=*)", config_attrs, NULL, false, err);
  if (status == VIGIE_OK)
    status =
        search_under(run, LDAPA_SET_CONFIG, "CN=ActiveDirectoryUpdate,CN=DomainUpdates,CN=System,",
                     domain_nc, LDAP_SCOPE_BASE, "(objectClass=*)", config_attrs, NULL, true, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_NTDS_DSA, "CN=Sites,", config_nc, LDAP_SCOPE_SUBTREE,
                          "(objectClass=nTDSDSA)", ntds_attrs, NULL, false, err);
  return status;
}

static vigie_status read_pki_sets(ldapa_collect_run *run, const char *config_nc, vigie_error *err) {
  static const char pks[] = "CN=Public Key Services,CN=Services,";
  vigie_status status =
      search_under(run, LDAPA_SET_PKI_TEMPLATES, pks, config_nc, LDAP_SCOPE_SUBTREE,
                   "(objectClass=pKICertificateTemplate)", pki_attrs, NULL, true, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_PKI_CAS, pks, config_nc, LDAP_SCOPE_SUBTREE,
                          "(objectClass=certificationAuthority)", pki_attrs, NULL, true, err);
  if (status == VIGIE_OK)
    status = search_under(run, LDAPA_SET_PKI_ENROLLMENT, pks, config_nc, LDAP_SCOPE_SUBTREE,
                          "(objectClass=pKIEnrollmentService)", pki_attrs, NULL, true, err);
  return status;
}

/* Zones live in the domain NC (legacy) and the DNS application partitions. */
static vigie_status read_dns_zones(ldapa_collect_run *run, const char *domain_nc,
                                   vigie_error *err) {
  vigie_status status = search_under(run, LDAPA_SET_DNS_ZONES, "", domain_nc, LDAP_SCOPE_SUBTREE,
                                     "(objectClass=dnsZone)", dns_attrs, NULL, false, err);
  const ldapa_value *nc = NULL;
  size_t n = ldapa_obj_values(run->rootdse, "namingContexts", &nc);
  for (size_t i = 0; i < n && status == VIGIE_OK; i++)
    if (strncasecmp(nc[i].data, "DC=DomainDnsZones,", 18) == 0 ||
        strncasecmp(nc[i].data, "DC=ForestDnsZones,", 18) == 0)
      status = search_under(run, LDAPA_SET_DNS_ZONES, "", nc[i].data, LDAP_SCOPE_SUBTREE,
                            "(objectClass=dnsZone)", dns_attrs, NULL, true, err);
  return status;
}

vigie_status ldapa_collect_ad(ldapa_collect_run *run, vigie_error *err) {
  const char *domain_nc = run->opts->base != NULL
                              ? run->opts->base
                              : ldapa_obj_first(run->rootdse, "defaultNamingContext");
  const char *config_nc = ldapa_obj_first(run->rootdse, "configurationNamingContext");
  const char *schema_nc = ldapa_obj_first(run->rootdse, "schemaNamingContext");
  vigie_status status = read_domain_sets(run, domain_nc, err);
  if (status == VIGIE_OK) status = read_config_set(run, domain_nc, config_nc, err);
  if (status == VIGIE_OK) status = read_pki_sets(run, config_nc, err);
  if (status == VIGIE_OK) status = read_dns_zones(run, domain_nc, err);
  if (status == VIGIE_OK) status = domain_forest_facts(run, config_nc, schema_nc, err);
  return status;
}

bool ldapa_collect_profile_has(ldapa_profile profile, ldapa_set set) {
  if (set == LDAPA_SET_SERVER || set == LDAPA_SET_ROOTDSE) return true;
  bool openldap_set = set == LDAPA_SET_ENTRIES || set == LDAPA_SET_PPOLICIES;
  switch (profile) {
    case LDAPA_PROFILE_AD: return !openldap_set;
    case LDAPA_PROFILE_OPENLDAP: return openldap_set;
    case LDAPA_PROFILE_AUTO: return false;
  }
  return false;
}
