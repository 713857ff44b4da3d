/* Unit tests of core/ports.c (port lists, the port database) and of
 * core/datapath.c, which finds the shipped rules/ports.tsv. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vigie/core.h"

static bool write_temp(char *path, const char *content) {
  int fd;
  size_t len = strlen(content);
  strcpy(path, "/tmp/vigie_test_ports_XXXXXX");
  fd = mkstemp(path);
  if (fd < 0) return false;
  bool ok = write(fd, content, len) == (ssize_t)len;
  close(fd);
  return ok;
}

/* A small database, most common first. */
static vigie_portdb *small_db(void) {
  static const char content[] =
      "# test database\n"
      "80\thttp\n"
      "443\thttps\n"
      "\n"
      "22\tssh   # trailing comment\n"
      "  3389\trdp\r\n"
      "104\tdicom\n";
  char path[64];
  vigie_portdb *db = NULL;
  vigie_error err;
  if (!write_temp(path, content)) return NULL;
  if (vigie_portdb_load(path, &db, &err) != VIGIE_OK) printf("# %s\n", err.msg);
  unlink(path);
  return db;
}

static vigie_status parse(vigie_ports *p, const char *spec, const vigie_portdb *db,
                          vigie_error *err) {
  vigie_ports_clear(p);
  return vigie_ports_parse(p, spec, db, err);
}

TEST(set_has_next) {
  vigie_ports p;
  vigie_ports_clear(&p);
  CHECK(p.count == 0);
  CHECK(vigie_ports_next(&p, 0) == -1);
  vigie_ports_set(&p, 65535);
  vigie_ports_set(&p, 1);
  vigie_ports_set(&p, 64);
  vigie_ports_set(&p, 64);
  CHECK(p.count == 3);
  CHECK(vigie_ports_has(&p, 64) && !vigie_ports_has(&p, 63) && !vigie_ports_has(&p, 0));
  CHECK(vigie_ports_next(&p, 0) == 1);
  CHECK(vigie_ports_next(&p, 2) == 64);
  CHECK(vigie_ports_next(&p, 65) == 65535);
  CHECK(vigie_ports_next(&p, 65535) == 65535);
  CHECK(vigie_ports_next(&p, 65536) == -1);
  CHECK(vigie_ports_next(&p, -1) == -1);
}

TEST(lists_and_ranges) {
  vigie_ports p;
  vigie_error err;
  CHECK(parse(&p, "22,80,1000-2000", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 1003);
  CHECK(vigie_ports_has(&p, 22) && vigie_ports_has(&p, 80) && vigie_ports_has(&p, 1000) &&
        vigie_ports_has(&p, 2000));
  CHECK(!vigie_ports_has(&p, 999) && !vigie_ports_has(&p, 2001) && !vigie_ports_has(&p, 23));
  CHECK(parse(&p, "80,22,80,20-25", NULL, &err) == VIGIE_OK); /* overlaps counted once */
  CHECK(p.count == 7);
  CHECK(parse(&p, "443-443", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 1 && vigie_ports_has(&p, 443));
  CHECK(parse(&p, " 22 , 80 ", NULL, &err) == VIGIE_OK); /* blanks around items */
  CHECK(p.count == 2);
  CHECK(parse(&p, "022", NULL, &err) == VIGIE_OK); /* no octal for ports */
  CHECK(vigie_ports_has(&p, 22));
  /* parsing adds to what the set holds */
  CHECK(vigie_ports_parse(&p, "8080", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 2 && vigie_ports_has(&p, 8080));
}

TEST(open_ranges) {
  vigie_ports p;
  vigie_error err;
  CHECK(parse(&p, "-", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 65535);
  CHECK(!vigie_ports_has(&p, 0) && vigie_ports_has(&p, 1) && vigie_ports_has(&p, 65535));
  CHECK(parse(&p, "-1024", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 1024 && vigie_ports_has(&p, 1) && vigie_ports_has(&p, 1024));
  CHECK(parse(&p, "60000-", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 5536 && vigie_ports_has(&p, 60000) && vigie_ports_has(&p, 65535));
  CHECK(parse(&p, "1-65535", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 65535);
}

TEST(tcp_prefix) {
  vigie_ports p;
  vigie_error err;
  CHECK(parse(&p, "T:22,80", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 2 && vigie_ports_has(&p, 80));
  CHECK(parse(&p, "22,T:80-82,t:443", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 5);
  CHECK(parse(&p, "T:-", NULL, &err) == VIGIE_OK);
  CHECK(p.count == 65535);
}

TEST(names_via_db) {
  vigie_ports p;
  vigie_error err;
  vigie_portdb *db = small_db();
  REQUIRE(db != NULL);
  CHECK(vigie_portdb_size(db) == 5);
  CHECK_STR(vigie_portdb_name(db, 22), "ssh");
  CHECK_STR(vigie_portdb_name(db, 3389), "rdp");
  CHECK(vigie_portdb_name(db, 21) == NULL);
  CHECKF(parse(&p, "http,ssh,8080", db, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(p.count == 3 && vigie_ports_has(&p, 80) && vigie_ports_has(&p, 22));
  CHECK(parse(&p, "HTTPS,T:Dicom", db, &err) == VIGIE_OK); /* names ignore case */
  CHECK(p.count == 2 && vigie_ports_has(&p, 443) && vigie_ports_has(&p, 104));
  vigie_portdb_free(db);
}

TEST(top_ports) {
  vigie_ports p;
  vigie_error err;
  vigie_portdb *db = small_db();
  REQUIRE(db != NULL);
  vigie_ports_clear(&p);
  CHECK(vigie_ports_top(&p, db, 1, &err) == VIGIE_OK);
  CHECK(p.count == 1 && vigie_ports_has(&p, 80));
  vigie_ports_clear(&p);
  CHECK(vigie_ports_top(&p, db, 3, &err) == VIGIE_OK);
  CHECK(p.count == 3 && vigie_ports_has(&p, 22) && !vigie_ports_has(&p, 3389));
  vigie_ports_clear(&p);
  CHECK(vigie_ports_top(&p, db, 5, &err) == VIGIE_OK);
  CHECK(p.count == 5 && vigie_ports_has(&p, 104));
  CHECK(vigie_ports_top(&p, db, 0, &err) == VIGIE_ERANGE);
  CHECKF(strstr(err.msg, "0 is out of range (1-5)") != NULL, "%s", err.msg);
  CHECK(vigie_ports_top(&p, db, 6, &err) == VIGIE_ERANGE);
  CHECKF(strstr(err.msg, "6 is out of range (1-5)") != NULL, "%s", err.msg);
  CHECK(p.count == 5);
  vigie_portdb_free(db);
}

typedef struct bad_case {
  const char *spec;
  const char *quoted; /* the token the message must quote */
  vigie_status status;
} bad_case;

static const bad_case bad_ports[] = {
    {"", "", VIGIE_ESYNTAX},
    {"22,,80", "22,,80", VIGIE_ESYNTAX},
    {",22", ",22", VIGIE_ESYNTAX},
    {"22,", "22,", VIGIE_ESYNTAX},
    {"22, ,80", "22, ,80", VIGIE_ESYNTAX},
    {"0", "0", VIGIE_ERANGE},
    {"22,0-10", "0-10", VIGIE_ERANGE},
    {"65536", "65536", VIGIE_ERANGE},
    {"1-70000", "1-70000", VIGIE_ERANGE},
    {"99999999999999999999", "99999999999999999999", VIGIE_ERANGE},
    {"2000-1000", "2000-1000", VIGIE_ERANGE},
    {"U:53", "U:53", VIGIE_ESYNTAX},
    {"22,S:2905", "S:2905", VIGIE_ESYNTAX},
    {"X:22", "X:22", VIGIE_ESYNTAX},
    {"T:", "T:", VIGIE_ESYNTAX},
    {"22:80", "22:80", VIGIE_ESYNTAX},
    {"22a", "22a", VIGIE_ESYNTAX},
    {"+22", "+22", VIGIE_ESYNTAX},
    {"1-2-3", "1-2-3", VIGIE_ESYNTAX},
    {"80,nosuchservice", "nosuchservice", VIGIE_ESYNTAX},
    {"http*", "http*", VIGIE_ESYNTAX},
    {"[1-1024]", "[1-1024]", VIGIE_ESYNTAX},
    {"22;80", "22;80", VIGIE_ESYNTAX},
    {"0x16", "0x16", VIGIE_ESYNTAX},
};

TEST(malformed_ports) {
  vigie_ports p;
  vigie_error err;
  char quoted[128];
  size_t n = sizeof bad_ports / sizeof bad_ports[0];
  vigie_portdb *db = small_db();
  REQUIRE(db != NULL);
  CHECK(n >= 10);
  for (size_t i = 0; i < n; i++) {
    const bad_case *c = &bad_ports[i];
    vigie_ports_clear(&p);
    vigie_ports_set(&p, 7);
    vigie_error_clear(&err);
    vigie_status status = vigie_ports_parse(&p, c->spec, db, &err);
    CHECKF(status == c->status, "\"%s\": status %d, want %d (%s)", c->spec, (int)status,
           (int)c->status, err.msg);
    snprintf(quoted, sizeof quoted, "\"%s\"", c->quoted);
    CHECKF(strstr(err.msg, quoted) != NULL, "\"%s\": %s", c->spec, err.msg);
    CHECKF(p.count == 1 && vigie_ports_has(&p, 7), "\"%s\": set changed", c->spec);
  }
  vigie_portdb_free(db);
}

TEST(messages_say_why) {
  vigie_ports p;
  vigie_error err;
  CHECK(parse(&p, "U:53", NULL, &err) == VIGIE_ESYNTAX);
  CHECKF(strstr(err.msg, "only TCP") != NULL, "%s", err.msg);
  CHECK(parse(&p, "ssh", NULL, &err) == VIGIE_ESYNTAX); /* no database: no names */
  CHECKF(strstr(err.msg, "\"ssh\"") && strstr(err.msg, "port database"), "%s", err.msg);
  CHECK(parse(&p, "70000", NULL, &err) == VIGIE_ERANGE);
  CHECKF(strstr(err.msg, "1-65535") != NULL, "%s", err.msg);
  CHECK(parse(&p, "22,,80", NULL, &err) == VIGIE_ESYNTAX);
  CHECKF(strstr(err.msg, "empty item") != NULL, "%s", err.msg);
  CHECK(vigie_ports_parse(NULL, "22", NULL, &err) == VIGIE_EINVAL);
  CHECK(vigie_ports_parse(&p, NULL, NULL, &err) == VIGIE_EINVAL);
}

/* Load content as a database and expect a failure at line `line`. */
static bool load_fails(const char *content, vigie_status want, int line, const char *quoted) {
  char path[64], where[96];
  vigie_portdb *db = NULL;
  vigie_error err;
  if (!write_temp(path, content)) return false;
  vigie_status status = vigie_portdb_load(path, &db, &err);
  snprintf(where, sizeof where, "%s:%d: ", path, line);
  bool ok = status == want && db == NULL && strstr(err.msg, where) != NULL &&
            (quoted == NULL || strstr(err.msg, quoted) != NULL);
  if (!ok) printf("# status %d: %s\n", (int)status, err.msg);
  unlink(path);
  vigie_portdb_free(db);
  return ok;
}

TEST(portdb_errors) {
  char path[64];
  vigie_portdb *db = NULL;
  vigie_error err;
  CHECK(load_fails("80\thttp\n70000\tbig\n", VIGIE_ERANGE, 2, "\"70000\""));
  CHECK(load_fails("80\thttp\n0\tzero\n", VIGIE_ERANGE, 2, "\"0\""));
  CHECK(load_fails("80\thttp\n# c\n80\twww\n", VIGIE_ESYNTAX, 3, "first at line 1"));
  CHECK(load_fails("80\thttp\n8080\thttp\n", VIGIE_ESYNTAX, 2, "\"http\""));
  CHECK(load_fails("80\tHTTP\n", VIGIE_ESYNTAX, 1, "\"HTTP\""));
  CHECK(load_fails("80\tweb_server\n", VIGIE_ESYNTAX, 1, "\"web_server\""));
  CHECK(load_fails("80\t8080\n", VIGIE_ESYNTAX, 1, "\"8080\""));
  CHECK(load_fails("80\n", VIGIE_ESYNTAX, 1, "\"80\""));
  CHECK(load_fails("http\t80\n", VIGIE_ESYNTAX, 1, "\"http\t80\""));
  CHECK(load_fails("80\thttp extra\n", VIGIE_ESYNTAX, 1, "\"http extra\""));
  REQUIRE(write_temp(path, "# nothing here\n"));
  CHECK(vigie_portdb_load(path, &db, &err) == VIGIE_ESYNTAX && db == NULL);
  CHECK(strstr(err.msg, "no port listed") != NULL);
  unlink(path);
  CHECK(vigie_portdb_load(path, &db, &err) == VIGIE_ENOENT);
  CHECK(strstr(err.msg, path) != NULL);
}

TEST(data_path) {
  vigie_error err;
  char *path = vigie_data_path("ports.tsv", &err);
  CHECKF(path != NULL, "%s", err.msg);
  if (path != NULL) CHECK(access(path, R_OK) == 0);
  vigie_free(path);
  CHECK(vigie_data_path("no-such-file.tsv", &err) == NULL);
  CHECK(err.status == VIGIE_ENOENT && strstr(err.msg, "no-such-file.tsv") != NULL);
  CHECK(vigie_data_path("../meson.build", &err) == NULL && err.status == VIGIE_EINVAL);
  CHECK(vigie_data_path("ad/../../x", &err) == NULL && err.status == VIGIE_EINVAL);
  CHECK(vigie_data_path("/etc/passwd", &err) == NULL && err.status == VIGIE_EINVAL);
  CHECK(vigie_data_path("", &err) == NULL && err.status == VIGIE_EINVAL);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool valid_name(const char *name) {
  static const char allowed[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  return name != NULL && name[0] >= 'a' && name[0] <= 'z' && strspn(name, allowed) == strlen(name);
}

/* Every name lowercase, starting with a letter, and listed once. */
static int bad_names(const vigie_portdb *db, const vigie_ports *all) {
  const char **names = calloc(65536, sizeof *names);
  size_t n = 0;
  int bad = 0;
  if (names == NULL) return -1;
  for (int port = vigie_ports_next(all, 1); port >= 0; port = vigie_ports_next(all, port + 1)) {
    const char *name = vigie_portdb_name(db, (uint16_t)port);
    if (valid_name(name)) {
      names[n++] = name;
      continue;
    }
    printf("# port %d: bad name \"%s\"\n", port, name ? name : "(null)");
    bad++;
  }
  qsort(names, n, sizeof names[0], cmp_str);
  for (size_t i = 1; i < n; i++) {
    if (strcmp(names[i - 1], names[i]) == 0) {
      printf("# name \"%s\" listed twice\n", names[i]);
      bad++;
    }
  }
  free(names);
  return bad;
}

TEST(shipped_database) {
  vigie_error err;
  vigie_portdb *db = NULL;
  vigie_ports all, top3;
  char *path = vigie_data_path("ports.tsv", &err);
  REQUIRE(path != NULL);
  CHECKF(vigie_portdb_load(path, &db, &err) == VIGIE_OK, "%s", err.msg);
  vigie_free(path);
  REQUIRE(db != NULL);
  size_t size = vigie_portdb_size(db);
  CHECKF(size >= 300, "%zu entries", size);
  vigie_ports_clear(&all);
  CHECK(vigie_ports_top(&all, db, (unsigned)size, &err) == VIGIE_OK);
  CHECKF(all.count == size, "%u distinct ports for %zu entries", all.count, size);
  CHECK(bad_names(db, &all) == 0);
  vigie_ports_clear(&top3);
  CHECK(vigie_ports_top(&top3, db, 3, &err) == VIGIE_OK);
  CHECK(vigie_ports_has(&top3, 80) && vigie_ports_has(&top3, 443) && vigie_ports_has(&top3, 22));
  static const uint16_t must[] = {104, 11112, 2575, 2761, 2762, 4242, 8042, 1433, 5432, 1521, 389,
                                  636, 3268,  3269, 88,   5985, 5986, 5900, 23,   502,  3389, 445};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
    CHECKF(vigie_ports_has(&all, must[i]), "port %u missing", must[i]);
  static const uint16_t udp_only[] = {161, 123, 1900, 47808, 5353};
  for (size_t i = 0; i < sizeof udp_only / sizeof udp_only[0]; i++)
    CHECKF(!vigie_ports_has(&all, udp_only[i]), "UDP-only port %u listed", udp_only[i]);
  vigie_ports p;
  CHECK(parse(&p, "dicom,hl7-mllp,ldaps,rdp,ssh", db, &err) == VIGIE_OK);
  CHECK(p.count == 5 && vigie_ports_has(&p, 104) && vigie_ports_has(&p, 2575));
  vigie_portdb_free(db);
}

TEST_MAIN(TEST_CASE_ENTRY(set_has_next), TEST_CASE_ENTRY(lists_and_ranges),
          TEST_CASE_ENTRY(open_ranges), TEST_CASE_ENTRY(tcp_prefix), TEST_CASE_ENTRY(names_via_db),
          TEST_CASE_ENTRY(top_ports), TEST_CASE_ENTRY(malformed_ports),
          TEST_CASE_ENTRY(messages_say_why), TEST_CASE_ENTRY(portdb_errors),
          TEST_CASE_ENTRY(data_path), TEST_CASE_ENTRY(shipped_database))
