/* vigie report — merged, scored findings from scans and directory audits,
 * the canonical report.xml and every output drawn from it, the regional
 * roll-up, and the signed proof bundle.
 *
 * The model is plain read-only data once built: outputs walk the public
 * structs below and never change them. Everything a report holds (strings,
 * arrays, facts) belongs to the rpt_report and is freed by rpt_report_free;
 * every pointer inside it is borrowed from it and lives as long as it does.
 * Strings are UTF-8 as read from our own XML files (already cleaned by the
 * writers of scan.xml and directory.xml): outputs still escape every one for
 * their own format, since the data came from the network or a directory.
 *
 * Errors: every fallible function returns a vigie_status and, when err is
 * not NULL, fills it with a message naming the file, line or field at fault.
 * Symbols: rpt_ (model, inputs, scores, outputs), rpt_bundle_ (proof).
 */
#ifndef VIGIE_REPORT_H
#define VIGIE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "vigie/core.h"

/* Version of report.xml (namespace urn:vigie:report:1, rules/report.xsd). */
#define RPT_SCHEMA_VERSION "1"
#define RPT_NAMESPACE "urn:vigie:report:1"

/* ------------------------------------------------------------ the model */

/* One severity scale for both sources, worst first (so a lower value is
 * worse and arrays indexed by it list critical first). */
typedef enum rpt_severity {
  RPT_SEV_CRITICAL = 0,
  RPT_SEV_HIGH,
  RPT_SEV_MEDIUM,
  RPT_SEV_LOW,
  RPT_SEV_INFO,
  RPT_SEV_COUNT
} rpt_severity;

/** "critical", "high"... \return static string. */
const char *rpt_severity_name(rpt_severity sev);
/** French label: "critique", "élevée", "moyenne", "faible", "info". */
const char *rpt_severity_label_fr(rpt_severity sev);
/** Parse a name. \return false when unknown. */
bool rpt_severity_parse(const char *name, rpt_severity *out);

typedef enum rpt_source {
  RPT_SRC_EXPOSURE = 0, /* a scan's exposure rule on host:port */
  RPT_SRC_DIRECTORY     /* a directory rule on a directory */
} rpt_source;

/* Against the previous audit(s) given with --previous. */
typedef enum rpt_trend {
  RPT_TREND_NONE = 0,   /* no previous report to compare with */
  RPT_TREND_NEW,
  RPT_TREND_PERSISTING,
  RPT_TREND_FIXED       /* listed from the previous report, absent now */
} rpt_trend;

const char *rpt_trend_name(rpt_trend trend); /* "none", "new", "persisting", "fixed" */

/* A text in both languages; either may be NULL when the rule has none
 * (outputs fall back to the other language). */
typedef struct rpt_text {
  const char *fr;
  const char *en;
} rpt_text;

/** The text in lang ("fr" or "en"), falling back to the other, then "". */
const char *rpt_text_get(const rpt_text *text, const char *lang);

typedef struct rpt_reference {
  const char *label; /* "ANSSI — Recommandations AD", "CVE-2019-0708" */
  const char *href;  /* https URL or NULL; outputs link only http(s) URLs */
} rpt_reference;

/* A rule as the report shows it: joined from the rule catalogue (texts,
 * references) and from the result (severity as evaluated). */
typedef struct rpt_rule {
  const char *id;         /* "EXP-RDP-001", "AD-PRIV-003" */
  rpt_source source;
  rpt_severity severity;
  const char *category;   /* "remote-admin", "privileged-accounts"... */
  const char *anssi;      /* ANSSI control point ("vuln_…"), NULL if none */
  int level;              /* 1..5 the level this rule caps at, 0 if none */
  rpt_text title, description, rationale, remediation;
  const rpt_reference *refs;
  size_t ref_count;
} rpt_rule;

typedef enum rpt_asset_kind {
  RPT_ASSET_SERVICE = 0, /* address:port/tcp */
  RPT_ASSET_DIRECTORY    /* one audited directory */
} rpt_asset_kind;

typedef struct rpt_fact {
  const char *name;  /* "tls.version.1.0", "http.title"... (doc/service-facts.md) */
  const char *value; /* cleaned text */
} rpt_fact;

typedef struct rpt_asset {
  const char *id;        /* stable key: "198.18.0.10:443/tcp", "[2001:2::10]:22/tcp",
                            "ldap://dc1.example.org/DC=example,DC=org" */
  rpt_asset_kind kind;
  /* service assets */
  const char *address;   /* "198.18.0.10" */
  uint16_t port;
  const char *const *hostnames; /* PTR, target and certificate names */
  size_t hostname_count;
  const char *service, *product, *version; /* each may be NULL */
  bool tls;
  const rpt_fact *facts;
  size_t fact_count;
  /* directory assets */
  const char *profile;   /* "ad" or "openldap" */
  const char *dir_server;/* the server URI, NULL when the file does not say */
  const char *dir_base;  /* naming context, NULL when unknown */
} rpt_asset;

/* An entry at fault for a directory finding. */
typedef struct rpt_object {
  const char *dn;
  const char *name;      /* may be NULL */
  const char *evidence;  /* "attr=value; attr=value", may be NULL */
} rpt_object;

typedef struct rpt_waiver {
  const char *rule;      /* rule ID */
  const char *asset;     /* asset id, or "*" for every asset */
  const char *reason;
  const char *author;
  time_t expires;        /* end of the day it names, UTC */
  bool expired;          /* at the report's time */
  size_t uses;           /* findings it covers */
} rpt_waiver;

typedef struct rpt_finding {
  const char *uid;        /* stable: hex SHA-256 of "rule|asset", the key of
                             trend, waivers and DefectDojo's unique id */
  size_t rule;            /* index into report->rules */
  size_t asset;           /* index into report->assets */
  rpt_severity severity;
  const char *confidence; /* "confirmed", "banner" (exposure) or "directory" */
  const char *evidence;   /* short text: the facts that matched, the threshold */
  const rpt_object *objects; /* directory: entries kept (all the input holds) */
  size_t object_count;
  size_t objects_total;   /* entries at fault, counted (>= object_count) */
  rpt_trend trend;
  const char *first_seen; /* UTC date of the first report that had it, or NULL */
  long waiver;            /* index into report->waivers, -1 when none */
  bool waived;            /* a waiver applies and has not expired */
} rpt_finding;

/* A source file the report was built from. */
typedef struct rpt_input {
  rpt_source kind;
  const char *path;      /* as given */
  const char *sha256;    /* hex of the file's bytes */
  const char *start, *end; /* UTC xs:dateTime; directory: both the collection time */
  const char *args;      /* scan command line, NULL for a directory */
  const char *tool_version;
  bool complete;         /* false: interrupted scan, partial or denied sets */
  const char *incomplete_reason; /* why not complete, NULL when complete */
} rpt_input;

/* What could not be tested, and why: one line each. */
typedef struct rpt_gap {
  rpt_source source;
  const char *what;      /* "AD-PKI-001", "objects: gpos", "scan 198.18.0.0/24" */
  const char *why;       /* "not evaluated: needs security descriptors" */
} rpt_gap;

/* An estimated level on the 1–5 scale: what holds it down, what the next
 * one takes. Estimates to prepare and follow remediation, not SILENE or ADS. */
typedef struct rpt_level {
  bool known;            /* false: no input of this kind, or nothing mapped */
  int value;             /* 1..5 when known */
  const size_t *holders; /* indices into report->findings holding it at value */
  size_t holder_count;
  const char *next;      /* what reaching value + 1 takes (French), or NULL at 5 */
  const char *next_en;
  size_t points_evaluated, points_total; /* directory coverage (0, 0 for exposure) */
} rpt_level;

typedef struct rpt_scores {
  size_t counts[RPT_SEV_COUNT];        /* open findings (not waived, not fixed) */
  size_t waived_counts[RPT_SEV_COUNT];
  size_t fixed_count, new_count, persisting_count;
  rpt_level exposure;    /* SILENE-style estimate from exposure findings */
  rpt_level directory;   /* ADS-style estimate: the worst of the directories */
  unsigned score;        /* 0..100, capped sum of weights (rules/levels.xml);
                            shown beside counts and levels, never alone */
  bool score_capped;     /* the uncapped sum was over 100 */
} rpt_scores;

/* A previous audit the report was compared with. */
typedef struct rpt_previous {
  const char *path;
  const char *date;      /* UTC xs:dateTime of that report */
  const char *exposure_date; /* its scan date, NULL when it had no scan */
  int exposure_level, directory_level; /* 0 when unknown */
} rpt_previous;

/* CaRE domain 1 interval rule (D1.O2.B): two successive exposure audits
 * 45 to 60 days apart. */
typedef struct rpt_interval {
  bool known;            /* at least two exposure audits dated */
  long days;             /* between the last two */
  bool holds;            /* 45 <= days <= 60 */
} rpt_interval;

typedef struct rpt_report {
  const char *uuid;          /* RFC 4122 v4, made when the report is built */
  const char *created;       /* UTC xs:dateTime */
  const char *lang;          /* "fr" or "en" */
  const char *establishment; /* may be NULL */
  const char *finess;        /* 9 digits, may be NULL */
  const char *tool_version;  /* vigie's */
  const char *rules_version; /* rules/VERSION */
  const char *rules_sha256;  /* over every rule file, sorted by path */
  const rpt_input *inputs;   size_t input_count;
  const rpt_rule *rules;     size_t rule_count;    /* sorted by id */
  const rpt_asset *assets;   size_t asset_count;   /* sorted: services by address then
                                                      port, then directories */
  const rpt_finding *findings; size_t finding_count; /* sorted: severity, rule, asset;
                                                      fixed ones included */
  const rpt_waiver *waivers; size_t waiver_count;
  const rpt_gap *gaps;       size_t gap_count;
  const rpt_previous *previous; size_t previous_count; /* oldest first */
  rpt_interval interval;
  rpt_scores scores;
  void *impl_;               /* private: the arena behind the strings */
} rpt_report;

/* ------------------------------------------------------------- building */

typedef struct rpt_build_options {
  const char *const *scans;       size_t scan_count;       /* scan.xml paths */
  const char *const *directories; size_t directory_count;  /* directory.xml paths */
  const char *const *previous;    size_t previous_count;   /* old report.xml paths */
  const char *waivers;            /* waiver file or NULL */
  const char *lang;               /* "fr" (default when NULL) or "en" */
  const char *establishment, *finess; /* may be NULL */
  time_t now;                     /* the report's time (tests pass a fixed one) */
  vigie_log *log;                 /* warnings: may be NULL */
} rpt_build_options;

/** Read every input (validated against their XSDs), join the rule
 * catalogues of rules/, apply waivers, compare with previous reports, score.
 * \param[out] out  caller frees with rpt_report_free
 * \return VIGIE_ESCHEMA/VIGIE_EXML/VIGIE_ESYNTAX naming the file and line,
 *   VIGIE_ENOENT, VIGIE_ENOMEM. */
vigie_status rpt_build(const rpt_build_options *opts, rpt_report **out, vigie_error *err);
void rpt_report_free(rpt_report *report);

/* ----------------------------------------------------- report.xml */

/** Write report.xml (rules/report.xsd). Reading it back with rpt_xml_read
 * and writing again gives the same bytes. */
vigie_status rpt_xml_write(const rpt_report *report, FILE *out, vigie_error *err);
/** Read a report.xml (validated against rules/report.xsd) into a model.
 * \param[out] out  caller frees with rpt_report_free */
vigie_status rpt_xml_read(const char *path, rpt_report **out, vigie_error *err);

/* ------------------------------------------------------------ outputs */

/* Each output is one file of report/ and writes one stream. */
typedef struct rpt_html_options {
  const char *lang;           /* NULL: the report's */
  size_t object_cap;          /* entries shown per finding (0: 50) */
  size_t evidence_cap;        /* bytes of one value shown (0: 2048) */
  const char *key_fingerprint;/* SHA-256 of the signing key's SPKI, or NULL */
} rpt_html_options;

vigie_status rpt_html_write(const rpt_report *report, const rpt_html_options *opts, FILE *out,
                            vigie_error *err);

typedef struct rpt_csv_options {
  char separator;             /* ',' (default when 0) or ';' */
  bool bom;                   /* UTF-8 byte order mark, for Excel */
} rpt_csv_options;

/** findings.csv: DefectDojo's generic CSV columns, then ours. A cell that
 * would start with = + - @ (or TAB, CR) is prefixed with a quote. */
vigie_status rpt_csv_write(const rpt_report *report, const rpt_csv_options *opts, FILE *out,
                           vigie_error *err);
/** findings.json: DefectDojo Generic Findings Import, only its allowed keys. */
vigie_status rpt_json_write(const rpt_report *report, FILE *out, vigie_error *err);

/** scan.nmap.xml: the report's scan inputs (read again from their paths),
 * merged, in nmap's XML through the scanner's writer. */
vigie_status rpt_nmap_write(const rpt_report *report, FILE *out, vigie_error *err);

/* ----------------------------------------------------- regional roll-up */

/** One HTML page and one CSV for many establishments' report.xml: one row
 * each (establishment, FINESS, levels, counts by severity, trend, date of
 * last audit). reports are borrowed. */
vigie_status rpt_rollup_html(const rpt_report *const *reports, size_t count, const char *lang,
                             FILE *out, vigie_error *err);
vigie_status rpt_rollup_csv(const rpt_report *const *reports, size_t count,
                            const rpt_csv_options *opts, FILE *out, vigie_error *err);

/* ---------------------------------------------------------- proof bundle */

/* A proof bundle is a folder: the audit's files, plus MANIFEST (one
 * "<sha256>  <relative path>" line per file, sorted bytewise, LF: what
 * `sha256sum -c MANIFEST` reads), MANIFEST.sig (the raw 64-byte Ed25519
 * signature of MANIFEST's bytes), pubkey.pem (the signer's public key, PEM
 * SubjectPublicKeyInfo) and, once timestamped, MANIFEST.tsr (an RFC 3161
 * TimeStampResp over SHA-256(MANIFEST)). Every file is written atomically.
 * Key fingerprints and sums are lowercase hex SHA-256 (64 digits + NUL). */
#define RPT_BUNDLE_HEX_LEN 65

/** A new Ed25519 key written to path as PEM PKCS#8, mode 0600, and its
 * public half to path.pub; refuses to overwrite either (VIGIE_EPERM, err
 * naming the file that exists).
 * \param[out] fingerprint  hex SHA-256 of the DER SubjectPublicKeyInfo. */
vigie_status rpt_bundle_keygen(const char *path, char fingerprint[RPT_BUNDLE_HEX_LEN],
                               vigie_error *err);

/* What signing or verifying a bundle found. */
typedef struct rpt_bundle_info {
  char fingerprint[RPT_BUNDLE_HEX_LEN];     /* the key that signed / checked */
  char manifest_sha256[RPT_BUNDLE_HEX_LEN]; /* SHA-256 of MANIFEST: record it in eCaRE */
  size_t files;                             /* lines of MANIFEST */
} rpt_bundle_info;

/** Write dir/MANIFEST for every regular file under dir (recursively,
 * except the four files above at the top), dir/MANIFEST.sig and
 * dir/pubkey.pem, with the Ed25519 key of key_path (unencrypted PEM).
 * A symbolic link, special file or a name holding a control character or a
 * backslash stops it (VIGIE_ERANGE, err naming the file); an old
 * MANIFEST.tsr, which no longer matches, is removed. */
vigie_status rpt_bundle_sign(const char *dir, const char *key_path, rpt_bundle_info *info,
                             vigie_error *err);

/* Where and how to reach a time-stamping authority. */
typedef struct rpt_bundle_tsa {
  const char *url;     /* "http://tsa.example/": POST application/timestamp-query;
                          http_proxy/https_proxy/no_proxy are honoured */
  const char *ca_file; /* PEM: the TSA's chain must reach one of these; NULL:
                          the token is checked but its signer is not */
  int timeout;         /* seconds for the whole exchange; 0: 30 */
} rpt_bundle_tsa;

/* A timestamp token, as checked. */
typedef struct rpt_bundle_stamp {
  char time[40];       /* the TSA's genTime, "2026-01-31T10:00:00Z" */
  bool signer_checked; /* the signature and chain were checked against a CA file */
} rpt_bundle_stamp;

/** Timestamp dir/MANIFEST (only that file is needed: the bundle can be
 * stamped later on another machine): a request with the SHA-256 of
 * MANIFEST, a random nonce and certReq, POSTed to tsa->url; the answer is
 * checked (status, imprint, nonce, signer with ca_file) and written to
 * dir/MANIFEST.tsr. 
eturn VIGIE_ECONNECT or VIGIE_ETIMEOUT when the TSA
 * cannot be reached, VIGIE_EPROTO when it refuses or answers garbage,
 * VIGIE_EVERIFY when its answer does not match the request. */
vigie_status rpt_bundle_timestamp(const char *dir, const rpt_bundle_tsa *tsa,
                                  rpt_bundle_stamp *stamp, vigie_error *err);

/** Write the DER request for dir/MANIFEST to out_path (an `openssl ts
 * -query` twin), for a TSA reached by other means. */
vigie_status rpt_bundle_query_write(const char *dir, const char *out_path, vigie_error *err);

/** Install a TimeStampResp obtained elsewhere as dir/MANIFEST.tsr, after
 * checking it is granted and its imprint is SHA-256(MANIFEST) (and its
 * signer when ca_file is not NULL); its nonce cannot be checked.
 * 
eturn VIGIE_EVERIFY when it does not match. */
vigie_status rpt_bundle_reply_install(const char *dir, const char *reply_path, const char *ca_file,
                                      rpt_bundle_stamp *stamp, vigie_error *err);

/** One line of a verification: what is wrong with one file. Both strings
 * are borrowed for the duration of the callback. */
typedef struct rpt_verify_problem {
  const char *path;  /* relative to the bundle: "report.html", "MANIFEST" */
  const char *what;  /* "changed", "missing", "added", "bad signature",
                        "key swapped", "timestamp mismatch", "malformed"... */
  const char *detail;/* more for a human, or NULL */
} rpt_verify_problem;
typedef void (*rpt_verify_fn)(void *ctx, const rpt_verify_problem *p);

/* What a verification read, for its summary lines. */
typedef struct rpt_bundle_verified {
  rpt_bundle_info info;   /* fingerprint of the key the signature was checked with */
  size_t problems;
  bool stamped;           /* MANIFEST.tsr is there and matches */
  rpt_bundle_stamp stamp;
} rpt_bundle_verified;

/** Check dir offline: MANIFEST.sig over MANIFEST with dir/pubkey.pem (with
 * pubkey, a PEM path, the bundle's key must be that one, else "key swapped",
 * and the signature is checked with pubkey), every listed file's sum, no
 * file missing or added, MANIFEST.tsr when there is one (signer checked
 * only with tsa_ca). MANIFEST is hostile input: a malformed one is one
 * problem and no file outside dir is ever read. problem(ctx, p) is called
 * for each problem, in a stable order.
 * 
eturn VIGIE_OK when all holds; VIGIE_EVERIFY otherwise; another status
 * (err set) when dir is no folder or pubkey/tsa_ca cannot be read. */
vigie_status rpt_bundle_verify(const char *dir, const char *pubkey, const char *tsa_ca,
                               rpt_verify_fn problem, void *ctx, rpt_bundle_verified *out,
                               vigie_error *err);

#endif
