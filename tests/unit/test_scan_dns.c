/* DNS pieces that need no DNS server: host name checks, PTR query names,
 * the name map (normalising, sorting, merging, lookups), the c-ares status
 * boundary, names in the three outputs and back through the XML reader;
 * and the resolver's bounded failures against loopback sockets that never
 * answer or refuse (no packet leaves loopback). */
#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/harness.h"
#include "vigie/scanner.h"

static vigie_addr v4(uint32_t a) { return (vigie_addr){.family = AF_INET, .v4 = a}; }

static vigie_addr v6(const char *text) {
  unsigned char raw[16];
  vigie_addr a = {.family = AF_INET6};
  if (inet_pton(AF_INET6, text, raw) == 1)
    for (int i = 0; i < 16; i++) a.v6 = a.v6 << 8 | raw[i];
  return a;
}

TEST(name_valid) {
  CHECK(scan_dns_name_valid("lab.vigie.test"));
  CHECK(scan_dns_name_valid("www.lab.vigie.test."));
  CHECK(scan_dns_name_valid("localhost"));
  CHECK(scan_dns_name_valid("_ldap._tcp.example.org"));
  CHECK(scan_dns_name_valid("a-b.c0"));
  CHECK(scan_dns_name_valid("123.example"));
  CHECK(!scan_dns_name_valid(NULL));
  CHECK(!scan_dns_name_valid(""));
  CHECK(!scan_dns_name_valid("."));
  CHECK(!scan_dns_name_valid("a..b"));
  CHECK(!scan_dns_name_valid(".a"));
  CHECK(!scan_dns_name_valid("-a.b"));
  CHECK(!scan_dns_name_valid("a-.b"));
  CHECK(!scan_dns_name_valid("a.b-"));
  CHECK(!scan_dns_name_valid("a b"));
  CHECK(!scan_dns_name_valid("a/b"));
  CHECK(!scan_dns_name_valid("198.18.0.1"));
  char label[80], name[300];
  memset(label, 'a', 64), label[64] = '\0';
  CHECK(!scan_dns_name_valid(label)); /* a 64-byte label */
  label[63] = '\0';
  CHECK(scan_dns_name_valid(label));
  memset(name, 'a', 254), name[254] = '\0';
  for (int i = 1; i < 253; i += 2) name[i] = '.';
  CHECK(!scan_dns_name_valid(name)); /* 254 bytes: "a.a. ... a.aa" */
  name[253] = '\0';
  CHECK(scan_dns_name_valid(name));
}

TEST(ptr_names) {
  char buf[SCAN_DNS_PTR_NAME_LEN];
  vigie_addr a = v4(0xC6120014); /* 198.18.0.20 */
  CHECK_STR(scan_dns_ptr_name(&a, buf, sizeof buf), "20.0.18.198.in-addr.arpa");
  a = v4(0xFFFFFFFF);
  CHECK_STR(scan_dns_ptr_name(&a, buf, sizeof buf), "255.255.255.255.in-addr.arpa");
  a = v6("2001:db8::567:89ab");
  CHECK_STR(scan_dns_ptr_name(&a, buf, sizeof buf),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  CHECK(strlen(buf) == SCAN_DNS_PTR_NAME_LEN - 1);
  CHECK(scan_dns_ptr_name(&a, buf, sizeof buf - 1) == NULL);
  a.family = 0;
  CHECK(scan_dns_ptr_name(&a, buf, sizeof buf) == NULL);
}

TEST(status_boundary) {
  CHECK(scan_dns_status(ARES_SUCCESS) == VIGIE_OK);
  CHECK(scan_dns_status(ARES_ENOTFOUND) == VIGIE_ENOENT);
  CHECK(scan_dns_status(ARES_ENODATA) == VIGIE_ENOENT);
  CHECK(scan_dns_status(ARES_ETIMEOUT) == VIGIE_ETIMEOUT);
  CHECK(scan_dns_status(ARES_ECANCELLED) == VIGIE_ETIMEOUT);
  CHECK(scan_dns_status(ARES_ECONNREFUSED) == VIGIE_ECONNECT);
  CHECK(scan_dns_status(ARES_ESERVFAIL) == VIGIE_EPROTO);
  CHECK(scan_dns_status(ARES_EREFUSED) == VIGIE_EPROTO);
  CHECK(scan_dns_status(ARES_EBADNAME) == VIGIE_ESYNTAX);
  CHECK(scan_dns_status(ARES_ENOMEM) == VIGIE_ENOMEM);
  CHECK(scan_dns_status(ARES_EFILE) == VIGIE_EIO);
  CHECK(scan_dns_status(ARES_EBADFLAGS) == VIGIE_EINVAL);
  CHECK(scan_dns_status(9999) == VIGIE_EINVAL);
}

TEST(names_map) {
  scan_names *m = scan_names_new();
  const scan_name *n = NULL;
  size_t count = 9;
  vigie_addr a = v4(0xC612000A), b = v6("2001:2::10"), c = v4(0xC6120014);
  REQUIRE(m != NULL);
  CHECK(scan_names_of(m, &a, &n, &count) == VIGIE_OK && count == 0);
  CHECK(scan_names_add(m, &b, "www.lab.vigie.test", SCAN_NAME_TARGET) == VIGIE_OK);
  CHECK(scan_names_add(m, &a, "web.lab.vigie.test", SCAN_NAME_PTR) == VIGIE_OK);
  CHECK(scan_names_add(m, &a, "WWW.Lab.Vigie.Test.", SCAN_NAME_TARGET) == VIGIE_OK);
  CHECK(scan_names_add(m, &a, "www.lab.vigie.test", SCAN_NAME_TARGET) == VIGIE_OK);
  CHECK(scan_names_add(m, &a, "www.lab.vigie.test", SCAN_NAME_CERT) == VIGIE_OK);
  CHECK(scan_names_add(m, &a, "", SCAN_NAME_TARGET) == VIGIE_EINVAL);
  CHECK(scan_names_add(m, &a, ".", SCAN_NAME_TARGET) == VIGIE_EINVAL);
  CHECK(scan_names_add(m, &a, "x", (scan_name_source)9) == VIGIE_EINVAL);
  /* Changed since the last sort: a lookup would be wrong, so it refuses. */
  CHECK(scan_names_of(m, &a, &n, &count) == VIGIE_EINVAL);
  scan_names_sort(m);
  CHECK(scan_names_count(m) == 4); /* the upper-case twin merged */
  REQUIRE(scan_names_of(m, &a, &n, &count) == VIGIE_OK);
  REQUIRE(count == 3);
  CHECK_STR(n[0].name, "www.lab.vigie.test");
  CHECK(n[0].source == SCAN_NAME_TARGET);
  CHECK_STR(n[1].name, "web.lab.vigie.test");
  CHECK(n[1].source == SCAN_NAME_PTR);
  CHECK(n[2].source == SCAN_NAME_CERT);
  CHECK(scan_names_of(m, &c, &n, &count) == VIGIE_OK && count == 0);
  REQUIRE(scan_names_of(m, &b, &n, &count) == VIGIE_OK && count == 1);
  CHECK(n[0].addr.family == AF_INET6);
  /* Merging keeps both sides, and a sort drops what they share. */
  scan_names *other = scan_names_new();
  REQUIRE(other != NULL);
  CHECK(scan_names_add(other, &c, "db.lab.vigie.test", SCAN_NAME_PTR) == VIGIE_OK);
  CHECK(scan_names_add(other, &a, "web.lab.vigie.test", SCAN_NAME_PTR) == VIGIE_OK);
  CHECK(scan_names_merge(m, other) == VIGIE_OK);
  scan_names_sort(m);
  CHECK(scan_names_count(m) == 5);
  scan_name first;
  REQUIRE(scan_names_at(m, 0, &first));
  CHECK(first.addr.v4 == 0xC612000A); /* IPv4 first, by address */
  REQUIRE(scan_names_at(m, 3, &first));
  CHECK_STR(first.name, "db.lab.vigie.test");
  CHECK(!scan_names_at(m, 5, &first));
  CHECK(scan_names_of(NULL, &a, &n, &count) == VIGIE_OK && count == 0);
  scan_names_free(other);
  scan_names_free(m);
}

TEST(source_text) {
  CHECK_STR(scan_name_source_text(SCAN_NAME_TARGET), "target");
  CHECK_STR(scan_name_source_text(SCAN_NAME_PTR), "ptr");
  CHECK_STR(scan_name_source_text(SCAN_NAME_CERT), "cert");
  CHECK(scan_name_source_text((scan_name_source)0) == NULL);
}

/* ---------------------------------------------------------------- outputs */

static char *file_text(FILE *f) {
  long len = ftell(f);
  char *text = calloc(1, (size_t)len + 1);
  rewind(f);
  if (text != NULL && fread(text, 1, (size_t)len, f) != (size_t)len) text[0] = '\0';
  return text;
}

static scan_names *fx_names(void) {
  scan_names *m = scan_names_new();
  vigie_addr a = v4(0xC612000A);
  scan_names_add(m, &a, "www.lab.vigie.test", SCAN_NAME_TARGET);
  scan_names_add(m, &a, "web.lab.vigie.test", SCAN_NAME_PTR);
  scan_names_add(m, &a, "a\"<&>.example", SCAN_NAME_CERT);
  scan_names_sort(m);
  return m;
}

static const scan_result fx_results[] = {
    {.addr = {.family = AF_INET, .v4 = 0xC612000A},
     .port = 22,
     .state = SCAN_STATE_OPEN,
     .reason = SCAN_REASON_CONNECTED,
     .ttl = 64,
     .time_us = 1795000000000000},
    {.addr = {.family = AF_INET, .v4 = 0xC6120014},
     .port = 22,
     .state = SCAN_STATE_CLOSED,
     .reason = SCAN_REASON_REFUSED,
     .ttl = 64,
     .time_us = 1795000000000000},
};

static scan_meta fx_meta(const scan_names *names) {
  static const scan_stats stats = {.sent = 2, .next_position = 2};
  static uint16_t ports[] = {22};
  static const scan_space space = {.ports = ports, .port_count = 1, .address_count = 2, .range = 2};
  return (scan_meta){.args = "vigie scan www.lab.vigie.test",
                     .mode = SCAN_MODE_CONNECT,
                     .start_us = 1795000000000000,
                     .end_us = 1795000001000000,
                     .space = &space,
                     .stats = &stats,
                     .shard_count = 1,
                     .names = names};
}

static const char *xsd_path(void) {
  static char path[4096];
  const char *dir = getenv("VIGIE_RULES_DIR");
  snprintf(path, sizeof path, "%s/scan.xsd", dir ? dir : "rules");
  return path;
}

TEST(xml_names_round_trip) {
  scan_names *m = fx_names();
  scan_meta meta = fx_meta(m);
  scan_result_source src = scan_source_array(fx_results, 2);
  char path[] = "/tmp/vigie-test-dns-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE *f = fdopen(fd, "w+");
  vigie_error err = {0};
  REQUIRE(scan_output_xml(f, &meta, &src, &err) == VIGIE_OK);
  fflush(f);
  char *text = file_text(f);
  CHECK(strstr(text, "<hostname name=\"www.lab.vigie.test\" source=\"target\"/>") != NULL);
  CHECK(strstr(text, "<hostname name=\"web.lab.vigie.test\" source=\"ptr\"/>") != NULL);
  CHECK(strstr(text, "name=\"a&quot;&lt;&amp;&gt;.example\" source=\"cert\"") != NULL);
  scan_store *store = scan_store_new();
  scan_saved saved = {0};
  CHECKF(scan_input_xml(path, xsd_path(), store, &saved, &err) == VIGIE_OK, "%s", err.msg);
  const scan_name *n = NULL;
  size_t count = 0;
  CHECK(scan_names_of(saved.names, &fx_results[0].addr, &n, &count) == VIGIE_OK && count == 3);
  CHECK(scan_names_of(saved.names, &fx_results[1].addr, &n, &count) == VIGIE_OK && count == 0);
  scan_saved_free(&saved);
  scan_store_free(store);
  free(text);
  fclose(f);
  unlink(path);
  scan_names_free(m);
}

TEST(nmap_and_jsonl_names) {
  scan_names *m = fx_names();
  scan_meta meta = fx_meta(m);
  scan_result_source src = scan_source_array(fx_results, 2);
  FILE *f = tmpfile();
  vigie_error err = {0};
  REQUIRE(f != NULL);
  REQUIRE(scan_output_nmap(f, &meta, &src, &err) == VIGIE_OK);
  char *text = file_text(f);
  CHECK(strstr(text, "<hostname name=\"www.lab.vigie.test\" type=\"user\"/>") != NULL);
  CHECK(strstr(text, "<hostname name=\"web.lab.vigie.test\" type=\"PTR\"/>") != NULL);
  CHECK(strstr(text, "<hostname name=\"a&quot;&lt;&amp;&gt;.example\"/>") != NULL);
  CHECK(strstr(text, "<hostnames></hostnames>") != NULL || strstr(text, "<hostnames/>") != NULL);
  free(text);
  fclose(f);
  f = tmpfile();
  REQUIRE(f != NULL);
  CHECK(scan_output_jsonl_named(f, &fx_results[0], m) == VIGIE_OK);
  CHECK(scan_output_jsonl_named(f, &fx_results[1], m) == VIGIE_OK);
  text = file_text(f);
  CHECK(strstr(text,
               "{\"ip\":\"198.18.0.10\",\"hostnames\":[\"www.lab.vigie.test\","
               "\"web.lab.vigie.test\",\"a\\\"<&>.example\"],\"port\":22") != NULL);
  CHECK(strstr(text, "{\"ip\":\"198.18.0.20\",\"port\":22") != NULL);
  free(text);
  fclose(f);
  /* An unsorted map is a caller's bug: refused, not printed wrong. */
  scan_names_add(m, &fx_results[1].addr, "db.lab.vigie.test", SCAN_NAME_PTR);
  FILE *devnull = fopen("/dev/null", "w");
  CHECK(scan_output_jsonl_named(devnull, &fx_results[0], m) == VIGIE_EINVAL);
  fclose(devnull);
  scan_names_free(m);
}

/* --------------------------------------------------------------- resolver */

typedef struct lookup_result {
  int calls;
  vigie_status status;
  char detail[512];
} lookup_result;

static void on_lookup(void *user, vigie_status status, const char *detail, const char *name,
                      const vigie_addr *addrs, size_t count) {
  lookup_result *r = user;
  (void)name, (void)addrs, (void)count;
  r->calls++;
  r->status = status;
  snprintf(r->detail, sizeof r->detail, "%s", detail);
}

/* A loopback UDP port: bound and never read (a silent server), or closed
 * again (nothing listens: the kernel answers port unreachable). */
static int udp_port(int *fd_out) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
    return -1;
  *fd_out = fd;
  return ntohs(sa.sin_port);
}

static vigie_status lookup_once(int port, unsigned timeout_ms, lookup_result *r, uint64_t *ns) {
  char servers[64];
  scan_dns *dns = NULL;
  vigie_error err = {0};
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  scan_dns_options opt = {.servers = servers, .timeout_ms = timeout_ms, .tries = 2};
  vigie_status status = scan_dns_new(&opt, &dns, &err);
  if (status != VIGIE_OK) return status;
  uint64_t t0 = scan_now_ns();
  status = scan_dns_lookup(dns, "www.lab.vigie.test", on_lookup, r);
  if (status == VIGIE_OK) status = scan_dns_wait(dns, NULL, &err);
  *ns = scan_now_ns() - t0;
  scan_dns_free(dns);
  return status;
}

TEST(silent_server_times_out_in_bound) {
  int fd = -1, port = udp_port(&fd);
  lookup_result r = {0};
  uint64_t ns = 0;
  REQUIRE(port > 0);
  CHECK(lookup_once(port, 200, &r, &ns) == VIGIE_OK);
  CHECK(r.calls == 1);
  CHECKF(r.status == VIGIE_ETIMEOUT, "%s", r.detail);
  CHECKF(strstr(r.detail, "127.0.0.1:") != NULL && strstr(r.detail, "www.lab.vigie.test") != NULL,
         "%s", r.detail);
  /* 2 tries of 200 ms: c-ares alone would take 200 + 400 ms. */
  CHECKF(ns >= 350000000ull && ns < 550000000ull, "%llu ns", (unsigned long long)ns);
  close(fd);
}

TEST(refusing_server_fails_fast) {
  int fd = -1, port = udp_port(&fd);
  lookup_result r = {0};
  uint64_t ns = 0;
  REQUIRE(port > 0);
  close(fd); /* nothing listens there now */
  CHECK(lookup_once(port, 2000, &r, &ns) == VIGIE_OK);
  CHECK(r.calls == 1);
  CHECKF(r.status == VIGIE_ECONNECT, "%s", r.detail);
  CHECKF(strstr(r.detail, "refused") != NULL, "%s", r.detail);
  CHECKF(ns < 1000000000ull, "%llu ns", (unsigned long long)ns);
}

static scan_dns *dns_on(int port, unsigned timeout_ms) {
  char servers[64];
  scan_dns *dns = NULL;
  vigie_error err = {0};
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  scan_dns_options opt = {.servers = servers, .timeout_ms = timeout_ms, .tries = 2};
  return scan_dns_new(&opt, &dns, &err) == VIGIE_OK ? dns : NULL;
}

/* More names than the window (256) on a server that never answers: the
 * first window times out, the rest is never sent, and the error says so. */
TEST(silent_server_batch_gives_up) {
  enum { N = 300 };
  static char text[N][32];
  const char *names[N];
  int fd = -1, port = udp_port(&fd);
  REQUIRE(port > 0);
  for (int i = 0; i < N; i++) {
    snprintf(text[i], sizeof text[i], "n%d.lab.vigie.test", i);
    names[i] = text[i];
  }
  scan_dns *dns = dns_on(port, 100);
  scan_names *map = scan_names_new();
  vigie_error err = {0};
  size_t resolved = 99;
  REQUIRE(dns != NULL && map != NULL);
  uint64_t t0 = scan_now_ns();
  CHECK(scan_dns_resolve_names(dns, names, N, false, map, &resolved, &err) == VIGIE_ETIMEOUT);
  uint64_t ns = scan_now_ns() - t0;
  CHECKF(strstr(err.msg, "cannot resolve 256 of 300 target names (the others not tried)") != NULL,
         "%s", err.msg);
  CHECKF(ns < 400000000ull, "%llu ns", (unsigned long long)ns);
  CHECK(resolved == 0 && scan_names_count(map) == 0);
  scan_names_free(map);
  scan_dns_free(dns);
  close(fd);
}

TEST(reverse_all_on_refusing_server) {
  int fd = -1, port = udp_port(&fd);
  REQUIRE(port > 0);
  close(fd);
  vigie_addr addrs[3] = {v4(0xC612000A), v4(0xC6120014), v6("2001:2::10")};
  scan_dns *dns = dns_on(port, 2000);
  scan_names *map = scan_names_new();
  vigie_error err = {0};
  size_t failed = 0;
  REQUIRE(dns != NULL && map != NULL);
  CHECK(scan_dns_reverse_all(dns, addrs, 3, map, NULL, &failed, &err) == VIGIE_OK);
  CHECK(failed == 3 && scan_names_count(map) == 0);
  volatile sig_atomic_t stop = 1; /* a stop before the start sends nothing */
  CHECK(scan_dns_reverse_all(dns, addrs, 3, map, &stop, &failed, &err) == VIGIE_OK);
  CHECK(failed == 3);
  scan_names_free(map);
  scan_dns_free(dns);
}

TEST(bad_input_refused) {
  scan_dns *dns = NULL;
  vigie_error err = {0};
  scan_dns_options opt = {.servers = "not-an-address"};
  CHECK(scan_dns_new(&opt, &dns, &err) == VIGIE_ESYNTAX && dns == NULL);
  CHECK(strstr(err.msg, "not-an-address") != NULL);
  opt.servers = "127.0.0.1,,127.0.0.2";
  CHECK(scan_dns_new(&opt, &dns, &err) == VIGIE_ESYNTAX && dns == NULL);
  opt.servers = "127.0.0.1:1,[::1]:53";
  REQUIRE(scan_dns_new(&opt, &dns, &err) == VIGIE_OK);
  CHECK_STR(scan_dns_servers(dns), "127.0.0.1:1, ::1");
  lookup_result r = {0};
  CHECK(scan_dns_lookup(dns, "bad name", on_lookup, &r) == VIGIE_ESYNTAX);
  CHECK(scan_dns_lookup(dns, "198.18.0.1", on_lookup, &r) == VIGIE_ESYNTAX);
  vigie_addr none = {0};
  CHECK(scan_dns_reverse(dns, &none, NULL, NULL) == VIGIE_EINVAL);
  CHECK(r.calls == 0);
  /* A query still in flight at free ends once, as cancelled. */
  CHECK(scan_dns_lookup(dns, "www.lab.vigie.test", on_lookup, &r) == VIGIE_OK);
  scan_dns_free(dns);
  CHECK(r.calls == 1 && r.status == VIGIE_ETIMEOUT);
}

int main(void) {
  static const test_case cases[] = {
      TEST_CASE_ENTRY(name_valid),
      TEST_CASE_ENTRY(ptr_names),
      TEST_CASE_ENTRY(status_boundary),
      TEST_CASE_ENTRY(names_map),
      TEST_CASE_ENTRY(source_text),
      TEST_CASE_ENTRY(xml_names_round_trip),
      TEST_CASE_ENTRY(nmap_and_jsonl_names),
      TEST_CASE_ENTRY(silent_server_times_out_in_bound),
      TEST_CASE_ENTRY(refusing_server_fails_fast),
      TEST_CASE_ENTRY(bad_input_refused),
      TEST_CASE_ENTRY(silent_server_batch_gives_up),
      TEST_CASE_ENTRY(reverse_all_on_refusing_server),
  };
  if (scan_dns_library_init() != VIGIE_OK) return 1;
  int rc = test_run(cases, sizeof cases / sizeof cases[0]);
  scan_dns_library_cleanup();
  return rc;
}
