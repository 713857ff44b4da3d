/* vigie scanner — discovery of open, closed and filtered TCP ports.
 *
 * Pieces, each usable alone and tested alone:
 *   - scan_perm / scan_walk: a keyed, table-free permutation of the probe
 *     index space (address x port), split into exact shards, resumable;
 *   - scan_siphash24 / scan_cookie: stateless validation of SYN answers;
 *   - scan_ratelimit: a token bucket in packets per second;
 *   - scan_store: the results, deduplicated, compact, sorted in place at
 *     the end (sealed) and read back with no copy;
 *   - scan_run_connect / scan_run_syn: the two engines;
 *   - scan_run_services: the service stage on open ports (protocol modules
 *     scan_svc_*, data probes scan_probes, TLS), facts per port in
 *     scan_services;
 *   - scan_names / scan_dns: host names of addresses, and the c-ares
 *     resolver that finds them (targets' A/AAAA, PTR of live hosts);
 *   - scan_output_*: our scan XML, nmap-compatible XML, JSON lines;
 *   - scan_tls_inspect: TLS versions, weak suites and certificate facts.
 *
 * Ownership follows core.h: *_new / *_free pairs, borrowed pointers say so.
 * No function here exits or prints on its own: statuses go up to main, and
 * what a user sees goes through the vigie_log the caller passes.
 */
#ifndef VIGIE_SCANNER_H
#define VIGIE_SCANNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vigie/core.h"

/* ----------------------------------------------------- probe index space */

/* A keyed bijection of [0, range): a Feistel network over a domain a*b just
 * above range, with cycle walking, so it needs no table and O(1) memory. */
typedef struct scan_perm {
  uint64_t range;  /* size of the index space */
  uint64_t a, b;   /* the Feistel domain is a*b >= range */
  uint64_t key[4]; /* round keys, derived from the seed */
} scan_perm;

/** Set up a permutation of [0, range) for seed. range 0 is allowed (empty).
 * \return VIGIE_OK (nothing can fail today; kept for future key checks). */
vigie_status scan_perm_init(scan_perm *perm, uint64_t range, uint64_t seed);

/** The index that position takes in the permuted order; position < range. */
uint64_t scan_perm_at(const scan_perm *perm, uint64_t position);

/* A shard's walk over positions: shard i of n visits positions p with
 * p % n == i, in order, so shards partition the space exactly. The walk's
 * position is the resume point: everything before it has been sent. */
typedef struct scan_walk {
  uint64_t position; /* next position to visit */
  uint64_t step;     /* the shard count */
  uint64_t range;
} scan_walk;

/** Start shard index (0-based) of count over [0, range), at the first
 * position of the shard at or after resume_from. */
void scan_walk_init(scan_walk *walk, uint64_t range, uint32_t index, uint32_t count,
                    uint64_t resume_from);
/** Next position of the shard. \return false when the shard is done. */
bool scan_walk_next(scan_walk *walk, uint64_t *position);

/* The targets x ports product that an index decodes into: addresses vary
 * fastest, so consecutive indices hit different hosts. */
typedef struct scan_space {
  const vigie_targets *targets; /* borrowed, finalized */
  uint16_t *ports;              /* owned, ascending */
  uint32_t port_count;
  uint64_t address_count;       /* IPv4 then IPv6 addresses */
  uint64_t range;               /* address_count * port_count */
  /* Private to scan_space.c, owned: a decode table copied from the targets'
   * ranges, so that scan_space_at is a branch-free search (about 15 ns
   * instead of 75 for a random index over a thousand ranges). A space filled
   * in by hand leaves it NULL and decodes through vigie_targets_at. */
  struct scan_space_index *index;
} scan_space;

/** Build the space of targets x ports. \return VIGIE_ETOOBIG when the
 * product exceeds 2^63 probes (a large IPv6 prefix: narrow it), VIGIE_EEMPTY
 * when it is empty. Free with scan_space_free. */
vigie_status scan_space_init(scan_space *space, const vigie_targets *targets,
                             const vigie_ports *ports, vigie_error *err);
void scan_space_free(scan_space *space);
/** Decode an index into its address and port. */
void scan_space_at(const scan_space *space, uint64_t index, vigie_addr *addr, uint16_t *port);

/* ---------------------------------------------------------------- cookies */

typedef struct scan_key {
  uint64_t k0, k1;
} scan_key;

/** SipHash-2-4 (Aumasson and Bernstein) of data under key. */
uint64_t scan_siphash24(const scan_key *key, const void *data, size_t len);

/** Derive a scan key from a seed (the same seed gives the same key, so a
 * resumed scan validates answers the same way). */
void scan_key_from_seed(scan_key *key, uint64_t seed);

/* What a SYN probe carries so that any answer can be checked with no state:
 * the source port and the sequence number are a keyed hash of the 4-tuple
 * (source address, destination address, destination port). */
typedef struct scan_cookie {
  uint16_t source_port;
  uint32_t sequence;
} scan_cookie;

/** The cookie of a probe from src to dst:dport. The source port is drawn in
 * [port_base, port_base + port_span). src and dst share one family. */
scan_cookie scan_cookie_make(const scan_key *key, const vigie_addr *src, const vigie_addr *dst,
                             uint16_t dport, uint16_t port_base, uint16_t port_span);

/** Whether an answer from dst:dport to src:sport acknowledging ack (the
 * SYN-ACK's or RST's acknowledgement number) answers one of our probes. */
bool scan_cookie_check(const scan_key *key, const vigie_addr *src, const vigie_addr *dst,
                       uint16_t dport, uint16_t sport, uint32_t ack, uint16_t port_base,
                       uint16_t port_span);

/* ------------------------------------------------------------ rate limit */

/* A token bucket: rate tokens a second, at most burst kept, so sending in
 * batches never exceeds the rate over any second. */
typedef struct scan_ratelimit {
  double rate;    /* packets per second; 0 means unlimited */
  double burst;   /* largest batch allowed at once */
  double tokens;
  uint64_t last_ns;
} scan_ratelimit;

void scan_ratelimit_init(scan_ratelimit *rl, double rate, unsigned burst, uint64_t now_ns);
/** Take up to want tokens. \return how many were granted (0..want). */
unsigned scan_ratelimit_take(scan_ratelimit *rl, unsigned want, uint64_t now_ns);
/** Nanoseconds until at least one token is available (0 if one is now). */
uint64_t scan_ratelimit_delay_ns(const scan_ratelimit *rl, uint64_t now_ns);

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t scan_now_ns(void);

/* --------------------------------------------------------------- results */

typedef enum scan_state {
  SCAN_STATE_OPEN = 1,
  SCAN_STATE_CLOSED = 2,
  SCAN_STATE_FILTERED = 3
} scan_state;

/* Why a state was given; the names follow nmap's "reason" attribute. */
typedef enum scan_reason {
  SCAN_REASON_SYN_ACK = 1,     /* SYN mode: SYN-ACK received */
  SCAN_REASON_RESET = 2,       /* SYN mode: RST received */
  SCAN_REASON_NO_RESPONSE = 3, /* no answer after every retry */
  SCAN_REASON_CONNECTED = 4,   /* connect mode: the handshake completed */
  SCAN_REASON_REFUSED = 5,     /* connect mode: ECONNREFUSED */
  SCAN_REASON_UNREACHABLE = 6  /* ICMP or EHOSTUNREACH/ENETUNREACH */
} scan_reason;

typedef struct scan_result {
  vigie_addr addr;
  uint16_t port;
  uint8_t state;  /* scan_state */
  uint8_t reason; /* scan_reason */
  uint8_t ttl;    /* of the answer, 0 when unknown */
  int64_t time_us; /* wall clock (Unix time, microseconds) of the answer */
} scan_result;

const char *scan_state_name(scan_state state);   /* "open"...; static */
const char *scan_reason_name(scan_reason reason); /* "syn-ack"...; static */

/* ------------------------------------------------------- service facts */

/* What the service stage learns of one open port, as named values: the
 * outputs print them and exposure rules (rules/exposure) read them, so a new
 * probe adds facts, not fields. Names are dotted lower case: the common ones
 * "service", "product", "version", "info", "confidence" ("confirmed" when a
 * protocol exchange proved it, "banner" when inferred from text), "banner";
 * then one prefix per protocol ("ssh.kex", "rdp.nla_required", "tls.v1_0",
 * "cert.key_bits"...), listed in doc/service-facts.md. A name may hold several
 * values (in the order added). Values are bytes as received (a banner may
 * hold anything): every output escapes them. */
typedef struct scan_facts scan_facts;

/** \return a new empty set, or NULL on ENOMEM. Free with scan_facts_free. */
scan_facts *scan_facts_new(void);
void scan_facts_free(scan_facts *facts);
/** Append a value to name (copied; len bytes, NULs allowed). Values over
 * SCAN_FACT_MAX bytes are cut there and the fact "<name>.truncated" set.
 * \return VIGIE_EINVAL for a name not matching [a-z0-9_.-]+, VIGIE_ENOMEM. */
vigie_status scan_facts_add(scan_facts *facts, const char *name, const void *value, size_t len);
/** The same with a string; scan_facts_set first removes name's values. */
vigie_status scan_facts_add_str(scan_facts *facts, const char *name, const char *value);
vigie_status scan_facts_set(scan_facts *facts, const char *name, const char *value);
/** The first value of name, NUL-terminated, or NULL. Borrowed from facts. */
const char *scan_facts_get(const scan_facts *facts, const char *name);
/** Every fact in the order added: \return false past the end. Borrowed. */
bool scan_facts_at(const scan_facts *facts, size_t i, const char **name, const char **value,
                   size_t *len);
size_t scan_facts_count(const scan_facts *facts);

#define SCAN_FACT_MAX (64u * 1024u) /* a 1 MB banner keeps its first 64 KiB */

/* ------------------------------------------------------ service modules */

/* A protocol the service stage speaks, as one const table per file
 * (scanner/svc_<proto>.c), in the manner of zmap's probe modules. The engine
 * owns the connection, the buffers and the timeouts; a module only turns
 * bytes into facts and says what to send next. A step is one request and its
 * answer: io.in holds every byte received since the step began (the engine
 * caps it at SCAN_SVC_IN_MAX and then calls step one last time with
 * io.in_full set). Modules never trust a length read from the wire.
 *
 * RECONNECT is for a question that needs a connection of its own (SMB: is
 * SMB1 accepted from a client offering nothing else?): the engine closes the
 * connection, opens a new one to the same port (inside TLS again when the
 * port is TLS), sends io.out there and calls step with the answer; state and
 * facts carry over, and the new connection counts as one of the port's
 * attempts. When no new connection can be had (refused, timeout, attempts or
 * port time used up) the module ends as if it had said ERROR: the facts
 * gathered so far are kept, step is not called again.
 *
 * Once a module has set "service" in io.facts, the engine keeps its facts
 * whatever ends the conversation (ERROR, silence, a failed send), so a later
 * step cannot lose what an earlier one proved. */
typedef enum scan_svc_verdict {
  SCAN_SVC_MORE = 0,  /* need more bytes for this step */
  SCAN_SVC_NEXT,      /* io.out holds the next request: send it, start a new step */
  SCAN_SVC_DONE,      /* facts are complete */
  SCAN_SVC_NOT_MINE,  /* these bytes are not this protocol: try another module */
  SCAN_SVC_ERROR,     /* this protocol, but broken: keep the facts gathered so far */
  SCAN_SVC_RECONNECT, /* io.out holds the next request: send it on a new connection */
} scan_svc_verdict;

#define SCAN_SVC_IN_MAX (64u * 1024u)
#define SCAN_SVC_OUT_MAX 4096u

typedef struct scan_svc_io {
  const uint8_t *in;          /* received in this step; borrowed from the engine */
  size_t in_len;
  bool in_full;               /* SCAN_SVC_IN_MAX reached, or the peer closed */
  uint8_t *out;               /* SCAN_SVC_OUT_MAX bytes the module may fill */
  size_t out_len;             /* set by start/step: 0 sends nothing */
  scan_facts *facts;          /* where the module writes what it learns */
  void *state;                /* the module's own, state_size bytes, zeroed at start */
  bool intrusive;             /* --intrusive: e.g. try an anonymous FTP login */
  const char *host_name;      /* a name the target is known by, or NULL (SNI, Host:) */
  uint16_t port;
} scan_svc_io;

typedef struct scan_svc_module {
  const char *name;           /* "ssh", "rdp"...: the "service" fact it sets */
  const uint16_t *ports;      /* its usual ports, 0-terminated: tried first there */
  bool server_first;          /* the server speaks first (SSH, FTP, SMTP...): start may send nothing */
  size_t state_size;
  /** Fill io->out with the first request (or leave out_len 0 and wait). */
  scan_svc_verdict (*start)(scan_svc_io *io);
  /** Read io->in: MORE, NEXT or RECONNECT (out filled), DONE, NOT_MINE or
   * ERROR. */
  scan_svc_verdict (*step)(scan_svc_io *io);
} scan_svc_module;

/* Where the service stage runs the modules: every module built in
 * (scanner/svc_*.c, listed in svc_common.c), in the generic order tried on
 * a port no module lists. \param[out] count  how many
 * \return a static array, not to be freed. */
const scan_svc_module *const *scan_svc_registry(size_t *count);

/* ------------------------------------------------- service probes (data) */

/* Request/pattern pairs kept as data in rules/service-probes.xml (schema
 * rules/service-probes.xsd): a probe sends its request (maybe nothing: the
 * banner probe only listens) and each of its matches is a POSIX extended
 * regular expression, case-insensitive, run on the answer's printable text
 * (see scan_probes_text); the first that matches sets service, product,
 * version and info, with \1 to \9 replaced by its groups. */
typedef struct scan_probes scan_probes;

#define SCAN_PROBE_TEXT_MAX 4096u /* bytes of an answer the patterns see */

/** Load and compile a probe file, validated against xsd_path (required).
 * Errors name the file and line (a bad regular expression too).
 * \param[out] out  the probes; caller frees with scan_probes_free */
vigie_status scan_probes_load(const char *path, const char *xsd_path, scan_probes **out,
                              vigie_error *err);
/** The same from memory (tests, fuzzing); name is used in messages. */
vigie_status scan_probes_load_memory(const char *data, size_t len, const char *name,
                                     const char *xsd_path, scan_probes **out, vigie_error *err);
void scan_probes_free(scan_probes *probes);
size_t scan_probes_count(const scan_probes *probes);
/** Probe i's name, request (decoded bytes, borrowed) and whether it lists
 * port (a probe with no port list is generic: tried anywhere, last). */
const char *scan_probes_name(const scan_probes *probes, size_t i);
const uint8_t *scan_probes_request(const scan_probes *probes, size_t i, size_t *len);
bool scan_probes_lists_port(const scan_probes *probes, size_t i, uint16_t port);
bool scan_probes_generic(const scan_probes *probes, size_t i);
/** Match answer against probe i's patterns (i == SIZE_MAX: every probe's).
 * On a match, set "service", "product", "version", "info" (those the match
 * names) and "confidence" = "banner" in facts and \return true. */
bool scan_probes_match(const scan_probes *probes, size_t i, const uint8_t *answer, size_t len,
                       scan_facts *facts);
/** What the patterns see of answer: at most SCAN_PROBE_TEXT_MAX bytes, a
 * CR LF or lone CR as "\n", every other byte outside 0x20-0x7e as '.'.
 * \param[out] text  SCAN_PROBE_TEXT_MAX + 1 bytes, NUL-terminated
 * \return the text's length */
size_t scan_probes_text(const uint8_t *answer, size_t len, char *text);
/** Decode a request as written in the probe file: \r \n \t \0 \\ \xHH.
 * \return false on a bad escape; out holds up to cap bytes. */
bool scan_probes_unescape(const char *text, uint8_t *out, size_t cap, size_t *len);

/* ------------------------------------------------------ exposure rules */

/* Exposure rules (doc/exposure-rules.md): XML files validated against
 * rules/exposure-rules.xsd, each rule a predicate of the core language
 * (vigie_expr) over one open port's service facts plus the synthetic names
 * port, address, ip_version and transport. A match is a finding.
 * Ownership: a rule set from scan_exposure_rules_new is freed with
 * scan_exposure_rules_free; rules and their texts are borrowed from it. */
typedef enum scan_severity {
  SCAN_SEV_INFO = 0,
  SCAN_SEV_LOW,
  SCAN_SEV_MEDIUM,
  SCAN_SEV_HIGH,
  SCAN_SEV_CRITICAL,
} scan_severity;
#define SCAN_SEV_COUNT 5

/** "info" ... "critical". \return static text, do not free. */
const char *scan_severity_name(scan_severity sev);
/** \return false for a name that is not one of the five. */
bool scan_severity_from_name(const char *name, scan_severity *out);

typedef struct scan_exposure_rules scan_exposure_rules;
typedef struct scan_exposure_rule scan_exposure_rule;

/** \return an empty set, or NULL on ENOMEM. */
scan_exposure_rules *scan_exposure_rules_new(void);
void scan_exposure_rules_free(scan_exposure_rules *rules);
/** Load one file: safe XML reader, rules/exposure-rules.xsd, then the
 * checks the schema cannot make (texts in fr and en, one <match>, the
 * predicate parses, IDs unique across every file loaded). A file that
 * fails adds nothing.
 * \return VIGIE_OK; VIGIE_ESCHEMA/ESYNTAX/EXML... with err "FILE:LINE: what";
 *   VIGIE_ENOENT, VIGIE_ENOMEM. */
vigie_status scan_exposure_load_file(scan_exposure_rules *rules, const char *path,
                                     vigie_error *err);
/** The same on memory; name is used in messages (NULL: "(memory)"). */
vigie_status scan_exposure_load_memory(scan_exposure_rules *rules, const char *data, size_t len,
                                       const char *name, vigie_error *err);
/** Every *.xml of dir in name order; every file is tried, the first error
 * is returned. \return VIGIE_ENOENT when dir does not exist. */
vigie_status scan_exposure_load_dir(scan_exposure_rules *rules, const char *dir,
                                    vigie_error *err);
size_t scan_exposure_count(const scan_exposure_rules *rules);
/** The i-th rule in load order, or NULL. Borrowed from rules. */
const scan_exposure_rule *scan_exposure_at(const scan_exposure_rules *rules, size_t i);
/** The rule with this ID, or NULL. Borrowed from rules. */
const scan_exposure_rule *scan_exposure_find(const scan_exposure_rules *rules, const char *id);

/* A rule's fields, borrowed from its set. */
const char *scan_exposure_rule_id(const scan_exposure_rule *rule);
scan_severity scan_exposure_rule_severity(const scan_exposure_rule *rule);
const char *scan_exposure_rule_category(const scan_exposure_rule *rule);
/** "confirmed", "banner", or NULL when the finding takes the service's. */
const char *scan_exposure_rule_confidence(const scan_exposure_rule *rule);
/** field "title", "description" or "remediation"; lang "fr" or "en".
 * \return NULL for another field or language. */
const char *scan_exposure_rule_text(const scan_exposure_rule *rule, const char *field,
                                    const char *lang);
/** The <match where="..."> predicate as written. */
const char *scan_exposure_rule_where(const scan_exposure_rule *rule);
/** The file the rule came from, and its line in *line (may be NULL). */
const char *scan_exposure_rule_source(const scan_exposure_rule *rule, int *line);
size_t scan_exposure_rule_reference_count(const scan_exposure_rule *rule);
/** The i-th reference's text, with its kind and href (each may be NULL).
 * \return NULL past the end. */
const char *scan_exposure_rule_reference_at(const scan_exposure_rule *rule, size_t i,
                                            const char **kind, const char **href);

/* ------------------------------------------------------------ findings */

/* What a rule found on one port, as the outputs print it. Its strings are
 * copies, so findings outlive the rule set (and come back from a saved
 * scan XML without one). */
typedef struct scan_finding {
  const char *rule;        /* "EXP-RDP-002" */
  scan_severity severity;
  const char *confidence;  /* "confirmed" or "banner" */
  const char *title;       /* English title; NULL when read back from a scan XML */
} scan_finding;

typedef struct scan_findings scan_findings;

/** \return an empty list, or NULL on ENOMEM. */
scan_findings *scan_findings_new(void);
void scan_findings_free(scan_findings *findings);
/** Add a finding; the strings are copied (title may be NULL).
 * \return VIGIE_ENOMEM, VIGIE_EINVAL for a NULL rule or confidence. */
vigie_status scan_findings_add(scan_findings *findings, const char *rule, scan_severity severity,
                               const char *confidence, const char *title);
size_t scan_findings_count(const scan_findings *findings);
/** The i-th finding, borrowed from findings, or NULL past the end. */
const scan_finding *scan_findings_at(const scan_findings *findings, size_t i);

/** Evaluate every rule on one open port: facts (NULL or empty: the port
 * has none, and only rules naming nothing but port, address, ip_version
 * and transport can match) plus the synthetic names; ages counted to now.
 * Each match adds one finding to out, with the rule's confidence or else
 * the port's "confidence" fact (else "banner": nothing proved the service).
 * A rule whose evaluation fails (a value it cannot read) adds nothing; the
 * others are still evaluated.
 * \return VIGIE_OK; VIGIE_ENOMEM; or the first rule's evaluation error,
 *   err naming the rule and the value. */
vigie_status scan_exposure_eval(const scan_exposure_rules *rules, const scan_facts *facts,
                                const vigie_addr *addr, uint16_t port, time_t now,
                                scan_findings *out, vigie_error *err);

/* ------------------------------------------------- service stage targets */

/* The (address, port) pairs the service stage looks at, each with its
 * facts once done: filled from discovery's open ports or from a list, then
 * sorted (family, address, port) so outputs find a port's facts by
 * bisection. */
typedef struct scan_services scan_services;

scan_services *scan_services_new(void);
void scan_services_free(scan_services *services);
/** Add a pair; host_name (copied, may be NULL) is the name the address was
 * given as (SNI, Host:). A pair added twice is kept once.
 * \return VIGIE_ENOMEM, VIGIE_EINVAL for port 0 or no family. */
vigie_status scan_services_add(scan_services *services, const vigie_addr *addr, uint16_t port,
                               const char *host_name);
/** Sort and merge duplicates; needed before scan_services_find. */
void scan_services_sort(scan_services *services);
size_t scan_services_count(const scan_services *services);
/** The i-th pair; facts and host name borrowed from services. */
void scan_services_at(const scan_services *services, size_t i, vigie_addr *addr, uint16_t *port,
                      const char **host_name);
scan_facts *scan_services_facts(scan_services *services, size_t i);
/** A sorted set's facts for (addr, port), or NULL when not there or when
 * the stage found nothing (no fact). Borrowed. */
const scan_facts *scan_services_find(const scan_services *services, const vigie_addr *addr,
                                     uint16_t port);
/** The i-th pair's exposure findings (an empty list until evaluated), or
 * NULL past the end. Borrowed from services. */
scan_findings *scan_services_findings(scan_services *services, size_t i);
/** A sorted set's findings for (addr, port), or NULL when not there or
 * when there are none. Borrowed. */
const scan_findings *scan_services_find_findings(const scan_services *services,
                                                 const vigie_addr *addr, uint16_t port);

/* ------------------------------------------------------ service stage */

/* A deep look that blocks (TLS inspection): run on a worker thread with its
 * own connections; writes into facts, which only this call touches.
 * starttls is NULL for a port that speaks TLS at once, else the service
 * whose preamble turns it into TLS ("smtp", "imap"...: scan_starttls_name). */
typedef vigie_status (*scan_svc_deep_fn)(const vigie_addr *addr, uint16_t port,
                                         const char *host_name, const char *starttls,
                                         scan_facts *facts, void *user, vigie_error *err);

/* Defaults, as documented in vigie(1). */
#define SCAN_SVC_DEFAULT_PARALLEL 512u
#define SCAN_SVC_DEFAULT_PER_HOST 8u
#define SCAN_SVC_DEFAULT_CONNECT_S 3.0
#define SCAN_SVC_DEFAULT_READ_S 5.0
#define SCAN_SVC_DEFAULT_BANNER_S 2.0
#define SCAN_SVC_DEFAULT_PORT_S 30.0
#define SCAN_SVC_DEFAULT_ATTEMPTS 8u
#define SCAN_SVC_DEFAULT_THREADS 8u

typedef struct scan_svc_config {
  /* The modules to try, in generic order; NULL takes scan_svc_registry(). */
  const scan_svc_module *const *modules;
  size_t module_count;
  const scan_probes *probes;  /* borrowed; may be NULL (modules only) */
  unsigned parallel;          /* connections at once (0: default) */
  unsigned per_host;          /* connections at once per address (0: default) */
  double connect_timeout_s;   /* one connect() (0: default) */
  double read_timeout_s;      /* one answer (0: default) */
  double banner_wait_s;       /* listening for a server that speaks first */
  double port_timeout_s;      /* everything on one port (0: default) */
  unsigned max_attempts;      /* connections per port (0: default) */
  bool intrusive;             /* passed to modules (io.intrusive) */
  /* Deep inspection of TLS ports (and STARTTLS ones when a module says
   * starttls=offered), on threads workers: NULL skips it. */
  scan_svc_deep_fn deep;
  void *deep_user;
  unsigned threads;           /* deep workers (0: default) */
  volatile sig_atomic_t *stop; /* set by a signal handler: stop, keep what was found */
  vigie_log *log;             /* progress, or NULL for none */
  /* Called once per port when its facts are final (JSON lines); may be NULL. */
  void (*on_done)(const vigie_addr *addr, uint16_t port, const scan_facts *facts, void *user);
  void *user;
} scan_svc_config;

typedef struct scan_svc_stats {
  size_t ports, done, identified, tls;
  uint64_t connections;
  bool interrupted;
  double elapsed_s;
} scan_svc_stats;

/** Run the service stage on every pair of services (sorted or not; sorted
 * on return), facts written into each pair's. Returns when every port is
 * done or *cfg->stop is set (the facts found so far are kept).
 * \return VIGIE_ENOMEM, VIGIE_EIO for epoll or socket failures. */
vigie_status scan_run_services(const scan_svc_config *cfg, scan_services *services,
                               scan_svc_stats *stats, vigie_error *err);

/* ------------------------------------------------------- TLS inspection */

/* What a TLS service accepts and shows (scanner/svc_tls.c): each protocol
 * version tried alone, the weak suite families, the certificate and its
 * chain; facts "tls.*" and "cert.*" (doc/service-facts.md). It opens its own
 * TCP connections, one per handshake, each bounded by opts->timeout_ms, so
 * the engine may run it on any worker thread: it keeps no global state (an
 * OpenSSL library context and its SSL_CTXs live for one call). */

/* The plain-text preamble that turns a connection into TLS (svc_starttls.c). */
typedef enum scan_starttls {
  SCAN_STARTTLS_NONE = 0,   /* TLS from the first byte */
  SCAN_STARTTLS_SMTP = 1,   /* 220, EHLO, STARTTLS, 220 */
  SCAN_STARTTLS_IMAP = 2,   /* greeting, "a1 STARTTLS", "a1 OK" */
  SCAN_STARTTLS_POP3 = 3,   /* +OK, STLS, +OK */
  SCAN_STARTTLS_FTP = 4,    /* 220, AUTH TLS, 234 */
  SCAN_STARTTLS_LDAP = 5,   /* ExtendedRequest 1.3.6.1.4.1.1466.20037, success */
  SCAN_STARTTLS_POSTGRESQL = 6 /* SSLRequest, 'S' */
} scan_starttls;

/** The kind named "smtp", "imap"..., "none". \return false for another name. */
bool scan_starttls_from_name(const char *name, scan_starttls *out);
/** "none", "smtp"...: static, do not free. */
const char *scan_starttls_name(scan_starttls kind);

typedef struct scan_tls_opts {
  scan_starttls starttls;
  const char *sni;               /* server name sent, borrowed; NULL sends none */
  const char *const *host_names; /* borrowed: names the target is known by, for */
  size_t host_name_count;        /*   cert.name_mismatch (none: the fact is absent) */
  unsigned timeout_ms;           /* one connection: connect, preamble and handshake; 0 = 5000 */
  bool test_weak;                /* try the weak suite families (one handshake each) */
  const char *ca_file;           /* trust anchors for cert.trusted, borrowed; NULL: the system's */
  bool skip_trust;               /* leave cert.trusted out (offline tests, fuzzing) */
} scan_tls_opts;

/** Inspect the TLS service at addr:port and add its facts to out (added to
 * what out holds). A version or suite the server will not take is a fact,
 * not an error. At most 11 connections, one after the other (4 versions,
 * SSLv3 where OpenSSL has it, 6 weak families), so at most 11 x timeout_ms.
 * SIGPIPE is blocked in the calling thread while OpenSSL writes (a pending
 * one taken), the process's handlers untouched.
 * \param[in] addr, opts  borrowed for the call
 * \param[out] out  facts; on failure it may hold those found before it
 * \return VIGIE_ECONNECT when not one TCP connection could be made,
 * VIGIE_ETIMEOUT when nothing answered in time, VIGIE_EPROTO when the
 * STARTTLS preamble broke the protocol, VIGIE_ETLS when OpenSSL itself
 * failed (err carries its text), VIGIE_ENOMEM. A server that refuses
 * STARTTLS or every version gives VIGIE_OK with the facts saying so. */
vigie_status scan_tls_inspect(const vigie_addr *addr, uint16_t port, const scan_tls_opts *opts,
                              scan_facts *out, vigie_error *err);

/** The cert.* facts of a chain as a server presents it: DER certificates
 * one after the other, leaf first (at most SCAN_TLS_CHAIN_MAX are read).
 * Validity is judged at now (Unix seconds); cert.name_mismatch against
 * opts->host_names; cert.trusted against opts->ca_file or the system store
 * unless opts->skip_trust. Only those fields of opts are read.
 * \return VIGIE_ETLS when the first certificate does not parse (err says
 * why; facts of a later broken one are left out and cert.chain_length
 * counts the parsed ones), VIGIE_ENOMEM. */
vigie_status scan_tls_cert_facts(const uint8_t *der, size_t len, const scan_tls_opts *opts,
                                 int64_t now, scan_facts *out, vigie_error *err);

#define SCAN_TLS_CHAIN_MAX 16

/** Whether a certificate's DNS identifier (a SAN dNSName or a CN, pattern,
 * len bytes: NULs inside never match) matches host, per RFC 6125 section
 * 6.4: case-insensitive, a trailing dot ignored, "*" only as the whole
 * left-most label, matching exactly one non-empty label, and only with at
 * least two labels after it ("*.example.org", never "*.org" or "f*.org").
 * An IP address host never matches a DNS identifier. */
bool scan_tls_name_match(const char *pattern, size_t len, const char *host);

/* The results of a scan: one entry per (address, port), later answers of
 * the same pair ignored; compact (IPv4 entries take 16 bytes) so that a
 * million open ports fit well under the 64 MiB budget.
 *
 * Its life: new, reserve (once the probe count is known), add while the
 * engine runs, fill_filtered, then seal: the results are sorted in place and
 * read back one at a time with scan_store_result_at (or scan_source_store),
 * with no copy. A sealed store takes no more results. */
typedef struct scan_store scan_store;

/** \return a new empty store, or NULL on ENOMEM. */
scan_store *scan_store_new(void);
void scan_store_free(scan_store *store);
/** Size the tables once so that results4 IPv4 and results6 IPv6 results fit
 * with no growth: a table that doubles holds its old and new slots at once
 * (48 MiB on the way to a million IPv4 results, 32 once reserved). Tables
 * stay at most 7/10 full in powers of two: 2^20 IPv4 results reserve 2^21
 * slots of 16 bytes, 32 MiB; IPv6 slots take 32 bytes (64 MiB). Results
 * already held are kept (their table is moved once if it is too small);
 * more results than reserved still fit, the tables then grow as before. The
 * host sets are not reserved: 4 bytes a slot (16 for IPv6), 8 MiB at worst
 * for a million IPv4 hosts. A page of a table that no result lands on is
 * never touched, so a reservation costs memory only where results land (a
 * page each at most, until every page has one); tables over 4 MiB ask for
 * 2 MiB pages (see advise_huge), so a sparse scan's 32 MiB table may cost
 * its whole size.
 * \return VIGIE_EINVAL for a NULL or sealed store; VIGIE_ENOMEM when a
 * table cannot be made (the results kept, the store usable). */
vigie_status scan_store_reserve(scan_store *store, size_t results4, size_t results6);
/** Add a result. \param[out] added  whether it was new (may be NULL).
 * \return VIGIE_EINVAL for an invalid result or a sealed store. */
vigie_status scan_store_add(scan_store *store, const scan_result *result, bool *added);
/** Hint that a result for (addr, port) is about to be added: the slot it
 * will probe is fetched into the cache, so a caller with a batch of results
 * overlaps their memory latencies. No effect on a sealed store. */
void scan_store_prefetch(const scan_store *store, const vigie_addr *addr, uint16_t port);
/** Whether (addr, port) already has a result; sealed or not (a sealed
 * store answers by bisection, O(log n)). */
bool scan_store_has(const scan_store *store, const vigie_addr *addr, uint16_t port);
/** Whether addr answered at all: some result of it, in any state, came from
 * the address itself, that is any reason but no-response and unreachable
 * (an ICMP unreachable or EHOSTUNREACH comes from a router, and says the
 * host is down): the host is up. Sealed or not. */
bool scan_store_host_up(const scan_store *store, const vigie_addr *addr);
size_t scan_store_count(const scan_store *store);
/* Counts kept as results are added, so a summary needs no sort. */
typedef struct scan_tally {
  size_t open, closed, filtered;
  size_t hosts_up; /* addresses that answered on some port */
} scan_tally;

void scan_store_tally(const scan_store *store, scan_tally *out);

/** After the last retry: every (address, port) of space that has no result,
 * on an address that answered on some port, becomes filtered with reason
 * no-response; silent addresses stay absent (host down). Each new result is
 * passed to on_result when it is not NULL. \return VIGIE_EINVAL once the
 * store is sealed. */
vigie_status scan_store_fill_filtered(scan_store *store, const scan_space *space,
                                      void (*on_result)(const scan_result *, void *), void *user,
                                      vigie_error *err);
/** Every result, sorted by family, address, then port, sealed or not.
 * A copy of 48 bytes a result: for tests and small stores; outputs of a
 * whole scan read a sealed store through scan_source_store instead.
 * \param[out] out  a new array the caller frees with vigie_free */
vigie_status scan_store_sorted(const scan_store *store, scan_result **out, size_t *count);
/** End the adding: sort the results in place, IPv4 first (by address, then
 * port), then IPv6 likewise, with no allocation (the live slots move to the
 * front of their table and are sorted there). After it, scan_store_add,
 * scan_store_reserve and scan_store_fill_filtered refuse with VIGIE_EINVAL;
 * scan_store_has, scan_store_host_up, scan_store_count and scan_store_sorted
 * still work. A second call does nothing. */
void scan_store_seal(scan_store *store);
/** The i-th result of a sealed store in its sorted order, i below
 * scan_store_count. An unsealed store or an i past the end gives a result
 * of all zeros (family 0), which every output refuses. O(1). */
void scan_store_result_at(const scan_store *sealed, size_t i, scan_result *out);

/* ---------------------------------------------------------------- engines */

typedef enum scan_mode {
  SCAN_MODE_AUTO = 0, /* SYN when raw sockets are allowed, else connect */
  SCAN_MODE_SYN = 1,
  SCAN_MODE_CONNECT = 2
} scan_mode;

/* Everything an engine needs; built once by the command, read-only after. */
typedef struct scan_config {
  const scan_space *space;   /* borrowed */
  scan_mode mode;
  double rate;               /* probes per second */
  unsigned retries;          /* extra probes for pairs with no answer */
  double wait_s;             /* wait after the last probe */
  uint32_t shard_index;      /* 0-based */
  uint32_t shard_count;      /* >= 1 */
  uint64_t seed;
  uint64_t resume_from;      /* first walk position to send */
  const char *interface;     /* SYN: NULL picks the route's */
  vigie_addr source;         /* SYN: source address; family 0 picks */
  unsigned max_inflight;     /* connect: global limit */
  unsigned max_per_host;     /* connect: per-address limit */
  double timeout_s;          /* connect: one attempt's timeout */
  volatile sig_atomic_t *stop; /* set by the signal handler: stop sending */
  vigie_log *log;            /* progress and messages */
  /* Called once per new result, as it is found (JSON lines stream from
   * here); may be NULL. */
  void (*on_result)(const scan_result *result, void *user);
  void *user;
} scan_config;

typedef struct scan_stats {
  uint64_t sent;           /* probes sent, retries included */
  uint64_t received;       /* packets or completions seen */
  uint64_t valid;          /* answers that passed validation */
  uint64_t pcap_dropped;   /* SYN: drops libpcap reports */
  uint64_t next_position;  /* resume point: every position before it was sent */
  bool interrupted;        /* stopped by *stop before the end */
  double elapsed_s;
} scan_stats;

/** connect() discovery: epoll, non-blocking connects, global and per-host
 * limits; open = handshake done, closed = refused, filtered = timeout after
 * the retries (only for hosts that answered on some port). */
vigie_status scan_run_connect(const scan_config *cfg, scan_store *store, scan_stats *stats,
                              vigie_error *err);

/** Stateless SYN discovery: raw socket send, libpcap receive, cookies.
 * \return VIGIE_EPERM when raw sockets are not allowed. */
vigie_status scan_run_syn(const scan_config *cfg, scan_store *store, scan_stats *stats,
                          vigie_error *err);

/** Whether this process may open raw sockets (root or CAP_NET_RAW). */
bool scan_raw_allowed(void);

/* -------------------------------------------------------------------- DNS */

/* Where a host name comes from: a target the user gave (and that resolved
 * to the address), a PTR record of the address, or a TLS certificate. */
typedef enum scan_name_source {
  SCAN_NAME_TARGET = 1,
  SCAN_NAME_PTR = 2,
  SCAN_NAME_CERT = 3
} scan_name_source;

/** "target", "ptr" or "cert" (our scan XML's source attribute); NULL for
 * another value. \return static, do not free. */
const char *scan_name_source_text(scan_name_source source);

/* One (address, name) pair of the map. */
typedef struct scan_name {
  vigie_addr addr;
  const char *name; /* owned by the map */
  uint8_t source;   /* scan_name_source */
} scan_name;

/* The host names known for addresses, kept for the outputs. Its life: new,
 * add (any order, duplicates allowed), sort, then lookups; an add after the
 * sort needs another sort before the next lookup. A sorted map is only read,
 * so threads may look up at once (the SYN receiver's JSON lines do). */
typedef struct scan_names scan_names;

/** \return a new empty map, or NULL on ENOMEM. Free with scan_names_free. */
scan_names *scan_names_new(void);
void scan_names_free(scan_names *names);
/** Add one pair; name is copied, and lowered to lower case with any final
 * dot removed so that "WWW.Example.ORG." and "www.example.org" are one name.
 * \return VIGIE_EINVAL for no family, an empty name or one over 253 bytes, an
 * unknown source; VIGIE_ENOMEM. */
vigie_status scan_names_add(scan_names *names, const vigie_addr *addr, const char *name,
                            scan_name_source source);
/** Add every pair of src to dst (dst then needs a sort). */
vigie_status scan_names_merge(scan_names *dst, const scan_names *src);
/** Sort by address, then source (target, ptr, cert), then name, and drop
 * repeated (address, name, source) triples. Cannot fail. */
void scan_names_sort(scan_names *names);
/** The names of addr, in the sorted order: *first points at *count
 * consecutive entries (borrowed until the next add), *count is 0 when there
 * are none. \return VIGIE_EINVAL when the map was changed since its sort (a
 * bug of the caller: the answer would be wrong). names may be NULL: no name. */
vigie_status scan_names_of(const scan_names *names, const vigie_addr *addr,
                           const scan_name **first, size_t *count);
/** Number of pairs (after a sort, distinct ones). */
size_t scan_names_count(const scan_names *names);
/** The i-th pair in the map's order. \return false past the end. */
bool scan_names_at(const scan_names *names, size_t i, scan_name *out);

/** Whether text is a host name vigie resolves: 1 to 253 bytes, dot-separated
 * labels of 1 to 63 letters, digits, '-' and '_' not starting or ending with
 * '-', one optional final dot, and not all digits and dots (that is an IPv4
 * address, which is never sent to DNS). */
bool scan_dns_name_valid(const char *text);

/** The PTR query name of addr: "4.3.2.1.in-addr.arpa" for 1.2.3.4, the 32
 * reversed nibbles then "ip6.arpa" for IPv6 (RFC 3596).
 * \param[out] buf  SCAN_DNS_PTR_NAME_LEN bytes
 * \return buf, or NULL for an unknown family or a short buffer. */
#define SCAN_DNS_PTR_NAME_LEN 73
char *scan_dns_ptr_name(const vigie_addr *addr, char *buf, size_t len);

/** The one boundary where c-ares results become statuses (STYLE habit 6):
 * not found and no data -> VIGIE_ENOENT; timeout, cancelled, destroyed ->
 * VIGIE_ETIMEOUT; connection refused -> VIGIE_ECONNECT; server failure,
 * refused query, bad reply -> VIGIE_EPROTO; bad name -> VIGIE_ESYNTAX; out of
 * memory -> VIGIE_ENOMEM; a resolv.conf that cannot be read -> VIGIE_EIO;
 * anything else (misuse) -> VIGIE_EINVAL. The text to keep beside it is
 * ares_strerror(ares_status). */
vigie_status scan_dns_status(int ares_status);

/** c-ares needs a process-wide init before any channel: main calls this once
 * at start, before any thread, and scan_dns_library_cleanup once at the end.
 * Nothing else in vigie touches c-ares' global state.
 * \return VIGIE_ENOMEM (or the mapped c-ares status) when it fails. */
vigie_status scan_dns_library_init(void);
void scan_dns_library_cleanup(void);

/* Defaults of the resolver: a query that gets no answer is tried again
 * once, SCAN_DNS_TIMEOUT_MS each time; whatever c-ares does with its own
 * back-off, no query outlives timeout x tries (10 s): the waiting loop
 * cancels what is left then. */
#define SCAN_DNS_TIMEOUT_MS 5000u
#define SCAN_DNS_TRIES 2u

typedef struct scan_dns_options {
  /* "ADDR[,ADDR...]", each an IPv4 address, an IPv6 address, or either with
   * a port (198.18.1.53:5353, [2001:2::53]:53); NULL or "" reads the servers
   * of /etc/resolv.conf. Borrowed for the call. */
  const char *servers;
  unsigned timeout_ms;   /* one try; 0 means SCAN_DNS_TIMEOUT_MS */
  unsigned tries;        /* 0 means SCAN_DNS_TRIES */
  vigie_log *log;        /* progress of long resolutions; may be NULL */
} scan_dns_options;

/* An asynchronous resolver on one c-ares channel: queries are started with
 * scan_dns_lookup / scan_dns_reverse, any number in flight, and run by
 * scan_dns_wait. Not thread-safe: one thread owns it. */
typedef struct scan_dns scan_dns;

/** Set up a resolver. \return VIGIE_ESYNTAX for a bad server list (err names
 * it), VIGIE_EIO when resolv.conf cannot be read, VIGIE_ENOMEM.
 * \param[out] out  free with scan_dns_free */
vigie_status scan_dns_new(const scan_dns_options *options, scan_dns **out, vigie_error *err);
/** Cancel what is in flight (each callback is called, with VIGIE_ETIMEOUT
 * and the detail "cancelled"), then free. dns may be NULL. */
void scan_dns_free(scan_dns *dns);
/** The servers asked, as text ("198.18.1.53, 2001:2::53"), for messages.
 * \return borrowed from dns. */
const char *scan_dns_servers(const scan_dns *dns);

/* The end of a query. Called exactly once per started query: from inside
 * scan_dns_wait or scan_dns_free, or from the start call itself when the
 * answer needs no packet (a name of /etc/hosts, "localhost").
 * status: VIGIE_OK with the answers; VIGIE_ENOENT (no such name, or no record
 * of the type); VIGIE_ETIMEOUT (no answer within timeout x tries, or
 * cancelled); VIGIE_ECONNECT (the server refused: nothing listens);
 * VIGIE_EPROTO (server failure, refused query, bad reply); VIGIE_ENOMEM.
 * detail is a sentence naming the name or address and the server. Every
 * pointer is borrowed for the call only. */
typedef void (*scan_dns_addr_cb)(void *user, vigie_status status, const char *detail,
                                 const char *name, const vigie_addr *addrs, size_t count);
typedef void (*scan_dns_ptr_cb)(void *user, vigie_status status, const char *detail,
                                const vigie_addr *addr, const char *const *names, size_t count);

/** Start resolving every A and AAAA address of name (CNAMEs followed).
 * \return VIGIE_ESYNTAX for a name scan_dns_name_valid refuses (the
 * callback is then not called), VIGIE_ENOMEM. */
vigie_status scan_dns_lookup(scan_dns *dns, const char *name, scan_dns_addr_cb cb, void *user);
/** Start a PTR query for addr (to the DNS servers only, never a hosts file).
 * \return VIGIE_EINVAL for no family, VIGIE_ENOMEM. */
vigie_status scan_dns_reverse(scan_dns *dns, const vigie_addr *addr, scan_dns_ptr_cb cb,
                              void *user);
/** Run the queries in flight until every one has ended. Returns early only
 * when *stop becomes non-zero (stop may be NULL): what is left is then
 * cancelled. \return VIGIE_OK, or VIGIE_EIO when poll fails. */
vigie_status scan_dns_wait(scan_dns *dns, volatile sig_atomic_t *stop, vigie_error *err);

/** Resolve names (count of them, all in flight at once) and add each address
 * to map as SCAN_NAME_TARGET. Names that do not exist are an error listing
 * every one of them (VIGIE_ENOENT), or with skip_missing a warning each on
 * the log; a server that does not answer or refuses is always an error
 * (VIGIE_ETIMEOUT, VIGIE_ECONNECT) naming the server and the names.
 * \param[out] resolved  names that gave at least one address (may be NULL) */
vigie_status scan_dns_resolve_names(scan_dns *dns, const char *const *names, size_t count,
                                    bool skip_missing, scan_names *map, size_t *resolved,
                                    vigie_error *err);
/** PTR query of every address (all in flight at once); names found are added
 * to map as SCAN_NAME_PTR. Failures are not errors (most addresses have no
 * PTR record): they are counted in *failed (may be NULL) and logged in
 * verbose mode. \return VIGIE_OK, VIGIE_ENOMEM or VIGIE_EIO. */
vigie_status scan_dns_reverse_all(scan_dns *dns, const vigie_addr *addrs, size_t count,
                                  scan_names *map, volatile sig_atomic_t *stop, size_t *failed,
                                  vigie_error *err);

/* ---------------------------------------------------------------- outputs */

/* What every output format is told about the scan besides its results. */
typedef struct scan_meta {
  const char *args;        /* the command line, for the record */
  int argc;                /* the scan command's arguments, saved for --resume */
  char *const *argv;
  scan_mode mode;          /* the engine that ran (SYN or connect) */
  int64_t start_us, end_us; /* Unix time, microseconds */
  const scan_space *space;
  const scan_stats *stats;
  uint64_t seed;
  uint32_t shard_index, shard_count;
  /* Service names for nmap's <service name="..." method="table">, borrowed;
   * NULL (or a port it does not know) leaves the service out, as nmap does
   * for a port missing from nmap-services. */
  const vigie_portdb *portdb;
  /* Facts of the service stage, borrowed and sorted; NULL when it did not
   * run: the outputs then print no service (or the table's, for nmap). */
  const scan_services *services;

  /* Host names of the addresses (sorted), borrowed; NULL: none known. */
  const scan_names *names;
} scan_meta;

/* Where an output reads its results: count of them, the i-th through at(),
 * in the order scan_store_sorted gives (family, address, port), so that a
 * format never needs them copied into one array. at may be called more
 * than once for one i, in any order; it cannot fail. */
typedef struct scan_result_source {
  size_t count;
  void (*at)(const void *ctx, size_t i, scan_result *out);
  const void *ctx;
} scan_result_source;

/** A source over count results in an array (borrowed: it must outlive the
 * source). */
scan_result_source scan_source_array(const scan_result *results, size_t count);
/** A source over a sealed store (borrowed, unchanged while read); see
 * scan_store_result_at for an unsealed one. */
scan_result_source scan_source_store(const scan_store *sealed);

/* "2026-11-25T10:00:00.123456Z" and its NUL. */
#define SCAN_TIME_LEN 28

/** Unix microseconds as a UTC xs:dateTime with microseconds (our scan XML
 * and JSON lines). \param[out] buf  SCAN_TIME_LEN bytes
 * \return buf, or NULL when us falls outside the years 1970 to 9999. */
char *scan_time_format(int64_t us, char *buf, size_t len);

/** Ascending ports as an nmap-style list with merged ranges: {22, 80, 81,
 * 82} gives "22,80-82"; no port gives "". Duplicates are merged too.
 * \return a new string the caller frees with vigie_free, or NULL on ENOMEM. */
char *scan_ports_compact(const uint16_t *ports, size_t count);

/** Our scan XML (rules/scan.xsd): every result, the meta data and the
 * resume point, written to stream. Hosts that answered get their filtered
 * ports listed; silent hosts are absent. results must come sorted as
 * scan_store_sorted gives them, each (address, port) once; they are read
 * twice (checked, then written), one at a time.
 * \return VIGIE_EINVAL for unsorted results, an unknown state or reason, a
 * mode other than SYN or connect, or a start or end outside 1970-9999;
 * VIGIE_EIO when the stream fails (nothing is complete then). */
vigie_status scan_output_xml(FILE *stream, const scan_meta *meta,
                             const scan_result_source *results, vigie_error *err);

/** nmap-compatible XML (-oX), read by ndiff and nmap.xsl, valid against
 * nmap.dtd but for scanner="vigie" (the DTD allows only "nmap": we name the
 * real producer). Service names come from meta->portdb when set. results
 * as for scan_output_xml (one host's results are read a few times). */
vigie_status scan_output_nmap(FILE *stream, const scan_meta *meta,
                              const scan_result_source *results, vigie_error *err);

/** One JSON object for one result, with its newline (--jsonl): ip, port,
 * proto, state, reason, ttl, timestamp (null when unknown). No flush.
 * \return VIGIE_EINVAL for a result with no family, state or reason;
 * VIGIE_EIO when the stream has failed. */
vigie_status scan_output_jsonl(FILE *stream, const scan_result *result);
/** The same with the port's service facts, when facts is not NULL:
 * "service":{"name":...,"product":...,"version":...,"confidence":...,
 * "tls":bool,"facts":{"name":[values]}}; values escaped, bytes outside
 * UTF-8 as U+FFFD. */
vigie_status scan_output_jsonl_facts(FILE *stream, const scan_result *result,
                                     const scan_names *names, const scan_facts *facts);
/** The same with the port's exposure findings when there are some (may be
 * NULL): "findings":[{"rule":...,"severity":...,"confidence":...,
 * "title":...}], the English title or null when unknown. */
vigie_status scan_output_jsonl_findings(FILE *stream, const scan_result *result,
                                        const scan_names *names, const scan_facts *facts,
                                        const scan_findings *findings);

/** The same with "hostnames":["..."] after "ip" when names (sorted, may be
 * NULL) knows names of the address; names that would make the line longer
 * than 4 KiB are left out. 
eturn VIGIE_EINVAL as above, or for an unsorted
 * map. */
vigie_status scan_output_jsonl_named(FILE *stream, const scan_result *result,
                                     const scan_names *names);

/* How a saved scan ran, for --resume: enough to rebuild the same probe
 * order and cookies and to start where it stopped. */
typedef struct scan_saved {
  char **argv;             /* owned: the scan command's arguments, NULL-terminated */
  int argc;
  uint64_t seed;
  uint32_t shard_index, shard_count;
  scan_mode mode;
  uint64_t next_position;  /* the resume point */
  uint64_t range;          /* the probe index space it walked */
  scan_names *names;       /* owned: the hosts' <hostname> entries, sorted */
} scan_saved;

/** Read back our scan XML (for --resume): validated against xsd_path
 * (required; the caller finds it with vigie_data_path("scan.xsd")), each
 * result added to store, the run's facts in saved (free it with
 * scan_saved_free, also after a failure). "syn-ack" reads as
 * SCAN_REASON_CONNECTED in a connect-mode file, as SCAN_REASON_SYN_ACK in a
 * SYN one. The hosts' names go to saved->names. Errors name the file and line. After a failure the store may hold
 * part of the file: throw it away. */
vigie_status scan_input_xml(const char *path, const char *xsd_path, scan_store *store,
                            scan_saved *saved, vigie_error *err);
/** The same, and each port's <service> facts added to services (may be
 * NULL: ignored), with the name of its host when the file gives one. */
vigie_status scan_input_xml_services(const char *path, const char *xsd_path, scan_store *store,
                                     scan_saved *saved, scan_services *services,
                                     vigie_error *err);
void scan_saved_free(scan_saved *saved);

#endif
