/* Scan outputs: our scan XML validates against rules/scan.xsd and reads back
 * to the very same results and resume point, and every corruption of it is
 * refused with the file and line; the nmap XML passes nmap.dtd, nmap.xsl and
 * ndiff; every JSON line parses and carries its fields.
 *
 * The outside tools (xmllint, xsltproc, ndiff, python3) are Debian packages
 * that scripts/install-deps.sh installs; only a missing nmap.dtd (the nmap
 * package) skips the nmap cases. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vigie/scanner.h"

#define NMAP_DTD "/usr/share/nmap/nmap.dtd"
#define NMAP_XSL "/usr/share/nmap/nmap.xsl"

/* 2026-11-25T10:00:00Z in Unix microseconds. */
#define T0 INT64_C(1795600800000000)

/* ------------------------------------------------------------- helpers */

/* An array of results as the source the outputs read: a compound literal,
 * alive until the end of the enclosing block. */
#define SOURCE(r, n) ((const scan_result_source[]){scan_source_array((r), (n))})

typedef struct tmp_file {
  char path[64];
} tmp_file;

/* A new empty file /tmp/vigie-out-XXXXXX<suffix>. */
static bool tmp_new(tmp_file *t, const char *suffix) {
  snprintf(t->path, sizeof t->path, "/tmp/vigie-out-XXXXXX%s", suffix);
  int fd = mkstemps(t->path, (int)strlen(suffix));
  if (fd < 0) return false;
  close(fd);
  return true;
}

static bool spit(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return false;
  bool ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok;
}

/* The whole file as a string; caller frees. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  int c;
  while ((c = fgetc(f)) != EOF) fputc(c, m);
  fclose(m);
  fclose(f);
  return buf;
}

/* Run a shell command. \return its exit status, or -1. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char cmd[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *rules_dir(void) {
  const char *dir = getenv("VIGIE_RULES_DIR");
  return dir != NULL && dir[0] != '\0' ? dir : "rules";
}

static const char *xsd_path(void) {
  static char path[512];
  snprintf(path, sizeof path, "%s/scan.xsd", rules_dir());
  return path;
}

/* xmllint --schema on path; its messages shown only when it fails. */
static bool schema_valid(const char *path) {
  char log[80];
  snprintf(log, sizeof log, "%s.log", path);
  int rc = run("xmllint --noout --schema '%s' '%s' > '%s' 2>&1", xsd_path(), path, log);
  if (rc != 0) run("sed 's/^/# /' '%s'", log);
  unlink(log);
  return rc == 0;
}

static bool nmap_missing(test_ctx *ctx) {
  if (access(NMAP_DTD, R_OK) == 0) return false;
  printf("# %s: skipped: %s is absent (install the nmap package)\n", ctx->name, NMAP_DTD);
  return true;
}

static size_t count_of(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) n++;
  return n;
}

/* ------------------------------------------------------------ fixtures */

static uint16_t fx_ports[] = {22, 23, 25, 80, 443, 8080};
static scan_space fx_space = {
    .ports = fx_ports, .port_count = 6, .address_count = 512, .range = 3072};
static scan_stats fx_stats = {.sent = 3100,
                              .received = 12,
                              .valid = 10,
                              .pcap_dropped = 3,
                              .next_position = 2048,
                              .interrupted = true};

static scan_meta fx_meta(scan_mode mode) {
  return (scan_meta){.args = "vigie scan -p 22-25,80,443,8080 198.18.0.0/23 \"<&>\"",
                     .mode = mode,
                     .start_us = T0 - 5000000,
                     .end_us = T0 + 2500000,
                     .space = &fx_space,
                     .stats = &fx_stats,
                     .seed = UINT64_MAX,
                     .shard_index = 2,
                     .shard_count = 3};
}

static vigie_addr v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (vigie_addr){.family = AF_INET, .v4 = (uint32_t)(a << 24 | b << 16 | c << 8 | d)};
}

static vigie_addr v6(const char *text) {
  unsigned char raw[16] = {0};
  vigie_addr a = {.family = AF_INET6};
  inet_pton(AF_INET6, text, raw);
  for (int i = 0; i < 16; i++) a.v6 = a.v6 << 8 | raw[i];
  return a;
}

static scan_result res(vigie_addr a, uint16_t port, scan_state state, scan_reason reason,
                       uint8_t ttl, int64_t time_us) {
  return (scan_result){.addr = a,
                       .port = port,
                       .state = (uint8_t)state,
                       .reason = (uint8_t)reason,
                       .ttl = ttl,
                       .time_us = time_us};
}

/* A SYN run: IPv4 and IPv6, open, closed and filtered, sorted as
 * scan_store_sorted gives them. */
static size_t fx_syn(scan_result *r) {
  size_t n = 0;
  r[n++] = res(v4(198, 18, 0, 10), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK, 64, T0 + 123456);
  r[n++] = res(v4(198, 18, 0, 10), 23, SCAN_STATE_CLOSED, SCAN_REASON_RESET, 64, T0 + 200000);
  r[n++] = res(v4(198, 18, 0, 10), 25, SCAN_STATE_FILTERED, SCAN_REASON_NO_RESPONSE, 0, 0);
  r[n++] = res(v4(198, 18, 0, 11), 80, SCAN_STATE_FILTERED, SCAN_REASON_UNREACHABLE, 250, T0 + 1);
  r[n++] = res(v6("2001:db8::1"), 443, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK, 57, T0 + 999999);
  r[n++] = res(v6("2001:db8::1"), 8080, SCAN_STATE_CLOSED, SCAN_REASON_RESET, 57, T0 + 1000000);
  r[n++] = res(v6("2001:db8::a:1"), 443, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK, 255, T0 + 2000000);
  return n;
}

/* A connect() run: its own reasons. */
static size_t fx_connect(scan_result *r) {
  size_t n = 0;
  r[n++] = res(v4(198, 18, 0, 10), 22, SCAN_STATE_OPEN, SCAN_REASON_CONNECTED, 0, T0 + 5);
  r[n++] = res(v4(198, 18, 0, 10), 23, SCAN_STATE_CLOSED, SCAN_REASON_REFUSED, 0, T0 + 6);
  r[n++] = res(v4(198, 18, 0, 10), 25, SCAN_STATE_FILTERED, SCAN_REASON_NO_RESPONSE, 0, 0);
  r[n++] = res(v4(198, 18, 1, 255), 80, SCAN_STATE_FILTERED, SCAN_REASON_UNREACHABLE, 0, T0 + 7);
  r[n++] = res(v6("2001:db8::1"), 443, SCAN_STATE_OPEN, SCAN_REASON_CONNECTED, 0, T0 + 8);
  return n;
}

static bool same_result(const scan_result *a, const scan_result *b) {
  return a->addr.family == b->addr.family && a->addr.v4 == b->addr.v4 && a->addr.v6 == b->addr.v6 &&
         a->port == b->port && a->state == b->state && a->reason == b->reason && a->ttl == b->ttl &&
         a->time_us == b->time_us;
}

typedef vigie_status (*output_fn)(FILE *, const scan_meta *, const scan_result_source *,
                                  vigie_error *);

/* What an output writes for a source, as a string; caller frees. */
static char *output_text(output_fn writer, const scan_meta *meta, const scan_result_source *src) {
  char *buf = NULL;
  size_t len = 0;
  vigie_error err = {0};
  FILE *m = open_memstream(&buf, &len);
  vigie_status status = writer(m, meta, src, &err);
  fclose(m);
  if (status != VIGIE_OK) {
    printf("# output: %s\n", err.msg);
    free(buf);
    return NULL;
  }
  return buf;
}

/* Our scan XML of results as a string; caller frees. */
static char *xml_text(const scan_meta *meta, const scan_result *r, size_t n) {
  return output_text(scan_output_xml, meta, SOURCE(r, n));
}

/* ------------------------------------------------------------- our XML */

/* Write, validate with xmllint, read back: the same results, the same
 * resume point. */
static void roundtrip(test_ctx *ctx, scan_mode mode, const scan_result *r, size_t n) {
  tmp_file f;
  vigie_error err = {0};
  scan_saved saved;
  scan_result *back = NULL;
  size_t count = 0;
  scan_meta meta = fx_meta(mode);
  /* Arguments with spaces and markup survive the trip, one by one. */
  char *const argv[] = {"-p", "22,80", "--exclude", "198.18.0.5 <x>&", "198.18.0.0/24"};
  meta.argc = 5, meta.argv = argv;
  REQUIRE(tmp_new(&f, ".xml"));
  FILE *out = fopen(f.path, "w");
  REQUIRE(out != NULL);
  CHECKF(scan_output_xml(out, &meta, SOURCE(r, n), &err) == VIGIE_OK, "%s", err.msg);
  fclose(out);
  CHECK(schema_valid(f.path));
  scan_store *store = scan_store_new();
  REQUIRE(store != NULL);
  CHECKF(scan_input_xml(f.path, xsd_path(), store, &saved, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(saved.next_position == fx_stats.next_position);
  CHECK(saved.seed == meta.seed && saved.mode == mode);
  CHECK(saved.shard_index == meta.shard_index && saved.shard_count == meta.shard_count);
  CHECK(saved.argc == 5 && saved.argv != NULL && saved.argv[5] == NULL);
  for (int i = 0; i < saved.argc && i < 5; i++) CHECK_STR(saved.argv[i], argv[i]);
  scan_saved_free(&saved);
  CHECK(scan_store_sorted(store, &back, &count) == VIGIE_OK);
  CHECKF(count == n, "%zu results read back, %zu written", count, n);
  for (size_t i = 0; i < n && i < count; i++)
    CHECKF(same_result(&r[i], &back[i]), "result %zu differs", i);
  vigie_free(back);
  /* And out again from the store itself, sealed: the very same file. */
  scan_store_seal(store);
  scan_result_source from_store = scan_source_store(store);
  char *first = slurp(f.path), *again = output_text(scan_output_xml, &meta, &from_store);
  CHECK(first != NULL && again != NULL && strcmp(first, again) == 0);
  free(first), free(again);
  scan_store_free(store);
  unlink(f.path);
}

TEST(xml_roundtrip_syn) {
  scan_result r[16];
  roundtrip(ctx, SCAN_MODE_SYN, r, fx_syn(r));
}

TEST(xml_roundtrip_connect) {
  scan_result r[16];
  roundtrip(ctx, SCAN_MODE_CONNECT, r, fx_connect(r));
}

/* No result, no stats, no space: still a valid file, resuming from 0. */
TEST(xml_empty_scan) {
  tmp_file f;
  vigie_error err = {0};
  scan_saved saved;
  scan_meta meta = fx_meta(SCAN_MODE_CONNECT);
  meta.space = NULL, meta.stats = NULL, meta.args = NULL;
  REQUIRE(tmp_new(&f, ".xml"));
  char *text = xml_text(&meta, NULL, 0);
  REQUIRE(text != NULL);
  CHECK(strstr(text, "ports=\"\"") != NULL);
  CHECK(spit(f.path, text));
  CHECK(schema_valid(f.path));
  scan_store *store = scan_store_new();
  CHECKF(scan_input_xml(f.path, xsd_path(), store, &saved, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(saved.next_position == 0 && saved.argc == 0);
  scan_saved_free(&saved);
  CHECK(scan_store_count(store) == 0);
  scan_store_free(store);
  free(text);
  unlink(f.path);
}

/* What the file says besides the results, and one element a line. */
TEST(xml_meta_data) {
  scan_result r[16];
  scan_meta meta = fx_meta(SCAN_MODE_SYN);
  char *text = xml_text(&meta, r, fx_syn(r));
  REQUIRE(text != NULL);
  CHECK(strstr(text, "<scan xmlns=\"urn:vigie:scan:1\" schemaVersion=\"1\">\n") != NULL);
  CHECK(strstr(text, "<tool name=\"vigie\" version=\"" VIGIE_VERSION_STRING "\"/>") != NULL);
  CHECK(strstr(text,
               "<args>vigie scan -p 22-25,80,443,8080 198.18.0.0/23 \"&lt;&amp;&gt;\"</args>") !=
        NULL);
  CHECK(strstr(text,
               "<run mode=\"syn\" start=\"2026-11-25T09:59:55.000000Z\" "
               "end=\"2026-11-25T10:00:02.500000Z\" seed=\"18446744073709551615\"/>") != NULL);
  CHECK(strstr(text, "<shard index=\"2\" count=\"3\"/>") != NULL);
  CHECK(strstr(text,
               "<stats sent=\"3100\" received=\"12\" valid=\"10\" pcap-dropped=\"3\" "
               "interrupted=\"true\"/>") != NULL);
  CHECK(strstr(text, "<resume next-position=\"2048\" range=\"3072\"/>") != NULL);
  CHECK(
      strstr(text, "<space addresses=\"512\" port-count=\"6\" ports=\"22-23,25,80,443,8080\"/>") !=
      NULL);
  CHECK(strstr(text, "<host addr=\"2001:db8::a:1\" family=\"ipv6\">\n") != NULL);
  CHECK(strstr(text,
               "<port number=\"22\" state=\"open\" reason=\"syn-ack\" ttl=\"64\" "
               "time=\"2026-11-25T10:00:00.123456Z\"/>\n") != NULL);
  /* An unknown time is left out. */
  CHECK(strstr(text, "<port number=\"25\" state=\"filtered\" reason=\"no-response\" ttl=\"0\"/>") !=
        NULL);
  CHECK(count_of(text, "<host ") == 4);
  CHECK(count_of(text, "\n") == 25);
  free(text);
}

TEST(xml_refuses_bad_calls) {
  scan_result r[16];
  size_t n = fx_syn(r);
  vigie_error err = {0};
  scan_meta meta = fx_meta(SCAN_MODE_SYN);
  FILE *devnull = fopen("/dev/null", "w");
  REQUIRE(devnull != NULL);
  scan_result swapped[2] = {r[1], r[0]};
  CHECK(scan_output_xml(devnull, &meta, SOURCE(swapped, 2), &err) == VIGIE_EINVAL);
  CHECK(strstr(err.msg, "not sorted") != NULL);
  scan_result twice[2] = {r[0], r[0]};
  CHECK(scan_output_xml(devnull, &meta, SOURCE(twice, 2), &err) == VIGIE_EINVAL);
  scan_result bad = r[0];
  bad.state = 0;
  CHECK(scan_output_xml(devnull, &meta, SOURCE(&bad, 1), &err) == VIGIE_EINVAL);
  CHECK(scan_output_nmap(devnull, &meta, SOURCE(&bad, 1), &err) == VIGIE_EINVAL);
  CHECK(scan_output_jsonl(devnull, &bad) == VIGIE_EINVAL);
  bad = r[0], bad.addr.family = 0;
  CHECK(scan_output_xml(devnull, &meta, SOURCE(&bad, 1), &err) == VIGIE_EINVAL);
  CHECK(scan_output_jsonl(devnull, &bad) == VIGIE_EINVAL);
  meta.mode = SCAN_MODE_AUTO;
  CHECK(scan_output_xml(devnull, &meta, SOURCE(r, n), &err) == VIGIE_EINVAL);
  CHECK(scan_output_nmap(devnull, &meta, SOURCE(r, n), &err) == VIGIE_EINVAL);
  meta = fx_meta(SCAN_MODE_SYN), meta.start_us = -1;
  CHECK(scan_output_xml(devnull, &meta, SOURCE(r, n), &err) == VIGIE_EINVAL);
  CHECK(scan_output_xml(NULL, &meta, SOURCE(r, n), &err) == VIGIE_EINVAL);
  CHECK(scan_output_xml(devnull, NULL, SOURCE(r, n), &err) == VIGIE_EINVAL);
  meta = fx_meta(SCAN_MODE_SYN);
  CHECK(scan_output_xml(devnull, &meta, NULL, &err) == VIGIE_EINVAL);
  CHECK(scan_output_nmap(devnull, &meta, NULL, &err) == VIGIE_EINVAL);
  /* A store not sealed reads as results with no family: refused. */
  scan_store *store = scan_store_new();
  REQUIRE(store != NULL);
  CHECK(scan_store_add(store, &r[0], NULL) == VIGIE_OK);
  scan_result_source unsealed = scan_source_store(store);
  CHECK(scan_output_xml(devnull, &meta, &unsealed, &err) == VIGIE_EINVAL);
  CHECK(scan_output_nmap(devnull, &meta, &unsealed, &err) == VIGIE_EINVAL);
  scan_store_free(store);
  fclose(devnull);
}

/* A full disk is an error the caller sees, not a truncated file. */
TEST(outputs_report_write_errors) {
  scan_result r[16];
  size_t n = fx_syn(r);
  vigie_error err = {0};
  scan_meta meta = fx_meta(SCAN_MODE_SYN);
  FILE *full = fopen("/dev/full", "w");
  if (full == NULL) {
    printf("# %s: skipped: no /dev/full\n", ctx->name);
    return;
  }
  CHECK(scan_output_xml(full, &meta, SOURCE(r, n), &err) == VIGIE_EIO);
  CHECK(strstr(err.msg, "write failed") != NULL);
  clearerr(full);
  CHECK(scan_output_nmap(full, &meta, SOURCE(r, n), &err) == VIGIE_EIO);
  fclose(full);
}

/* ------------------------------------------------------ reading it back */

typedef struct corruption {
  const char *what;
  const char *find; /* first occurrence replaced */
  const char *replace;
  vigie_status status;
  const char *needle; /* in the message */
  int line;           /* the message names the line of find plus line - 1; 0: no line */
} corruption;

static const corruption corruptions[] = {
    {"bad state", "state=\"open\"", "state=\"opened\"", VIGIE_ESCHEMA, "opened", 1},
    {"bad reason", "reason=\"reset\"", "reason=\"rst\"", VIGIE_ESCHEMA, "rst", 1},
    {"port 70000", "number=\"22\"", "number=\"70000\"", VIGIE_ESCHEMA, "70000", 1},
    {"port 0", "number=\"22\"", "number=\"0\"", VIGIE_ESCHEMA, "number", 1},
    {"ttl 256", "ttl=\"64\"", "ttl=\"256\"", VIGIE_ESCHEMA, "256", 1},
    {"missing ttl", " ttl=\"64\"", "", VIGIE_ESCHEMA, "ttl", 1},
    {"missing addr", "<host addr=\"198.18.0.10\"", "<host", VIGIE_ESCHEMA, "addr", 1},
    {"local time", "time=\"2026-11-25T10:00:00.123456Z\"",
     "time=\"2026-11-25T11:00:00.123456+01:00\"", VIGIE_ESCHEMA, "time", 1},
    {"bad address", "addr=\"198.18.0.11\"", "addr=\"198.18.0.999\"", VIGIE_ESYNTAX, "IPv4", 1},
    {"wrong family", "family=\"ipv4\"", "family=\"ipv6\"", VIGIE_ESYNTAX, "not an IPv6 address", 1},
    {"same address twice", "addr=\"2001:db8::a:1\"", "addr=\"2001:DB8:0::1\"", VIGIE_ESCHEMA,
     "listed twice", 2},
    {"same host twice", "addr=\"198.18.0.11\"", "addr=\"198.18.0.10\"", VIGIE_ESCHEMA, "host-once",
     1},
    {"shard past count", "<shard index=\"2\"", "<shard index=\"3\"", VIGIE_ESCHEMA,
     "not below count", 1},
    {"resume past range", "next-position=\"2048\"", "next-position=\"3073\"", VIGIE_ESCHEMA,
     "past range", 1},
    {"bad mode", "mode=\"syn\"", "mode=\"udp\"", VIGIE_ESCHEMA, "udp", 1},
    {"other namespace", "urn:vigie:scan:1", "urn:vigie:scan:2", VIGIE_ESCHEMA, "scan", 1},
    {"unknown element", "<resume ", "<resumed/><resume ", VIGIE_ESCHEMA, "resumed", 1},
    {"a DOCTYPE", "<scan ", "<!DOCTYPE scan [<!ENTITY x \"y\">]>\n<scan ", VIGIE_EXML_DOCTYPE,
     "DOCTYPE", 0},
    {"not well-formed", "</host>", "</hots>", VIGIE_EXML, "hots", 1},
};

static int line_of(const char *text, const char *at) {
  int line = 1;
  for (const char *p = text; p < at; p++) line += *p == '\n';
  return line;
}

static void check_corruption(test_ctx *ctx, const char *good, const corruption *c) {
  tmp_file f;
  vigie_error err = {0};
  const char *at = strstr(good, c->find);
  REQUIRE(at != NULL && tmp_new(&f, ".xml"));
  size_t head = (size_t)(at - good), len = strlen(good) + strlen(c->replace) + 1;
  char *bad = malloc(len);
  REQUIRE(bad != NULL);
  snprintf(bad, len, "%.*s%s%s", (int)head, good, c->replace, at + strlen(c->find));
  CHECK(spit(f.path, bad));
  scan_store *store = scan_store_new();
  scan_saved saved;
  vigie_status status = scan_input_xml(f.path, xsd_path(), store, &saved, &err);
  scan_saved_free(&saved);
  CHECKF(status == c->status, "%s: status %d, message %s", c->what, status, err.msg);
  CHECKF(strstr(err.msg, c->needle) != NULL, "%s: \"%s\" not in: %s", c->what, c->needle, err.msg);
  char want[128];
  if (c->line > 0)
    snprintf(want, sizeof want, "%s:%d: ", f.path, line_of(good, at) + c->line - 1);
  else
    snprintf(want, sizeof want, "%s: ", f.path);
  CHECKF(strncmp(err.msg, want, strlen(want)) == 0, "%s: wanted \"%s...\", got: %s", c->what, want,
         err.msg);
  scan_store_free(store);
  free(bad);
  unlink(f.path);
}

TEST(xml_corruptions_refused) {
  scan_result r[16];
  scan_meta meta = fx_meta(SCAN_MODE_SYN);
  char *good = xml_text(&meta, r, fx_syn(r));
  REQUIRE(good != NULL);
  for (size_t i = 0; i < sizeof corruptions / sizeof corruptions[0]; i++)
    check_corruption(ctx, good, &corruptions[i]);
  free(good);
}

TEST(xml_input_refuses_bad_calls) {
  vigie_error err = {0};
  scan_saved next;
  scan_store *store = scan_store_new();
  REQUIRE(store != NULL);
  CHECK(scan_input_xml("/nonexistent/scan.xml", xsd_path(), store, &next, &err) == VIGIE_ENOENT);
  CHECK(strstr(err.msg, "/nonexistent/scan.xml") != NULL);
  CHECK(scan_input_xml("x.xml", NULL, store, &next, &err) == VIGIE_EINVAL);
  CHECK(scan_input_xml("x.xml", xsd_path(), NULL, &next, &err) == VIGIE_EINVAL);
  scan_saved_free(&next);
  CHECK(scan_input_xml("x.xml", xsd_path(), store, NULL, &err) == VIGIE_EINVAL);
  scan_store_free(store);
}

/* ------------------------------------------------------------ nmap XML */

/* The SYN fixture plus a host with 30 closed ports (summarized as nmap
 * does) and 3 open ones. */
static size_t fx_nmap(scan_result *r) {
  size_t n = 0;
  for (uint16_t p = 1000; p < 1030; p++)
    r[n++] = res(v4(198, 18, 0, 5), p, SCAN_STATE_CLOSED, SCAN_REASON_RESET, 63, T0 + p);
  r[n++] = res(v4(198, 18, 0, 5), 3389, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK, 63, T0);
  return n + fx_syn(r + n);
}

static bool nmap_write(test_ctx *ctx, const char *path, const scan_result *r, size_t n) {
  vigie_error err = {0};
  vigie_portdb *db = NULL;
  char ports[512];
  snprintf(ports, sizeof ports, "%s/ports.tsv", rules_dir());
  CHECKF(vigie_portdb_load(ports, &db, &err) == VIGIE_OK, "%s", err.msg);
  scan_meta meta = fx_meta(SCAN_MODE_SYN);
  meta.portdb = db;
  FILE *out = fopen(path, "w");
  if (out == NULL) return false;
  vigie_status status = scan_output_nmap(out, &meta, SOURCE(r, n), &err);
  CHECKF(status == VIGIE_OK, "%s", err.msg);
  fclose(out);
  vigie_portdb_free(db);
  return status == VIGIE_OK;
}

/* nmap.dtd enumerates scanner as (nmap) only, so that is what we write;
 * the file must be valid with no change at all. */
TEST(nmap_valid_against_dtd) {
  tmp_file f, errs;
  scan_result r[64];
  if (nmap_missing(ctx)) return;
  REQUIRE(tmp_new(&f, ".xml") && tmp_new(&errs, ".txt"));
  REQUIRE(nmap_write(ctx, f.path, r, fx_nmap(r)));
  CHECK(run("xmllint --noout --dtdvalid %s '%s' 2> '%s'", NMAP_DTD, f.path, errs.path) == 0);
  char *msgs = slurp(errs.path);
  REQUIRE(msgs != NULL);
  CHECKF(count_of(msgs, "validity error") == 0, "%s", msgs);
  free(msgs);
  unlink(f.path), unlink(errs.path);
}

TEST(nmap_shape) {
  tmp_file f;
  scan_result r[64];
  if (nmap_missing(ctx)) return;
  REQUIRE(tmp_new(&f, ".xml"));
  REQUIRE(nmap_write(ctx, f.path, r, fx_nmap(r)));
  char *text = slurp(f.path);
  REQUIRE(text != NULL);
  static const char head[] =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n"
      "<?xml-stylesheet href=\"file:///usr/share/nmap/nmap.xsl\" type=\"text/xsl\"?>\n"
      "<nmaprun scanner=\"nmap\" args=\"vigie scan -p 22-25,80,443,8080 198.18.0.0/23 "
      "&quot;&lt;&amp;&gt;&quot;\" start=\"1795600795\" ";
  CHECKF(strncmp(text, head, strlen(head)) == 0, "%.300s", text);
  CHECK(strstr(text,
               "<scaninfo type=\"syn\" protocol=\"tcp\" numservices=\"6\" "
               "services=\"22-23,25,80,443,8080\"/>") != NULL);
  CHECK(strstr(text,
               "<extraports state=\"closed\" count=\"30\">\n<extrareasons reason=\"reset\" "
               "count=\"30\" proto=\"tcp\" ports=\"1000-1029\"/>") != NULL);
  CHECK(strstr(text, "portid=\"1005\"") == NULL);
  CHECK(strstr(text,
               "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" reason=\"syn-ack\" "
               "reason_ttl=\"64\"/><service name=\"ssh\" method=\"table\" conf=\"3\"/></port>") !=
        NULL);
  CHECK(strstr(text, "<address addr=\"2001:db8::a:1\" addrtype=\"ipv6\"/>\n<hostnames/>") != NULL);
  CHECK(strstr(text, "<status state=\"up\" reason=\"host-unreach\" reason_ttl=\"250\"/>") != NULL);
  CHECK(strstr(text, "<hosts up=\"5\" down=\"507\" total=\"512\"/>") != NULL);
  CHECK(strstr(text, "elapsed=\"7.50\" exit=\"error\" errormsg=") != NULL);
  CHECK(count_of(text, "<host ") == 5);
  free(text);
  unlink(f.path);
}

TEST(nmap_xsl_renders) {
  tmp_file f, html;
  scan_result r[64];
  if (nmap_missing(ctx)) return;
  REQUIRE(tmp_new(&f, ".xml") && tmp_new(&html, ".html"));
  REQUIRE(nmap_write(ctx, f.path, r, fx_nmap(r)));
  CHECK(run("xsltproc -o '%s' %s '%s' 2>/dev/null", html.path, NMAP_XSL, f.path) == 0);
  char *text = slurp(html.path);
  REQUIRE(text != NULL);
  static const char *const cells[] = {"<td>22</td>",   "<td>23</td>",   "<td>443</td>",
                                      "<td>8080</td>", "<td>3389</td>", "2001:db8::a:1",
                                      "198.18.0.11"};
  for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
    CHECKF(strstr(text, cells[i]) != NULL, "%s not in the HTML", cells[i]);
  free(text);
  unlink(f.path), unlink(html.path);
}

/* ndiff sees one port that changed, and nothing between a file and itself. */
TEST(nmap_ndiff_sees_changes) {
  tmp_file a, b, diff;
  scan_result r[64];
  if (nmap_missing(ctx)) return;
  REQUIRE(tmp_new(&a, ".xml") && tmp_new(&b, ".xml") && tmp_new(&diff, ".txt"));
  size_t n = fx_nmap(r);
  REQUIRE(nmap_write(ctx, a.path, r, n));
  for (size_t i = 0; i < n; i++)
    if (r[i].addr.family == AF_INET6 && r[i].port == 8080)
      r[i].state = SCAN_STATE_OPEN, r[i].reason = SCAN_REASON_SYN_ACK;
  REQUIRE(nmap_write(ctx, b.path, r, n));
  CHECK(run("ndiff '%s' '%s' > /dev/null", a.path, a.path) == 0);
  CHECK(run("ndiff '%s' '%s' > '%s'", a.path, b.path, diff.path) == 1);
  char *text = slurp(diff.path);
  REQUIRE(text != NULL);
  CHECKF(strstr(text, "2001:db8::1") != NULL, "%s", text);
  CHECKF(strstr(text, "-8080/tcp closed") != NULL && strstr(text, "+8080/tcp open") != NULL, "%s",
         text);
  CHECKF(strstr(text, "443/tcp") == NULL, "%s", text);
  free(text);
  unlink(a.path), unlink(b.path), unlink(diff.path);
}

/* Both XML formats read a sealed store as they read the sorted array: the
 * store is filled in reverse order, so its sealing does the sorting. */
TEST(outputs_from_sealed_store) {
  scan_result r[64];
  size_t n = fx_nmap(r);
  scan_meta meta = fx_meta(SCAN_MODE_SYN);
  scan_store *store = scan_store_new();
  REQUIRE(store != NULL);
  /* fx_nmap puts 198.18.0.5 first; sorted, it comes before 198.18.0.10. */
  for (size_t i = n; i-- > 0;) CHECK(scan_store_add(store, &r[i], NULL) == VIGIE_OK);
  scan_result *sorted = NULL;
  size_t count = 0;
  REQUIRE(scan_store_sorted(store, &sorted, &count) == VIGIE_OK && count == n);
  scan_store_seal(store);
  scan_result_source from_store = scan_source_store(store);
  CHECK(from_store.count == n);
  output_fn writers[] = {scan_output_xml, scan_output_nmap};
  for (size_t w = 0; w < 2; w++) {
    char *a = output_text(writers[w], &meta, SOURCE(sorted, count));
    char *b = output_text(writers[w], &meta, &from_store);
    CHECKF(a != NULL && b != NULL && strcmp(a, b) == 0, "writer %zu", w);
    CHECK(b != NULL && count_of(b, "<host ") == 5);
    free(a), free(b);
  }
  vigie_free(sorted);
  scan_store_free(store);
}

/* ---------------------------------------------------------- JSON lines */

static const char jsonl_check[] =
    "import json,sys\n"
    "rows=[json.loads(l) for l in sys.stdin]\n"
    "keys={'ip','port','proto','state','reason','ttl','timestamp'}\n"
    "assert len(rows)==12, len(rows)\n"
    "for r in rows:\n"
    "  assert set(r)==keys, r\n"
    "  assert isinstance(r['port'],int) and 0<r['port']<65536, r\n"
    "  assert r['proto']=='tcp' and r['state'] in ('open','closed','filtered'), r\n"
    "  assert isinstance(r['ttl'],int), r\n"
    "  assert r['timestamp'] is None or r['timestamp'].endswith('Z'), r\n";

/* The hand-made time formatter agrees with gmtime_r + snprintf everywhere:
 * leap years, centuries, the first and last second it accepts. */
TEST(time_format_matches_gmtime) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t secs = i == 0 ? 0 : i == 1 ? INT64_C(253402300799) : (int64_t)(x % INT64_C(253402300800));
    int64_t us = secs * 1000000 + (int64_t)(x % 1000000);
    char mine[SCAN_TIME_LEN], ref[64];
    struct tm tm;
    time_t t = (time_t)secs;
    REQUIRE(gmtime_r(&t, &tm) != NULL);
    snprintf(ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
    REQUIRE(scan_time_format(us, mine, sizeof mine) != NULL);
    if (strcmp(mine, ref) != 0) {
      CHECKF(false, "%lld us: %s, gmtime says %s", (long long)us, mine, ref);
      return;
    }
  }
}

TEST(jsonl_lines_parse) {
  tmp_file f, py;
  scan_result r[32];
  size_t n = fx_syn(r);
  n += fx_connect(r + n);
  REQUIRE(tmp_new(&f, ".jsonl") && tmp_new(&py, ".py"));
  FILE *out = fopen(f.path, "w");
  REQUIRE(out != NULL);
  for (size_t i = 0; i < n; i++) CHECK(scan_output_jsonl(out, &r[i]) == VIGIE_OK);
  fclose(out);
  CHECK(spit(py.path, jsonl_check));
  CHECK(run("python3 '%s' < '%s'", py.path, f.path) == 0);
  char *text = slurp(f.path);
  REQUIRE(text != NULL);
  static const char first[] =
      "{\"ip\":\"198.18.0.10\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\","
      "\"reason\":\"syn-ack\",\"ttl\":64,\"timestamp\":\"2026-11-25T10:00:00.123456Z\"}\n";
  CHECKF(strncmp(text, first, strlen(first)) == 0, "%s", text);
  CHECK(
      strstr(text,
             "\"state\":\"filtered\",\"reason\":\"no-response\",\"ttl\":0,\"timestamp\":null}\n") !=
      NULL);
  CHECK(strstr(text, "{\"ip\":\"2001:db8::a:1\",\"port\":443,") != NULL);
  CHECK(count_of(text, "\n") == n);
  free(text);
  unlink(f.path), unlink(py.path);
}

/* ------------------------------------------------------------- helpers */

TEST(time_format) {
  char buf[SCAN_TIME_LEN];
  CHECK_STR(scan_time_format(0, buf, sizeof buf), "1970-01-01T00:00:00.000000Z");
  CHECK_STR(scan_time_format(T0 + 123456, buf, sizeof buf), "2026-11-25T10:00:00.123456Z");
  CHECK_STR(scan_time_format(INT64_C(253402300799999999), buf, sizeof buf),
            "9999-12-31T23:59:59.999999Z");
  CHECK(scan_time_format(INT64_C(253402300800000000), buf, sizeof buf) == NULL);
  CHECK(scan_time_format(-1, buf, sizeof buf) == NULL);
  CHECK(scan_time_format(T0, buf, SCAN_TIME_LEN - 1) == NULL);
}

TEST(ports_compact) {
  static const uint16_t some[] = {1, 22, 80, 81, 82, 82, 443, 65534, 65535};
  static uint16_t all[65535];
  char *s = scan_ports_compact(some, sizeof some / sizeof some[0]);
  CHECK_STR(s, "1,22,80-82,443,65534-65535");
  vigie_free(s);
  s = scan_ports_compact(NULL, 0);
  CHECK_STR(s, "");
  vigie_free(s);
  for (unsigned i = 0; i < 65535; i++) all[i] = (uint16_t)(i + 1);
  s = scan_ports_compact(all, 65535);
  CHECK_STR(s, "1-65535");
  vigie_free(s);
  for (unsigned i = 0; i < 65535; i++) all[i] = (uint16_t)(2 * i % 65536 + 1);
  s = scan_ports_compact(all, 32768);
  CHECK(s != NULL && strncmp(s, "1,3,5,", 6) == 0 && strcmp(s + strlen(s) - 6, ",65535") == 0);
  vigie_free(s);
}

/* The writer's one door for constant prolog text stays where it belongs. */
TEST(xmlw_raw_prolog) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  vigie_xmlw *w = vigie_xmlw_new(m);
  REQUIRE(w != NULL);
  CHECK(vigie_xmlw_raw_prolog(w, "<!DOCTYPE r>\n") == VIGIE_EINVAL);
  CHECK(vigie_xmlw_declaration(w) == VIGIE_OK);
  CHECK(vigie_xmlw_raw_prolog(w, NULL) == VIGIE_EINVAL);
  CHECK(vigie_xmlw_raw_prolog(w, "<!DOCTYPE r>\n") == VIGIE_OK);
  CHECK(vigie_xmlw_start(w, "r") == VIGIE_OK);
  CHECK(vigie_xmlw_raw_prolog(w, "<x/>") == VIGIE_EINVAL);
  CHECK(vigie_xmlw_finish(w) == VIGIE_OK);
  vigie_xmlw_free(w);
  fclose(m);
  CHECK_STR(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE r>\n<r/>\n");
  free(buf);
}

TEST_MAIN(TEST_CASE_ENTRY(xml_roundtrip_syn), TEST_CASE_ENTRY(xml_roundtrip_connect),
          TEST_CASE_ENTRY(xml_empty_scan), TEST_CASE_ENTRY(xml_meta_data),
          TEST_CASE_ENTRY(xml_refuses_bad_calls), TEST_CASE_ENTRY(outputs_report_write_errors),
          TEST_CASE_ENTRY(xml_corruptions_refused), TEST_CASE_ENTRY(xml_input_refuses_bad_calls),
          TEST_CASE_ENTRY(nmap_valid_against_dtd), TEST_CASE_ENTRY(nmap_shape),
          TEST_CASE_ENTRY(nmap_xsl_renders), TEST_CASE_ENTRY(nmap_ndiff_sees_changes),
          TEST_CASE_ENTRY(outputs_from_sealed_store), TEST_CASE_ENTRY(jsonl_lines_parse), TEST_CASE_ENTRY(time_format_matches_gmtime),
          TEST_CASE_ENTRY(time_format), TEST_CASE_ENTRY(ports_compact),
          TEST_CASE_ENTRY(xmlw_raw_prolog))
