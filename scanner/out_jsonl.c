/* JSON lines (--jsonl): one object per result, streamed as results come, so
 * jq, a SIEM or a CI job can follow a scan while it runs:
 *
 *   {"ip":"198.18.0.10","port":22,"proto":"tcp","state":"open",
 *    "reason":"syn-ack","ttl":64,"timestamp":"2026-11-25T10:00:00.123456Z"}
 *
 * (on one line). "timestamp" is null when the engine did not know the time.
 * "hostnames" follows "ip" when the address has names (the targets' names:
 * PTR names come after discovery, for the files only).
 * Flushing after each line is the caller's choice (a pipe wants it, a file
 * does not). Every string goes through one escaper, although today's fields
 * are all plain ASCII, so that a future field (a banner, a host name) cannot
 * break the line or the JSON. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

/* One line is built in memory and written with one fwrite: the receiver
 * thread of a SYN scan calls this once per answer, and a dozen locked stdio
 * calls per line made it fall behind libpcap at a few hundred thousand
 * answers a second. */
typedef struct jl_line {
  char small[4096];
  char *data;   /* small, or a heap buffer once grown */
  size_t len, cap;
  bool grow;    /* lines with service facts may grow; plain ones never do */
  bool failed;  /* out of memory while growing */
} jl_line;

static void jl_init(jl_line *l, bool grow) {
  l->data = l->small, l->len = 0, l->cap = sizeof l->small;
  l->grow = grow, l->failed = false;
}

static bool jl_make_room(jl_line *l) {
  if (!l->grow || l->failed) return false;
  size_t cap = l->cap * 2;
  char *data = l->data == l->small ? vigie_malloc(cap) : vigie_realloc(l->data, cap);
  if (data == NULL) return l->failed = true, false;
  if (l->data == l->small) memcpy(data, l->small, l->len);
  l->data = data, l->cap = cap;
  return true;
}

/* Room left for a string of n bytes escaped at worst (6 bytes each), its
 * quotes, a comma and the rest of the line (about 150 bytes); a line that
 * grows always has room. */
static bool jl_room(const jl_line *l, size_t n) {
  return l->grow || l->len + 6 * n + 3 + 160 < l->cap;
}

static void jl_char(jl_line *l, char c) {
  if (l->len < l->cap - 1 || jl_make_room(l)) l->data[l->len++] = c;
}

static void jl_raw(jl_line *l, const char *s) {
  while (*s != '\0') jl_char(l, *s++);
}

static void jl_free(jl_line *l) {
  if (l->data != l->small) vigie_free(l->data);
}

/* A JSON string. Every value written today is our own ASCII (addresses,
 * state names, times), but anything else is escaped all the same, so a
 * future field cannot break the line: controls as \u00XX, bytes above
 * 0x7F as U+FFFD. */
static void jl_string(jl_line *l, const char *s) {
  static const char hex[] = "0123456789abcdef";
  jl_char(l, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') {
      jl_char(l, '\\');
      jl_char(l, (char)*p);
    } else if (*p < 0x20 || *p == 0x7f) {
      jl_raw(l, "\\u00");
      jl_char(l, hex[*p >> 4]);
      jl_char(l, hex[*p & 15]);
    } else if (*p >= 0x80) {
      jl_raw(l, "\\ufffd");
    } else {
      jl_char(l, (char)*p);
    }
  }
  jl_char(l, '"');
}

/* The length of a valid UTF-8 sequence at p (RFC 3629: no overlong form,
 * no surrogate, nothing past U+10FFFF), 0 when it is not one. */
static size_t jl_utf8(const unsigned char *p, size_t left) {
  size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
  if (p[0] < 0xc2 || p[0] > 0xf4 || n > left) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
      (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
    return 0;
  return n;
}

/* A JSON string of len bytes from the network: valid UTF-8 kept, any other
 * byte as U+FFFD, controls and NULs escaped. */
static void jl_bytes(jl_line *l, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  jl_char(l, '"');
  for (size_t i = 0; i < len; i++) {
    size_t n = p[i] >= 0x80 ? jl_utf8(p + i, len - i) : 1;
    if (n == 0) {
      jl_raw(l, "\\ufffd");
    } else if (n > 1) {
      for (size_t k = 0; k < n; k++) jl_char(l, (char)p[i + k]);
      i += n - 1;
    } else if (p[i] == '"' || p[i] == '\\') {
      jl_char(l, '\\');
      jl_char(l, (char)p[i]);
    } else if (p[i] < 0x20 || p[i] == 0x7f) {
      jl_raw(l, "\\u00");
      jl_char(l, hex[p[i] >> 4]);
      jl_char(l, hex[p[i] & 15]);
    } else {
      jl_char(l, (char)p[i]);
    }
  }
  jl_char(l, '"');
}

static void jl_uint(jl_line *l, unsigned v) {
  char digits[12];
  size_t n = sizeof digits;
  digits[--n] = '\0';
  do {
    digits[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  jl_raw(l, digits + n);
}

/* ,"hostnames":["a","b"]: every name of the address that fits the line. */
static vigie_status jl_hostnames(jl_line *l, const scan_names *names, const vigie_addr *addr) {
  const scan_name *n = NULL;
  size_t count = 0;
  vigie_status status = scan_names_of(names, addr, &n, &count);
  if (status != VIGIE_OK || count == 0) return status;
  jl_raw(l, ",\"hostnames\":[");
  for (size_t i = 0, shown = 0; i < count; i++) {
    if (!jl_room(l, strlen(n[i].name))) break;
    if (shown++ > 0) jl_char(l, ',');
    jl_string(l, n[i].name);
  }
  jl_char(l, ']');
  return VIGIE_OK;
}

static bool jl_valid(const scan_result *result) {
  return result != NULL && (result->addr.family == AF_INET || result->addr.family == AF_INET6) &&
         result->state >= SCAN_STATE_OPEN && result->state <= SCAN_STATE_FILTERED &&
         result->reason >= SCAN_REASON_SYN_ACK && result->reason <= SCAN_REASON_UNREACHABLE;
}

static vigie_status jl_result(jl_line *line, const scan_result *result, const scan_names *names) {
  char ip[64], when[SCAN_TIME_LEN];
  vigie_addr_format(&result->addr, ip, sizeof ip);
  jl_raw(line, "{\"ip\":");
  jl_string(line, ip);
  if (jl_hostnames(line, names, &result->addr) != VIGIE_OK) return VIGIE_EINVAL;
  jl_raw(line, ",\"port\":");
  jl_uint(line, result->port);
  jl_raw(line, ",\"proto\":\"tcp\",\"state\":");
  jl_string(line, scan_state_name((scan_state)result->state));
  jl_raw(line, ",\"reason\":");
  jl_string(line, scan_reason_name((scan_reason)result->reason));
  jl_raw(line, ",\"ttl\":");
  jl_uint(line, result->ttl);
  jl_raw(line, ",\"timestamp\":");
  if (result->time_us > 0 && scan_time_format(result->time_us, when, sizeof when) != NULL)
    jl_string(line, when);
  else
    jl_raw(line, "null");
  return VIGIE_OK;
}

static void jl_fact_field(jl_line *l, const scan_facts *facts, const char *key, const char *fact) {
  const char *v = scan_facts_get(facts, fact);
  if (v == NULL) return;
  jl_raw(l, ",\"");
  jl_raw(l, key);
  jl_raw(l, "\":");
  jl_bytes(l, v, strlen(v));
}

/* "facts":{"name":[values]}, names in the order first seen. */
static void jl_facts(jl_line *l, const scan_facts *facts) {
  const char *name, *other, *value;
  size_t len;
  bool first = true;
  jl_raw(l, ",\"facts\":{");
  for (size_t i = 0; scan_facts_at(facts, i, &name, NULL, NULL); i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = scan_facts_at(facts, j, &other, NULL, NULL) && strcmp(other, name) == 0;
    if (seen) continue;
    jl_raw(l, first ? "" : ",");
    first = false;
    jl_string(l, name);
    jl_raw(l, ":[");
    bool first_value = true;
    for (size_t j = i; scan_facts_at(facts, j, &other, &value, &len); j++) {
      if (strcmp(other, name) != 0) continue;
      jl_raw(l, first_value ? "" : ",");
      first_value = false;
      jl_bytes(l, value, len);
    }
    jl_char(l, ']');
  }
  jl_char(l, '}');
}

static void jl_service(jl_line *l, const scan_facts *facts) {
  jl_raw(l, ",\"service\":{\"name\":");
  const char *name = scan_facts_get(facts, "service");
  if (name != NULL) jl_bytes(l, name, strlen(name));
  else jl_raw(l, "null");
  jl_fact_field(l, facts, "product", "product");
  jl_fact_field(l, facts, "version", "version");
  jl_fact_field(l, facts, "info", "info");
  jl_fact_field(l, facts, "confidence", "confidence");
  jl_raw(l, scan_facts_get(facts, "tls") != NULL ? ",\"tls\":true" : ",\"tls\":false");
  jl_facts(l, facts);
  jl_char(l, '}');
}

/* "findings":[{"rule":...,"severity":...,"confidence":...,"title":...}],
 * the English title (null when unknown, as for findings read back). */
static void jl_findings(jl_line *l, const scan_findings *findings) {
  jl_raw(l, ",\"findings\":[");
  for (size_t i = 0; i < scan_findings_count(findings); i++) {
    const scan_finding *f = scan_findings_at(findings, i);
    jl_raw(l, i > 0 ? ",{\"rule\":" : "{\"rule\":");
    jl_string(l, f->rule);
    jl_raw(l, ",\"severity\":");
    jl_string(l, scan_severity_name(f->severity));
    jl_raw(l, ",\"confidence\":");
    jl_string(l, f->confidence);
    jl_raw(l, ",\"title\":");
    if (f->title != NULL) jl_bytes(l, f->title, strlen(f->title));
    else jl_raw(l, "null");
    jl_char(l, '}');
  }
  jl_char(l, ']');
}

vigie_status scan_output_jsonl_findings(FILE *stream, const scan_result *result,
                                        const scan_names *names, const scan_facts *facts,
                                        const scan_findings *findings) {
  jl_line line;
  if (stream == NULL || !jl_valid(result)) return VIGIE_EINVAL;
  jl_init(&line, facts != NULL || findings != NULL);
  vigie_status status = jl_result(&line, result, names);
  if (status == VIGIE_OK && facts != NULL) jl_service(&line, facts);
  if (status == VIGIE_OK && scan_findings_count(findings) > 0) jl_findings(&line, findings);
  jl_raw(&line, "}\n");
  if (status == VIGIE_OK && line.failed) status = VIGIE_ENOMEM;
  if (status == VIGIE_OK && fwrite(line.data, 1, line.len, stream) != line.len) status = VIGIE_EIO;
  jl_free(&line);
  return status;
}

vigie_status scan_output_jsonl_facts(FILE *stream, const scan_result *result,
                                     const scan_names *names, const scan_facts *facts) {
  return scan_output_jsonl_findings(stream, result, names, facts, NULL);
}

vigie_status scan_output_jsonl_named(FILE *stream, const scan_result *result,
                                     const scan_names *names) {
  return scan_output_jsonl_facts(stream, result, names, NULL);
}

vigie_status scan_output_jsonl(FILE *stream, const scan_result *result) {
  return scan_output_jsonl_facts(stream, result, NULL, NULL);
}
