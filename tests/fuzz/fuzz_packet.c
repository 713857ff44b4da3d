/* Fuzz target: the parser of captured frames (untrusted network bytes).
 * The first byte picks the link type, the rest is the frame. */
#include <pcap/dlt.h>
#include <stdlib.h>

#include "scanner/scan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                  DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP};
  if (size < 1) return 0;
  int linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
  /* An exact-size copy, so any read past the end is caught by ASan. */
  uint8_t *frame = malloc(size - 1 ? size - 1 : 1);
  if (frame == NULL) return 0;
  for (size_t i = 1; i < size; i++) frame[i - 1] = data[i];
  scan_answer answer;
  scan_parse_status status = scan_packet_parse(frame, size - 1, linktype, &answer);
  if (status == SCAN_PARSE_OK && answer.src.family != answer.dst.family) abort();
  free(frame);
  return 0;
}
