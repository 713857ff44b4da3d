/* Every status has its own message; vigie_fail keeps the detail. */
#include <string.h>

#include "harness.h"
#include "vigie/core.h"

TEST(every_status_has_a_distinct_message) {
  for (int a = 0; a <= VIGIE_STATUS_LAST; a++) {
    const char *ma = vigie_strerror((vigie_status)a);
    CHECKF(ma != NULL && strcmp(ma, "unknown status") != 0, "status %d has no message", a);
    for (int b = 0; b < a; b++)
      CHECKF(strcmp(ma, vigie_strerror((vigie_status)b)) != 0, "%d and %d share a message", a, b);
  }
  CHECK_STR(vigie_strerror((vigie_status)(VIGIE_STATUS_LAST + 1)), "unknown status");
}

TEST(fail_records_status_and_detail) {
  vigie_error err;
  vigie_error_clear(&err);
  CHECK(err.status == VIGIE_OK);
  CHECK(vigie_fail(&err, VIGIE_ESYNTAX, "target \"%s\": bad", "198.18.0.4/40") == VIGIE_ESYNTAX);
  CHECK(err.status == VIGIE_ESYNTAX);
  CHECK_STR(vigie_error_text(&err), "target \"198.18.0.4/40\": bad");
  CHECK(vigie_fail(NULL, VIGIE_EIO, "ignored") == VIGIE_EIO);
}

TEST(error_text_falls_back_to_strerror) {
  vigie_error err = {VIGIE_ENOMEM, ""};
  CHECK_STR(vigie_error_text(&err), "out of memory");
}

TEST(long_detail_is_truncated_not_overflowed) {
  vigie_error err;
  char big[2 * VIGIE_ERROR_MAX];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  vigie_fail(&err, VIGIE_ETOOBIG, "%s", big);
  CHECK(strlen(err.msg) == VIGIE_ERROR_MAX - 1);
}

TEST_MAIN(TEST_CASE_ENTRY(every_status_has_a_distinct_message),
          TEST_CASE_ENTRY(fail_records_status_and_detail),
          TEST_CASE_ENTRY(error_text_falls_back_to_strerror),
          TEST_CASE_ENTRY(long_detail_is_truncated_not_overflowed))
