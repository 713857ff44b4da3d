/* Private to ldap_audit/: helpers the store, the predicate language, the
 * rule loader and the evaluator share. Nothing here is a public contract. */
#ifndef VIGIE_LDAPA_INT_H
#define VIGIE_LDAPA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigie/ldap_audit.h"

/** Bytes the store holds for dir (arena blocks, tables, vectors), counted
 * as allocated, so a test can check the model stays compact. */
size_t ldapa_dir_mem_bytes(const ldapa_dir *dir);

/** ASCII case-insensitive comparison of two byte strings (LDAP attribute
 * names, DNs and the language's string comparisons are ASCII-folded). */
bool ldapa_ieq(const char *a, size_t alen, const char *b, size_t blen);

/* The predicate limits, under the names the directory code knew them by. */
#define LDAPA_EXPR_MAX_DEPTH VIGIE_EXPR_MAX_DEPTH
#define LDAPA_EXPR_MAX_LEN VIGIE_EXPR_MAX_LEN
#define LDAPA_EXPR_MAX_NODES VIGIE_EXPR_MAX_NODES

/* The comparison of a check's threshold ("count >= 1"). */
typedef enum ldapa_cmp_op { LDAPA_EQ, LDAPA_NE, LDAPA_LT, LDAPA_LE, LDAPA_GT, LDAPA_GE } ldapa_cmp_op;

/* ------------------------------------------------ rules */

typedef enum ldapa_threshold { LDAPA_THR_COUNT, LDAPA_THR_RATIO, LDAPA_THR_NONE } ldapa_threshold;

typedef struct ldapa_check {
  ldapa_set set;
  ldapa_expr *where;  /* owned; NULL means true */
  ldapa_expr *of;     /* owned; NULL means true (ratio denominators) */
  char *where_text;   /* owned, as written; NULL when absent */
  char *of_text;
  ldapa_severity severity;
  int level;          /* 1..5, or 0 when the check does not move the level */
  ldapa_threshold threshold;
  ldapa_cmp_op op;    /* count and ratio */
  int64_t count;      /* count threshold */
  double ratio;       /* ratio threshold, 0..1 */
  char *threshold_text; /* owned: "count >= 1", "ratio > 0.10", "none" */
  int line;
} ldapa_check;

enum { LDAPA_TEXT_TITLE, LDAPA_TEXT_DESCRIPTION, LDAPA_TEXT_RATIONALE, LDAPA_TEXT_REMEDIATION,
       LDAPA_TEXT_COUNT };

struct ldapa_rule {
  char *id, *category, *anssi; /* anssi may be NULL */
  char *file;                  /* where it was loaded from */
  int line;
  ldapa_profile profile;
  ldapa_severity severity;     /* the highest of its checks */
  char *text[LDAPA_TEXT_COUNT][2]; /* [field][0 fr, 1 en] */
  char **pingcastle;
  size_t npingcastle;
  char **ref_href, **ref_text;
  size_t nrefs;
  ldapa_check *checks;
  size_t nchecks;
  char *not_evaluated;         /* the reason, or NULL for a rule with checks */
};

/* ------------------------------------------------ results */

typedef struct ldapa_evidence {
  char *attr;
  ldapa_value *values; /* owned copies, cut to LDAPA_EVIDENCE_BYTES */
  size_t n, total;
} ldapa_evidence;

struct ldapa_fault {
  char *dn, *name;
  ldapa_evidence *ev;
  size_t nev;
};

typedef struct ldapa_check_res {
  const ldapa_check *check; /* borrowed from the rule set */
  size_t index;
  ldapa_outcome outcome;
  char *reason;
  size_t at_fault, considered;
  ldapa_fault *faults;
  size_t nfaults, faults_cap;
} ldapa_check_res;

struct ldapa_result {
  const ldapa_rule *rule;
  ldapa_outcome outcome;
  char *reason;
  ldapa_check_res *checks;
  size_t nchecks;
};

struct ldapa_results {
  ldapa_result *items;
  size_t n;
  time_t time;
  ldapa_profile profile;
};

/** A check's own accessors, for the evaluator and the output. */
size_t ldapa_rule_check_count(const ldapa_rule *rule);
const ldapa_check *ldapa_rule_check_at(const ldapa_rule *rule, size_t i);

/** Whether set is read in profile (server and rootdse: in both). */
bool ldapa_set_in_profile(ldapa_set set, ldapa_profile profile);

/** The cmp operator as written ("<=" ...). */
const char *ldapa_cmp_op_text(ldapa_cmp_op op);

#endif
