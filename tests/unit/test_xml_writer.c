/* The XML writer against hostile input: every document it writes must be
 * well-formed (xmllint and libxml2 agree), hold the cleaned strings, keep
 * raw bytes in base64 exactly, and never let markup through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "harness.h"
#include "vigie/core.h"

#define FFFD "\xEF\xBF\xBD"

/* ------------------------------------------------------------- helpers */

typedef struct tmp_doc {
  char path[64];
  FILE *f;
  vigie_xmlw *w;
} tmp_doc;

static bool tmp_open(tmp_doc *t) {
  snprintf(t->path, sizeof t->path, "/tmp/vigie-xmlw-XXXXXX");
  t->w = NULL;
  int fd = mkstemp(t->path);
  if (fd < 0) return false;
  t->f = fdopen(fd, "w+");
  if (t->f == NULL) return false;
  t->w = vigie_xmlw_new(t->f);
  return t->w != NULL;
}

/* Finish the document and close the file; the path stays for checks. */
static vigie_status tmp_finish(tmp_doc *t) {
  vigie_status status = vigie_xmlw_finish(t->w);
  vigie_xmlw_free(t->w);
  t->w = NULL;
  if (fclose(t->f) != 0 && status == VIGIE_OK) status = VIGIE_EIO;
  t->f = NULL;
  return status;
}

static void tmp_done(tmp_doc *t) {
  if (t->w != NULL) vigie_xmlw_free(t->w);
  if (t->f != NULL) fclose(t->f);
  unlink(t->path);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf != NULL) buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* \return 1 when xmllint accepts the file, 0 when it refuses it, -1 when
 * xmllint is not installed (the check is then skipped). */
static int xmllint_ok(const char *path) {
  if (system("command -v xmllint >/dev/null 2>&1") != 0) return -1;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
  return system(cmd) == 0 ? 1 : 0;
}

#define CHECK_XMLLINT(path)                                            \
  do {                                                                 \
    int lint_ = xmllint_ok(path);                                      \
    if (lint_ < 0) printf("# xmllint is missing: check skipped\n");    \
    CHECKF(lint_ != 0, "xmllint --noout %s failed", path);             \
  } while (0)

/* The raw file must never carry markup or bytes that came from the input. */
static bool raw_is_inert(const char *raw, size_t len) {
  return memmem(raw, len, "]]>", 3) == NULL && memmem(raw, len, "<script", 7) == NULL &&
         memchr(raw, 0x1b, len) == NULL && memchr(raw, 0, len) == NULL;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* A strict decoder, independent of the encoder under test.
 * \return a malloc'ed buffer and its length, or NULL when s is not base64. */
static unsigned char *b64_decode(const char *s, size_t *out_len) {
  size_t len = strlen(s), o = 0;
  if (len % 4 != 0) return NULL;
  unsigned char *out = malloc(len / 4 * 3 + 1);
  for (size_t i = 0; out != NULL && i < len; i += 4) {
    int v[4];
    for (int k = 0; k < 4; k++) v[k] = s[i + k] == '=' && i + 4 == len && k >= 2 ? 0 : b64_value(s[i + k]);
    if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || (s[i + 2] == '=' && s[i + 3] != '=')) {
      free(out);
      return NULL;
    }
    uint32_t n = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    out[o++] = (unsigned char)(n >> 16);
    if (s[i + 2] != '=') out[o++] = (unsigned char)(n >> 8);
    if (s[i + 3] != '=') out[o++] = (unsigned char)n;
  }
  *out_len = o;
  return out;
}

static xmlNodePtr next_element(xmlNodePtr n) {
  while (n != NULL && n->type != XML_ELEMENT_NODE) n = n->next;
  return n;
}

static char *prop(xmlNodePtr n, const char *name) { return (char *)xmlGetProp(n, (const xmlChar *)name); }

static char *content(xmlNodePtr n) { return (char *)xmlNodeGetContent(n); }

/* --------------------------------------------------------- the vectors */

typedef struct clean_case {
  const char *label;
  const char *in;
  size_t len;
  const char *want;
  bool changed;
} clean_case;

#define CC(label, in, want, changed) {label, in, sizeof(in) - 1, want, changed}
#define SAME(label, in) CC(label, in, in, false)

static const clean_case clean_cases[] = {
    SAME("ascii", "hello"),
    SAME("valid multibyte", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E"),
    SAME("edges of the valid ranges", "\xED\x9F\xBF\xEE\x80\x80" FFFD "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"),
    CC("overlong 2-byte", "a\xC0\xAF" "b", "a" FFFD FFFD "b", true),
    CC("overlong C1 lead", "\xC1\xBF", FFFD FFFD, true),
    CC("overlong 3-byte", "\xE0\x80\xAF", FFFD FFFD FFFD, true),
    CC("overlong 4-byte", "\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD, true),
    CC("high surrogate", "\xED\xA0\x80", FFFD FFFD FFFD, true),
    CC("low surrogate", "x\xED\xBF\xBF", "x" FFFD FFFD FFFD, true),
    CC("above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD, true),
    CC("above U+10FFFF (F5)", "\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD, true),
    CC("old 5-byte form", "\xF8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD, true),
    CC("truncated then ASCII", "\xE2\x82x", FFFD "x", true),
    CC("truncated at the end", "a\xE2\x82", "a" FFFD, true),
    CC("truncated 4-byte at the end", "ok\xF0\x9F\x98", "ok" FFFD, true),
    CC("stray continuation bytes", "\x80\xBFz", FFFD FFFD "z", true),
    CC("FE FF bytes", "\xFE\xFF", FFFD FFFD, true),
    CC("NUL inside", "a\0b", "ab", true),
    CC("ESC sequences", "\x1b[31mred\x1b[0m", "[31mred[0m", true),
    CC("C0 controls", "\x01\x02\x07\x08\x0B\x0C\x0E\x1F" "x\t\n\ry\x7F", "x\t\n\ry\x7F", true),
    CC("U+FFFE and U+FFFF", "a\xEF\xBF\xBE" "b\xEF\xBF\xBF" "c", "abc", true),
    SAME("C1 controls are XML 1.0 chars", "\xC2\x85\xC2\x9F"),
    SAME("CDATA end", "x]]>y"),
    SAME("script", "<script>alert(1)</script>"),
    SAME("quotes and ampersands", "a\"b'c&d<e>f&amp;&#x1b;"),
    SAME("whitespace", "\tx\ny\r\nz\r"),
};
#define N_CLEAN (sizeof clean_cases / sizeof clean_cases[0])

/* --------------------------------------------------------------- tests */

TEST(clean_vectors) {
  for (size_t i = 0; i < N_CLEAN; i++) {
    const clean_case *c = &clean_cases[i];
    bool changed = !c->changed;
    char *got = vigie_xml_clean(c->in, c->len, &changed);
    CHECKF(got != NULL && strcmp(got, c->want) == 0, "%s", c->label);
    CHECKF(changed == c->changed, "%s: changed", c->label);
    vigie_free(got);
  }
  char *empty = vigie_xml_clean(NULL, 0, NULL);
  CHECK(empty != NULL && empty[0] == '\0');
  vigie_free(empty);
}

/* One <s v="IN">IN</s> per vector, through the _bytes calls. */
static void write_vectors(test_ctx *ctx, vigie_xmlw *w) {
  for (size_t i = 0; i < N_CLEAN; i++) {
    const clean_case *c = &clean_cases[i];
    CHECK(vigie_xmlw_start(w, "s") == VIGIE_OK);
    CHECK(vigie_xmlw_attr_bytes(w, "v", c->in, c->len) == VIGIE_OK);
    CHECK(vigie_xmlw_text_bytes(w, c->in, c->len) == VIGIE_OK);
    CHECK(vigie_xmlw_end(w) == VIGIE_OK);
  }
}

static void check_vectors(test_ctx *ctx, xmlNodePtr n) {
  for (size_t i = 0; i < N_CLEAN; i++, n = n->next) {
    n = next_element(n);
    REQUIRE(n != NULL);
    char *v = prop(n, "v"), *text = content(n);
    CHECKF(v != NULL && strcmp(v, clean_cases[i].want) == 0, "attribute of %s", clean_cases[i].label);
    CHECKF(text != NULL && strcmp(text, clean_cases[i].want) == 0, "text of %s", clean_cases[i].label);
    xmlFree(v);
    xmlFree(text);
  }
}

TEST(hostile_strings_round_trip) {
  tmp_doc t;
  REQUIRE(tmp_open(&t));
  CHECK(vigie_xmlw_declaration(t.w) == VIGIE_OK);
  CHECK(vigie_xmlw_start(t.w, "doc") == VIGIE_OK);
  CHECK(vigie_xmlw_attr(t.w, "title", "<script>alert(\"x\")</script> & \x1b[0m") == VIGIE_OK);
  CHECK(vigie_xmlw_attrf(t.w, "n", "%d-%s", 42, "x\x01y") == VIGIE_OK);
  write_vectors(ctx, t.w);
  CHECK(vigie_xmlw_start(t.w, "plain") == VIGIE_OK);
  CHECK(vigie_xmlw_text(t.w, "a]]>b\x1b<script>") == VIGIE_OK);
  CHECK(tmp_finish(&t) == VIGIE_OK);
  CHECK_XMLLINT(t.path);
  size_t len = 0;
  char *raw = read_all(t.path, &len);
  CHECK(raw != NULL && raw_is_inert(raw, len));
  free(raw);
  xmlDocPtr doc = xmlReadFile(t.path, NULL, XML_PARSE_NONET);
  CHECK(doc != NULL);
  if (doc != NULL) {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    char *title = prop(root, "title"), *n = prop(root, "n");
    CHECK_STR(title, "<script>alert(\"x\")</script> & [0m");
    CHECK_STR(n, "42-xy");
    xmlFree(title);
    xmlFree(n);
    check_vectors(ctx, root->children);
    char *plain = content(xmlGetLastChild(root));
    CHECK_STR(plain, "a]]>b<script>");
    xmlFree(plain);
    xmlFreeDoc(doc);
  }
  tmp_done(&t);
}

/* A reproducible 1 MB of noise (xorshift64*, fixed seed). */
static unsigned char *random_bytes(size_t len) {
  unsigned char *buf = malloc(len);
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (size_t i = 0; buf != NULL && i < len; i++) {
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    buf[i] = (unsigned char)((x * 0x2545F4914F6CDD1Du) >> 56);
  }
  return buf;
}

static void check_banner(test_ctx *ctx, xmlNodePtr n, const unsigned char *raw, size_t len) {
  char *b64 = prop(n, "base64"), *text = content(n);
  size_t got_len = 0;
  unsigned char *got = b64 ? b64_decode(b64, &got_len) : NULL;
  CHECK(got != NULL && got_len == len && memcmp(got, raw, len) == 0);
  char *want = vigie_xml_clean(raw, len, NULL);
  CHECK(text != NULL && want != NULL && strcmp(text, want) == 0);
  CHECK(text != NULL && xmlCheckUTF8((const xmlChar *)text));
  vigie_free(want);
  free(got);
  xmlFree(b64);
  xmlFree(text);
}

TEST(banner_1mb_random_bytes) {
  const size_t len = 1u << 20;
  unsigned char *raw = random_bytes(len);
  tmp_doc t;
  REQUIRE(raw != NULL);
  REQUIRE(tmp_open(&t));
  CHECK(vigie_xmlw_start(t.w, "service") == VIGIE_OK);
  CHECK(vigie_xmlw_element_bytes(t.w, "banner", raw, len) == VIGIE_OK);
  CHECK(tmp_finish(&t) == VIGIE_OK);
  CHECK_XMLLINT(t.path);
  size_t file_len = 0;
  char *file = read_all(t.path, &file_len);
  CHECK(file != NULL && raw_is_inert(file, file_len));
  free(file);
  xmlDocPtr doc = xmlReadFile(t.path, NULL, XML_PARSE_NONET);
  CHECK(doc != NULL);
  if (doc != NULL) check_banner(ctx, next_element(xmlDocGetRootElement(doc)->children), raw, len);
  xmlFreeDoc(doc);
  tmp_done(&t);
  free(raw);
}

TEST(element_bytes_small) {
  static const char nul[] = "ab\0cd";
  tmp_doc t;
  REQUIRE(tmp_open(&t));
  CHECK(vigie_xmlw_start(t.w, "r") == VIGIE_OK);
  CHECK(vigie_xmlw_element_bytes(t.w, "nul", nul, 5) == VIGIE_OK);
  CHECK(vigie_xmlw_element_bytes(t.w, "clean", "SSH-2.0-OpenSSH_9.2", 19) == VIGIE_OK);
  CHECK(vigie_xmlw_element_bytes(t.w, "empty", NULL, 0) == VIGIE_OK);
  CHECK(vigie_xmlw_element_bytes(t.w, "1bad", "x", 1) == VIGIE_EINVAL);
  CHECK(vigie_xmlw_element_bytes(t.w, "nodata", NULL, 3) == VIGIE_EINVAL);
  CHECK(tmp_finish(&t) == VIGIE_OK);
  size_t len = 0;
  char *raw = read_all(t.path, &len);
  CHECK_STR(raw, "<r><nul base64=\"YWIAY2Q=\">abcd</nul><clean>SSH-2.0-OpenSSH_9.2</clean><empty/></r>\n");
  free(raw);
  CHECK_XMLLINT(t.path);
  tmp_done(&t);
}

TEST(layout_and_empty_elements) {
  tmp_doc t;
  REQUIRE(tmp_open(&t));
  CHECK(vigie_xmlw_declaration(t.w) == VIGIE_OK);
  CHECK(vigie_xmlw_start(t.w, "r") == VIGIE_OK);
  CHECK(vigie_xmlw_attr(t.w, "a", "1\t2\n3\r\"&<>") == VIGIE_OK);
  CHECK(vigie_xmlw_start(t.w, "e") == VIGIE_OK);
  CHECK(vigie_xmlw_end(t.w) == VIGIE_OK);
  CHECK(vigie_xmlw_start(t.w, "ns:t") == VIGIE_OK);
  CHECK(vigie_xmlw_text(t.w, "x\r\n") == VIGIE_OK);
  CHECK(tmp_finish(&t) == VIGIE_OK); /* closes ns:t and r */
  size_t len = 0;
  char *raw = read_all(t.path, &len);
  CHECK_STR(raw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<r a=\"1&#9;2&#10;3&#13;&quot;&amp;&lt;&gt;\"><e/><ns:t>x&#13;\n</ns:t></r>\n");
  free(raw);
  tmp_done(&t);
}

TEST(names_checked) {
  static const char *const bad[] = {"", "1a", "-a", ".a", ":a", "a:", "a::b", "a:b:c", "a:1",
                                    "a b", "a<b", "a>", "a\"", "caf\xC3\xA9", "a/b", "a=b"};
  static const char *const good[] = {"a", "_a", "A1", "a-b.c_d", "ns:a", "xml_x"};
  tmp_doc t;
  REQUIRE(tmp_open(&t));
  CHECK(vigie_xmlw_start(t.w, NULL) == VIGIE_EINVAL);
  CHECK(vigie_xmlw_start(t.w, "root") == VIGIE_OK);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECKF(vigie_xmlw_attr(t.w, bad[i], "v") == VIGIE_EINVAL, "attribute \"%s\"", bad[i]);
    CHECKF(vigie_xmlw_start(t.w, bad[i]) == VIGIE_EINVAL, "element \"%s\"", bad[i]);
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    CHECKF(vigie_xmlw_attr(t.w, good[i], "v") == VIGIE_OK, "attribute \"%s\"", good[i]);
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    CHECKF(vigie_xmlw_start(t.w, good[i]) == VIGIE_OK, "element \"%s\"", good[i]);
    CHECK(vigie_xmlw_end(t.w) == VIGIE_OK);
  }
  CHECK(tmp_finish(&t) == VIGIE_OK);
  tmp_done(&t);
}

TEST(misuse_refused) {
  tmp_doc t;
  REQUIRE(tmp_open(&t));
  CHECK(vigie_xmlw_end(t.w) == VIGIE_EINVAL);              /* nothing open */
  CHECK(vigie_xmlw_attr(t.w, "a", "1") == VIGIE_EINVAL);   /* no element */
  CHECK(vigie_xmlw_text(t.w, "x") == VIGIE_EINVAL);        /* text outside the root */
  CHECK(vigie_xmlw_start(t.w, "r") == VIGIE_OK);
  CHECK(vigie_xmlw_declaration(t.w) == VIGIE_EINVAL);      /* too late */
  CHECK(vigie_xmlw_attr(t.w, "a", NULL) == VIGIE_EINVAL);
  CHECK(vigie_xmlw_attr_bytes(t.w, "a", NULL, 2) == VIGIE_EINVAL);
  CHECK(vigie_xmlw_text_bytes(t.w, NULL, 2) == VIGIE_EINVAL);
  CHECK(vigie_xmlw_attr(t.w, "a", "1") == VIGIE_OK);
  CHECK(vigie_xmlw_attr(t.w, "a", "2") == VIGIE_EINVAL);   /* duplicate */
  CHECK(vigie_xmlw_text(t.w, "x") == VIGIE_OK);
  CHECK(vigie_xmlw_attr(t.w, "b", "1") == VIGIE_EINVAL);   /* attribute after text */
  CHECK(vigie_xmlw_start(t.w, "c") == VIGIE_OK);
  CHECK(vigie_xmlw_attr(t.w, "a", "1") == VIGIE_OK);       /* same name, other element */
  CHECK(vigie_xmlw_end(t.w) == VIGIE_OK);
  CHECK(vigie_xmlw_attr(t.w, "b", "1") == VIGIE_EINVAL);   /* after a child */
  CHECK(vigie_xmlw_end(t.w) == VIGIE_OK);
  CHECK(vigie_xmlw_end(t.w) == VIGIE_EINVAL);              /* nothing open */
  CHECK(vigie_xmlw_start(t.w, "second") == VIGIE_EINVAL);  /* one root only */
  CHECK(vigie_xmlw_text(t.w, "x") == VIGIE_EINVAL);
  CHECK(tmp_finish(&t) == VIGIE_OK);
  CHECK_XMLLINT(t.path);
  tmp_done(&t);
  tmp_doc e;
  REQUIRE(tmp_open(&e));
  CHECK(vigie_xmlw_finish(e.w) == VIGIE_EINVAL);           /* no root element */
  tmp_done(&e);
  CHECK(vigie_xmlw_new(NULL) == NULL);
}

TEST(depth_capped_at_what_libxml2_reads) {
  tmp_doc t;
  REQUIRE(tmp_open(&t));
  for (int i = 0; i < 256; i++) CHECK(vigie_xmlw_start(t.w, "d") == VIGIE_OK);
  CHECK(vigie_xmlw_start(t.w, "d") == VIGIE_EINVAL);
  CHECK(vigie_xmlw_text(t.w, "deep") == VIGIE_OK);
  CHECK(tmp_finish(&t) == VIGIE_OK);
  CHECK_XMLLINT(t.path);
  tmp_done(&t);
}

TEST(write_error_reported) {
  FILE *f = fopen("/dev/full", "w");
  if (f == NULL) {
    printf("# /dev/full is missing: test skipped\n");
    return;
  }
  vigie_xmlw *w = vigie_xmlw_new(f);
  REQUIRE(w != NULL);
  CHECK(vigie_xmlw_start(w, "r") == VIGIE_OK); /* still in the stdio buffer */
  CHECK(vigie_xmlw_text(w, "x") == VIGIE_OK);
  CHECK(vigie_xmlw_finish(w) == VIGIE_EIO);
  vigie_xmlw_free(w);
  fclose(f);
}

TEST(base64_rfc4648_vectors) {
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
    char *got = vigie_base64_encode(in[i], strlen(in[i]));
    CHECK_STR(got, want[i]);
    vigie_free(got);
  }
  static const unsigned char high[] = {0xFB, 0xFF, 0xBF, 0x00};
  char *got = vigie_base64_encode(high, sizeof high);
  CHECK_STR(got, "+/+/AA==");
  vigie_free(got);
}

TEST_MAIN(TEST_CASE_ENTRY(clean_vectors), TEST_CASE_ENTRY(hostile_strings_round_trip),
          TEST_CASE_ENTRY(banner_1mb_random_bytes), TEST_CASE_ENTRY(element_bytes_small),
          TEST_CASE_ENTRY(layout_and_empty_elements), TEST_CASE_ENTRY(names_checked),
          TEST_CASE_ENTRY(misuse_refused), TEST_CASE_ENTRY(depth_capped_at_what_libxml2_reads),
          TEST_CASE_ENTRY(write_error_reported), TEST_CASE_ENTRY(base64_rfc4648_vectors))
