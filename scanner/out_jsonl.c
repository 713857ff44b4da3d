/* JSON lines (--jsonl): one object per result, streamed as results come, so
 * jq, a SIEM or a CI job can follow a scan while it runs:
 *
 *   {"ip":"198.18.0.10","port":22,"proto":"tcp","state":"open",
 *    "reason":"syn-ack","ttl":64,"timestamp":"2026-11-25T10:00:00.123456Z"}
 *
 * (on one line). "timestamp" is null when the engine did not know the time.
 * Flushing after each line is the caller's choice (a pipe wants it, a file
 * does not). Every string goes through one escaper, although today's fields
 * are all plain ASCII, so that a future field (a banner, a host name) cannot
 * break the line or the JSON. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

/* Length of the well-formed UTF-8 sequence at s[0..len), or 0 when the bytes
 * there are not one (overlong forms, surrogates and values past U+10FFFF
 * included): RFC 8259 requires UTF-8, so such bytes become U+FFFD. */
static size_t jl_utf8_len(const unsigned char *s, size_t len) {
  unsigned char b = s[0], lo = 0x80, hi = 0xBF;
  size_t need;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    lo = b == 0xE0 ? 0xA0 : 0x80;
    hi = b == 0xED ? 0x9F : 0xBF;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    lo = b == 0xF0 ? 0x90 : 0x80;
    hi = b == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  for (size_t i = 1; i <= need; i++) {
    if (i >= len || s[i] < lo || s[i] > hi) return 0;
    lo = 0x80, hi = 0xBF;
  }
  return need + 1;
}

/* The escape of one ASCII byte, or NULL when it stands for itself. */
static const char *jl_escape_of(unsigned char c, char *buf, size_t len) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
  }
  if (c >= 0x20 && c != 0x7F) return NULL;
  snprintf(buf, len, "\\u%04x", c);
  return buf;
}

/* s as a JSON string, quotes included. */
static void jl_string(FILE *stream, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);
  char buf[8];
  fputc('"', stream);
  for (size_t i = 0; i < len;) {
    if (p[i] < 0x80) {
      const char *esc = jl_escape_of(p[i], buf, sizeof buf);
      if (esc != NULL)
        fputs(esc, stream);
      else
        fputc(p[i], stream);
      i++;
      continue;
    }
    size_t n = jl_utf8_len(p + i, len - i);
    if (n == 0) {
      fputs("\\ufffd", stream);
      i++;
    } else {
      fwrite(p + i, 1, n, stream);
      i += n;
    }
  }
  fputc('"', stream);
}

vigie_status scan_output_jsonl(FILE *stream, const scan_result *result) {
  char ip[64], when[SCAN_TIME_LEN];
  if (stream == NULL || result == NULL ||
      (result->addr.family != AF_INET && result->addr.family != AF_INET6) ||
      result->state < SCAN_STATE_OPEN || result->state > SCAN_STATE_FILTERED ||
      result->reason < SCAN_REASON_SYN_ACK || result->reason > SCAN_REASON_UNREACHABLE)
    return VIGIE_EINVAL;
  vigie_addr_format(&result->addr, ip, sizeof ip);
  fputs("{\"ip\":", stream);
  jl_string(stream, ip);
  fprintf(stream, ",\"port\":%u,\"proto\":\"tcp\",\"state\":", result->port);
  jl_string(stream, scan_state_name((scan_state)result->state));
  fputs(",\"reason\":", stream);
  jl_string(stream, scan_reason_name((scan_reason)result->reason));
  fprintf(stream, ",\"ttl\":%u,\"timestamp\":", result->ttl);
  if (result->time_us > 0 && scan_time_format(result->time_us, when, sizeof when) != NULL)
    jl_string(stream, when);
  else
    fputs("null", stream);
  fputs("}\n", stream);
  return ferror(stream) ? VIGIE_EIO : VIGIE_OK;
}
