/* SPDX-License-Identifier: ISC */
/*
 * Internals of the rule parser shared by rule_parse.c, rule_vars.c and the
 * keyword modules rule_kw_*.c: the parse context a keyword sees, the
 * keyword registry entry, and small text helpers (trimming, number parsing,
 * quoted-string unescaping) that every keyword uses so the grammar stays in
 * one place. Each keyword module exports one table; rule_parse.c merges them
 * into a sorted index at first use.
 */
#ifndef BW_IPS_RULE_INT_H
#define BW_IPS_RULE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ips/rule.h"

/* What a keyword may see and change while its rule is parsed. */
struct ips_parse_ctx {
	struct ips_rule *r;
	const struct ips_vars *vars;
	enum ips_buf buf;                  /* the sticky buffer in force for following options */
	bool sticky;                       /* a sticky buffer was named */
	struct ips_opt *last_content;      /* the previous content option (stable during parse) */
	int next_buf;                      /* >= 0: buffer for the option being parsed (pcre /U) */
	uint16_t next_tf_first, next_tf_n; /* with next_buf: its transforms (base64_decode) */
	unsigned fast_patterns;            /* fast_pattern seen so far */
	uint16_t tf_first, tf_n; /* transforms of the sticky buffer: opts[tf_first..+tf_n) */
	char *reason;
	size_t reason_len;
	const char *kwname;
	const char *dir; /* directory of the rules file, NULL: the current one */
};

enum ips_kw_flag {
	IPS_KWF_NOVALUE = 1u << 0,   /* takes no value ("nocase;") */
	IPS_KWF_VALUE = 1u << 1,     /* needs a value */
	IPS_KWF_OPTVALUE = 1u << 2,  /* value optional (fast_pattern) */
	IPS_KWF_STICKY = 1u << 3,    /* sets the sticky buffer */
	IPS_KWF_CMOD = 1u << 4,      /* modifies the previous content, adds no option */
	IPS_KWF_BUFMOD = 1u << 5,    /* Snort 2 buffer modifier of the previous content */
	IPS_KWF_TRANSFORM = 1u << 6, /* transform of the current sticky buffer */
	IPS_KWF_RULE = 1u << 7,      /* fills struct ips_rule, adds no option */
	IPS_KWF_INBUF = 1u << 8,     /* inspects the current buffer (else: the packet) */
};

/*
 * One keyword. parse gets the value with surrounding blanks removed (NULL
 * for a keyword without value) and either stores into ctx->r / the last
 * content, or returns a new data object in *data that becomes an option
 * (for keywords without data, *data stays NULL and the option is still
 * kept unless the flags say otherwise). It returns 0 or a negative bw_err,
 * having written a reason with ips_fail().
 */
struct ips_keyword {
	const char *name;
	enum ips_kw id;
	unsigned flags;   /* enum ips_kw_flag */
	enum ips_buf buf; /* for IPS_KWF_STICKY and IPS_KWF_BUFMOD */
	int (*parse)(struct ips_parse_ctx *ctx, const char *val, void **data);
	void (*free)(void *data);
	void (*dump)(const void *data, FILE *f); /* prints the data after the name */
};

/* The keyword tables of each module. */
extern const struct ips_keyword ips_kw_meta_table[];
extern const size_t ips_kw_meta_count;
extern const struct ips_keyword ips_kw_content_table[];
extern const size_t ips_kw_content_count;
extern const struct ips_keyword ips_kw_byte_table[];
extern const size_t ips_kw_byte_count;
extern const struct ips_keyword ips_kw_proto_table[];
extern const size_t ips_kw_proto_count;
extern const struct ips_keyword ips_kw_buffer_table[];
extern const size_t ips_kw_buffer_count;
extern const struct ips_keyword ips_kw_app_table[]; /* rule_kw_app.c: app transaction fields */
extern const size_t ips_kw_app_count;
extern const struct ips_keyword ips_kw_event_table[]; /* rule_kw_event.c: events, header details */
extern const size_t ips_kw_event_count;

/*
 * Records that the rule inspects app protocol app (fails when the rule's
 * protocol or an earlier option says otherwise); why names the keyword.
 */
int ips_need_app(struct ips_parse_ctx *ctx, enum ips_proto app, const char *why);
/* Suricata's name of a rule protocol ("http", "mqtt", ...). */
const char *ips_proto_name(enum ips_proto p);
extern const struct ips_keyword ips_kw_transform_table[];
extern const size_t ips_kw_transform_count;

extern const struct ips_keyword ips_kw_file_table[];
extern const size_t ips_kw_file_count;
extern const struct ips_keyword ips_kw_dataset_table[];
extern const size_t ips_kw_dataset_count;

/* content's parser, for the keywords that are contents in disguise (filename, ...). */
int ips_kw_content_parse(struct ips_parse_ctx *ctx, const char *val, void **data);
extern const struct ips_keyword ips_kw_dce_table[];
extern const size_t ips_kw_dce_count;
/* rule_kw_state.c: xbits, tag, bypass, tls.version, asn1, ftpbounce */
extern const struct ips_keyword ips_kw_state_table[];
extern const size_t ips_kw_state_count;

/* The registry entry for name, or NULL. */
const struct ips_keyword *ips_keyword_find(const char *name);
/* The canonical name of an option's keyword (for dumps). */
const char *ips_kw_name(enum ips_kw kw);
/* Frees option data of keyword kw. */
void ips_kw_free_data(enum ips_kw kw, void *data);

/*
 * Binds the rule to app protocol app (IPS_PROTO_IP: no-op), refusing a
 * conflict with the header protocol or an earlier buffer; why names the
 * keyword in the reason.
 */
int ips_need_app(struct ips_parse_ctx *ctx, enum ips_proto app, const char *why);

/* Writes the failure reason and returns err. */
int ips_fail(struct ips_parse_ctx *ctx, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Copies s[0..n) into a new NUL-terminated string, blanks trimmed both ends. */
char *ips_strndup_trim(const char *s, size_t n);
/* Splits s at commas into at most max trimmed tokens in a fresh buffer *buf (caller frees). */
size_t ips_split(const char *s, char sep, char **tok, size_t max, char **buf);
/* Decimal (or 0x hex) integer within [min, max]. */
int ips_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Suricata's numeric comparison: "5", "<5", ">=5", "!5", "5<>9", "5-9". */
int ips_parse_num(const char *s, uint64_t max, struct ips_num *out);
/* A keyword whose value is such a comparison (only "N" with eq_only): a new struct ips_num. */
int ips_kw_num(struct ips_parse_ctx *ctx, const char *val, uint64_t max, bool eq_only, void **data);
/* Index of byte_extract variable name in r->vars, or IPS_NOVAR. */
int ips_var_index(const struct ips_rule *r, const char *name);
/* A number or a byte_extract variable name. */
int ips_parse_int_or_var(struct ips_parse_ctx *ctx, const char *s, int64_t min, int64_t max,
                         int32_t *val, int *var);
/*
 * Removes the surrounding double quotes of s (required when `need` is
 * true) and resolves \" \; \\ \: escapes into a new string. With `hex`, |..|
 * hex blocks become bytes (content). *len gets the byte count.
 */
int ips_unquote(struct ips_parse_ctx *ctx, const char *s, bool need, bool hex, uint8_t **out,
                size_t *len);

#endif
