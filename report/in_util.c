/* Small readers shared by the input files of rpt_build: attributes and
 * text of documents already validated by their XSD, and a bounded text
 * buffer for evidence, so a hostile 1 MB value makes a short line. */
#include <libxml/tree.h>
#include <string.h>

#include "report/build_int.h"

const char *rpt_in_attr(const xmlNode *node, const char *name) {
  for (const xmlAttr *a = node ? node->properties : NULL; a; a = a->next)
    if (strcmp((const char *)a->name, name) == 0)
      return a->children && a->children->type == XML_TEXT_NODE ? (const char *)a->children->content
                                                                : "";
  return NULL;
}

const xmlNode *rpt_in_child(const xmlNode *node, const char *name) {
  for (const xmlNode *c = node ? node->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) return c;
  return NULL;
}

const char *rpt_in_text(rpt_report *r, const xmlNode *node) {
  const xmlNode *c = node ? node->children : NULL;
  /* the common case: one text node, copied without a temporary */
  if (c && !c->next && c->type == XML_TEXT_NODE) return rpt_model_str(r, (const char *)c->content);
  xmlChar *t = node ? xmlNodeGetContent(node) : NULL;
  const char *s = rpt_model_str(r, t ? (const char *)t : "");
  xmlFree(t);
  return s;
}

void rpt_clip_add(rpt_clip *c, const char *text, size_t len) {
  static const char mark[] = "\xe2\x80\xa6"; /* … */
  if (c->cut) return;
  size_t room = c->cap - 1 - c->len;
  if (len > room) {
    size_t keep = room >= sizeof mark - 1 ? room - (sizeof mark - 1) : 0;
    if (keep > len) keep = len;
    /* back up to the start of a UTF-8 sequence */
    while (keep > 0 && keep < len && ((unsigned char)text[keep] & 0xC0) == 0x80) keep--;
    memcpy(c->buf + c->len, text, keep);
    c->len += keep;
    if (c->len + sizeof mark - 1 <= c->cap - 1) {
      memcpy(c->buf + c->len, mark, sizeof mark - 1);
      c->len += sizeof mark - 1;
    }
    c->cut = true;
  } else {
    memcpy(c->buf + c->len, text, len);
    c->len += len;
  }
  c->buf[c->len] = '\0';
}

void rpt_clip_str(rpt_clip *c, const char *text) { rpt_clip_add(c, text, strlen(text)); }

const char *rpt_basename(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}
