/* The XML reader: vigie's own formats only (rules, results, reports).
 *
 * libxml2 2.9 has no XML_PARSE_NO_XXE, so safety comes from refusing what our
 * formats never contain: any DOCTYPE is refused three times over (a byte scan
 * before parsing, a SAX hook that stops the parser at the DOCTYPE whatever the
 * encoding, and a look at the parsed tree), so no entity is ever declared,
 * expanded or fetched. Files are capped before they are read, the network is
 * off, and XSDs are read through this same reader rather than by libxml2's
 * schema loader, which parses them with XML_PARSE_NOENT. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "vigie/core.h"

/* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE (DESIGN.md, XML).
 * BIG_LINES only lets xmlGetLineNo go past line 65535 (modules name the
 * line of a rule or record in their messages). */
#define XR_PARSE_OPTIONS \
  (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES)

#define XR_DOCTYPE_MSG \
  "DOCTYPE declarations are not allowed in vigie XML (entity expansion and external entities are refused)"

/* libxml2 2.12 made error pointers const in callbacks. */
#if LIBXML_VERSION >= 21200
typedef const xmlError xr_xml_error;
#else
typedef xmlError xr_xml_error;
#endif

/* ---------------------------------------------------------------- files */

static vigie_status xr_open_error(const char *path, int e, vigie_error *err) {
  if (e == ENOENT || e == ENOTDIR) return vigie_fail(err, VIGIE_ENOENT, "%s: no such file", path);
  if (e == EACCES || e == EPERM)
    return vigie_fail(err, VIGIE_EPERM, "%s: permission denied", path);
  return vigie_fail(err, VIGIE_EIO, "%s: cannot open: %s", path, strerror(e));
}

static vigie_status xr_too_big(const char *path, uintmax_t size, size_t max, vigie_error *err) {
  if (size > 0)
    return vigie_fail(err, VIGIE_ETOOBIG, "%s: %ju bytes, over the cap of %zu bytes", path, size, max);
  return vigie_fail(err, VIGIE_ETOOBIG, "%s: file is larger than the cap of %zu bytes", path, max);
}

/* Read at most max bytes of fd into a new buffer. The stat check came first,
 * but the file may grow or not be a regular file, so the cap holds here too:
 * reading max + 1 bytes proves the file is too big. */
static vigie_status xr_read_fd(int fd, const char *path, size_t max, size_t hint, char **out,
                               size_t *out_len, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  size_t cap = (hint < max ? hint : max) + 1, len = 0;
  char *buf = vigie_malloc(cap);
  if (buf == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
  for (;;) {
    if (len == cap) {
      size_t grown = cap <= (max + 1) / 2 ? cap * 2 : max + 1;
      char *bigger = vigie_realloc(buf, grown);
      if (bigger == NULL) {
        status = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
        goto done;
      }
      buf = bigger, cap = grown;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = vigie_fail(err, VIGIE_EIO, "%s: read error: %s", path, strerror(errno));
      goto done;
    }
    if (n == 0) break;
    len += (size_t)n;
    if (len > max) {
      status = xr_too_big(path, 0, max, err);
      goto done;
    }
  }
  *out = buf, *out_len = len, buf = NULL;
done:
  vigie_free(buf);
  return status;
}

static vigie_status xr_slurp(const char *path, size_t max, char **out, size_t *len, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return xr_open_error(path, errno, err);
  if (fstat(fd, &st) != 0) {
    status = vigie_fail(err, VIGIE_EIO, "%s: cannot stat: %s", path, strerror(errno));
    goto done;
  }
  if (S_ISDIR(st.st_mode)) {
    status = vigie_fail(err, VIGIE_EIO, "%s: is a directory, not an XML file", path);
    goto done;
  }
  /* Refuse an oversized file before allocating anything for it. */
  if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
    status = xr_too_big(path, (uintmax_t)st.st_size, max, err);
    goto done;
  }
  status = xr_read_fd(fd, path, max, S_ISREG(st.st_mode) ? (size_t)st.st_size : 4096, out, len, err);
done:
  close(fd);
  return status;
}

/* -------------------------------------------------------------- parsing */

static vigie_status xr_doctype_refused(const char *name, vigie_error *err) {
  return vigie_fail(err, VIGIE_EXML_DOCTYPE, "%s: " XR_DOCTYPE_MSG, name);
}

/* libxml2 messages end with a newline; messages of ours do not. */
static int xr_trimmed_len(const char *msg) {
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' ')) n--;
  return n > INT_MAX ? INT_MAX : (int)n;
}

/* "NAME:LINE: message", or "NAME: message" when libxml2 knows no line. */
static vigie_status xr_fail_at(vigie_error *err, vigie_status status, const char *name, int line,
                               const char *msg) {
  if (line > 0) return vigie_fail(err, status, "%s:%d: %.*s", name, line, xr_trimmed_len(msg), msg);
  return vigie_fail(err, status, "%s: %.*s", name, xr_trimmed_len(msg), msg);
}

/* Per-context error capture: the first error (warnings ignored), with the
 * name we want in the message rather than libxml2's idea of the URL. The
 * first error is the one to show: libxml2 goes on after a fatal error and its
 * last one is often a consequence ("Premature end of data"). */
typedef struct xr_capture {
  const char *name;
  vigie_status status; /* what a captured error means */
  vigie_error first;
  bool have;
} xr_capture;

static void xr_capture_error(void *user, xr_xml_error *e) {
  xr_capture *cap = user;
  if (cap->have || e == NULL || e->level < XML_ERR_ERROR) return;
  cap->have = true;
  xr_fail_at(&cap->first, cap->status, cap->name, e->line, e->message ? e->message : "error");
}

/* What one parse learns through its SAX hooks; the parser context's
 * _private points to it, so nothing is global. */
typedef struct xr_parse_state {
  bool doctype;
  xr_capture cap;
} xr_parse_state;

/* The SAX internalSubset event comes as soon as "<!DOCTYPE name ...>" is
 * read, before any entity declaration of the internal subset is parsed. It
 * sees decoded characters, so it also catches a DOCTYPE hidden from the byte
 * scan by UTF-16 or UTF-7. ctx is the parser context. */
static void xr_refuse_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                             const xmlChar *system_id) {
  (void)name, (void)external_id, (void)system_id;
  xmlParserCtxtPtr ctxt = ctx;
  xr_parse_state *st = ctxt->_private;
  st->doctype = true;
  xmlStopParser(ctxt);
}

/* The structured error hook of the parser context (ctx is the context). */
static void xr_parse_error_hook(void *ctx, xr_xml_error *e) {
  xmlParserCtxtPtr ctxt = ctx;
  xr_parse_state *st = ctxt->_private;
  xr_capture_error(&st->cap, e);
}

static vigie_status xr_parse_error(xmlParserCtxtPtr ctxt, const xr_parse_state *st, vigie_error *err) {
  if (st->cap.have) return vigie_fail(err, VIGIE_EXML, "%s", st->cap.first.msg);
  xr_xml_error *e = xmlCtxtGetLastError(ctxt);
  if (e == NULL || e->message == NULL)
    return vigie_fail(err, VIGIE_EXML, "%s: not well-formed XML", st->cap.name);
  return xr_fail_at(err, VIGIE_EXML, st->cap.name, e->line, e->message);
}

static vigie_status xr_parse(const char *data, size_t len, const char *name, xmlDocPtr *out,
                             vigie_error *err) {
  vigie_status status = VIGIE_OK;
  xr_parse_state st = {.cap = {.name = name, .status = VIGIE_EXML}};
  xmlDocPtr doc = NULL;
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == NULL || ctxt->sax == NULL) {
    status = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
    goto done;
  }
  ctxt->sax->internalSubset = xr_refuse_subset;
  ctxt->sax->serror = xr_parse_error_hook;
  ctxt->_private = &st;
  doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL, XR_PARSE_OPTIONS);
  if (st.doctype || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL)))
    status = xr_doctype_refused(name, err);
  else if (doc == NULL || st.cap.have) /* an error libxml2 recovers from, as an undeclared prefix */
    status = xr_parse_error(ctxt, &st, err);
  if (status == VIGIE_OK) *out = doc, doc = NULL;
done:
  if (doc != NULL) xmlFreeDoc(doc);
  if (ctxt != NULL) xmlFreeParserCtxt(ctxt);
  return status;
}

/* Checks that need no parser: an empty file gets a clearer message than
 * libxml2's, and a DOCTYPE is refused before libxml2 sees a byte of it. Our
 * formats never contain the string "<!DOCTYPE", not even in text (the writer
 * escapes '<'), so a plain search has no false positive. */
static vigie_status xr_precheck(const char *data, size_t len, const char *name, vigie_error *err) {
  if (len == 0) return vigie_fail(err, VIGIE_EXML, "%s:1: document is empty", name);
  if (len > INT_MAX) return vigie_fail(err, VIGIE_ETOOBIG, "%s: over %d bytes", name, INT_MAX);
  if (memmem(data, len, "<!DOCTYPE", 9) != NULL) return xr_doctype_refused(name, err);
  return VIGIE_OK;
}

vigie_status vigie_xml_read_memory(const char *data, size_t len, const char *name,
                                   const char *xsd_path, struct _xmlDoc **out, vigie_error *err) {
  xmlDocPtr doc = NULL;
  if (out == NULL || (data == NULL && len > 0))
    return vigie_fail(err, VIGIE_EINVAL, "vigie_xml_read_memory: no buffer or no result pointer");
  *out = NULL;
  if (name == NULL) name = "(memory)";
  xmlInitParser();
  vigie_status status = xr_precheck(data, len, name, err);
  if (status == VIGIE_OK) status = xr_parse(data, len, name, &doc, err);
  if (status == VIGIE_OK && xsd_path != NULL) status = vigie_xml_validate(doc, name, xsd_path, err);
  if (status == VIGIE_OK) *out = doc, doc = NULL;
  if (doc != NULL) xmlFreeDoc(doc);
  return status;
}

vigie_status vigie_xml_read_file(const char *path, size_t max_bytes, const char *xsd_path,
                                 struct _xmlDoc **out, vigie_error *err) {
  char *data = NULL;
  size_t len = 0;
  if (path == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_xml_read_file: no path or no result pointer");
  *out = NULL;
  if (max_bytes == 0) max_bytes = VIGIE_XML_MAX_DEFAULT;
  /* libxml2 takes an int length. */
  if (max_bytes > INT_MAX) max_bytes = INT_MAX;
  vigie_status status = xr_slurp(path, max_bytes, &data, &len, err);
  if (status == VIGIE_OK) status = vigie_xml_read_memory(data, len, path, xsd_path, out, err);
  vigie_free(data);
  return status;
}

void vigie_xml_doc_free(struct _xmlDoc *doc) {
  if (doc != NULL) xmlFreeDoc(doc);
}

/* ----------------------------------------------------------- validation */

static vigie_status xr_captured(const xr_capture *cap, vigie_error *err, const char *fallback) {
  if (cap->have) return vigie_fail(err, VIGIE_ESCHEMA, "%s", cap->first.msg);
  return vigie_fail(err, VIGIE_ESCHEMA, "%s: %s", cap->name, fallback);
}

/* Read the XSD through our own reader (no DOCTYPE, no network, size cap);
 * a malformed XSD is a schema error of the XSD, not of the document. */
static vigie_status xr_load_xsd_doc(const char *xsd_path, xmlDocPtr *out, vigie_error *err) {
  vigie_status status = vigie_xml_read_file(xsd_path, 0, NULL, out, err);
  if (status == VIGIE_EXML || status == VIGIE_EXML_DOCTYPE) {
    status = VIGIE_ESCHEMA;
    if (err != NULL) err->status = status;
  }
  return status;
}

static vigie_status xr_compile_schema(xmlDocPtr xsd_doc, const char *xsd_path, xmlSchemaPtr *out,
                                      vigie_error *err) {
  xr_capture cap = {.name = xsd_path, .status = VIGIE_ESCHEMA};
  xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewDocParserCtxt(xsd_doc);
  if (pctxt == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", xsd_path);
  xmlSchemaSetParserStructuredErrors(pctxt, xr_capture_error, &cap);
  *out = xmlSchemaParse(pctxt);
  xmlSchemaFreeParserCtxt(pctxt);
  if (*out == NULL) return xr_captured(&cap, err, "not a usable XML schema");
  return VIGIE_OK;
}

static vigie_status xr_run_schema(xmlSchemaPtr schema, xmlDocPtr doc, const char *name,
                                  vigie_error *err) {
  xr_capture cap = {.name = name, .status = VIGIE_ESCHEMA};
  xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt(schema);
  if (vctxt == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  xmlSchemaSetValidStructuredErrors(vctxt, xr_capture_error, &cap);
  int rc = xmlSchemaValidateDoc(vctxt, doc);
  xmlSchemaFreeValidCtxt(vctxt);
  if (rc == 0) return VIGIE_OK;
  return xr_captured(&cap, err, rc < 0 ? "schema validation could not run" : "does not match its schema");
}

vigie_status vigie_xml_validate(struct _xmlDoc *doc, const char *name, const char *xsd_path,
                                vigie_error *err) {
  xmlDocPtr xsd_doc = NULL;
  xmlSchemaPtr schema = NULL;
  if (doc == NULL || xsd_path == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_xml_validate: no document or no XSD");
  if (name == NULL) name = doc->URL != NULL ? (const char *)doc->URL : "(document)";
  vigie_status status = xr_load_xsd_doc(xsd_path, &xsd_doc, err);
  if (status != VIGIE_OK) goto done;
  status = xr_compile_schema(xsd_doc, xsd_path, &schema, err);
  if (status != VIGIE_OK) goto done;
  status = xr_run_schema(schema, doc, name, err);
done:
  /* The compiled schema may point into the XSD tree: free it first. */
  if (schema != NULL) xmlSchemaFree(schema);
  if (xsd_doc != NULL) xmlFreeDoc(xsd_doc);
  return status;
}

/* ------------------------------------------------ helpers for rule loaders */

int vigie_xml_line(const struct _xmlNode *node) { return (int)xmlGetLineNo(node); }

bool vigie_xml_is(const struct _xmlNode *node, const char *name) {
  return node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, (const xmlChar *)name);
}

/* libxml2's copy is freed at once: callers own only vigie_malloc memory. */
char *vigie_xml_attr_dup(const struct _xmlNode *node, const char *name, bool *nomem) {
  xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
  if (v == NULL) return NULL;
  char *copy = vigie_strdup((const char *)v);
  xmlFree(v);
  if (copy == NULL) *nomem = true;
  return copy;
}

char *vigie_xml_text_dup(const struct _xmlNode *node, bool *nomem) {
  xmlChar *v = xmlNodeGetContent(node);
  if (v == NULL) {
    char *empty = vigie_strdup("");
    if (empty == NULL) *nomem = true;
    return empty;
  }
  const char *s = (const char *)v;
  size_t len = strlen(s);
  while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL) len--;
  while (len > 0 && strchr(" \t\r\n", *s) != NULL) s++, len--;
  char *copy = vigie_strndup(s, len);
  xmlFree(v);
  if (copy == NULL) *nomem = true;
  return copy;
}

/* ------------------------------------------------------ rule folders */

static int xml_name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

vigie_status vigie_xml_list_dir(const char *dir, char ***out, size_t *count, vigie_error *err) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return vigie_fail(err, errno == ENOENT ? VIGIE_ENOENT : VIGIE_EIO, "%s: cannot open: %s", dir,
                      strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  vigie_status status = VIGIE_OK;
  for (struct dirent *e; status == VIGIE_OK && (e = readdir(d)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0) continue;
    if (!vigie_grow((void **)&names, n, &cap, sizeof *names) || (names[n] = vigie_strdup(e->d_name)) == NULL)
      status = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", dir);
    else
      n++;
  }
  closedir(d);
  if (status != VIGIE_OK) {
    vigie_strv_free(names, n);
    return status;
  }
  if (n > 1) qsort(names, n, sizeof *names, xml_name_cmp);
  *out = names, *count = n;
  return VIGIE_OK;
}

/* ------------------------------------------------------- rule loaders */

vigie_status vigie_xml_load_file(const char *path, size_t max_bytes, const char *xsd_name,
                                 vigie_xml_load_fn load, void *ctx, vigie_error *err) {
  struct _xmlDoc *doc = NULL;
  char *xsd = vigie_data_path(xsd_name, err);
  if (xsd == NULL) return err != NULL ? err->status : VIGIE_ENOENT;
  vigie_status status = vigie_xml_read_file(path, max_bytes, xsd, &doc, err);
  if (status == VIGIE_OK) status = load(ctx, path, doc, err);
  vigie_xml_doc_free(doc);
  vigie_free(xsd);
  return status;
}

vigie_status vigie_xml_load_memory(const char *data, size_t len, const char *name,
                                   size_t max_bytes, const char *xsd_name, vigie_xml_load_fn load,
                                   void *ctx, vigie_error *err) {
  struct _xmlDoc *doc = NULL;
  if (name == NULL) name = "(memory)";
  if (len > max_bytes)
    return vigie_fail(err, VIGIE_ETOOBIG, "%s: %zu bytes, over the cap of %zu bytes", name, len,
                      max_bytes);
  char *xsd = vigie_data_path(xsd_name, err);
  if (xsd == NULL) return err != NULL ? err->status : VIGIE_ENOENT;
  vigie_status status = vigie_xml_read_memory(data, len, name, xsd, &doc, err);
  if (status == VIGIE_OK) status = load(ctx, name, doc, err);
  vigie_xml_doc_free(doc);
  vigie_free(xsd);
  return status;
}

/* Every file is tried, so one broken file does not hide the others' rules;
 * the first error is the one returned. */
vigie_status vigie_xml_load_dir(const char *dir, size_t max_bytes, const char *xsd_name,
                                vigie_xml_load_fn load, void *ctx, vigie_error *err) {
  char **names = NULL;
  size_t n = 0;
  vigie_status status = vigie_xml_list_dir(dir, &names, &n, err);
  if (status != VIGIE_OK) return status;
  vigie_error first = {.status = VIGIE_OK};
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *path = vigie_malloc(len);
    vigie_error e;
    vigie_status st =
        path == NULL ? vigie_fail(&e, VIGIE_ENOMEM, "%s: out of memory", dir) : VIGIE_OK;
    if (path != NULL) snprintf(path, len, "%s/%s", dir, names[i]);
    if (st == VIGIE_OK) st = vigie_xml_load_file(path, max_bytes, xsd_name, load, ctx, &e);
    if (st != VIGIE_OK && first.status == VIGIE_OK) first = e;
    vigie_free(path);
  }
  vigie_strv_free(names, n);
  if (first.status != VIGIE_OK) {
    if (err != NULL) *err = first;
    return first.status;
  }
  return VIGIE_OK;
}
