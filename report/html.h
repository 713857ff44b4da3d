/* report.html, private to report/: the writing context shared by the
 * section writers (html_*.c), the one escaper, the two-language labels, the
 * SVG drawings and the stylesheet. */
#ifndef VIGIE_REPORT_HTML_H
#define VIGIE_REPORT_HTML_H

#include "vigie/report.h"

/* ------------------------------------------------------------ escaping */

/** Write s to out escaped for HTML text and quoted attributes (& < > " '),
 * invalid UTF-8 replaced by U+FFFD, C0 controls except TAB/LF/CR, DEL and C1
 * controls dropped. At most cap input bytes are written (0: no cap), cut on
 * a character boundary. NULL writes nothing.
 * \return true when s was cut. */
bool rpt_html_esc(FILE *out, const char *s, size_t cap);
/** The same into any sink (the roll-up writes into a buffer). */
typedef void (*rpt_html_sink)(void *ctx, const char *s, size_t n);
bool rpt_html_esc_to(rpt_html_sink put, void *ctx, const char *s, size_t cap);

/* ------------------------------------------------------------ labels */

/* Every fixed text of the page, in French and English (html_text.c). */
#define RPT_HTML_LABELS(X)                                                                    \
  X(L_TITLE, "Rapport d'audit vigie", "vigie audit report")                                     \
  X(L_S1, "Synthèse managériale", "Executive summary")                                          \
  X(L_S2, "Synthèse technique", "Technical summary")                                            \
  X(L_S3, "Périmètre et méthode", "Scope and method")                                           \
  X(L_S4, "Couverture", "Coverage")                                                             \
  X(L_S5, "Plan d'action priorisé", "Prioritised action plan")                                  \
  X(L_S6, "Exposition par hôte et service", "Exposure by host and service")                     \
  X(L_S7, "Annuaire par catégorie", "Directory by category")                                    \
  X(L_S8, "Dérogations", "Waivers")                                                             \
  X(L_S9, "Vue CaRE domaine 1", "CaRE domain 1 view")                                           \
  X(L_S10, "Annexe", "Appendix")                                                                \
  X(L_EXPOSURE_LEVEL, "Niveau d'exposition estimé (type SILENE)",                               \
    "Estimated exposure level (SILENE-style)")                                                  \
  X(L_DIRECTORY_LEVEL, "Niveau de l'annuaire estimé (type ADS)",                                \
    "Estimated directory level (ADS-style)")                                                    \
  X(L_UNKNOWN_LEVEL, "non estimé (aucune donnée de ce type)", "not estimated (no such input)")  \
  X(L_HOLDERS, "Ce qui maintient ce niveau", "What holds this level down")                      \
  X(L_NEXT, "Pour atteindre le niveau suivant", "To reach the next level")                      \
  X(L_TOP, "Niveau maximal atteint.", "Highest level reached.")                                 \
  X(L_ESTIMATE, "Niveaux estimés pour préparer et suivre la remédiation : ce ne sont pas les "  \
                "résultats officiels SILENE ou ADS.",                                           \
    "Estimated levels to prepare and follow remediation: not the official SILENE or ADS "       \
    "results.")                                                                                 \
  X(L_SCORE, "Score", "Score")                                                                  \
  X(L_SCORE_NOTE, "sur 100, à lire avec les comptes et les niveaux",                            \
    "out of 100, to read with the counts and levels")                                           \
  X(L_CAPPED, "plafonné", "capped")                                                             \
  X(L_COUNTS, "Constats ouverts par sévérité", "Open findings by severity")                     \
  X(L_WAIVED, "sous dérogation", "waived")                                                      \
  X(L_FIRST_ACTIONS, "Cinq premières actions", "First five actions")                            \
  X(L_NO_ACTION, "Aucun constat ouvert.", "No open finding.")                                   \
  X(L_CHANGE, "Évolution depuis le dernier audit", "Change since the last audit")               \
  X(L_NO_PREVIOUS, "Pas d'audit précédent fourni.", "No previous audit given.")                 \
  X(L_NEW, "nouveaux", "new")                                                                   \
  X(L_FIXED, "corrigés", "fixed")                                                               \
  X(L_PERSISTING, "persistants", "persisting")                                                  \
  X(L_LEVEL_MOVE, "Niveaux par rapport au", "Levels compared with")                             \
  X(L_ASSETS, "actifs", "assets")                                                               \
  X(L_BY_CATEGORY, "Constats ouverts par catégorie et sévérité",                                \
    "Open findings by category and severity")                                                   \
  X(L_CATEGORY, "Catégorie", "Category")                                                        \
  X(L_TOTAL, "Total", "Total")                                                                  \
  X(L_ESTABLISHMENT, "Établissement", "Establishment")                                          \
  X(L_FINESS, "FINESS", "FINESS")                                                               \
  X(L_NOT_GIVEN, "non renseigné", "not given")                                                  \
  X(L_INPUTS, "Fichiers d'entrée", "Input files")                                               \
  X(L_KIND, "Type", "Kind")                                                                     \
  X(L_FILE, "Fichier", "File")                                                                  \
  X(L_DATES, "Dates (UTC)", "Dates (UTC)")                                                      \
  X(L_ARGS, "Arguments", "Arguments")                                                           \
  X(L_TOOL, "Outil", "Tool")                                                                    \
  X(L_KIND_SCAN, "scan d'exposition", "exposure scan")                                          \
  X(L_KIND_DIR, "audit d'annuaire", "directory audit")                                          \
  X(L_VERSIONS, "Versions", "Versions")                                                         \
  X(L_RULES, "Règles", "Rules")                                                                 \
  X(L_CREATED, "Rapport créé le", "Report created on")                                          \
  X(L_METHOD, "Méthode", "Method")                                                              \
  X(L_METHOD_TEXT, "Les scans d'exposition découvrent les ports ouverts puis identifient les "  \
                   "services (bannières, sondes de protocole, poignées de main TLS) ; les "     \
                   "audits d'annuaire lisent l'annuaire en LDAP et évaluent des règles "        \
                   "rattachées aux points de contrôle de l'ANSSI. Chaque règle donne un "       \
                   "résultat : conforme, non conforme, non applicable, erreur ou non évalué.",  \
    "Exposure scans find open ports, then identify services (banners, protocol probes, TLS "    \
    "handshakes); directory audits read the directory over LDAP and evaluate rules mapped to "  \
    "ANSSI control points. Each rule gives one result: pass, fail, not applicable, error or "   \
    "not evaluated.")                                                                           \
  X(L_GAPS, "Ce qui n'a pas pu être testé", "What could not be tested")                         \
  X(L_NO_GAP, "Aucune lacune signalée.", "No gap reported.")                                    \
  X(L_WHAT, "Élément", "Item")                                                                  \
  X(L_WHY, "Raison", "Reason")                                                                  \
  X(L_INCOMPLETE, "Entrées incomplètes", "Incomplete inputs")                                   \
  X(L_ALL_COMPLETE, "Toutes les entrées sont complètes.", "Every input is complete.")           \
  X(L_DIR_COVERAGE, "Couverture de l'annuaire", "Directory coverage")                           \
  X(L_POINTS, "points de contrôle évalués sur", "control points evaluated out of")              \
  X(L_COMPLETE, "complet", "complete")                                                          \
  X(L_SEVERITY, "Sévérité", "Severity")                                                         \
  X(L_RULE, "Règle", "Rule")                                                                    \
  X(L_REMEDIATION, "Remédiation", "Remediation")                                                \
  X(L_REFERENCES, "Références", "References")                                                   \
  X(L_AFFECTED, "Actifs concernés", "Affected assets")                                          \
  X(L_FIXED_SINCE, "Corrigés depuis le dernier audit", "Fixed since the last audit")            \
  X(L_NONE_FIXED, "Aucun constat corrigé.", "No fixed finding.")                                \
  X(L_ASSET, "Actif", "Asset")                                                                  \
  X(L_HOSTNAMES, "Noms", "Names")                                                               \
  X(L_PORT, "Port", "Port")                                                                     \
  X(L_SERVICE, "Service", "Service")                                                            \
  X(L_PRODUCT, "Produit", "Product")                                                            \
  X(L_VERSION, "Version", "Version")                                                            \
  X(L_TLS, "TLS", "TLS")                                                                        \
  X(L_YES, "oui", "yes")                                                                        \
  X(L_NO, "non", "no")                                                                          \
  X(L_FACTS, "Faits clés", "Key facts")                                                         \
  X(L_FINDINGS, "Constats", "Findings")                                                         \
  X(L_EVIDENCE, "Éléments de preuve", "Evidence")                                               \
  X(L_NO_HOST, "Aucun service exposé dans les entrées.", "No exposed service in the inputs.")   \
  X(L_NO_DIR, "Aucun constat d'annuaire.", "No directory finding.")                             \
  X(L_WHAT_IS, "Constat", "What")                                                               \
  X(L_WHY_MATTERS, "Pourquoi c'est important", "Why it matters")                                \
  X(L_HOW_FIX, "Comment corriger", "How to fix")                                                \
  X(L_OBJECTS, "Objets en défaut", "Objects at fault")                                          \
  X(L_OBJECT_NAME, "Nom", "Name")                                                               \
  X(L_AND_MORE, "et encore", "and")                                                             \
  X(L_MORE_OBJECTS, "autres, liste complète dans report.xml", "more, full list in report.xml")  \
  X(L_TRUNCATED, " […tronqué, valeur complète dans report.xml]",                                \
    " […truncated, full value in report.xml]")                                                  \
  X(L_ANSSI, "Point ANSSI", "ANSSI point")                                                      \
  X(L_LEVEL, "Niveau", "Level")                                                                 \
  X(L_NO_WAIVER, "Aucune dérogation.", "No waiver.")                                            \
  X(L_REASON, "Motif", "Reason")                                                                \
  X(L_AUTHOR, "Auteur", "Author")                                                               \
  X(L_EXPIRES, "Expire le", "Expires")                                                          \
  X(L_EXPIRED, "expirée", "expired")                                                            \
  X(L_ACTIVE, "active", "active")                                                               \
  X(L_COVERED, "Constats couverts", "Findings covered")                                         \
  X(L_EVERY_ASSET, "tous les actifs", "every asset")                                            \
  X(L_CARE_INTRO, "Éléments de preuve du domaine 1 « Annuaires techniques et exposition sur "   \
                  "internet » que l'établissement rassemble.",                                  \
    "Evidence of domain 1 \"Technical directories and internet exposure\" the establishment "   \
    "gathers.")                                                                                 \
  X(L_CARE_EXPO, "Audits d'exposition connus (dates)", "Known exposure audits (dates)")         \
  X(L_CARE_INTERVAL, "Règle d'intervalle D1.O2.B : deux audits d'exposition successifs à 45 à " \
                     "60 jours d'intervalle",                                                   \
    "Interval rule D1.O2.B: two successive exposure audits 45 to 60 days apart")                \
  X(L_DAYS, "jours entre les deux derniers", "days between the last two")                       \
  X(L_HOLDS, "respectée", "holds")                                                              \
  X(L_BROKEN, "non respectée", "does not hold")                                                 \
  X(L_INTERVAL_UNKNOWN, "non calculable : moins de deux audits d'exposition datés",             \
    "cannot be computed: fewer than two dated exposure audits")                                 \
  X(L_CARE_AD, "Audit de l'annuaire", "Directory audit")                                        \
  X(L_CARE_REMED, "Remédiation depuis le dernier audit (constats corrigés)",                    \
    "Remediation since the last audit (fixed findings)")                                        \
  X(L_CARE_PROVIDES, "Ce que ce rapport apporte", "What this report provides")                  \
  X(L_CARE_PROVIDES_TEXT, "Un état daté et signé de l'exposition et de l'annuaire, les "        \
                          "constats et leur évolution, le plan d'action et les dérogations.",   \
    "A dated, signed record of exposure and directory, findings and their change, the action "  \
    "plan and the waivers.")                                                                    \
  X(L_CARE_REMAINS, "Ce qui reste à joindre", "What remains to attach")                         \
  X(L_CARE_REMAINS_TEXT, "Les rapports officiels SILENE de l'ANSSI (audits d'exposition et "    \
                         "leurs dates) et les résultats officiels de l'audit de l'annuaire ; "  \
                         "ce rapport ne les remplace pas.",                                     \
    "ANSSI's official SILENE reports (exposure audits and their dates) and the official "       \
    "directory audit results; this report does not replace them.")                              \
  X(L_NONE, "aucun", "none")                                                                    \
  X(L_CATALOGUE, "Catalogue de règles", "Rule catalogue")                                       \
  X(L_UUID, "Identifiant du rapport", "Report identifier")                                      \
  X(L_KEY, "Empreinte de la clé de signature", "Signing key fingerprint")                       \
  X(L_UNSIGNED, "non signé", "unsigned")                                                        \
  X(L_PREVIOUS, "Audits précédents comparés", "Previous audits compared")                       \
  X(L_DATE, "Date", "Date")                                                                     \
  X(L_SCAN_DATE, "Date du scan", "Scan date")                                                   \
  X(L_EXPO_SHORT, "Exposition", "Exposure")                                                     \
  X(L_DIR_SHORT, "Annuaire", "Directory")                                                       \
  X(L_CONFIDENCE, "Confiance", "Confidence")                                                    \
  X(L_TREND, "Évolution", "Trend")                                                              \
  X(L_DIRECTORY, "Annuaire", "Directory")

typedef enum rpt_html_label {
#define RPT_HTML_ENUM(key, fr, en) key,
  RPT_HTML_LABELS(RPT_HTML_ENUM)
#undef RPT_HTML_ENUM
  L_COUNT_
} rpt_html_label;

/** The label in French or English. \return static string. */
const char *rpt_html_text(rpt_html_label key, bool en);
/** Severity label in the language. \return static string. */
const char *rpt_html_sev(rpt_severity sev, bool en);
/** Trend label ("nouveau"/"new"...). \return static string. */
const char *rpt_html_trend(rpt_trend trend, bool en);

/* ------------------------------------------------------------ stylesheet */

/** The one stylesheet, exactly as placed inside <style>. \return static. */
const char *rpt_html_style(void);
/** Base64 of SHA-256 over the stylesheet's bytes (45 bytes with NUL).
 * \return false when OpenSSL fails. */
bool rpt_html_style_hash(char out[45]);

/* ------------------------------------------------------------ drawings */

/** An inline SVG gauge of a 1–5 level (value 0: unknown). */
void rpt_html_svg_gauge(FILE *out, int value, bool en);
/** An inline SVG of horizontal bars, one per severity, for counts. */
void rpt_html_svg_bars(FILE *out, const size_t counts[RPT_SEV_COUNT], bool en);

/* ------------------------------------------------------------ context */

/* One rule's open findings, for the plan and the first actions. */
typedef struct rpt_html_group {
  size_t rule;
  rpt_severity worst;
  size_t first, count; /* a slice of ctx->open_idx */
} rpt_html_group;

typedef struct rpt_html_ctx {
  const rpt_report *r;
  FILE *out;
  bool en;
  size_t object_cap, evidence_cap;
  const char *key_fingerprint;
  /* Open findings (not waived, not fixed) grouped by rule: groups sorted by
   * worst severity, then asset count, then rule id. */
  size_t *open_idx;
  rpt_html_group *groups;
  size_t group_count;
  /* Every finding by asset: by_asset[asset_first[a] .. asset_first[a+1]). */
  size_t *by_asset, *asset_first;
  /* Every finding by rule, same shape. */
  size_t *by_rule, *rule_first;
} rpt_html_ctx;

/** Fill the groupings. \return VIGIE_ENOMEM. */
vigie_status rpt_html_index(rpt_html_ctx *c);
void rpt_html_index_free(rpt_html_ctx *c);

/* Shorthands for section writers. */
static inline const char *rpt_html_l(const rpt_html_ctx *c, rpt_html_label key) {
  return rpt_html_text(key, c->en);
}
/** Open a section: <section> and its numbered heading (close with </section>). */
void rpt_html_section(const rpt_html_ctx *c, int n, rpt_html_label title, const char *id);
/** A datum escaped and capped at evidence_cap, with the truncation note. */
void rpt_html_val(const rpt_html_ctx *c, const char *s);
/** A rule text in the page's language, escaped and capped. */
void rpt_html_rtext(const rpt_html_ctx *c, const rpt_text *t);
/** References as links (http(s) only, rel="noreferrer") or plain text. */
void rpt_html_refs(const rpt_html_ctx *c, const rpt_rule *rule);
/** A finding is open: not waived and not fixed. */
static inline bool rpt_html_open(const rpt_finding *f) {
  return !f->waived && f->trend != RPT_TREND_FIXED;
}

/* Sections, in page order. */
void rpt_html_summary(const rpt_html_ctx *c);   /* 1 */
void rpt_html_technical(const rpt_html_ctx *c); /* 2 */
void rpt_html_scope(const rpt_html_ctx *c);     /* 3 */
void rpt_html_coverage(const rpt_html_ctx *c);  /* 4 */
void rpt_html_plan(const rpt_html_ctx *c);      /* 5 */
void rpt_html_hosts(const rpt_html_ctx *c);     /* 6 */
void rpt_html_directory(const rpt_html_ctx *c); /* 7 */
void rpt_html_waivers(const rpt_html_ctx *c);   /* 8 */
void rpt_html_care(const rpt_html_ctx *c);      /* 9 */
void rpt_html_appendix(const rpt_html_ctx *c);  /* 10 */

#endif
