/* The bounded reader and writer of service modules, and the helpers they
 * share: every fetch past the end says SHORT and does not move; limits say
 * BAD; replies, product names and lists parse as the modules expect. */
#include "tests/unit/svc_driver.h"

TEST(integers_in_both_orders) {
  static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  scan_rd r;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  scan_rd_init(&r, b, sizeof b);
  CHECK(scan_rd_u8(&r, &u8) == SCAN_RD_OK && u8 == 1);
  CHECK(scan_rd_u16be(&r, &u16) == SCAN_RD_OK && u16 == 0x0203);
  CHECK(scan_rd_u16le(&r, &u16) == SCAN_RD_OK && u16 == 0x0504);
  CHECK(scan_rd_left(&r) == 2);
  CHECK(scan_rd_u32be(&r, &u32) == SCAN_RD_SHORT && scan_rd_left(&r) == 2); /* did not move */
  CHECK(scan_rd_u16le(&r, &u16) == SCAN_RD_OK && u16 == 0x0706);
  CHECK(scan_rd_u8(&r, &u8) == SCAN_RD_SHORT);
  scan_rd_init(&r, b, sizeof b);
  CHECK(scan_rd_u32le(&r, &u32) == SCAN_RD_OK && u32 == 0x04030201);
  CHECK(scan_rd_u24le(&r, &u32) == SCAN_RD_OK && u32 == 0x070605);
  scan_rd_init(&r, b, sizeof b);
  CHECK(scan_rd_u32be(&r, &u32) == SCAN_RD_OK && u32 == 0x01020304);
}

TEST(bytes_skip_and_sub_readers_stay_inside) {
  static const uint8_t b[] = "abcdefgh";
  scan_rd r, sub;
  const uint8_t *p;
  uint8_t c;
  scan_rd_init(&r, b, 8);
  CHECK(scan_rd_bytes(&r, 9, &p) == SCAN_RD_SHORT && r.off == 0);
  CHECK(scan_rd_bytes(&r, (size_t)-1, &p) == SCAN_RD_SHORT); /* a hostile length cannot wrap */
  CHECK(scan_rd_skip(&r, 2) == SCAN_RD_OK);
  CHECK(scan_rd_sub(&r, 3, &sub) == SCAN_RD_OK && scan_rd_left(&r) == 3);
  CHECK(scan_rd_bytes(&sub, 3, &p) == SCAN_RD_OK && memcmp(p, "cde", 3) == 0);
  CHECK(scan_rd_u8(&sub, &c) == SCAN_RD_SHORT);
  CHECK(scan_rd_sub(&r, 4, &sub) == SCAN_RD_SHORT);
  scan_rd_init(&r, NULL, 5); /* no data is no bytes */
  CHECK(scan_rd_left(&r) == 0 && scan_rd_u8(&r, &c) == SCAN_RD_SHORT);
}

TEST(lines_strings_and_magic) {
  static const uint8_t b[] = "220 ok\r\nno end";
  static const uint8_t z[] = {'a', 'b', 0, 'c'};
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, b, sizeof b - 1);
  CHECK(scan_rd_line(&r, 100, &p, &len) == SCAN_RD_OK && len == 6 && memcmp(p, "220 ok", 6) == 0);
  CHECK(scan_rd_line(&r, 100, &p, &len) == SCAN_RD_SHORT && r.off == 8);
  CHECK(scan_rd_line(&r, 4, &p, &len) == SCAN_RD_BAD); /* no LF within 4 bytes */
  scan_rd_init(&r, z, sizeof z);
  CHECK(scan_rd_cstr(&r, 8, &p, &len) == SCAN_RD_OK && len == 2);
  CHECK(scan_rd_cstr(&r, 8, &p, &len) == SCAN_RD_SHORT);
  scan_rd_init(&r, b, 2);
  CHECK(scan_rd_expect(&r, "220 ", 4) == SCAN_RD_SHORT);
  CHECK(scan_rd_expect(&r, "SSH-", 4) == SCAN_RD_BAD);
  scan_rd_init(&r, b, sizeof b - 1);
  CHECK(scan_rd_expect(&r, "220 ", 4) == SCAN_RD_OK && r.off == 0);
}

TEST(writer_refuses_to_overflow) {
  uint8_t buf[6];
  scan_wr w;
  scan_wr_init(&w, buf, sizeof buf);
  scan_wr_u16be(&w, 0x0102);
  scan_wr_u16le(&w, 0x0304);
  scan_wr_u16be_at(&w, 0, 0x0a0b);
  scan_wr_u32be_at(&w, 2, 0xdeadbeef); /* past what was written: ignored */
  CHECK(!w.over && w.len == 4 && memcmp(buf, "\x0a\x0b\x04\x03", 4) == 0);
  scan_wr_u32le(&w, 1);
  CHECK(w.over && w.len == 4);
  scan_wr_u8(&w, 1); /* once over, always over */
  CHECK(w.over && w.len == 4);
}

static scan_rd_status reply(const char *text, scan_svc_reply *rep) {
  scan_rd r;
  scan_rd_init(&r, text, strlen(text));
  return scan_svc_reply_read(&r, 512, rep);
}

TEST(ftp_and_smtp_replies) {
  scan_svc_reply rep;
  const uint8_t *p;
  size_t len;
  CHECK(reply("220 ready\r\n", &rep) == SCAN_RD_OK && rep.code == 220 && rep.len == 11);
  CHECK(reply("250-a\r\n250-b\r\n250 c\r\nextra", &rep) == SCAN_RD_OK && rep.code == 250 &&
        rep.len == 21);
  CHECK(scan_svc_reply_line(&rep, 1, &p, &len) && len == 1 && *p == 'b');
  CHECK(!scan_svc_reply_line(&rep, 3, &p, &len));
  CHECK(reply("211-x\r\n MDTM\r\n211 End\r\n", &rep) == SCAN_RD_OK);
  CHECK(scan_svc_reply_line(&rep, 1, &p, &len) && len == 5 && memcmp(p, " MDTM", 5) == 0);
  CHECK(reply("250-a\r\n250 ", &rep) == SCAN_RD_SHORT);
  CHECK(reply("22", &rep) == SCAN_RD_SHORT);
  CHECK(reply("2x", &rep) == SCAN_RD_BAD);
  CHECK(reply("SSH-2.0-x\r\n", &rep) == SCAN_RD_BAD);
  CHECK(reply("099 too low\r\n", &rep) == SCAN_RD_BAD);
}

TEST(products_and_lists) {
  static const scan_svc_product table[] = {{"vsFTPd", "vsftpd"}, {"Exim", "Exim"}};
  static const uint8_t banner[] = "220 (vsFTPd 3.0.3)";
  static const uint8_t server[] = "Apache/2.4.57 (Debian)";
  static const uint8_t list[] = " a, b ,,c ";
  char got[512];
  uint8_t state[1];
  scan_facts *facts = scan_facts_new();
  scan_svc_io io = {.facts = facts, .state = state};
  REQUIRE(facts != NULL);
  CHECK(scan_svc_product_from(&io, banner, sizeof banner - 1, table, 2));
  CHECK(scan_svc_product_token(&io, server, sizeof server - 1));
  CHECK(scan_svc_fact_list(&io, "x", list, sizeof list - 1, ','));
  CHECK(!scan_svc_fact_str(&io, "Bad Name", "v"));
  svc_facts_text(facts, got, sizeof got);
  CHECK_STR(got,
            "product=vsftpd\nversion=3.0.3\nproduct=Apache\nversion=2.4.57\ninfo=Debian\nx=a\nx="
            "b\nx=c\n");
  CHECK(scan_svc_find(banner, sizeof banner - 1, "VSFTPD") == banner + 5);
  CHECK(scan_svc_find(banner, 3, "vsFTPd") == NULL);
  scan_facts_free(facts);
}

TEST_MAIN(TEST_CASE_ENTRY(integers_in_both_orders),
          TEST_CASE_ENTRY(bytes_skip_and_sub_readers_stay_inside),
          TEST_CASE_ENTRY(lines_strings_and_magic), TEST_CASE_ENTRY(writer_refuses_to_overflow),
          TEST_CASE_ENTRY(ftp_and_smtp_replies), TEST_CASE_ENTRY(products_and_lists))
