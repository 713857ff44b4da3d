/* Fuzz target: the XML writer on arbitrary bytes must always produce a
 * document libxml2 parses, holding no forbidden character. */
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (mem == NULL) return 0;
  vigie_xmlw *w = vigie_xmlw_new(mem);
  if (w != NULL) {
    vigie_xmlw_declaration(w);
    vigie_xmlw_start(w, "fuzz");
    vigie_xmlw_attr_bytes(w, "value", data, size);
    vigie_xmlw_element_bytes(w, "banner", data, size);
    vigie_xmlw_start(w, "text");
    vigie_xmlw_text_bytes(w, data, size);
    vigie_xmlw_finish(w);
    vigie_xmlw_free(w);
  }
  fclose(mem);
  xmlDocPtr doc = xmlReadMemory(buf, (int)len, "fuzz.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL) abort(); /* the writer produced something that is not XML */
  xmlFreeDoc(doc);
  free(buf);
  return 0;
}
