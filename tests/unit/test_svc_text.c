/* Service modules of text protocols (http, ssh, ftp, smtp, imap, pop3,
 * telnet, vnc, redis, hl7): the cases of tests/data/svc/cases.tsv, real
 * captures and constructed answers, fed whole and in fragments, cut at
 * every length, and other protocols' answers refused. */
#include "tests/unit/svc_driver.h"

TEST(text_cases_whole_and_fragmented) { svc_check_group(ctx, "text", false); }
TEST(text_cases_cut_at_every_length) { svc_check_group(ctx, "text", true); }
TEST(text_modules_refuse_other_protocols) { svc_check_not_mine(ctx, "text"); }

/* The first request of each text module, byte for byte where it matters. */
static size_t start_of(const scan_svc_module *m, uint16_t port, const char *host, bool intrusive,
                       uint8_t *out) {
  uint8_t state[256] = {0};
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out,
                    .facts = facts,
                    .state = state,
                    .host_name = host,
                    .port = port,
                    .intrusive = intrusive};
  scan_svc_verdict v = m->start(&io);
  scan_facts_free(facts);
  return v == SCAN_SVC_NEXT ? io.out_len : 0;
}

TEST(http_request_names_the_host) {
  uint8_t out[SCAN_SVC_OUT_MAX];
  size_t n = start_of(&scan_svc_http, 8080, "2001:db8::5", false, out);
  REQUIRE(n > 0);
  out[n < sizeof out ? n : n - 1] = '\0';
  CHECK(strstr((char *)out, "GET / HTTP/1.1\r\nHost: [2001:db8::5]:8080\r\n") == (char *)out);
  CHECK(strstr((char *)out, "Connection: close\r\n\r\n") != NULL);
  n = start_of(&scan_svc_http, 80, NULL, false, out);
  REQUIRE(n > 0);
  out[n] = '\0';
  CHECK(strstr((char *)out, "GET / HTTP/1.0\r\n") == (char *)out &&
        strstr((char *)out, "Host:") == NULL);
  n = start_of(&scan_svc_http, 5985, "dc01", false, out);
  REQUIRE(n > 0);
  CHECK(memcmp(out, "GET /wsman HTTP/1.1\r\nHost: dc01:5985\r\n", 38) == 0);
}

TEST(server_first_modules_send_nothing_first) {
  uint8_t out[SCAN_SVC_OUT_MAX];
  for (size_t i = 0; scan_svc_all[i] != NULL; i++) {
    const scan_svc_module *m = scan_svc_all[i];
    size_t n = start_of(m, m->ports[0], "host", false, out);
    CHECKF(m->server_first ? n == 0 : n > 0, "%s: first request of %zu bytes", m->name, n);
    CHECKF(m->state_size <= 256, "%s: state of %zu bytes", m->name, m->state_size);
    CHECKF(scan_svc_by_name(m->name) == m, "%s: not found by name", m->name);
  }
}

/* Our KEXINIT must be a well-formed binary packet: the length covers the
 * rest, the padding is 4 or more and aligns the packet to 8. */
TEST(ssh_kexinit_is_a_valid_packet) {
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  static const char id[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 22};
  REQUIRE(facts != NULL);
  (void)scan_svc_ssh.start(&io);
  io.in = (const uint8_t *)id, io.in_len = sizeof id - 1;
  REQUIRE(scan_svc_ssh.step(&io) == SCAN_SVC_NEXT);
  REQUIRE(io.out_len > 15 + 6 && memcmp(out, "SSH-2.0-vigie\r\n", 15) == 0);
  const uint8_t *p = out + 15;
  uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  CHECK(len + 4 == io.out_len - 15);
  CHECK(p[4] >= 4 && (len + 4) % 8 == 0);
  CHECK(p[5] == 20);
  scan_facts_free(facts);
}

TEST(ftp_tries_anonymous_only_when_intrusive) {
  svc_answer a[] = {svc_load("ftp-vsftpd-0.bin"), svc_load("ftp-vsftpd-1.bin"),
                    svc_load("ftp-vsftpd-2.bin")};
  svc_spec spec = {"ftp", &scan_svc_ftp, a, 3, SCAN_SVC_DONE, NULL, false, 21, NULL};
  svc_feed feed = {0, SVC_NO_CUT, 0};
  size_t steps;
  scan_facts *facts = scan_facts_new();
  REQUIRE(facts != NULL && a[2].data != NULL);
  CHECK(svc_run(&spec, &feed, facts, &steps) == SCAN_SVC_DONE);
  CHECK(steps == 2 && scan_facts_get(facts, "ftp.anonymous") == NULL);
  scan_facts_free(facts);
}

TEST_MAIN(TEST_CASE_ENTRY(text_cases_whole_and_fragmented),
          TEST_CASE_ENTRY(text_cases_cut_at_every_length),
          TEST_CASE_ENTRY(text_modules_refuse_other_protocols),
          TEST_CASE_ENTRY(http_request_names_the_host),
          TEST_CASE_ENTRY(server_first_modules_send_nothing_first),
          TEST_CASE_ENTRY(ssh_kexinit_is_a_valid_packet),
          TEST_CASE_ENTRY(ftp_tries_anonymous_only_when_intrusive))
