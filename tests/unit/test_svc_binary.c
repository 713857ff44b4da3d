/* Service modules of binary protocols (mysql, postgresql, mssql, mongodb,
 * rdp, smb, ldap, dicom): the cases of tests/data/svc/cases.tsv fed whole,
 * in fragments and cut at every length, other protocols' answers refused,
 * and our own requests checked for the lengths they declare. */
#include "tests/unit/svc_driver.h"

TEST(binary_cases_whole_and_fragmented) { svc_check_group(ctx, "binary", false); }
TEST(binary_cases_cut_at_every_length) { svc_check_group(ctx, "binary", true); }
TEST(binary_modules_refuse_other_protocols) { svc_check_not_mine(ctx, "binary"); }

static size_t request(const scan_svc_module *m, uint8_t *out) {
  uint8_t state[256] = {0};
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = m->ports[0]};
  scan_svc_verdict v = m->start(&io);
  scan_facts_free(facts);
  return v == SCAN_SVC_NEXT ? io.out_len : 0;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

TEST(requests_declare_their_own_length) {
  uint8_t out[SCAN_SVC_OUT_MAX];
  size_t n = request(&scan_svc_postgresql, out);
  CHECK(n == 8 && memcmp(out, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8) == 0); /* SSLRequest */
  n = request(&scan_svc_rdp, out);
  CHECK(n > 11 && out[0] == 3 && (size_t)(out[2] << 8 | out[3]) == n && out[4] == n - 5 &&
        out[5] == 0xe0);
  CHECK(n > 8 && le32(out + n - 4) == 1); /* TLS alone: see svc_rdp.c */
  n = request(&scan_svc_smb, out);
  CHECK(n > 40 && be32(out) == n - 4 && memcmp(out + 4, "\xffSMB\x72", 5) == 0);
  n = request(&scan_svc_mssql, out);
  CHECK(n > 8 && out[0] == 0x12 && (size_t)(out[2] << 8 | out[3]) == n);
  n = request(&scan_svc_mongodb, out);
  CHECK(n > 21 && le32(out) == n && le32(out + 12) == 2013 && le32(out + 21) == n - 21);
  n = request(&scan_svc_dicom, out);
  CHECK(n > 74 && out[0] == 1 && be32(out + 2) == n - 6);
  CHECK(memcmp(out + 10, "ANY-SCP         VIGIE           ", 32) == 0);
  n = request(&scan_svc_hl7, out);
  CHECK(n > 10 && out[0] == 0x0b && out[n - 2] == 0x1c && out[n - 1] == 0x0d);
  CHECK(memcmp(out + 1, "MSH|^~\\&|VIGIE|", 15) == 0);
}

/* The LDAP SearchRequest: nested BER lengths that add up. */
TEST(ldap_request_is_consistent_ber) {
  uint8_t out[SCAN_SVC_OUT_MAX];
  size_t n = request(&scan_svc_ldap, out);
  REQUIRE(n > 40);
  CHECK(out[0] == 0x30 && out[1] == 0x82 && (size_t)(out[2] << 8 | out[3]) == n - 4);
  CHECK(memcmp(out + 4, "\x02\x01\x01\x63\x82", 5) == 0 &&
        (size_t)(out[9] << 8 | out[10]) == n - 11);
  CHECK(memcmp(out + 11, "\x04\x00\x0a\x01\x00", 5) == 0); /* base "", scope base */
}

/* After the SMB1 answer picks SMB 2.???, the SMB2 NEGOTIATE goes out with
 * five dialects and message id 1. */
TEST(smb_upgrades_to_smb2_negotiate) {
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  svc_answer a = svc_load("smb-samba-0.bin");
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 445};
  REQUIRE(facts != NULL && a.data != NULL);
  REQUIRE(scan_svc_smb.start(&io) == SCAN_SVC_NEXT);
  io.in = a.data, io.in_len = a.len;
  REQUIRE(scan_svc_smb.step(&io) == SCAN_SVC_NEXT);
  CHECK(io.out_len > 4 + 64 + 36 && be32(out) == io.out_len - 4 &&
        memcmp(out + 4, "\xfeSMB", 4) == 0);
  CHECK(le32(out + 4 + 24) == 1);                                /* message id */
  CHECK(out[4 + 64 + 2] == 5 && le32(out + 4 + 64 + 28) == 112); /* dialects, context offset */
  /* Picking SMB 2 proves nothing about SMB1: only the SMB1-only offer says. */
  CHECK(scan_facts_get(facts, "smb.v1") == NULL);
  scan_facts_free(facts);
}

/* Runs the SMB conversation of a Samba capture up to its end and returns
 * the last verdict; out then holds the last request. */
static scan_svc_verdict smb_replay(scan_svc_io *io, const char *const *files, size_t n) {
  scan_svc_verdict v = scan_svc_smb.start(io);
  for (size_t i = 0; i < n && v == SCAN_SVC_NEXT; i++) {
    svc_answer a = svc_load(files[i]);
    if (a.data == NULL) return SCAN_SVC_ERROR;
    io->in = a.data, io->in_len = a.len, io->in_full = false, io->out_len = 0;
    v = scan_svc_smb.step(io);
  }
  return v;
}

/* After the SMB 2 exchange, a connection of its own with the SMB1 NEGOTIATE
 * offering NT LM 0.12 alone: byte count 12, one dialect string, mid 0. */
TEST(smb_asks_smb1_alone_on_a_new_connection) {
  static const char *const files[] = {"smb-samba-0.bin", "smb-samba-1.bin", "smb-samba-2.bin"};
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 445};
  REQUIRE(facts != NULL);
  REQUIRE(smb_replay(&io, files, 3) == SCAN_SVC_RECONNECT);
  const uint8_t *h = out + 4;
  CHECK(io.out_len == 4 + 32 + 1 + 2 + 12 && be32(out) == io.out_len - 4);
  CHECK(memcmp(h, "\xffSMB\x72", 5) == 0 && h[32] == 0 && h[33] == 12 && h[34] == 0);
  CHECK(memcmp(h + 35, "\x02NT LM 0.12\0", 12) == 0);
  CHECK(h[30] == 0 && h[31] == 0); /* message id */
  CHECK(scan_facts_get(facts, "smb.v1") == NULL);
  scan_facts_free(facts);
}

/* On 139 the new connection starts with its own NetBIOS session request;
 * the SMB1-only NEGOTIATE follows the positive answer. */
TEST(smb_on_139_asks_smb1_alone_after_a_new_session) {
  static const char *const files[] = {"smb-samba139-0.bin", "smb-samba139-1.bin",
                                      "smb-samba139-2.bin", "smb-samba139-3.bin"};
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 139};
  REQUIRE(facts != NULL);
  REQUIRE(smb_replay(&io, files, 4) == SCAN_SVC_RECONNECT);
  CHECK(io.out_len == 72 && be32(out) == (0x81u << 24 | 68));
  svc_answer a = svc_load("smb-samba139-0.bin");
  REQUIRE(a.data != NULL);
  io.in = a.data, io.in_len = a.len, io.out_len = 0;
  REQUIRE(scan_svc_smb.step(&io) == SCAN_SVC_NEXT);
  CHECK(io.out_len == 4 + 32 + 1 + 2 + 12 && memcmp(out + 4 + 35, "\x02NT LM 0.12\0", 12) == 0);
  scan_facts_free(facts);
}

/* On 139, the NetBIOS session request comes first: 68 bytes calling
 * "*SMBSERVER" (suffix 0x20), first-level encoded ([RFC 1001] 14.1). */
TEST(smb_on_139_asks_for_a_netbios_session) {
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 139};
  REQUIRE(facts != NULL);
  REQUIRE(scan_svc_smb.start(&io) == SCAN_SVC_NEXT);
  CHECK(io.out_len == 72 && be32(out) == (0x81u << 24 | 68));
  CHECK(out[4] == 32 && memcmp(out + 5, "CKFDENECFDEFFCFGEFFCCACACACACACA", 32) == 0 && out[37] == 0);
  scan_facts_free(facts);
}

/* After the SMB2 NEGOTIATE response, the SESSION_SETUP: message id 2, its
 * security buffer where it says, holding an NTLMSSP NEGOTIATE_MESSAGE that
 * asks for the server's VERSION and carries no name and no credential. */
TEST(smb_session_setup_carries_ntlmssp_negotiate) {
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  svc_answer a0 = svc_load("smb-windows-0.bin"), a1 = svc_load("smb-windows-1.bin");
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 445};
  REQUIRE(facts != NULL && a0.data != NULL && a1.data != NULL);
  REQUIRE(scan_svc_smb.start(&io) == SCAN_SVC_NEXT);
  io.in = a0.data, io.in_len = a0.len;
  REQUIRE(scan_svc_smb.step(&io) == SCAN_SVC_NEXT);
  io.in = a1.data, io.in_len = a1.len;
  REQUIRE(scan_svc_smb.step(&io) == SCAN_SVC_NEXT);
  const uint8_t *h = out + 4, *sec = h + 88;
  CHECK(io.out_len == 4 + 64 + 24 + 40 && be32(out) == io.out_len - 4);
  CHECK(memcmp(h, "\xfeSMB", 4) == 0 && h[12] == 1 && le32(h + 24) == 2); /* SESSION_SETUP, mid 2 */
  CHECK(h[64] == 25 && h[64 + 12] == 88 && h[64 + 14] == 40);
  CHECK(memcmp(sec, "NTLMSSP\0\x01\0\0\0", 12) == 0 && (le32(sec + 12) & 0x02000000u));
  for (size_t i = 16; i < 32; i++) CHECK(sec[i] == 0); /* no domain, no workstation */
  scan_facts_free(facts);
}

/* A server that picks NT LM 0.12 and offers extended security gets the
 * same NTLMSSP NEGOTIATE_MESSAGE in an SMB1 SESSION_SETUP_ANDX: twelve
 * words, the blob right after ByteCount, two empty Unicode strings. */
TEST(smb1_session_setup_carries_ntlmssp_negotiate) {
  uint8_t out[SCAN_SVC_OUT_MAX], state[16] = {0};
  svc_answer a0 = svc_load("smb-w2003-0.bin");
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.out = out, .facts = facts, .state = state, .port = 445};
  REQUIRE(facts != NULL && a0.data != NULL);
  REQUIRE(scan_svc_smb.start(&io) == SCAN_SVC_NEXT);
  io.in = a0.data, io.in_len = a0.len;
  REQUIRE(scan_svc_smb.step(&io) == SCAN_SVC_NEXT);
  const uint8_t *h = out + 4;
  CHECK(io.out_len == 4 + 32 + 1 + 24 + 2 + 45 && be32(out) == io.out_len - 4);
  CHECK(memcmp(h, "\xffSMB\x73", 5) == 0 && h[32] == 12 && h[33] == 0xff);
  CHECK(h[33 + 14] == 40 && h[33 + 24] == 45); /* blob length, byte count */
  CHECK(memcmp(h + 59, "NTLMSSP\0\x01\0\0\0", 12) == 0);
  scan_facts_free(facts);
}

TEST_MAIN(TEST_CASE_ENTRY(binary_cases_whole_and_fragmented),
          TEST_CASE_ENTRY(binary_cases_cut_at_every_length),
          TEST_CASE_ENTRY(binary_modules_refuse_other_protocols),
          TEST_CASE_ENTRY(requests_declare_their_own_length),
          TEST_CASE_ENTRY(ldap_request_is_consistent_ber),
          TEST_CASE_ENTRY(smb_upgrades_to_smb2_negotiate),
          TEST_CASE_ENTRY(smb_asks_smb1_alone_on_a_new_connection),
          TEST_CASE_ENTRY(smb_on_139_asks_smb1_alone_after_a_new_session),
          TEST_CASE_ENTRY(smb_on_139_asks_for_a_netbios_session),
          TEST_CASE_ENTRY(smb_session_setup_carries_ntlmssp_negotiate),
          TEST_CASE_ENTRY(smb1_session_setup_carries_ntlmssp_negotiate))
