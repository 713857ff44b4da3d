/* Fuzz target: the target parser on one token and on a -iL file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigie/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_tokens(const uint8_t *data, size_t size) {
  char *token = vigie_strndup((const char *)data, size);
  if (token == NULL) return;
  vigie_targets *t = vigie_targets_new();
  vigie_error err;
  if (t != NULL) {
    vigie_targets_set_exclude_reserved(t, (size & 1) != 0);
    (void)vigie_targets_add(t, token, &err);
    (void)vigie_targets_exclude(t, token, &err);
    (void)vigie_targets_add(t, "198.18.0.0/15", &err);
    if (vigie_targets_finalize(t, &err) == VIGIE_OK) {
      vigie_u128 total = vigie_targets_count4(t) + vigie_targets_count6(t);
      vigie_addr a;
      if (total > 0) {
        (void)vigie_targets_at(t, 0, &a);
        (void)vigie_targets_at(t, total - 1, &a);
      }
      if (vigie_targets_at(t, total, &a)) abort(); /* one past the end must fail */
    }
    vigie_targets_free(t);
  }
  vigie_free(token);
}

static void fuzz_file(const uint8_t *data, size_t size) {
  char path[] = "/tmp/vigie-fuzz-targets-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return;
  if (write(fd, data, size) == (ssize_t)size) {
    vigie_targets *t = vigie_targets_new();
    vigie_error err;
    if (t != NULL) {
      (void)vigie_targets_add_file(t, path, &err);
      (void)vigie_targets_exclude_file(t, path, &err);
      (void)vigie_targets_finalize(t, &err);
      vigie_targets_free(t);
    }
  }
  close(fd);
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  fuzz_tokens(data, size);
  fuzz_file(data, size);
  return 0;
}
