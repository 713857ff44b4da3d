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
  char data[4096];
  size_t len;
} jl_line;

/* Room left for a string of n bytes escaped at worst (6 bytes each), its
 * quotes, a comma and the rest of the line (about 150 bytes). */
static bool jl_room(const jl_line *l, size_t n) {
  return l->len + 6 * n + 3 + 160 < sizeof l->data;
}

static void jl_char(jl_line *l, char c) {
  if (l->len < sizeof l->data - 1) l->data[l->len++] = c;
}

static void jl_raw(jl_line *l, const char *s) {
  while (*s != '\0') jl_char(l, *s++);
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

vigie_status scan_output_jsonl(FILE *stream, const scan_result *result) {
  return scan_output_jsonl_named(stream, result, NULL);
}

vigie_status scan_output_jsonl_named(FILE *stream, const scan_result *result,
                                     const scan_names *names) {
  char ip[64], when[SCAN_TIME_LEN];
  jl_line line; /* not zeroed: 4 KiB a line on the receiver's thread */
  line.len = 0;
  if (stream == NULL || result == NULL ||
      (result->addr.family != AF_INET && result->addr.family != AF_INET6) ||
      result->state < SCAN_STATE_OPEN || result->state > SCAN_STATE_FILTERED ||
      result->reason < SCAN_REASON_SYN_ACK || result->reason > SCAN_REASON_UNREACHABLE)
    return VIGIE_EINVAL;
  vigie_addr_format(&result->addr, ip, sizeof ip);
  jl_raw(&line, "{\"ip\":");
  jl_string(&line, ip);
  if (jl_hostnames(&line, names, &result->addr) != VIGIE_OK) return VIGIE_EINVAL;
  jl_raw(&line, ",\"port\":");
  jl_uint(&line, result->port);
  jl_raw(&line, ",\"proto\":\"tcp\",\"state\":");
  jl_string(&line, scan_state_name((scan_state)result->state));
  jl_raw(&line, ",\"reason\":");
  jl_string(&line, scan_reason_name((scan_reason)result->reason));
  jl_raw(&line, ",\"ttl\":");
  jl_uint(&line, result->ttl);
  jl_raw(&line, ",\"timestamp\":");
  if (result->time_us > 0 && scan_time_format(result->time_us, when, sizeof when) != NULL)
    jl_string(&line, when);
  else
    jl_raw(&line, "null");
  jl_raw(&line, "}\n");
  if (fwrite(line.data, 1, line.len, stream) != line.len) return VIGIE_EIO;
  return VIGIE_OK;
}
