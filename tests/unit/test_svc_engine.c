/* The service engine against real TCP servers on loopback (svc_servers.py,
 * started here): a client-first and a server-first module written for this
 * test, data probes, TLS found on an odd port, a silent server, one that
 * sends 1 MB of junk, one that closes at once, one that trickles its banner,
 * Ctrl-C, and the deep-look workers. Nothing is mocked: every byte crosses a
 * socket. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "tests/unit/harness.h"
#include "vigie/scanner.h"

/* ------------------------------------------------ modules of this test */

/* pingpong: "PING" answered "PONG <product> <version>". */
static scan_svc_verdict pp_start(scan_svc_io *io) {
  memcpy(io->out, "PING\r\n", 6);
  io->out_len = 6;
  return SCAN_SVC_NEXT;
}

static scan_svc_verdict pp_step(scan_svc_io *io) {
  const char *nl = memchr(io->in, '\n', io->in_len);
  char product[32], version[32];
  if (io->in_len >= 4 && memcmp(io->in, "PONG", io->in_len < 4 ? io->in_len : 4) != 0)
    return SCAN_SVC_NOT_MINE;
  if (nl == NULL) return io->in_full ? SCAN_SVC_NOT_MINE : SCAN_SVC_MORE;
  if (sscanf((const char *)io->in, "PONG %31s %31s", product, version) != 2) return SCAN_SVC_ERROR;
  scan_facts_set(io->facts, "product", product);
  scan_facts_set(io->facts, "version", version);
  return SCAN_SVC_DONE;
}

static const scan_svc_module test_pingpong = {.name = "pingpong",
                                              .ports = NULL,
                                              .server_first = false,
                                              .state_size = 0,
                                              .start = pp_start,
                                              .step = pp_step};

/* hello: a greeting, then QUIT answered BYE; state counts the steps. */
typedef struct hello_state {
  int steps;
} hello_state;

static scan_svc_verdict hello_start(scan_svc_io *io) {
  (void)io;
  return SCAN_SVC_MORE;
}

static scan_svc_verdict hello_step(scan_svc_io *io) {
  hello_state *st = io->state;
  size_t need = st->steps == 0 ? 6 : 3; /* "HELLO ", then "BYE" */
  if (io->in_len < need) return io->in_full ? SCAN_SVC_NOT_MINE : SCAN_SVC_MORE;
  if (st->steps++ == 0) {
    if (memcmp(io->in, "HELLO ", 6) != 0) return SCAN_SVC_NOT_MINE;
    scan_facts_add(io->facts, "hello.greeting", io->in, io->in_len);
    memcpy(io->out, "QUIT\r\n", 6);
    io->out_len = 6;
    return SCAN_SVC_NEXT;
  }
  if (memcmp(io->in, "BYE", 3) != 0) return SCAN_SVC_ERROR;
  scan_facts_set(io->facts, "product", "hellod");
  return SCAN_SVC_DONE;
}

static const scan_svc_module test_hello = {.name = "hello",
                                           .ports = NULL,
                                           .server_first = true,
                                           .state_size = sizeof(hello_state),
                                           .start = hello_start,
                                           .step = hello_step};

/* greedy: takes any banner that starts "220" and then waits for more that
 * never comes: the engine must still let the patterns see that banner. */
static scan_svc_verdict greedy_start(scan_svc_io *io) {
  (void)io;
  return SCAN_SVC_MORE;
}

static scan_svc_verdict greedy_step(scan_svc_io *io) {
  if (io->in_len >= 3 && memcmp(io->in, "220", 3) != 0) return SCAN_SVC_NOT_MINE;
  return io->in_full ? SCAN_SVC_NOT_MINE : SCAN_SVC_MORE;
}

static const scan_svc_module test_greedy = {.name = "greedy",
                                            .ports = NULL,
                                            .server_first = true,
                                            .state_size = 0,
                                            .start = greedy_start,
                                            .step = greedy_step};

/* twice: "ASK" answered "CONN n"; then, on a new connection it asks for
 * (RECONNECT), "AGAIN" answered "CONN m". Its state must carry over. */
typedef struct twice_state {
  int steps;
} twice_state;

static scan_svc_verdict twice_start(scan_svc_io *io) {
  memcpy(io->out, "ASK\r\n", 5);
  io->out_len = 5;
  return SCAN_SVC_NEXT;
}

static scan_svc_verdict twice_step(scan_svc_io *io) {
  twice_state *st = io->state;
  const char *nl = memchr(io->in, '\n', io->in_len);
  if (nl == NULL) return io->in_full ? SCAN_SVC_ERROR : SCAN_SVC_MORE;
  if (io->in_len < 5 || memcmp(io->in, "CONN ", 5) != 0) return SCAN_SVC_NOT_MINE;
  scan_facts_add(io->facts, st->steps == 0 ? "twice.first" : "twice.second", io->in + 5,
                 (size_t)(nl - (const char *)io->in) - 6);
  if (st->steps++ > 0) return SCAN_SVC_DONE;
  scan_facts_set(io->facts, "service", "twice");
  memcpy(io->out, "AGAIN\r\n", 7);
  io->out_len = 7;
  return SCAN_SVC_RECONNECT;
}

static const scan_svc_module test_twice = {.name = "twice",
                                           .ports = NULL,
                                           .server_first = false,
                                           .state_size = sizeof(twice_state),
                                           .start = twice_start,
                                           .step = twice_step};

static const scan_svc_module *const test_modules[] = {&test_pingpong, &test_hello, &test_greedy};

/* Data probes of this test: an HTTP GET and a banner pattern. */
static const char test_probes_xml[] =
    "<probes xmlns=\"urn:vigie:service-probes:1\" version=\"1\">\n"
    "<probe name=\"banner\">\n"
    "<match service=\"ftp\" product=\"\\1\">^220 ([a-z.]+) FTP server ready$</match>\n"
    "</probe>\n"
    "<probe name=\"http-get\" generic=\"true\">\n"
    "<request>GET / HTTP/1.0\\r\\n\\r\\n</request>\n"
    "<match service=\"http\" product=\"\\1\" version=\"\\2\">^Server: ([a-z]+)/([0-9.]+)</match>\n"
    "</probe>\n"
    "</probes>\n";

/* --------------------------------------------------------- the servers */

typedef struct servers {
  pid_t pid;
  FILE *out;
  int in_fd; /* closing it ends the servers */
  uint16_t silent, junk, close, trickle, pingpong, hello, tls_http, twice, mute, once;
} servers;

static uint16_t *servers_slot(servers *s, const char *name) {
  static const char *const names[] = {"silent", "junk",     "close", "trickle", "pingpong",
                                      "hello",  "tls-http", "twice", "mute",    "once"};
  uint16_t *slots[] = {&s->silent, &s->junk,     &s->close, &s->trickle, &s->pingpong,
                       &s->hello,  &s->tls_http, &s->twice, &s->mute,    &s->once};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i], name) == 0) return slots[i];
  return NULL;
}

static bool servers_start(servers *s) {
  int to_child[2], from_child[2];
  char line[128], name[32];
  unsigned port;
  memset(s, 0, sizeof *s);
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return false;
  s->pid = fork();
  if (s->pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    execlp("python3", "python3", VIGIE_TEST_SERVERS, (char *)NULL);
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  s->in_fd = to_child[1];
  s->out = fdopen(from_child[0], "r");
  while (s->out != NULL && fgets(line, sizeof line, s->out) != NULL) {
    if (strncmp(line, "ready", 5) == 0) return true;
    uint16_t *slot;
    if (sscanf(line, "%31s %u", name, &port) == 2 && (slot = servers_slot(s, name)) != NULL)
      *slot = (uint16_t)port;
  }
  return false;
}

static void servers_stop(servers *s) {
  close(s->in_fd);
  if (s->out != NULL) fclose(s->out);
  kill(s->pid, SIGTERM);
  waitpid(s->pid, NULL, 0);
}

/* ------------------------------------------------------------- helpers */

static const vigie_addr loopback = {.family = AF_INET, .v4 = 0x7f000001};

static scan_probes *load_test_probes(void) {
  scan_probes *p = NULL;
  vigie_error err = {0};
  const char *dir = getenv("VIGIE_RULES_DIR");
  char xsd[4096];
  snprintf(xsd, sizeof xsd, "%s/service-probes.xsd", dir ? dir : "rules");
  if (scan_probes_load_memory(test_probes_xml, sizeof test_probes_xml - 1, "test-probes", xsd, &p,
                              &err) != VIGIE_OK)
    printf("# %s\n", vigie_error_text(&err));
  return p;
}

static void test_config(scan_svc_config *cfg, const scan_probes *probes) {
  memset(cfg, 0, sizeof *cfg);
  cfg->modules = test_modules;
  cfg->module_count = 3;
  cfg->probes = probes;
  cfg->connect_timeout_s = 2;
  cfg->read_timeout_s = 2;
  cfg->banner_wait_s = 1.5;
  cfg->port_timeout_s = 10;
}

static const scan_facts *facts_of(scan_services *sv, uint16_t port) {
  return scan_services_find(sv, &loopback, port);
}

/* -------------------------------------------------------------- cases */

static servers srv;
static bool srv_ok;

TEST(modules_and_probes_identify) {
  REQUIRE(srv_ok);
  scan_probes *probes = load_test_probes();
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  REQUIRE(probes != NULL && sv != NULL);
  uint16_t ports[] = {srv.pingpong, srv.hello, srv.trickle, srv.tls_http};
  for (size_t i = 0; i < 4; i++)
    CHECK(scan_services_add(sv, &loopback, ports[i], NULL) == VIGIE_OK);
  test_config(&cfg, probes);
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  CHECK(stats.ports == 4 && stats.done == 4 && !stats.interrupted);
  const scan_facts *f = facts_of(sv, srv.pingpong);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "pingpong");
  CHECK_STR(scan_facts_get(f, "product"), "pingpongd");
  CHECK_STR(scan_facts_get(f, "version"), "1.2");
  CHECK_STR(scan_facts_get(f, "confidence"), "confirmed");
  /* The server-first module was offered the greeting and carried on. */
  f = facts_of(sv, srv.hello);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "hello");
  CHECK_STR(scan_facts_get(f, "product"), "hellod");
  CHECK_STR(scan_facts_get(f, "hello.greeting"), "HELLO hellod 3.1\r\n");
  CHECK_STR(scan_facts_get(f, "banner"), "HELLO hellod 3.1\r\n");
  CHECK_STR(scan_facts_get(f, "confidence"), "confirmed");
  /* One byte every 20 ms: the banner is whole before the pattern runs, and
   * still meets it after the greedy module gave up on it. */
  f = facts_of(sv, srv.trickle);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "ftp");
  CHECK_STR(scan_facts_get(f, "product"), "trickle.test");
  CHECK_STR(scan_facts_get(f, "confidence"), "banner");
  CHECK(scan_facts_get(f, "tls") == NULL);
  /* TLS on an odd port: found by the handshake candidate, then HTTP inside. */
  f = facts_of(sv, srv.tls_http);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "tls"), "true");
  CHECK_STR(scan_facts_get(f, "service"), "http");
  CHECK_STR(scan_facts_get(f, "product"), "tinyhttpd");
  CHECK_STR(scan_facts_get(f, "version"), "2.0");
  CHECK(stats.identified == 4 && stats.tls == 1);
  scan_services_free(sv);
  scan_probes_free(probes);
}

/* Silent, closing at once, 1 MB of junk: done, nothing invented, the junk
 * kept as bytes up to the cap and written safely by every output. */
TEST(hostile_servers) {
  REQUIRE(srv_ok);
  scan_probes *probes = load_test_probes();
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  REQUIRE(probes != NULL && sv != NULL);
  CHECK(scan_services_add(sv, &loopback, srv.silent, NULL) == VIGIE_OK);
  CHECK(scan_services_add(sv, &loopback, srv.close, NULL) == VIGIE_OK);
  CHECK(scan_services_add(sv, &loopback, srv.junk, NULL) == VIGIE_OK);
  test_config(&cfg, probes);
  cfg.port_timeout_s = 6;
  uint64_t t0 = scan_now_ns();
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  CHECK(stats.done == 3 && stats.identified == 0);
  /* Bounded by the port deadline (6 s), with slack for a loaded machine. */
  CHECKF(scan_now_ns() - t0 < 20000000000ull, "%.1f s", (double)(scan_now_ns() - t0) / 1e9);
  CHECK(facts_of(sv, srv.silent) == NULL);
  CHECK(facts_of(sv, srv.close) == NULL);
  const scan_facts *f = facts_of(sv, srv.junk);
  REQUIRE(f != NULL);
  CHECK(scan_facts_get(f, "service") == NULL);
  const char *name, *value;
  size_t len;
  REQUIRE(scan_facts_at(f, 0, &name, &value, &len));
  CHECK_STR(name, "banner");
  CHECK(len == SCAN_SVC_IN_MAX && memcmp(value, "\0\x1b[31m<script>", 14) == 0);
  /* Every output escapes it. */
  scan_result r = {.addr = loopback,
                   .port = srv.junk,
                   .state = SCAN_STATE_OPEN,
                   .reason = SCAN_REASON_CONNECTED,
                   .time_us = 1};
  char *buf = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&buf, &size);
  REQUIRE(mem != NULL);
  CHECK(scan_output_jsonl_facts(mem, &r, NULL, f) == VIGIE_OK);
  fclose(mem);
  CHECK(buf != NULL && strchr(buf, '\n') == buf + size - 1); /* one line */
  CHECK(buf != NULL && strstr(buf, "\\u0000\\u001b[31m<script>") != NULL);
  CHECK(buf != NULL && strstr(buf, "\\ufffd") != NULL);
  free(buf);
  scan_services_free(sv);
  scan_probes_free(probes);
}

static volatile sig_atomic_t stop_now = 1;

TEST(stop_keeps_what_was_found) {
  REQUIRE(srv_ok);
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  REQUIRE(sv != NULL);
  CHECK(scan_services_add(sv, &loopback, srv.silent, NULL) == VIGIE_OK);
  test_config(&cfg, NULL);
  cfg.stop = &stop_now;
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  CHECK(stats.interrupted && stats.done == 0);
  scan_services_free(sv);
}

/* A deep look runs on a worker for TLS ports only, its facts merged. */
static vigie_status deep_mark(const vigie_addr *addr, uint16_t port, const char *host_name,
                              const char *starttls, scan_facts *facts, void *user,
                              vigie_error *err) {
  (void)addr, (void)host_name, (void)err;
  if (starttls != NULL) return VIGIE_EINVAL; /* the TLS port speaks TLS at once */
  int *calls = user;
  __atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);
  char text[16];
  snprintf(text, sizeof text, "%u", port);
  return scan_facts_add_str(facts, "tls.deep_port", text);
}

TEST(deep_workers) {
  REQUIRE(srv_ok);
  scan_probes *probes = load_test_probes();
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  int calls = 0;
  REQUIRE(probes != NULL && sv != NULL);
  CHECK(scan_services_add(sv, &loopback, srv.tls_http, NULL) == VIGIE_OK);
  CHECK(scan_services_add(sv, &loopback, srv.pingpong, NULL) == VIGIE_OK);
  test_config(&cfg, probes);
  cfg.deep = deep_mark, cfg.deep_user = &calls, cfg.threads = 2;
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  CHECK(calls == 1);
  char want[16];
  snprintf(want, sizeof want, "%u", srv.tls_http);
  const scan_facts *f = facts_of(sv, srv.tls_http);
  CHECK(f != NULL && scan_facts_get(f, "tls.deep_port") != NULL &&
        strcmp(scan_facts_get(f, "tls.deep_port"), want) == 0);
  f = facts_of(sv, srv.pingpong);
  CHECK(f != NULL && scan_facts_get(f, "tls.deep_port") == NULL);
  scan_services_free(sv);
  scan_probes_free(probes);
}

/* The greedy module takes the trickled banner and gives up on it: the
 * patterns match it with no second connection. */
TEST(claimed_banner_still_matched) {
  REQUIRE(srv_ok);
  scan_probes *probes = load_test_probes();
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  REQUIRE(probes != NULL && sv != NULL);
  CHECK(scan_services_add(sv, &loopback, srv.trickle, NULL) == VIGIE_OK);
  test_config(&cfg, probes);
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  const scan_facts *f = facts_of(sv, srv.trickle);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "ftp");
  CHECK_STR(scan_facts_get(f, "confidence"), "banner");
  CHECKF(stats.connections == 1, "%llu connections", (unsigned long long)stats.connections);
  scan_services_free(sv);
  scan_probes_free(probes);
}

/* RECONNECT: a second connection, the module's state and facts carried
 * over; with no answer there (silence) or no connection at all (refused),
 * the facts of the first are kept and the port is done. */
TEST(module_reconnects) {
  REQUIRE(srv_ok);
  static const scan_svc_module *const only[] = {&test_twice};
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  REQUIRE(sv != NULL);
  CHECK(scan_services_add(sv, &loopback, srv.twice, NULL) == VIGIE_OK);
  CHECK(scan_services_add(sv, &loopback, srv.mute, NULL) == VIGIE_OK);
  CHECK(scan_services_add(sv, &loopback, srv.once, NULL) == VIGIE_OK);
  test_config(&cfg, NULL);
  cfg.modules = only;
  cfg.module_count = 1;
  uint64_t t0 = scan_now_ns();
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  CHECKF(stats.done == 3 && stats.identified == 3, "%zu done, %zu identified", stats.done,
         stats.identified);
  /* Each port: the plan's TLS handshake first, ASK, then AGAIN (refused on
   * "once", counted all the same). */
  CHECKF(stats.connections == 9, "%llu connections", (unsigned long long)stats.connections);
  const scan_facts *f = facts_of(sv, srv.twice);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "twice");
  CHECK_STR(scan_facts_get(f, "confidence"), "confirmed");
  const char *first = scan_facts_get(f, "twice.first"), *second = scan_facts_get(f, "twice.second");
  REQUIRE(first != NULL && second != NULL);
  CHECKF(strtol(second, NULL, 10) == strtol(first, NULL, 10) + 1, "connections %s then %s", first,
         second);
  f = facts_of(sv, srv.mute);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "twice");
  CHECK(scan_facts_get(f, "twice.first") != NULL);
  CHECK(scan_facts_get(f, "twice.second") == NULL);
  f = facts_of(sv, srv.once);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "service"), "twice");
  CHECK(scan_facts_get(f, "twice.first") != NULL);
  CHECK(scan_facts_get(f, "twice.second") == NULL);
  /* The silent one ends at its read timeout (2 s), not the port's (10 s). */
  CHECKF(scan_now_ns() - t0 < 8000000000ull, "%.1f s", (double)(scan_now_ns() - t0) / 1e9);
  scan_services_free(sv);
}

/* A refused port (nothing listens any more): done at once, no fact. */
TEST(refused_port) {
  REQUIRE(srv_ok);
  scan_services *sv = scan_services_new();
  scan_svc_config cfg;
  scan_svc_stats stats;
  vigie_error err = {0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
  socklen_t len = sizeof sin;
  REQUIRE(sv != NULL && fd >= 0);
  /* A port the kernel just gave and took back: closed. */
  REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
  REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
  close(fd);
  CHECK(scan_services_add(sv, &loopback, ntohs(sin.sin_port), NULL) == VIGIE_OK);
  test_config(&cfg, NULL);
  CHECK(scan_run_services(&cfg, sv, &stats, &err) == VIGIE_OK);
  CHECK(stats.done == 1 && stats.connections == 1 && stats.identified == 0);
  scan_services_free(sv);
}

/* Facts of any bytes survive our scan XML: written (cleaned text and
 * base64), validated, read back byte for byte with the host's name; the
 * nmap XML carries the service as probed. */
TEST(outputs_round_trip) {
  static const char raw[] = "220 \x01<b>&\xff\r\n\0end";
  scan_services *sv = scan_services_new(), *back = scan_services_new();
  scan_store *store = scan_store_new();
  REQUIRE(sv != NULL && back != NULL && store != NULL);
  vigie_addr a = loopback;
  CHECK(scan_services_add(sv, &a, 2121, "ftp.example.test") == VIGIE_OK);
  scan_services_sort(sv);
  scan_facts *f = scan_services_facts(sv, 0);
  CHECK(scan_facts_add(f, "banner", raw, sizeof raw - 1) == VIGIE_OK);
  CHECK(scan_facts_add_str(f, "service", "ftp") == VIGIE_OK);
  CHECK(scan_facts_add_str(f, "product", "vsftpd") == VIGIE_OK);
  CHECK(scan_facts_add_str(f, "tls", "true") == VIGIE_OK);
  scan_result r = {.addr = a,
                   .port = 2121,
                   .state = SCAN_STATE_OPEN,
                   .reason = SCAN_REASON_CONNECTED,
                   .time_us = 1700000000000000};
  scan_result_source src = scan_source_array(&r, 1);
  scan_stats stats = {0};
  scan_names *names = scan_names_new();
  REQUIRE(names != NULL && scan_names_add(names, &a, "ftp.example.test", SCAN_NAME_TARGET) == VIGIE_OK);
  scan_names_sort(names);
  scan_meta meta = {.names = names,
                    .args = "t",
                    .mode = SCAN_MODE_CONNECT,
                    .start_us = r.time_us,
                    .end_us = r.time_us,
                    .stats = &stats,
                    .shard_count = 1,
                    .services = sv};
  char path[] = "/tmp/vigie-svc-XXXXXX", xsd[4096];
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE *out = fdopen(fd, "w");
  vigie_error err = {0};
  CHECK(scan_output_xml(out, &meta, &src, &err) == VIGIE_OK);
  fclose(out);
  const char *dir = getenv("VIGIE_RULES_DIR");
  snprintf(xsd, sizeof xsd, "%s/scan.xsd", dir ? dir : "rules");
  scan_saved saved = {0};
  CHECKF(scan_input_xml_services(path, xsd, store, &saved, back, &err) == VIGIE_OK, "%s",
         vigie_error_text(&err));
  scan_services_sort(back);
  const scan_facts *g = scan_services_find(back, &a, 2121);
  const char *value;
  size_t len;
  REQUIRE(g != NULL && scan_facts_at(g, 0, NULL, &value, &len));
  CHECK(len == sizeof raw - 1 && memcmp(value, raw, len) == 0);
  CHECK_STR(scan_facts_get(g, "product"), "vsftpd");
  const scan_name *got = NULL;
  size_t count = 0;
  scan_names_sort(saved.names);
  CHECK(scan_names_of(saved.names, &a, &got, &count) == VIGIE_OK && count == 1);
  CHECK(count == 1 && strcmp(got[0].name, "ftp.example.test") == 0);
  /* nmap XML: probed, conf 10, tunnel ssl. */
  char *buf = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&buf, &size);
  REQUIRE(mem != NULL);
  CHECK(scan_output_nmap(mem, &meta, &src, &err) == VIGIE_OK);
  fclose(mem);
  CHECK(buf != NULL && strstr(buf,
                              "<service name=\"ftp\" product=\"vsftpd\" tunnel=\"ssl\" "
                              "method=\"probed\" conf=\"10\"/>") != NULL);
  free(buf);
  unlink(path);
  scan_saved_free(&saved);
  scan_store_free(store);
  scan_services_free(sv);
  scan_services_free(back);
  scan_names_free(names);
}

static const test_case cases[] = {TEST_CASE_ENTRY(outputs_round_trip),
                                  TEST_CASE_ENTRY(modules_and_probes_identify),
                                  TEST_CASE_ENTRY(hostile_servers),
                                  TEST_CASE_ENTRY(stop_keeps_what_was_found),
                                  TEST_CASE_ENTRY(deep_workers),
                                  TEST_CASE_ENTRY(refused_port),
                                  TEST_CASE_ENTRY(module_reconnects),
                                  TEST_CASE_ENTRY(claimed_banner_still_matched)};

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  srv_ok = servers_start(&srv);
  if (!srv_ok) printf("# could not start tests/unit/svc_servers.py (python3, openssl)\n");
  int rc = test_run(cases, sizeof cases / sizeof cases[0]);
  if (srv.pid > 0) servers_stop(&srv);
  return rc;
}
