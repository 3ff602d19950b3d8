/* SPDX-License-Identifier: ISC */
/*
 * A small YAML (1.1, via libyaml) document loader for configuration files.
 * It reads one document into a tree of scalars, maps and sequences; every
 * node remembers where it started (1-based line and column) so that the
 * module interpreting the tree can report "file:line:column: message".
 * Typed getters (string, bool, u32/u64, hex bytes) and an unknown-key check
 * report through conf_error(), which logs with tag "conf" and counts, so a
 * caller can report every mistake in a file and fail once at the end.
 *
 * Hostile input is bounded: the document size, nesting depth and node count
 * are capped, and anchors and aliases are refused outright (so an alias bomb
 * costs nothing). Scalar text is wiped when the document is freed, because
 * configuration files carry keys.
 */
#ifndef BW_CONF_H
#define BW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"

enum conf_limit {
	CONF_MAX_SIZE = 1 << 20, /* bytes of YAML */
	CONF_MAX_DEPTH = 32,     /* nested maps and sequences */
	CONF_MAX_NODES = 65536,  /* scalars, maps and sequences together */
};

enum conf_type {
	CONF_SCALAR,
	CONF_MAP,
	CONF_SEQ,
};

struct conf_doc;
struct conf_node;

/*
 * Parses buf (len bytes, need not be NUL-terminated) into *out; `name`
 * stands for the file in messages. Syntax errors and exceeded limits are
 * reported through conf_error() and give BW_ERR_CONFIG; allocation failure
 * gives BW_ERR_NOMEM. An empty document has a NULL root. The caller frees
 * *out with conf_free().
 */
int conf_load_buf(struct conf_doc **out, const char *name, const char *buf, size_t len);
/* Same, reading the file at path (at most CONF_MAX_SIZE bytes). */
int conf_load_file(struct conf_doc **out, const char *path);
/* Wipes every scalar and frees. conf_free(NULL) is a no-op. */
void conf_free(struct conf_doc *doc);

/* The top node; NULL for an empty document. Borrowed from doc. */
const struct conf_node *conf_root(const struct conf_doc *doc);
const char *conf_name(const struct conf_doc *doc);
/* Errors reported so far through conf_error() on this document. */
unsigned conf_errors(const struct conf_doc *doc);

/*
 * Logs "name:line:column: message" at error level and counts it. With a
 * NULL node the position is left out. Returns BW_ERR_CONFIG so that callers
 * can write `return conf_error(...)`.
 */
int conf_error(struct conf_doc *doc, const struct conf_node *node, const char *fmt, ...)
        BW_PRINTF(3, 4);
/* Same at warning level, not counted. */
void conf_warn(const struct conf_doc *doc, const struct conf_node *node, const char *fmt, ...)
        BW_PRINTF(3, 4);

enum conf_type conf_type(const struct conf_node *n);
unsigned conf_line(const struct conf_node *n);
unsigned conf_col(const struct conf_node *n);
/* "scalar", "map" or "sequence", for messages. */
const char *conf_type_name(enum conf_type t);

/* Entries in a map or a sequence; 0 for a scalar. */
size_t conf_len(const struct conf_node *n);
/* The i-th item of a sequence, or the i-th value of a map; NULL if out of range. */
const struct conf_node *conf_at(const struct conf_node *n, size_t i);
/* The i-th key of a map (a scalar node); NULL otherwise. */
const struct conf_node *conf_key_at(const struct conf_node *n, size_t i);
/* The value for key in a map; NULL if absent or n is not a map. */
const struct conf_node *conf_get(const struct conf_node *n, const char *key);
/* The text of a scalar (NUL-terminated, may hold no NUL); NULL otherwise. */
const char *conf_str(const struct conf_node *n);

/*
 * Checks that n is a map (or a sequence) and reports it otherwise; what
 * names the thing for the message ("'tun'"). Returns 0 or BW_ERR_CONFIG.
 */
int conf_expect_map(struct conf_doc *doc, const struct conf_node *n, const char *what);
int conf_expect_seq(struct conf_doc *doc, const struct conf_node *n, const char *what);
/*
 * Reports every key of map n that is not in the NULL-terminated list
 * `known`, naming the key at its position. Returns 0 or BW_ERR_CONFIG.
 */
int conf_check_keys(struct conf_doc *doc, const struct conf_node *n, const char *const *known);

/*
 * Typed getters. Each checks n is a scalar of the right form, reports at n's
 * position otherwise (naming `key` in the message), and leaves *out alone on
 * error. They return 0 or BW_ERR_CONFIG.
 */
/* Copies the text; an error if it does not fit cap - 1 bytes. */
int conf_get_str(struct conf_doc *doc, const struct conf_node *n, const char *key, char *out,
                 size_t cap);
/* true/false/yes/no, any case. */
int conf_get_bool(struct conf_doc *doc, const struct conf_node *n, const char *key, bool *out);
/* Decimal or 0x hex, within [min, max]. */
int conf_get_u32(struct conf_doc *doc, const struct conf_node *n, const char *key, uint32_t min,
                 uint32_t max, uint32_t *out);
int conf_get_u64(struct conf_doc *doc, const struct conf_node *n, const char *key, uint64_t min,
                 uint64_t max, uint64_t *out);
/*
 * "0x" then an even number of hex digits, decoded into out (at most cap
 * bytes) with the byte count in *len. The scratch never holds more than cap
 * bytes, and out is wiped on error, since this is how keys are read.
 */
int conf_get_hex(struct conf_doc *doc, const struct conf_node *n, const char *key, uint8_t *out,
                 size_t cap, size_t *len);

#endif
