/* vigie — one status enum for every module, and its messages.
 *
 * Append-only: a value once released keeps its number forever, a retired value
 * keeps its slot. vigie_strerror() is a switch with no default so that a new
 * value without a message fails the build (-Wswitch -Werror).
 */
#ifndef VIGIE_STATUS_H
#define VIGIE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

typedef enum vigie_status {
  VIGIE_OK = 0,
  VIGIE_ENOMEM = 1,        /* an allocation failed */
  VIGIE_EINVAL = 2,        /* a caller passed an impossible argument (a bug) */
  VIGIE_ESYNTAX = 3,       /* user input is malformed: target, port, option value */
  VIGIE_ERANGE = 4,        /* user input is well-formed but out of range */
  VIGIE_ENOENT = 5,        /* a file or data item does not exist */
  VIGIE_EIO = 6,           /* reading or writing a file failed */
  VIGIE_ETOOBIG = 7,       /* input over a size cap */
  VIGIE_EXML = 8,          /* XML is not well-formed */
  VIGIE_EXML_DOCTYPE = 9,  /* XML holds a DOCTYPE, which our formats never use */
  VIGIE_ESCHEMA = 10,      /* XML does not validate against its XSD */
  VIGIE_EPERM = 11,        /* the operating system refused (privileges) */
  VIGIE_EEMPTY = 12,       /* nothing left to do: every target excluded, no port */
  VIGIE_EUSAGE = 13,       /* wrong command-line usage */
  VIGIE_ECONNECT = 14,     /* a server could not be reached */
  VIGIE_EAUTH = 15,        /* a server refused our credentials */
  VIGIE_ETLS = 16,         /* a TLS handshake or certificate check failed */
  VIGIE_EPROTO = 17,       /* a server broke the protocol or cut the connection */
  VIGIE_ETIMEOUT = 18,     /* a server did not answer in time */
  VIGIE_EVERIFY = 19       /* a proof bundle does not verify: file changed, missing, added, bad signature */
} vigie_status;

/* Number of the highest value, for meta-tests that walk every status. */
#define VIGIE_STATUS_LAST VIGIE_EVERIFY

/** A short English description of a status.
 * \param[in] status  any value, known or not
 * \return a static string: never NULL, do not free. */
const char *vigie_strerror(vigie_status status);

/* The detail that travels with a status up to main: what was wrong and where
 * (file, line, target, field). Callers own the struct, usually on the stack. */
#define VIGIE_ERROR_MAX 512
typedef struct vigie_error {
  vigie_status status;
  char msg[VIGIE_ERROR_MAX];
} vigie_error;

/** Record a status and a formatted detail in err (err may be NULL).
 * \return status, so a caller can write `return vigie_fail(err, ...);` */
vigie_status vigie_fail(vigie_error *err, vigie_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Same as vigie_fail with a va_list. */
vigie_status vigie_vfail(vigie_error *err, vigie_status status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/** Reset err to VIGIE_OK with an empty message (err may be NULL). */
void vigie_error_clear(vigie_error *err);

/** The message of err: its detail, or vigie_strerror(status) when there is none.
 * \return a pointer into err or static data: do not free. */
const char *vigie_error_text(const vigie_error *err);

#endif
