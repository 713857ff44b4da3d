/* Fuzz target: the facts computed from server data. The input is cut at
 * 0xFF bytes into values for the attributes the facts parse (SIDs, UAC,
 * FILETIME and GeneralizedTime, member DNs, dNSProperty, cACertificate,
 * userPassword, trust attributes), put on a small model, and the AD and
 * OpenLDAP facts run twice (they must be idempotent: same value counts). */
#include <stdlib.h>
#include <string.h>

#include "vigie/ldap_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const attrs[] = {
    "objectSid",    "userAccountControl", "primaryGroupID", "pwdLastSet",      "lastLogonTimestamp",
    "whenCreated",  "sIDHistory",         "member",         "dNSProperty",     "cACertificate",
    "userPassword", "trustAttributes",    "trustDirection", "operatingSystem", "objectClass"};
#define ATTR_COUNT (sizeof attrs / sizeof attrs[0])

static ldapa_obj *entry(ldapa_dir *dir, const char *dn, ldapa_set set) {
  ldapa_obj *obj = ldapa_dir_entry(dir, dn, NULL);
  if (obj != NULL) ldapa_dir_add_to_set(dir, set, obj, NULL);
  return obj;
}

static size_t values_of(const ldapa_obj *obj) {
  size_t total = 0;
  for (size_t i = 0; ldapa_obj_attr_at(obj, i) != NULL; i++) {
    const ldapa_value *v = NULL;
    total += ldapa_obj_values(obj, ldapa_obj_attr_at(obj, i), &v);
  }
  return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  ldapa_dir *dir = ldapa_dir_new();
  if (dir == NULL) return 0;
  ldapa_obj *objs[] = {entry(dir, "DC=f,DC=t", LDAPA_SET_DOMAIN),
                       entry(dir, "CN=g,DC=f,DC=t", LDAPA_SET_GROUPS),
                       entry(dir, "CN=u,DC=f,DC=t", LDAPA_SET_USERS),
                       entry(dir, "DC=f.t,CN=z", LDAPA_SET_DNS_ZONES),
                       entry(dir, "CN=ca,CN=pks", LDAPA_SET_PKI_CAS),
                       entry(dir, "CN=tr,CN=System", LDAPA_SET_TRUSTS),
                       entry(dir, "uid=o,dc=t", LDAPA_SET_ENTRIES)};
  size_t nobj = sizeof objs / sizeof objs[0];
  ldapa_dir_add_to_set(dir, LDAPA_SET_ACCOUNTS, objs[2], NULL);
  ldapa_dir_add_to_set(dir, LDAPA_SET_GROUPS, objs[1], NULL);
  ldapa_dir_set_time(dir, 1767225600);
  /* Field k goes to attribute k % ATTR_COUNT of entry (k / ATTR_COUNT) % nobj. */
  size_t start = 0, k = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i < size && data[i] != 0xFF) continue;
    ldapa_obj *obj = objs[(k / ATTR_COUNT) % nobj];
    if (obj != NULL) ldapa_obj_add(dir, obj, attrs[k % ATTR_COUNT], data + start, i - start, NULL);
    k++, start = i + 1;
  }
  size_t counts[2][sizeof objs / sizeof objs[0]];
  for (int round = 0; round < 2; round++) {
    ldapa_facts_ad(dir, NULL);
    ldapa_facts_openldap(dir, NULL);
    for (size_t o = 0; o < nobj; o++) counts[round][o] = objs[o] ? values_of(objs[o]) : 0;
  }
  if (memcmp(counts[0], counts[1], sizeof counts[0]) != 0) abort(); /* not idempotent */
  ldapa_dir_free(dir);
  return 0;
}
