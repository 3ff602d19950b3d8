/* SPDX-License-Identifier: ISC */
/*
 * YAML configuration loader: drives libyaml's event parser (YAML 1.1) and
 * builds a tree of nodes with their start marks, with an explicit stack so
 * that nesting is capped (CONF_MAX_DEPTH) rather than bounded by the C
 * stack. The document size and node count are capped too, and anchors and
 * aliases are refused: libyaml's parser does not expand aliases itself, but
 * any consumer that did would be open to the "billion laughs" blow-up, and
 * a configuration has no use for them. Mapping keys must be unique
 * scalars (YAML 1.1 section 3.2.1.1 requires unique keys; libyaml does not
 * check). Scalar text, libyaml's buffers and the file copy are wiped
 * before they are freed, because configurations carry keys.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/hex.h"

enum {
	CONF_MAX_MAP_ENTRIES = 4096, /* keeps the duplicate-key check quadratic in a small n */
};

struct conf_node {
	enum conf_type type;
	unsigned line;
	unsigned col;
	char *str;               /* scalar text, NUL-terminated */
	size_t len;              /* scalar length */
	struct conf_node **kids; /* sequence: items; map: key, value, key, value, ... */
	size_t nkids;            /* slots used in kids */
	size_t cap;              /* slots allocated */
	struct conf_node *all;   /* every node of the document, for conf_free() */
};

struct conf_doc {
	char name[256];
	struct conf_node *root;
	unsigned errors;
	size_t nodes;
	struct conf_node *all;
};

/* The parse in progress: the open maps and sequences, innermost last. */
struct builder {
	struct conf_doc *doc;
	struct conf_node *stack[CONF_MAX_DEPTH];
	size_t depth;
	unsigned docs;
};

static void error_va(const struct conf_doc *doc, enum bw_log_level lvl, unsigned line, unsigned col,
                     const char *fmt, va_list ap) BW_PRINTF(5, 0);

static void error_va(const struct conf_doc *doc, enum bw_log_level lvl, unsigned line, unsigned col,
                     const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line != 0)
		BW_LOGX(lvl, "conf", "%s:%u:%u: %s", doc->name, line, col, msg);
	else
		BW_LOGX(lvl, "conf", "%s: %s", doc->name, msg);
}

static int error_at(struct conf_doc *doc, unsigned line, unsigned col, const char *fmt, ...)
        BW_PRINTF(4, 5);

static int error_at(struct conf_doc *doc, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_va(doc, BW_LOG_ERR, line, col, fmt, ap);
	va_end(ap);
	doc->errors++;
	return BW_ERR_CONFIG;
}

int conf_error(struct conf_doc *doc, const struct conf_node *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_va(doc, BW_LOG_ERR, node ? node->line : 0, node ? node->col : 0, fmt, ap);
	va_end(ap);
	doc->errors++;
	return BW_ERR_CONFIG;
}

void conf_warn(const struct conf_doc *doc, const struct conf_node *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_va(doc, BW_LOG_WARN, node ? node->line : 0, node ? node->col : 0, fmt, ap);
	va_end(ap);
}

static struct conf_node *node_new(struct conf_doc *doc, enum conf_type type, const yaml_mark_t *m)
{
	struct conf_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->type = type;
	/* libyaml marks are 0-based; editors count from 1. */
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->all = doc->all;
	doc->all = n;
	doc->nodes++;
	return n;
}

static int kids_append(struct conf_node *parent, struct conf_node *kid)
{
	if (parent->nkids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct conf_node **k = reallocarray(parent->kids, cap, sizeof(*k));

		if (k == NULL)
			return BW_ERR_NOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

/* Adds a finished or opened node under the innermost open collection. */
static int attach(struct builder *b, struct conf_node *n)
{
	struct conf_doc *doc = b->doc;
	struct conf_node *parent;

	if (b->depth == 0) {
		doc->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == CONF_MAP && parent->nkids % 2 == 0) {
		/* n is a key. */
		if (n->type != CONF_SCALAR)
			return error_at(doc, n->line, n->col,
			                "a map key must be a plain name, not a %s",
			                conf_type_name(n->type));
		if (parent->nkids / 2 >= CONF_MAX_MAP_ENTRIES)
			return error_at(doc, n->line, n->col, "more than %d keys in one map",
			                CONF_MAX_MAP_ENTRIES);
		for (size_t i = 0; i < parent->nkids; i += 2) {
			const struct conf_node *k = parent->kids[i];

			if (k->len == n->len && memcmp(k->str, n->str, n->len) == 0)
				return error_at(doc, n->line, n->col,
				                "duplicate key '%s' (first at line %u, column %u)",
				                n->str, k->line, k->col);
		}
	}
	return kids_append(parent, n);
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct conf_node *n;
	size_t len = ev->data.scalar.length;
	int r;

	if (memchr(ev->data.scalar.value, '\0', len) != NULL)
		return error_at(b->doc, (unsigned)ev->start_mark.line + 1,
		                (unsigned)ev->start_mark.column + 1, "NUL character in a value");
	if ((n = node_new(b->doc, CONF_SCALAR, &ev->start_mark)) == NULL)
		return BW_ERR_NOMEM;
	if ((n->str = malloc(len + 1)) == NULL)
		return BW_ERR_NOMEM;
	memcpy(n->str, ev->data.scalar.value, len);
	n->str[len] = '\0';
	n->len = len;
	if ((r = attach(b, n)) != 0)
		return r;
	return 0;
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum conf_type type)
{
	struct conf_node *n;
	int r;

	if (b->depth >= CONF_MAX_DEPTH)
		return error_at(b->doc, (unsigned)ev->start_mark.line + 1,
		                (unsigned)ev->start_mark.column + 1, "nested deeper than %d levels",
		                CONF_MAX_DEPTH);
	if ((n = node_new(b->doc, type, &ev->start_mark)) == NULL)
		return BW_ERR_NOMEM;
	if ((r = attach(b, n)) != 0)
		return r;
	b->stack[b->depth++] = n;
	return 0;
}

/* Anchors name a node for later aliases; refusing both keeps the tree a tree. */
static const yaml_char_t *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.anchor;
	case YAML_ALIAS_EVENT:
		return ev->data.alias.anchor;
	default:
		return NULL;
	}
}

/* Handles one event; returns 1 at the end of the stream, 0 to go on, or an error. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	struct conf_doc *doc = b->doc;
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;

	if (event_anchor(ev) != NULL)
		return error_at(doc, line, col, "YAML anchors and aliases are not supported");
	if (doc->nodes >= CONF_MAX_NODES &&
	    (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_SEQUENCE_START_EVENT ||
	     ev->type == YAML_MAPPING_START_EVENT))
		return error_at(doc, line, col, "more than %d values in the document",
		                CONF_MAX_NODES);
	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
		return 0;
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++ > 0)
			return error_at(doc, line, col, "only one YAML document is allowed");
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, CONF_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, CONF_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* libyaml balances start and end events, so depth is never 0 here. */
		if (b->depth > 0)
			b->depth--;
		return 0;
	case YAML_ALIAS_EVENT: /* refused above */
	case YAML_NO_EVENT:
		break;
	}
	return error_at(doc, line, col, "unexpected YAML event");
}

static int syntax_error(struct conf_doc *doc, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";

	if (p->error == YAML_MEMORY_ERROR)
		return BW_ERR_NOMEM;
	if (p->context != NULL)
		return error_at(doc, (unsigned)p->problem_mark.line + 1,
		                (unsigned)p->problem_mark.column + 1,
		                "YAML syntax error: %s %s (line %u, column %u)", problem,
		                p->context, (unsigned)p->context_mark.line + 1,
		                (unsigned)p->context_mark.column + 1);
	return error_at(doc, (unsigned)p->problem_mark.line + 1,
	                (unsigned)p->problem_mark.column + 1, "YAML syntax error: %s", problem);
}

static void wipe_event(yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value != NULL)
		explicit_bzero(ev->data.scalar.value, ev->data.scalar.length);
	yaml_event_delete(ev);
}

/*
 * libyaml keeps the decoded input in its own buffers, whose bounds yaml.h
 * makes public; wipe them before yaml_parser_delete() frees them.
 */
static void wipe_parser(yaml_parser_t *p)
{
	if (p->buffer.start != NULL && p->buffer.end > p->buffer.start)
		explicit_bzero(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
	if (p->raw_buffer.start != NULL && p->raw_buffer.end > p->raw_buffer.start)
		explicit_bzero(p->raw_buffer.start,
		               (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	yaml_parser_delete(p);
}

static struct conf_doc *doc_new(const char *name)
{
	struct conf_doc *doc = calloc(1, sizeof(*doc));

	if (doc != NULL)
		snprintf(doc->name, sizeof(doc->name), "%s", name ? name : "(config)");
	return doc;
}

static int parse(struct conf_doc *doc, const char *buf, size_t len)
{
	struct builder b = {.doc = doc};
	yaml_parser_t parser;
	yaml_event_t ev;
	int r = 0;

	if (len > CONF_MAX_SIZE)
		return error_at(doc, 0, 0, "larger than %d bytes", CONF_MAX_SIZE);
	if (!yaml_parser_initialize(&parser))
		return BW_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (r == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			r = syntax_error(doc, &parser);
			break;
		}
		r = on_event(&b, &ev);
		wipe_event(&ev);
	}
	wipe_parser(&parser);
	return r < 0 ? r : 0;
}

int conf_load_buf(struct conf_doc **out, const char *name, const char *buf, size_t len)
{
	struct conf_doc *doc;
	int r;

	*out = NULL;
	if ((doc = doc_new(name)) == NULL)
		return BW_ERR_NOMEM;
	if ((r = parse(doc, buf, len)) != 0) {
		conf_free(doc);
		return r;
	}
	*out = doc;
	return 0;
}

int conf_load_file(struct conf_doc **out, const char *path)
{
	struct conf_doc *doc;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, r;

	*out = NULL;
	if ((doc = doc_new(path)) == NULL)
		return BW_ERR_NOMEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		r = error_at(doc, 0, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = error_at(doc, 0, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > CONF_MAX_SIZE) {
		r = error_at(doc, 0, 0, "larger than %d bytes", CONF_MAX_SIZE);
		goto out;
	}
	/* Read up to the cap plus one byte, in case the file grew since fstat(). */
	if ((buf = malloc(CONF_MAX_SIZE + 1)) == NULL) {
		r = BW_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CONF_MAX_SIZE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = error_at(doc, 0, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONF_MAX_SIZE) {
			r = error_at(doc, 0, 0, "larger than %d bytes", CONF_MAX_SIZE);
			goto out;
		}
	}
	r = parse(doc, buf, len);
out:
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	if (r != 0) {
		conf_free(doc);
		return r;
	}
	*out = doc;
	return 0;
}

void conf_free(struct conf_doc *doc)
{
	struct conf_node *n, *next;

	if (doc == NULL)
		return;
	for (n = doc->all; n != NULL; n = next) {
		next = n->all;
		if (n->str != NULL) {
			explicit_bzero(n->str, n->len);
			free(n->str);
		}
		free(n->kids);
		free(n);
	}
	free(doc);
}

const struct conf_node *conf_root(const struct conf_doc *doc)
{
	return doc->root;
}

const char *conf_name(const struct conf_doc *doc)
{
	return doc->name;
}

unsigned conf_errors(const struct conf_doc *doc)
{
	return doc->errors;
}

enum conf_type conf_type(const struct conf_node *n)
{
	return n->type;
}

unsigned conf_line(const struct conf_node *n)
{
	return n->line;
}

unsigned conf_col(const struct conf_node *n)
{
	return n->col;
}

const char *conf_type_name(enum conf_type t)
{
	switch (t) {
	case CONF_SCALAR:
		return "scalar";
	case CONF_MAP:
		return "map";
	case CONF_SEQ:
		return "sequence";
	}
	return "?";
}

size_t conf_len(const struct conf_node *n)
{
	if (n == NULL)
		return 0;
	if (n->type == CONF_MAP)
		return n->nkids / 2;
	if (n->type == CONF_SEQ)
		return n->nkids;
	return 0;
}

const struct conf_node *conf_at(const struct conf_node *n, size_t i)
{
	if (n == NULL || i >= conf_len(n))
		return NULL;
	if (n->type == CONF_MAP) {
		/* A map still being built may lack the last value; not so once loaded. */
		return 2 * i + 1 < n->nkids ? n->kids[2 * i + 1] : NULL;
	}
	return n->kids[i];
}

const struct conf_node *conf_key_at(const struct conf_node *n, size_t i)
{
	if (n == NULL || n->type != CONF_MAP || i >= conf_len(n))
		return NULL;
	return n->kids[2 * i];
}

const struct conf_node *conf_get(const struct conf_node *n, const char *key)
{
	size_t klen = strlen(key);

	if (n == NULL || n->type != CONF_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < n->nkids; i += 2)
		if (n->kids[i]->len == klen && memcmp(n->kids[i]->str, key, klen) == 0)
			return n->kids[i + 1];
	return NULL;
}

const char *conf_str(const struct conf_node *n)
{
	return n != NULL && n->type == CONF_SCALAR ? n->str : NULL;
}

int conf_expect_map(struct conf_doc *doc, const struct conf_node *n, const char *what)
{
	if (n->type == CONF_MAP)
		return 0;
	return conf_error(doc, n, "%s must be a map (key: value lines), not a %s", what,
	                  conf_type_name(n->type));
}

int conf_expect_seq(struct conf_doc *doc, const struct conf_node *n, const char *what)
{
	if (n->type == CONF_SEQ)
		return 0;
	return conf_error(doc, n, "%s must be a list, not a %s", what, conf_type_name(n->type));
}

int conf_check_keys(struct conf_doc *doc, const struct conf_node *n, const char *const *known)
{
	int r = 0;

	if (n->type != CONF_MAP)
		return 0;
	for (size_t i = 0; i < conf_len(n); i++) {
		const struct conf_node *k = conf_key_at(n, i);
		size_t j;

		for (j = 0; known[j] != NULL; j++)
			if (strcmp(k->str, known[j]) == 0)
				break;
		if (known[j] == NULL)
			r = conf_error(doc, k, "unknown key '%s'", k->str);
	}
	return r;
}

static int expect_scalar(struct conf_doc *doc, const struct conf_node *n, const char *key)
{
	if (n->type == CONF_SCALAR)
		return 0;
	return conf_error(doc, n, "'%s' must be a single value, not a %s", key,
	                  conf_type_name(n->type));
}

int conf_get_str(struct conf_doc *doc, const struct conf_node *n, const char *key, char *out,
                 size_t cap)
{
	int r;

	if ((r = expect_scalar(doc, n, key)) != 0)
		return r;
	if (n->len >= cap)
		return conf_error(doc, n, "'%s' is longer than %zu characters", key, cap - 1);
	memcpy(out, n->str, n->len + 1);
	return 0;
}

int conf_get_bool(struct conf_doc *doc, const struct conf_node *n, const char *key, bool *out)
{
	int r;

	if ((r = expect_scalar(doc, n, key)) != 0)
		return r;
	if (strcasecmp(n->str, "true") == 0 || strcasecmp(n->str, "yes") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(n->str, "false") == 0 || strcasecmp(n->str, "no") == 0) {
		*out = false;
		return 0;
	}
	return conf_error(doc, n, "'%s' must be true or false", key);
}

/* Strict: digits only (no sign, space or suffix), "0x" for hex, no overflow. */
static bool parse_u64(const char *s, uint64_t *v)
{
	unsigned base = 10;
	uint64_t x = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		int d = base == 16 ? bw_hex_digit(*s) : (*s >= '0' && *s <= '9' ? *s - '0' : -1);

		if (d < 0 || x > (UINT64_MAX - (unsigned)d) / base)
			return false;
		x = x * base + (unsigned)d;
	}
	*v = x;
	return true;
}

int conf_get_u64(struct conf_doc *doc, const struct conf_node *n, const char *key, uint64_t min,
                 uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r;

	if ((r = expect_scalar(doc, n, key)) != 0)
		return r;
	if (!parse_u64(n->str, &v) || v < min || v > max)
		return conf_error(doc, n, "'%s' must be a number from %llu to %llu, not '%.32s'",
		                  key, (unsigned long long)min, (unsigned long long)max, n->str);
	*out = v;
	return 0;
}

int conf_get_u32(struct conf_doc *doc, const struct conf_node *n, const char *key, uint32_t min,
                 uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r;

	if ((r = conf_get_u64(doc, n, key, min, max, &v)) != 0)
		return r;
	*out = (uint32_t)v;
	return 0;
}

int conf_get_hex(struct conf_doc *doc, const struct conf_node *n, const char *key, uint8_t *out,
                 size_t cap, size_t *len)
{
	const char *s;
	size_t digits, i;
	int r;

	/* Never echo the value: this is how keys are read. */
	if ((r = expect_scalar(doc, n, key)) != 0)
		return r;
	s = n->str;
	if (n->len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return conf_error(doc, n, "'%s' must be hex bytes starting with 0x", key);
	digits = n->len - 2;
	if (digits == 0 || digits % 2 != 0)
		return conf_error(doc, n, "'%s' must have an even, nonzero number of hex digits",
		                  key);
	if (digits / 2 > cap)
		return conf_error(doc, n, "'%s' is %zu bytes, more than the %zu allowed", key,
		                  digits / 2, cap);
	for (i = 0; i < digits / 2; i++) {
		int hi = bw_hex_digit(s[2 + 2 * i]), lo = bw_hex_digit(s[3 + 2 * i]);

		if (hi < 0 || lo < 0) {
			explicit_bzero(out, cap);
			return conf_error(doc, n, "'%s' has a character that is not a hex digit",
			                  key);
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = digits / 2;
	return 0;
}
