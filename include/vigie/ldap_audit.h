/* vigie directory auditor — read an Active Directory or OpenLDAP server,
 * derive facts, evaluate the rule files of rules/ad and rules/openldap, and
 * place the directory on the ANSSI-style level 1-5.
 *
 * Pieces, each usable alone and tested alone:
 *   - ldapa_dir / ldapa_obj: the directory model, a compact store of the
 *     entries read, grouped in object sets (users, computers, dcs...), each
 *     entry holding its LDAP attributes and its derived facts as values;
 *   - ldapa_facts_*: the derived facts (SIDs, FILETIME ages, UAC flags,
 *     privileged membership by RID, kinds of account);
 *   - ldapa_collect: the libldap collector (paged results, range retrieval,
 *     server probes), which fills a ldapa_dir;
 *   - ldapa_expr_*: the predicate language of rule files (doc/rules-language.md);
 *   - ldapa_rules_*: rule files loaded and validated against rules/directory-rules.xsd;
 *   - ldapa_eval / ldapa_level: outcomes per rule and the ANSSI-style level;
 *   - ldapa_output_xml: the directory result (rules/directory.xsd).
 *
 * Ownership follows core.h: *_new / *_free pairs; a pointer returned by an
 * accessor is borrowed from the object it came from and lives as long as it.
 * No function here exits or prints on its own: statuses go up to main.
 */
#ifndef VIGIE_LDAP_AUDIT_H
#define VIGIE_LDAP_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "vigie/core.h"

/* ------------------------------------------------------------ model */

/* The object sets a rule can look at. An entry can be in several sets (a
 * DC is in computers and dcs). The names are the ones rule files use. */
typedef enum ldapa_set {
  LDAPA_SET_SERVER = 0,      /* one synthetic object: results of the server probes */
  LDAPA_SET_ROOTDSE,         /* the rootDSE */
  LDAPA_SET_DOMAIN,          /* AD: the domain root object */
  LDAPA_SET_USERS,           /* AD: objectCategory=person, objectClass=user */
  LDAPA_SET_COMPUTERS,       /* AD: objectClass=computer (includes DCs and MSAs' hosts) */
  LDAPA_SET_ACCOUNTS,        /* AD: users and computers together */
  LDAPA_SET_DCS,             /* AD: computers that are domain controllers (RODC too) */
  LDAPA_SET_GROUPS,          /* AD: objectClass=group */
  LDAPA_SET_MSAS,            /* AD: msDS-ManagedServiceAccount and -GroupManagedServiceAccount */
  LDAPA_SET_TRUSTS,          /* AD: trustedDomain */
  LDAPA_SET_GPOS,            /* AD: groupPolicyContainer */
  LDAPA_SET_NTDS_DSA,        /* AD: nTDSDSA objects of the configuration NC */
  LDAPA_SET_CONFIG,          /* AD: singletons of the configuration NC (Directory Service, features...) */
  LDAPA_SET_PKI_TEMPLATES,   /* AD: pKICertificateTemplate */
  LDAPA_SET_PKI_CAS,         /* AD: certificationAuthority (NTAuth, AIA, Certification Authorities) */
  LDAPA_SET_PKI_ENROLLMENT,  /* AD: pKIEnrollmentService */
  LDAPA_SET_DNS_ZONES,       /* AD: dnsZone in the domain and DNS partitions */
  LDAPA_SET_ENTRIES,         /* OpenLDAP: every entry read under the naming contexts */
  LDAPA_SET_PPOLICIES,       /* OpenLDAP: pwdPolicy entries */
  LDAPA_SET_COUNT
} ldapa_set;

/** The rule-file name of a set ("users"...). */
const char *ldapa_set_name(ldapa_set set);
/** \return VIGIE_OK and the set for its rule-file name, VIGIE_ENOENT if none. */
vigie_status ldapa_set_from_name(const char *name, ldapa_set *out);

/* How completely a set was read. A rule over a set not read completely is
 * an error in the result, never a pass. */
typedef enum ldapa_read_state {
  LDAPA_READ_NOT_ASKED = 0, /* the profile does not have this set */
  LDAPA_READ_COMPLETE,
  LDAPA_READ_PARTIAL,       /* some entries or attributes refused or cut */
  LDAPA_READ_DENIED,        /* nothing could be read */
} ldapa_read_state;

/* An attribute value: the core's predicate value (data NUL-terminated after
 * len bytes, may hold NULs inside), so the shared predicate language reads
 * the store's values without copying. */
typedef vigie_expr_value ldapa_value;

typedef struct ldapa_dir ldapa_dir;
typedef struct ldapa_obj ldapa_obj;

/** An empty directory model. Free with ldapa_dir_free. */
ldapa_dir *ldapa_dir_new(void);
void ldapa_dir_free(ldapa_dir *dir);

/** The time ages are computed against (the end of collection). */
void ldapa_dir_set_time(ldapa_dir *dir, time_t now);
time_t ldapa_dir_time(const ldapa_dir *dir);

/** The entry of dn, created if new (DNs compare case-insensitively).
 * \return the entry, owned by dir, or NULL with err set. */
ldapa_obj *ldapa_dir_entry(ldapa_dir *dir, const char *dn, vigie_error *err);
/** The entry of dn if it exists, else NULL. Borrowed. */
ldapa_obj *ldapa_dir_find(const ldapa_dir *dir, const char *dn);
/** Put obj in set (once: a second call is a no-op). */
vigie_status ldapa_dir_add_to_set(ldapa_dir *dir, ldapa_set set, ldapa_obj *obj, vigie_error *err);
size_t ldapa_dir_set_size(const ldapa_dir *dir, ldapa_set set);
/** The i-th entry of a set, in the order added. Borrowed. */
ldapa_obj *ldapa_dir_set_at(const ldapa_dir *dir, ldapa_set set, size_t i);

/** Record how completely set was read, with a reason when not complete
 * (copied). The worst state recorded wins. */
void ldapa_dir_set_read_state(ldapa_dir *dir, ldapa_set set, ldapa_read_state state,
                              const char *reason);
ldapa_read_state ldapa_dir_read_state(const ldapa_dir *dir, ldapa_set set,
                                      const char **reason);

/** Append one value of attribute attr (names compare case-insensitively;
 * options such as ";range=0-1499" must already be stripped). Bytes copied. */
vigie_status ldapa_obj_add(ldapa_dir *dir, ldapa_obj *obj, const char *attr, const void *value,
                           size_t len, vigie_error *err);
/** Same with a NUL-terminated string, and with an integer written in decimal. */
vigie_status ldapa_obj_add_str(ldapa_dir *dir, ldapa_obj *obj, const char *attr,
                               const char *value, vigie_error *err);
vigie_status ldapa_obj_add_int(ldapa_dir *dir, ldapa_obj *obj, const char *attr, int64_t value,
                               vigie_error *err);
/** Remove every value of attr (used to replace a fact). */
void ldapa_obj_clear(ldapa_obj *obj, const char *attr);

const char *ldapa_obj_dn(const ldapa_obj *obj);
/** The values of attr, or 0 and *values NULL when absent. Borrowed. */
size_t ldapa_obj_values(const ldapa_obj *obj, const char *attr, const ldapa_value **values);
/** The first value of attr as a string, or NULL. Borrowed. */
const char *ldapa_obj_first(const ldapa_obj *obj, const char *attr);
/** Iterate attribute names: \return the i-th name or NULL past the end. */
const char *ldapa_obj_attr_at(const ldapa_obj *obj, size_t i);

/* ------------------------------------------------------------ facts */

/* Room for any SID's text: "S-1-" + a 48-bit authority + 15 x "-4294967295". */
#define LDAPA_SID_TEXT_MAX 192
/** Parse a binary SID into "S-1-5-21-...".
 * \param[out] out   the text, NUL-terminated (LDAPA_SID_TEXT_MAX bytes always suffice)
 * \param[out] rid   the last sub-authority (may be NULL)
 * \return VIGIE_ESYNTAX on a malformed SID (short, revision not 1, no
 * sub-authority or more than 15, length not matching the count), VIGIE_EINVAL
 * when out_size is too small. */
vigie_status ldapa_sid_to_string(const void *bin, size_t len, char *out, size_t out_size,
                                 uint32_t *rid, vigie_error *err);
/** FILETIME (100 ns since 1601) in decimal text to Unix time. \return
 * VIGIE_ENOENT for 0 and 0x7FFFFFFFFFFFFFFF (never), VIGIE_ESYNTAX if malformed
 * or negative (a negative Integer8 is a duration such as maxPwdAge, not a date). */
vigie_status ldapa_filetime_parse(const char *text, time_t *out);
/** GeneralizedTime "YYYYMMDDHH[MM[SS]][(.|,)f](Z|+hh[mm]|-hh[mm])" (RFC 4517)
 * to Unix time, the offset applied, the fraction ignored. \return
 * VIGIE_ESYNTAX when malformed, out of range (month 13, 30 February) or
 * without a time zone. */
vigie_status ldapa_gentime_parse(const char *text, time_t *out);

/** Compute the derived facts of doc/rules-language.md on every entry of an
 * AD model (privileged membership, kinds, ages...). Idempotent. */
vigie_status ldapa_facts_ad(ldapa_dir *dir, vigie_error *err);
/** Same for an OpenLDAP model: password_scheme of every userPassword value,
 * after which each value is replaced by "(redacted by vigie)" (so no hash
 * or cleartext password can reach a result). Idempotent. */
vigie_status ldapa_facts_openldap(ldapa_dir *dir, vigie_error *err);

/* ------------------------------------------------------------ collection */

typedef enum ldapa_profile {
  LDAPA_PROFILE_AUTO = 0,
  LDAPA_PROFILE_AD,
  LDAPA_PROFILE_OPENLDAP,
} ldapa_profile;

const char *ldapa_profile_name(ldapa_profile profile); /* "auto", "ad", "openldap" */

typedef struct ldapa_conn_opts {
  const char *url;        /* ldap://host[:port] or ldaps://host[:port] */
  bool starttls;          /* StartTLS on ldap:// (required: failure is an error) */
  bool tls_verify;        /* verify the server certificate (default true) */
  const char *ca_file;    /* extra CA bundle, or NULL for the system's */
  const char *bind_dn;    /* NULL: anonymous */
  const char *password;   /* borrowed; never from argv */
  const char *sasl_mech;  /* "GSSAPI" or NULL for simple bind */
  const char *base;       /* NULL: the default naming context of the rootDSE */
  ldapa_profile profile;  /* AUTO: from the rootDSE */
  int timeout_seconds;    /* per network operation, default 30 */
  int page_size;          /* RFC 2696 page size, default 500 */
  int ldaps_port;         /* port the ldaps_open probe tries when url is ldap://; 0: 636 */
} ldapa_conn_opts;

/* Progress of a long collection: the set being read and entries so far. */
typedef void (*ldapa_progress_fn)(void *ctx, ldapa_set set, size_t entries);

/** Connect, bind, run the server probes, read every set of the profile into
 * dir (only the attributes in attrs[set] plus the built-in ones facts need;
 * attrs may be NULL; the attributes of accounts and dcs are asked for on the
 * users, computers and msas searches that fill them), then compute the facts.
 * Only the host of opts->url is contacted (the probes open their own
 * connections to it; referrals are not followed). A set that could not be read
 * fully is recorded with ldapa_dir_set_read_state and is not an error here.
 * \return VIGIE_ECONNECT, VIGIE_EAUTH, VIGIE_ETLS, VIGIE_EPROTO (connection
 * cut mid-search), VIGIE_ETIMEOUT with a message naming the server. On any
 * error dir holds what was read, marked partial. *profile_out receives the
 * profile used. */
vigie_status ldapa_collect(const ldapa_conn_opts *opts, const char *const *const *attrs,
                           ldapa_dir *dir, ldapa_profile *profile_out,
                           ldapa_progress_fn progress, void *progress_ctx, vigie_log *log,
                           vigie_error *err);

/* ------------------------------------------------------------ rules */

/* The predicate language of doc/rules-language.md: the core's vigie_expr,
 * with the names read from a directory entry (its attributes and facts). */
typedef struct vigie_expr ldapa_expr;

/** Parse a predicate.
 * \param[out] out     the expression; caller frees with ldapa_expr_free
 * \param[out] column  may be NULL; on a syntax error, the 1-based column
 * \return VIGIE_OK; VIGIE_ESYNTAX with err "column N: expected X, found Y";
 *   VIGIE_ETOOBIG over the length, node or nesting limits; VIGIE_ENOMEM. */
vigie_status ldapa_expr_parse(const char *text, ldapa_expr **out, size_t *column,
                              vigie_error *err);
void ldapa_expr_free(ldapa_expr *expr);
/** The attribute and fact names the predicate reads, distinct ignoring case,
 * in order of first appearance. \return borrowed, valid while expr lives. */
size_t ldapa_expr_name_count(const ldapa_expr *expr);
const char *ldapa_expr_name_at(const ldapa_expr *expr, size_t i);
/** Whether name (any case) is one of the derived facts of the doc. */
bool ldapa_expr_is_fact(const char *name);
/** Evaluate expr on obj, ages counted up to now.
 * \param[out] read    NULL, or ldapa_expr_name_count(expr) flags: set true
 *   for each name whose values the evaluation looked at (the evidence)
 * \param[out] result  whether obj satisfies expr
 * \return VIGIE_OK, or VIGIE_ESYNTAX when a value cannot be interpreted
 *   (a bitwise AND on a non-number, an age of a malformed time), err naming
 *   the attribute and the value. */
vigie_status ldapa_expr_eval(const ldapa_expr *expr, const ldapa_obj *obj, time_t now, bool *read,
                             bool *result, vigie_error *err);

typedef enum ldapa_severity {
  LDAPA_SEV_INFO = 0,
  LDAPA_SEV_LOW,
  LDAPA_SEV_MEDIUM,
  LDAPA_SEV_HIGH,
  LDAPA_SEV_CRITICAL,
} ldapa_severity;

const char *ldapa_severity_name(ldapa_severity sev);

typedef enum ldapa_outcome {
  LDAPA_PASS = 0,
  LDAPA_FAIL,
  LDAPA_NOT_APPLICABLE,   /* the object set is empty or the profile lacks it */
  LDAPA_ERROR,            /* the set was not fully read, or evaluation failed */
  LDAPA_NOT_EVALUATED,    /* the rule needs what vigie does not do yet */
} ldapa_outcome;

const char *ldapa_outcome_name(ldapa_outcome outcome);

typedef struct ldapa_ruleset ldapa_ruleset;
typedef struct ldapa_rule ldapa_rule;

/** An empty rule set. Free with ldapa_ruleset_free. */
ldapa_ruleset *ldapa_ruleset_new(void);
void ldapa_ruleset_free(ldapa_ruleset *rules);
/** Load one rule file (validated against rules/directory-rules.xsd, every
 * predicate parsed). \return VIGIE_ESCHEMA / VIGIE_ESYNTAX / VIGIE_EXML with
 * a message naming the file, the line and what is wrong; a duplicate rule ID
 * is an error. Nothing is added when the file fails. */
vigie_status ldapa_rules_load_file(ldapa_ruleset *rules, const char *path, vigie_error *err);
/** Same as ldapa_rules_load_file on a buffer; name is used in messages. */
vigie_status ldapa_rules_load_memory(ldapa_ruleset *rules, const char *data, size_t len,
                                     const char *name, vigie_error *err);
/** Load every *.xml of dir, in name order. Every file is tried: the good
 * ones are added even when one fails, and the first failure is returned. */
vigie_status ldapa_rules_load_dir(ldapa_ruleset *rules, const char *dir, vigie_error *err);

size_t ldapa_rules_count(const ldapa_ruleset *rules);
const ldapa_rule *ldapa_rules_at(const ldapa_ruleset *rules, size_t i);
const char *ldapa_rule_id(const ldapa_rule *rule);
ldapa_profile ldapa_rule_profile(const ldapa_rule *rule);
ldapa_severity ldapa_rule_severity(const ldapa_rule *rule); /* the highest of its checks */
const char *ldapa_rule_category(const ldapa_rule *rule);
/** lang "fr" or "en"; field "title", "description", "rationale", "remediation". */
const char *ldapa_rule_text(const ldapa_rule *rule, const char *field, const char *lang);
const char *ldapa_rule_anssi(const ldapa_rule *rule); /* "vuln_..." or NULL */
/** The lowest level (1..5) among the rule's checks, 0 when none sets one. */
int ldapa_rule_level(const ldapa_rule *rule);
/** The reason of a <not-evaluated> rule, or NULL for a rule with checks. Borrowed. */
const char *ldapa_rule_not_evaluated(const ldapa_rule *rule);
/** The file the rule was loaded from and (in *line, may be NULL) its line. Borrowed. */
const char *ldapa_rule_source(const ldapa_rule *rule, int *line);
/** References: count, and the i-th one's text (\return) and href (*href). Borrowed. */
size_t ldapa_rule_reference_count(const ldapa_rule *rule);
const char *ldapa_rule_reference_at(const ldapa_rule *rule, size_t i, const char **href);

/** Every attribute the rules read on set, for the collector (a NULL-ended
 * array owned by rules). */
const char *const *ldapa_rules_attrs(const ldapa_ruleset *rules, ldapa_set set);

/* The outcome of one rule: which check failed and the entries at fault. */
typedef struct ldapa_result ldapa_result;
typedef struct ldapa_results ldapa_results;

/** Evaluate every rule of profile (ad or openldap: the one ldapa_collect
 * used; auto is VIGIE_EINVAL) on dir. Rules of the other profile are left
 * out of the results. The results borrow the rules: free them first.
 * \param[out] out  caller frees with ldapa_results_free */
vigie_status ldapa_eval(const ldapa_ruleset *rules, const ldapa_dir *dir, ldapa_profile profile,
                        ldapa_results **out, vigie_error *err);
void ldapa_results_free(ldapa_results *results);

/* Faults kept per check: the first LDAPA_FAULTS_MAX entries at fault are
 * kept with their evidence, every one is counted. Evidence keeps at most
 * LDAPA_EVIDENCE_VALUES values of each attribute, each cut to
 * LDAPA_EVIDENCE_BYTES bytes, and counts them all. */
#define LDAPA_FAULTS_MAX 1000
#define LDAPA_EVIDENCE_VALUES 16
#define LDAPA_EVIDENCE_BYTES 512

/* One check of a rule as evaluated. Strings are borrowed from the results. */
typedef struct ldapa_check_outcome {
  size_t index;          /* the check's place in its rule, from 0 */
  ldapa_set set;
  ldapa_outcome outcome; /* pass, fail, not applicable or error */
  ldapa_severity severity;
  int level;             /* 1..5, or 0 when the check does not move the level */
  const char *threshold; /* "count >= 1", "ratio > 0.10", "none" */
  const char *where;     /* the predicate as written, NULL for true */
  const char *reason;    /* why error / not applicable, else NULL */
  size_t at_fault;       /* entries matching where (and of, for a ratio) */
  size_t considered;     /* entries of the set, or matching of for a ratio */
  size_t faults_kept;    /* faults kept for a failed check (<= LDAPA_FAULTS_MAX) */
} ldapa_check_outcome;

typedef struct ldapa_fault ldapa_fault;

size_t ldapa_results_count(const ldapa_results *results);
/** The i-th result, in rule-set order. Borrowed from results. */
const ldapa_result *ldapa_results_at(const ldapa_results *results, size_t i);
/** The collection time and profile the results were computed for. */
time_t ldapa_results_time(const ldapa_results *results);
ldapa_profile ldapa_results_profile(const ldapa_results *results);
/** The rule: borrowed from the rule set, which must outlive the results. */
const ldapa_rule *ldapa_result_rule(const ldapa_result *result);
ldapa_outcome ldapa_result_outcome(const ldapa_result *result);
/** Why the outcome is error, not applicable or not evaluated; else NULL. Borrowed. */
const char *ldapa_result_reason(const ldapa_result *result);
/** Number of checks (0 for a not-evaluated rule) and the i-th one; false past the end. */
size_t ldapa_result_check_count(const ldapa_result *result);
bool ldapa_result_check(const ldapa_result *result, size_t i, ldapa_check_outcome *out);
/** The j-th fault kept for check i (failed checks only). Borrowed. */
const ldapa_fault *ldapa_result_fault(const ldapa_result *result, size_t i, size_t j);
/** Whether a check of result failed at this level (a rule holding the level down). */
bool ldapa_result_holds_level(const ldapa_result *result, int level);

/** The entry at fault: its DN and its name (name, sAMAccountName or cn; may be NULL). */
const char *ldapa_fault_dn(const ldapa_fault *fault);
const char *ldapa_fault_name(const ldapa_fault *fault);
/** The attributes the predicate read on this entry (the evidence): count,
 * then the i-th one's name (\return), values kept (*values, *count) and
 * total number of values (*total). Borrowed. */
size_t ldapa_fault_evidence_count(const ldapa_fault *fault);
const char *ldapa_fault_evidence(const ldapa_fault *fault, size_t i, const ldapa_value **values,
                                 size_t *count, size_t *total);

/* The ANSSI-style level: min level of failed mapped control points, 5 if
 * none; coverage counts control points evaluated (pass or fail). */
typedef struct ldapa_level {
  int level;               /* 1..5 */
  size_t points_evaluated; /* distinct vuln_* with pass or fail */
  size_t points_total;     /* distinct vuln_* in the rule set */
} ldapa_level;

ldapa_level ldapa_level_compute(const ldapa_results *results);

/** Write the directory result (rules/directory.xsd). */
vigie_status ldapa_output_xml(const ldapa_results *results, const ldapa_dir *dir, FILE *out,
                              vigie_error *err);
/** The same with <target url base/> naming the server and the base searched
 * (url NULL: no target; base may be NULL), for the report's asset id. */
vigie_status ldapa_output_xml_target(const ldapa_results *results, const ldapa_dir *dir,
                                     const char *url, const char *base, FILE *out,
                                     vigie_error *err);

#endif
