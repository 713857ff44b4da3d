/* The XML reader: valid documents pass, schema and syntax errors name the
 * file and line, and every DOCTYPE trick (billion laughs, XXE, external DTD,
 * parameter entities, a DOCTYPE hidden by UTF-16 or UTF-7) is refused before
 * it can cost memory or reach a file or the network. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "harness.h"
#include "vigie/core.h"

#define DOCTYPE_MSG "DOCTYPE declarations are not allowed in vigie XML"

/* ------------------------------------------------------------- helpers */

typedef struct tmp_file {
  char path[64];
} tmp_file;

/* Write data to a new file /tmp/vigie-xmlr-XXXXXX.xml. */
static bool tmp_write(tmp_file *t, const void *data, size_t len) {
  snprintf(t->path, sizeof t->path, "/tmp/vigie-xmlr-XXXXXX.xml");
  int fd = mkstemps(t->path, 4);
  if (fd < 0) return false;
  bool ok = write(fd, data, len) == (ssize_t)len;
  return close(fd) == 0 && ok;
}

static bool tmp_write_str(tmp_file *t, const char *s) { return tmp_write(t, s, strlen(s)); }

static bool has(const vigie_error *e, const char *needle) { return strstr(e->msg, needle) != NULL; }

/* Whether a message starts with "PATH:LINE: ". */
static bool starts_at(const vigie_error *e, const char *path, int line) {
  char want[128];
  int n = snprintf(want, sizeof want, "%s:%d: ", path, line);
  return n > 0 && strncmp(e->msg, want, (size_t)n) == 0;
}

static const char xsd[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
    "  <xs:element name=\"r\">\n"
    "    <xs:complexType>\n"
    "      <xs:sequence>\n"
    "        <xs:element name=\"a\" type=\"xs:int\" maxOccurs=\"unbounded\"/>\n"
    "      </xs:sequence>\n"
    "      <xs:attribute name=\"version\" type=\"xs:string\" use=\"required\"/>\n"
    "    </xs:complexType>\n"
    "  </xs:element>\n"
    "</xs:schema>\n";

/* Read a document from a temp file, against the XSD above when asked. */
static vigie_status read_doc(const char *text, size_t len, size_t max, bool with_xsd, tmp_file *doc_file,
                             vigie_error *err) {
  tmp_file xsd_file;
  xmlDocPtr doc = NULL;
  vigie_error_clear(err);
  if (!tmp_write(doc_file, text, len) || !tmp_write_str(&xsd_file, xsd)) return VIGIE_EIO;
  vigie_status status = vigie_xml_read_file(doc_file->path, max, with_xsd ? xsd_file.path : NULL, &doc, err);
  if ((status == VIGIE_OK) != (doc != NULL)) status = VIGIE_EINVAL; /* contract broken */
  vigie_xml_doc_free(doc);
  unlink(xsd_file.path);
  return status;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long max_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Each DOCTYPE case: refused with the same status and message, in well
 * under a second and without growing the process. */
static void check_doctype_refused(test_ctx *ctx, const char *label, const void *text, size_t len) {
  tmp_file f;
  vigie_error err;
  long rss = max_rss_kb();
  double t0 = now();
  vigie_status status = read_doc(text, len, 0, true, &f, &err);
  double took = now() - t0;
  CHECKF(status == VIGIE_EXML_DOCTYPE, "%s: status %d: %s", label, status, err.msg);
  CHECKF(err.status == VIGIE_EXML_DOCTYPE, "%s", label);
  CHECKF(has(&err, f.path) && has(&err, DOCTYPE_MSG), "%s: %s", label, err.msg);
  CHECKF(has(&err, "entity expansion and external entities are refused"), "%s", label);
  CHECKF(took < 1.0, "%s took %.2f s", label, took);
  CHECKF(max_rss_kb() - rss < 16 * 1024, "%s grew the process by %ld kB", label, max_rss_kb() - rss);
  unlink(f.path);
}

/* --------------------------------------------------------------- tests */

TEST(valid_document_validates) {
  static const char text[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<r version=\"1\">\n  <a>1</a>\n  <a>-2</a>\n</r>\n";
  tmp_file f, x;
  vigie_error err;
  xmlDocPtr doc = NULL;
  vigie_error_clear(&err);
  REQUIRE(tmp_write_str(&f, text) && tmp_write_str(&x, xsd));
  CHECKF(vigie_xml_read_file(f.path, 0, x.path, &doc, &err) == VIGIE_OK, "%s", err.msg);
  REQUIRE(doc != NULL);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  CHECK(root != NULL && strcmp((const char *)root->name, "r") == 0);
  CHECK(vigie_xml_validate(doc, "again.xml", x.path, &err) == VIGIE_OK);
  CHECK(vigie_xml_validate(doc, NULL, x.path, &err) == VIGIE_OK);
  vigie_xml_doc_free(doc);
  doc = NULL;
  CHECK(vigie_xml_read_memory(text, strlen(text), "mem.xml", x.path, &doc, &err) == VIGIE_OK);
  vigie_xml_doc_free(doc);
  doc = NULL;
  CHECK(vigie_xml_read_memory(text, strlen(text), NULL, NULL, &doc, &err) == VIGIE_OK);
  vigie_xml_doc_free(doc);
  unlink(f.path);
  unlink(x.path);
}

TEST(schema_violations_name_file_and_line) {
  static const struct {
    const char *text;
    int line;
    const char *detail;
  } cases[] = {
      {"<r version=\"1\">\n  <a>1</a>\n  <b>2</b>\n</r>\n", 3, "Element 'b'"},
      {"<r version=\"1\">\n<a>1</a>\n<a>x</a>\n</r>\n", 3, "'x' is not a valid value"},
      {"<r>\n<a>1</a>\n</r>\n", 1, "The attribute 'version' is required"},
      {"<other version=\"1\"/>", 1, "No matching global declaration"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tmp_file f;
    vigie_error err;
    vigie_status status = read_doc(cases[i].text, strlen(cases[i].text), 0, true, &f, &err);
    CHECKF(status == VIGIE_ESCHEMA && err.status == VIGIE_ESCHEMA, "case %zu: %d %s", i, status, err.msg);
    CHECKF(starts_at(&err, f.path, cases[i].line), "%s", err.msg);
    CHECKF(has(&err, cases[i].detail), "%s", err.msg);
    CHECKF(err.msg[strlen(err.msg) - 1] != '\n', "trailing newline in %s", err.msg);
    unlink(f.path);
    /* Without an XSD the same documents are fine. */
    CHECK(read_doc(cases[i].text, strlen(cases[i].text), 0, false, &f, &err) == VIGIE_OK);
    unlink(f.path);
  }
}

/* Line numbers past 65535: neither schema errors nor xmlGetLineNo (which
 * modules use to say where a rule or record is) may stop at 65535. That
 * needs XML_PARSE_BIG_LINES in libxml2 2.9, which then takes an element's
 * line from the text node after it: one line late when the element ends its
 * line, which is close enough to find it. */
TEST(line_numbers_past_65535) {
  const int lines = 70000;
  size_t cap = 32 + (size_t)lines * 10, len = 0;
  char *text = malloc(cap);
  REQUIRE(text != NULL);
  len += (size_t)snprintf(text, cap, "<r version=\"1\">\n");
  for (int i = 0; i < lines; i++) len += (size_t)snprintf(text + len, cap - len, "<a>%d</a>\n", i % 10);
  len += (size_t)snprintf(text + len, cap - len, "<b/>\n</r>\n");
  tmp_file f;
  vigie_error err;
  CHECK(read_doc(text, len, 0, true, &f, &err) == VIGIE_ESCHEMA);
  CHECKF(starts_at(&err, f.path, lines + 2) || starts_at(&err, f.path, lines + 3), "%s", err.msg);
  unlink(f.path);
  xmlDocPtr doc = NULL;
  CHECK(vigie_xml_read_memory(text, len, "big.xml", NULL, &doc, &err) == VIGIE_OK);
  long line = doc != NULL ? xmlGetLineNo(xmlLastElementChild(xmlDocGetRootElement(doc))) : 0;
  CHECKF(line == lines + 2 || line == lines + 3, "line %ld", line);
  vigie_xml_doc_free(doc);
  free(text);
}

TEST(malformed_xml_names_file_and_line) {
  static const struct {
    const char *text;
    int line;
    const char *detail;
  } cases[] = {
      {"<r version=\"1\">\n<a>1\n</r>\n", 3, "Opening and ending tag mismatch"},
      {"<r version=\"1\">\n<a>1</a>\n", 3, "Premature end of data"},
      {"<r>\n\n<a x=1/></r>", 3, "AttValue"},
      {"<r/><r/>", 1, "Extra content"},
      {"<r>&nope;</r>", 1, "Entity 'nope' not defined"},
      {"<r>\x1b</r>", 1, "invalid Char"},
      {"   \n", 2, "Start tag expected"},
      {"<r>\n<x:a/></r>", 2, "Namespace prefix x on a is not defined"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tmp_file f;
    vigie_error err;
    vigie_status status = read_doc(cases[i].text, strlen(cases[i].text), 0, true, &f, &err);
    CHECKF(status == VIGIE_EXML && err.status == VIGIE_EXML, "case %zu: %d %s", i, status, err.msg);
    CHECKF(starts_at(&err, f.path, cases[i].line), "%s", err.msg);
    CHECKF(has(&err, cases[i].detail), "%s", err.msg);
    CHECKF(err.msg[strlen(err.msg) - 1] != '\n', "trailing newline in %s", err.msg);
    unlink(f.path);
  }
}

TEST(billion_laughs_refused) {
  static const char text[] =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
      " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
      " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
      " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
      " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
      " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
      "]>\n"
      "<lolz>&lol9;</lolz>\n";
  check_doctype_refused(ctx, "billion laughs", text, strlen(text));
}

TEST(external_entities_refused) {
  static const char *const cases[] = {
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
      "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"http://198.18.0.1/x.dtd\">\n<r/>",
      "<!DOCTYPE r PUBLIC \"-//x//y\" \"http://198.18.0.1/x.dtd\"><r/>",
      "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://198.18.0.1/x.dtd\"> %p;]><r/>",
      ("<!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\"><!ENTITY % q \"<!ENTITY x '%p;'>\"> %q;]>"
       "<r>&x;</r>"),
      "<r version=\"1\"><a>1</a></r>\n<!DOCTYPE r>",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_doctype_refused(ctx, cases[i], cases[i], strlen(cases[i]));
}

/* The byte scan cannot see a DOCTYPE in UTF-16 or UTF-7: the SAX hook must.
 * A billion-laughs payload shows it is the hook, not the tree check, that
 * refuses it: libxml2 would otherwise fail on the entity loop first. */
TEST(doctype_hidden_by_encoding_refused) {
  static const char ascii[] =
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
      "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
      "<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&e;&e;&e;&e;&e;&e;&e;&e;&x;</r>";
  char utf16[2 * sizeof ascii + 2];
  size_t n = 0;
  utf16[n++] = (char)0xFF, utf16[n++] = (char)0xFE; /* BOM, little-endian */
  for (size_t i = 0; ascii[i] != '\0'; i++) utf16[n++] = ascii[i], utf16[n++] = 0;
  check_doctype_refused(ctx, "UTF-16", utf16, n);
  /* "<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>" with
   * every markup character in UTF-7 base64. */
  static const char utf7[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>"
                             "+ADw-+ACE-DOCTYPE r +AFsAPAAh-ENTITY x SYSTEM +ACI-file:///etc/passwd+ACIAPgBdAD4APA-r+AD4AJg-x+ADsAPA-/r+AD4-";
  check_doctype_refused(ctx, "UTF-7", utf7, strlen(utf7));
}

TEST(size_cap_before_reading) {
  static const char text[] = "<r version=\"1\"><a>1</a><a>2</a><a>3</a></r>\n";
  tmp_file f;
  vigie_error err;
  CHECK(read_doc(text, strlen(text), 16, true, &f, &err) == VIGIE_ETOOBIG);
  CHECK(err.status == VIGIE_ETOOBIG && has(&err, f.path) && has(&err, "over the cap of 16 bytes"));
  unlink(f.path);
  CHECK(read_doc(text, strlen(text), strlen(text), true, &f, &err) == VIGIE_OK); /* exactly the cap */
  unlink(f.path);
  CHECK(read_doc(text, strlen(text), strlen(text) - 1, true, &f, &err) == VIGIE_ETOOBIG);
  unlink(f.path);
  /* Not a regular file: no size to stat, the cap holds while reading. */
  xmlDocPtr doc = NULL;
  CHECK(vigie_xml_read_file("/dev/zero", 4096, NULL, &doc, &err) == VIGIE_ETOOBIG);
  CHECK(doc == NULL && has(&err, "/dev/zero") && has(&err, "cap of 4096 bytes"));
}

TEST(missing_and_empty_files) {
  static const char missing[] = "/tmp/vigie-xmlr-does-not-exist/none.xml";
  vigie_error err;
  xmlDocPtr doc = (xmlDocPtr)&err; /* must be reset to NULL */
  vigie_error_clear(&err);
  CHECK(vigie_xml_read_file(missing, 0, NULL, &doc, &err) == VIGIE_ENOENT);
  CHECK(doc == NULL && err.status == VIGIE_ENOENT && has(&err, missing));
  tmp_file f;
  CHECK(read_doc("", 0, 0, true, &f, &err) == VIGIE_EXML);
  CHECK(err.status == VIGIE_EXML && has(&err, f.path) && has(&err, "empty"));
  unlink(f.path);
  CHECK(vigie_xml_read_file("/tmp", 0, NULL, &doc, &err) == VIGIE_EIO);
  CHECK(has(&err, "/tmp"));
  CHECK(vigie_xml_read_memory(NULL, 0, "nothing.xml", NULL, &doc, &err) == VIGIE_EXML);
  CHECK(has(&err, "nothing.xml"));
  CHECK(vigie_xml_read_file(NULL, 0, NULL, &doc, &err) == VIGIE_EINVAL);
}

/* A broken XSD is a schema error naming the XSD; the XSD itself is read as
 * safely as any document. */
TEST(broken_xsd_names_the_xsd) {
  static const char *const bad_xsd[] = {
      "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n<xs:element name=\"r\">\n</xs:schema>",
      ("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
       "  <xs:element name=\"r\" type=\"xs:nosuch\"/>\n</xs:schema>"),
      "<notaschema/>",
      ("<!DOCTYPE xs:schema [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
       "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>"),
  };
  static const char text[] = "<r version=\"1\"/>";
  for (size_t i = 0; i < sizeof bad_xsd / sizeof bad_xsd[0]; i++) {
    tmp_file f, x;
    vigie_error err;
    xmlDocPtr doc = NULL;
    vigie_error_clear(&err);
    REQUIRE(tmp_write_str(&f, text) && tmp_write_str(&x, bad_xsd[i]));
    vigie_status status = vigie_xml_read_file(f.path, 0, x.path, &doc, &err);
    CHECKF(status == VIGIE_ESCHEMA && err.status == VIGIE_ESCHEMA, "xsd %zu: %d %s", i, status, err.msg);
    CHECKF(has(&err, x.path) && !has(&err, f.path), "xsd %zu: %s", i, err.msg);
    CHECK(doc == NULL);
    unlink(f.path);
    unlink(x.path);
  }
  tmp_file f;
  vigie_error err;
  xmlDocPtr doc = NULL;
  REQUIRE(tmp_write_str(&f, text));
  CHECK(vigie_xml_read_file(f.path, 0, "/tmp/vigie-xmlr-no-such.xsd", &doc, &err) == VIGIE_ENOENT);
  CHECK(has(&err, "/tmp/vigie-xmlr-no-such.xsd"));
  unlink(f.path);
}

TEST_MAIN(TEST_CASE_ENTRY(valid_document_validates), TEST_CASE_ENTRY(schema_violations_name_file_and_line),
          TEST_CASE_ENTRY(line_numbers_past_65535), TEST_CASE_ENTRY(malformed_xml_names_file_and_line),
          TEST_CASE_ENTRY(billion_laughs_refused), TEST_CASE_ENTRY(external_entities_refused),
          TEST_CASE_ENTRY(doctype_hidden_by_encoding_refused), TEST_CASE_ENTRY(size_cap_before_reading),
          TEST_CASE_ENTRY(missing_and_empty_files), TEST_CASE_ENTRY(broken_xsd_names_the_xsd))
