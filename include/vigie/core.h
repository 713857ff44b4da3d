/* vigie core — what every module shares: allocation, logging, targets and
 * ports, the safe XML writer and reader, atomic output files.
 *
 * Ownership: a function named *_new returns an object the caller frees with the
 * matching *_free; functions ending in _own take ownership of their argument;
 * every other returned pointer is borrowed and says for how long.
 * Errors: every fallible function returns a vigie_status and, when err is not
 * NULL, fills it with a message naming the file, line, token or field at fault.
 */
#ifndef VIGIE_CORE_H
#define VIGIE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "vigie/status.h"

#define VIGIE_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- memory */

/* All allocation goes through these, so a test can count or fail them.
 * Each returns NULL on failure (size 0 returns a valid unique pointer). */
void *vigie_malloc(size_t size);
void *vigie_calloc(size_t count, size_t size);
void *vigie_realloc(void *ptr, size_t size);
/** Duplicate a NUL-terminated string. \return caller frees with vigie_free. */
char *vigie_strdup(const char *s);
/** Duplicate at most len bytes and NUL-terminate. \return caller frees. */
char *vigie_strndup(const char *s, size_t len);
/** Make room in *v (an array of *cap elements of elem bytes holding n) for
 * one more, doubling it (4 at first). \return false on ENOMEM, *v unchanged. */
bool vigie_grow(void **v, size_t n, size_t *cap, size_t elem);
/** Free n strings and the array holding them (NULL allowed). */
void vigie_strv_free(char **v, size_t n);
void vigie_free(void *ptr);

/* --------------------------------------------------------------- logging */

typedef enum vigie_log_level {
  VIGIE_LOG_QUIET = 0, /* errors only */
  VIGIE_LOG_WARN = 1,
  VIGIE_LOG_INFO = 2,  /* default */
  VIGIE_LOG_VERBOSE = 3,
  VIGIE_LOG_DEBUG = 4
} vigie_log_level;

/* A logger is a value owned by main and passed down; there is no global one. */
typedef struct vigie_log {
  FILE *stream;          /* usually stderr */
  vigie_log_level level;
  bool color;            /* stream is a terminal and NO_COLOR is unset */
  bool progress;         /* stream is a terminal: progress lines allowed */
  bool progress_shown;   /* a progress line is on screen and must be erased */
} vigie_log;

/** Set up a logger on stream. Colour only when stream is a terminal and the
 * NO_COLOR variable is unset or empty; progress only when it is a terminal. */
void vigie_log_init(vigie_log *log, FILE *stream, vigie_log_level level);

/* Messages: "vigie: error: ..." and so on, newline added. */
void vigie_log_error(vigie_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vigie_log_warn(vigie_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vigie_log_info(vigie_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vigie_log_verbose(vigie_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vigie_log_debug(vigie_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Replace the progress line (no newline); a no-op unless log->progress. */
void vigie_log_progress(vigie_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Erase the progress line, if one is shown. */
void vigie_log_progress_clear(vigie_log *log);

/* --------------------------------------------------------------- targets */

/* IPv6 addresses and counts are 128-bit unsigned integers, network order
 * turned into host arithmetic: 2001:db8::1 is 0x20010db8...01. */
typedef unsigned __int128 vigie_u128;

typedef struct vigie_range4 {
  uint32_t first, last; /* inclusive, host byte order */
} vigie_range4;

typedef struct vigie_range6 {
  vigie_u128 first, last; /* inclusive */
} vigie_range6;

/* One address of either family, as the iteration hands it out. */
typedef struct vigie_addr {
  int family;           /* AF_INET or AF_INET6 */
  uint32_t v4;          /* host byte order, when AF_INET */
  vigie_u128 v6;        /* when AF_INET6 */
} vigie_addr;

typedef struct vigie_targets vigie_targets;

/** \return a new empty target set (reserved ranges excluded), or NULL on
 * allocation failure. Free with vigie_targets_free. */
vigie_targets *vigie_targets_new(void);
void vigie_targets_free(vigie_targets *t);

/** Add one target token: an IPv4 or IPv6 address, a CIDR block (a.b.c.d/0-32,
 * v6/0-128; host bits are allowed and ignored, as nmap does), a range
 * a.b.c.d-e.f.g.h or a.b.c.d-h (last octet), or a host name kept for DNS.
 * \return VIGIE_ESYNTAX or VIGIE_ERANGE with err naming the token. */
vigie_status vigie_targets_add(vigie_targets *t, const char *token, vigie_error *err);

/** Add every token of a file ("-" is stdin): tokens are separated by
 * whitespace or commas, '#' starts a comment. Errors name the file and line. */
vigie_status vigie_targets_add_file(vigie_targets *t, const char *path, vigie_error *err);

/** Exclude addresses: same syntax as add, except host names are refused. */
vigie_status vigie_targets_exclude(vigie_targets *t, const char *token, vigie_error *err);

/** Exclude every token of a file (--excludefile). */
vigie_status vigie_targets_exclude_file(vigie_targets *t, const char *path, vigie_error *err);

/** The built-in exclusion of addresses no scan should reach (unspecified,
 * documentation, multicast, reserved, broadcast). On by default; pass false
 * to lift it (--include-reserved). */
void vigie_targets_set_exclude_reserved(vigie_targets *t, bool exclude);

/** Apply exclusions and merge overlaps; call after the last add/exclude and
 * before counting or iterating. Adding afterwards needs another finalize.
 * An empty result (everything excluded) is not an error here: the caller
 * decides, since host names may still resolve to addresses.
 * \return VIGIE_ETOOBIG when the set would hold 2^128 addresses or more
 * (::/0 with the reserved exclusion lifted), which no count or index holds. */
vigie_status vigie_targets_finalize(vigie_targets *t, vigie_error *err);

/** Number of addresses of each family after exclusions (finalized set). */
uint64_t vigie_targets_count4(const vigie_targets *t);
vigie_u128 vigie_targets_count6(const vigie_targets *t);

/** The index-th address, IPv4 first then IPv6, in ascending order; indices
 * run from 0 to count4 + count6 - 1. Needs no table: a binary search over the
 * merged ranges. \return false when index is out of range. */
bool vigie_targets_at(const vigie_targets *t, vigie_u128 index, vigie_addr *out);

/** Merged ranges after finalize. \return borrowed arrays valid until the next
 * change of t; *count receives their length. */
const vigie_range4 *vigie_targets_ranges4(const vigie_targets *t, size_t *count);
const vigie_range6 *vigie_targets_ranges6(const vigie_targets *t, size_t *count);

/** Host names given as targets, in order, duplicates (ignoring case) removed.
 * \return borrowed array of borrowed strings: the strings are valid while t
 * lives, the array until the next add. */
const char *const *vigie_targets_names(const vigie_targets *t, size_t *count);

/** Whether addr is one of the finalized set's addresses (exclusions
 * applied): a binary search over the merged ranges. */
bool vigie_targets_contains(const vigie_targets *t, const vigie_addr *addr);

/** Whether an address (for instance one a name resolved to) is excluded,
 * by the user's exclusions or the built-in reserved list when it applies. */
bool vigie_targets_is_excluded(const vigie_targets *t, const vigie_addr *addr);

/** Format an address: dotted quad or RFC 5952 IPv6. buf needs 46 bytes.
 * \return buf. */
char *vigie_addr_format(const vigie_addr *addr, char *buf, size_t len);

/* ----------------------------------------------------------------- ports */

/* A set of TCP ports, as a 65536-bit map: cheap to test and to merge. */
typedef struct vigie_ports {
  uint64_t bits[1024];
  unsigned count;
} vigie_ports;

/* A port database read from rules/ports.tsv: rank-ordered, with names. */
typedef struct vigie_portdb vigie_portdb;

/** Load a port database file: lines "port<TAB>name", most common first, '#'
 * comments. \return VIGIE_OK and *out (caller frees with vigie_portdb_free). */
vigie_status vigie_portdb_load(const char *path, vigie_portdb **out, vigie_error *err);
void vigie_portdb_free(vigie_portdb *db);
/** Number of entries. */
size_t vigie_portdb_size(const vigie_portdb *db);
/** Service name of a port, or NULL. \return borrowed, valid while db lives. */
const char *vigie_portdb_name(const vigie_portdb *db, uint16_t port);

void vigie_ports_clear(vigie_ports *p);
void vigie_ports_set(vigie_ports *p, uint16_t port);
bool vigie_ports_has(const vigie_ports *p, uint16_t port);

/** Parse an nmap-style port list into p (added to what p holds):
 * "22,80,1000-2000", "-" (1-65535), "-1024", "60000-", "T:22,80", and service
 * names from db ("http,ssh"; db may be NULL, and then names are refused).
 * Not supported: "*" name wildcards, "[...]", U: and S: (only TCP).
 * Port 0 is refused. Errors name the bad token; on error p is unchanged. */
vigie_status vigie_ports_parse(vigie_ports *p, const char *spec, const vigie_portdb *db,
                               vigie_error *err);

/** Add the n most common ports of db to p. \return VIGIE_ERANGE when n is 0 or
 * more than the database holds. */
vigie_status vigie_ports_top(vigie_ports *p, const vigie_portdb *db, unsigned n, vigie_error *err);

/** Next port in p at or after from (0-65535). \return the port, or -1. */
int vigie_ports_next(const vigie_ports *p, int from);

/* ------------------------------------------------------------ XML writer */

/* Writes well-formed XML 1.0 from untrusted strings: invalid UTF-8 becomes
 * U+FFFD, characters XML 1.0 forbids are dropped, markup is escaped. */
typedef struct vigie_xmlw vigie_xmlw;

/** \return a writer on stream (not owned: the caller closes it), or NULL on
 * allocation failure. Free with vigie_xmlw_free. */
vigie_xmlw *vigie_xmlw_new(FILE *stream);
void vigie_xmlw_free(vigie_xmlw *w);

/** Write the XML declaration. */
vigie_status vigie_xmlw_declaration(vigie_xmlw *w);
/** Write trusted_text verbatim after the declaration and before the root
 * element: for constant prolog lines another format requires, such as nmap's
 * "<!DOCTYPE nmaprun>" and its xml-stylesheet processing instruction.
 * Nothing is cleaned or escaped, so never pass it data from the network, a
 * file or the user: only string literals. \return VIGIE_EINVAL before the
 * declaration or once the root is open. */
vigie_status vigie_xmlw_raw_prolog(vigie_xmlw *w, const char *trusted_text);
/** Open an element; name must be a valid XML name (checked: VIGIE_EINVAL). */
vigie_status vigie_xmlw_start(vigie_xmlw *w, const char *name);
/** Add an attribute to the element just opened; value is cleaned and escaped. */
vigie_status vigie_xmlw_attr(vigie_xmlw *w, const char *name, const char *value);
vigie_status vigie_xmlw_attr_bytes(vigie_xmlw *w, const char *name, const void *value, size_t len);
/** Attribute with a formatted value (cleaned like any other). */
vigie_status vigie_xmlw_attrf(vigie_xmlw *w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Text content, cleaned and escaped. */
vigie_status vigie_xmlw_text(vigie_xmlw *w, const char *text);
vigie_status vigie_xmlw_text_bytes(vigie_xmlw *w, const void *text, size_t len);
/** A whole element holding untrusted bytes (a banner): the cleaned text as
 * content and, when cleaning changed anything, the raw bytes in a base64
 * attribute, so nothing received is lost: <name base64="...">text</name>. */
vigie_status vigie_xmlw_element_bytes(vigie_xmlw *w, const char *name, const void *data, size_t len);
/** Close the innermost open element. */
vigie_status vigie_xmlw_end(vigie_xmlw *w);
/** Close every open element and flush. \return VIGIE_EIO if a write failed. */
vigie_status vigie_xmlw_finish(vigie_xmlw *w);

/** Clean untrusted bytes into valid XML 1.0 character data (not escaped).
 * \param[out] changed  set to whether anything was replaced or dropped (may be NULL)
 * \return a new string the caller frees with vigie_free, or NULL on ENOMEM. */
char *vigie_xml_clean(const void *data, size_t len, bool *changed);

/** Base64 (RFC 4648, padded). \return new string, caller frees; NULL on ENOMEM. */
char *vigie_base64_encode(const void *data, size_t len);

/* ------------------------------------------------------------ XML reader */

/* Only for vigie's own formats (rules, our results and reports), never for
 * network data. Refuses any DOCTYPE (so no entity can expand), never loads
 * anything from the network, caps the size, and validates against an XSD. */
#define VIGIE_XML_MAX_DEFAULT (64u * 1024u * 1024u)

struct _xmlDoc;

/** Read and parse path (at most max_bytes; 0 means VIGIE_XML_MAX_DEFAULT);
 * if xsd_path is not NULL, validate against it. Errors name the file and line.
 * \param[out] out  the document; caller frees with vigie_xml_doc_free */
vigie_status vigie_xml_read_file(const char *path, size_t max_bytes, const char *xsd_path,
                                 struct _xmlDoc **out, vigie_error *err);
/** Same on a memory buffer; name is used in messages. */
vigie_status vigie_xml_read_memory(const char *data, size_t len, const char *name,
                                   const char *xsd_path, struct _xmlDoc **out, vigie_error *err);
/** Validate a parsed document against the XSD at xsd_path. */
vigie_status vigie_xml_validate(struct _xmlDoc *doc, const char *name, const char *xsd_path,
                                vigie_error *err);
void vigie_xml_doc_free(struct _xmlDoc *doc);

/* Reading our own rule files once parsed: the helpers every loader needs. */
struct _xmlNode;
/** The source line of node, for FILE:LINE messages. */
int vigie_xml_line(const struct _xmlNode *node);
/** Whether node is the element name (no namespace check: the XSD did it). */
bool vigie_xml_is(const struct _xmlNode *node, const char *name);
/** The attribute's value, or NULL when absent; caller frees with
 * vigie_free. Sets *nomem on an allocation failure. */
char *vigie_xml_attr_dup(const struct _xmlNode *node, const char *name, bool *nomem);
/** The text content, white space trimmed at both ends ("" when empty);
 * caller frees with vigie_free. Sets *nomem on an allocation failure. */
char *vigie_xml_text_dup(const struct _xmlNode *node, bool *nomem);

/** The names (not paths) of the *.xml files of dir, not hidden ones,
 * sorted bytewise: the order rule folders are loaded in.
 * \param[out] names  caller frees with vigie_strv_free(*names, *count)
 * \return VIGIE_ENOENT or VIGIE_EIO naming dir, VIGIE_ENOMEM. */
vigie_status vigie_xml_list_dir(const char *dir, char ***names, size_t *count, vigie_error *err);

/* Loading a folder of rule files: each file read (at most max_bytes),
 * validated against the XSD xsd_name of rules/ (vigie_data_path), and its
 * document handed to load(ctx, name, doc, err), which reads it and must not
 * keep doc. name is the path, or the name given for a buffer. */
typedef vigie_status (*vigie_xml_load_fn)(void *ctx, const char *name, struct _xmlDoc *doc,
                                          vigie_error *err);
vigie_status vigie_xml_load_file(const char *path, size_t max_bytes, const char *xsd_name,
                                 vigie_xml_load_fn load, void *ctx, vigie_error *err);
/** The same on a buffer; name (NULL: "(memory)") is used in messages;
 * \return VIGIE_ETOOBIG over max_bytes. */
vigie_status vigie_xml_load_memory(const char *data, size_t len, const char *name,
                                   size_t max_bytes, const char *xsd_name, vigie_xml_load_fn load,
                                   void *ctx, vigie_error *err);
/** Every *.xml file of dir in name order (vigie_xml_list_dir): each is
 * tried, so one broken file does not hide the others; the first error is
 * returned. */
vigie_status vigie_xml_load_dir(const char *dir, size_t max_bytes, const char *xsd_name,
                                vigie_xml_load_fn load, void *ctx, vigie_error *err);

/* ---------------------------------------------------------- atomic files */

/* An output file that appears whole or not at all: written to a temporary
 * file beside the final one, flushed, fsync'ed, then renamed over it. */
typedef struct vigie_afile vigie_afile;

/** Create the temporary file for path (mode 0666 less the umask).
 * \param[out] out  caller ends it with vigie_afile_commit or vigie_afile_abort */
vigie_status vigie_afile_open(const char *path, vigie_afile **out, vigie_error *err);
/** \return the stream to write to, borrowed until commit or abort. */
FILE *vigie_afile_stream(vigie_afile *f);
/** Flush, fsync, rename to the final path, fsync the directory; frees f
 * whatever happens. On failure the temporary file is removed and the final
 * path keeps its previous content. */
vigie_status vigie_afile_commit(vigie_afile *f, vigie_error *err);
/** Remove the temporary file and free f (f may be NULL). */
void vigie_afile_abort(vigie_afile *f);

/* ---------------------------------------------------------- predicates */

/* The predicate language of rule files (doc/rules-language.md), shared by
 * the directory rules (ldap_audit) and the exposure rules (scanner). The
 * language reads named values through a lookup callback, so it knows
 * nothing of LDAP entries or service facts.
 * Ownership: vigie_expr_parse returns an expression the caller frees with
 * vigie_expr_free; names and values handed out are borrowed (see each). */
/* Limits that keep a hostile rule file from costing stack or memory: the
 * parser nests at most VIGIE_EXPR_MAX_DEPTH levels of "not" and
 * parentheses, and "and"/"or"/"&" chains are n-ary nodes evaluated in a
 * loop, so evaluation depth is bounded by the same number. */
#define VIGIE_EXPR_MAX_DEPTH 64
#define VIGIE_EXPR_MAX_LEN 8192
#define VIGIE_EXPR_MAX_NODES 4096

typedef struct vigie_expr vigie_expr;

/** One value of a name: bytes, NUL-terminated after len, may hold NULs. */
typedef struct vigie_expr_value {
  const char *data;
  size_t len;
} vigie_expr_value;

/** Lookup of a name's values during an evaluation.
 * \param[in] ctx    the caller's pointer given to vigie_expr_eval
 * \param[in] name   a name of the predicate, spelled as first written
 * \param[out] values the values, borrowed until vigie_expr_eval returns
 * 
eturn how many values (0: the name is absent). */
typedef size_t (*vigie_expr_lookup_fn)(void *ctx, const char *name,
                                       const vigie_expr_value **values);

/** Parse a predicate.
 * \param[out] out     the expression; caller frees with vigie_expr_free
 * \param[out] column  may be NULL; on a syntax error, the 1-based column
 * 
eturn VIGIE_OK; VIGIE_ESYNTAX with err "column N: expected X, found Y";
 *   VIGIE_ETOOBIG over the length, node or nesting limits; VIGIE_ENOMEM. */
vigie_status vigie_expr_parse(const char *text, vigie_expr **out, size_t *column,
                              vigie_error *err);
void vigie_expr_free(vigie_expr *expr);
/** The names the predicate reads, distinct ignoring case, in order of first
 * appearance. 
eturn borrowed, valid while expr lives. */
size_t vigie_expr_name_count(const vigie_expr *expr);
const char *vigie_expr_name_at(const vigie_expr *expr, size_t i);
/** Evaluate expr, each name's values read through lookup(ctx, ...), ages
 * counted up to now.
 * \param[out] read    NULL, or vigie_expr_name_count(expr) flags: set true
 *   for each name whose values the evaluation looked at (the evidence)
 * \param[out] result  whether the values satisfy expr
 * 
eturn VIGIE_OK, or VIGIE_ESYNTAX when a value cannot be interpreted
 *   (a bitwise AND on a non-number, an age of a malformed time), err naming
 *   the name and the value. */
vigie_status vigie_expr_eval(const vigie_expr *expr, vigie_expr_lookup_fn lookup, void *ctx,
                             time_t now, bool *read, bool *result, vigie_error *err);
/** Compare two dotted numeric versions field by field ("9.2p1" reads as
 * 9.2, missing fields are 0). 
eturn false when either does not start with
 * a digit; else true with *cmp <0, 0 or >0. */
bool vigie_version_cmp(const char *a, size_t alen, const char *b, size_t blen, int *cmp);

/* ------------------------------------------------------------- data files */

/** Find a data file shipped in rules/: $VIGIE_RULES_DIR, then the build
 * tree's rules/ (for tests and the demo), then the installed data dir.
 * \return a new path the caller frees, or NULL with err set (VIGIE_ENOENT). */
char *vigie_data_path(const char *relative, vigie_error *err);

#endif
