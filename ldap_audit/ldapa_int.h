/* Private to ldap_audit/: helpers the store, the predicate language, the
 * rule loader and the evaluator share. Nothing here is a public contract. */
#ifndef VIGIE_LDAPA_INT_H
#define VIGIE_LDAPA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "vigie/ldap_audit.h"

/** Bytes the store holds for dir (arena blocks, tables, vectors), counted
 * as allocated, so a test can check the model stays compact. */
size_t ldapa_dir_mem_bytes(const ldapa_dir *dir);

/** ASCII case-insensitive comparison of two byte strings (LDAP attribute
 * names, DNs and the language's string comparisons are ASCII-folded). */
bool ldapa_ieq(const char *a, size_t alen, const char *b, size_t blen);

#endif
