/* SPDX-License-Identifier: ISC */
/*
 * The rule lexer and parser (Snort 2.9 / Suricata rule language), the
 * keyword registry, the file loader (.rules or gzip .rules.gz through zlib)
 * and the dump of how a rule was understood.
 *
 *   action proto src sport -> dst dport (name:value; name; ...)
 *
 * Lines starting with '#' are comments; a line ending in '\' continues on
 * the next. Inside an option value, as in Suricata, only an unescaped ';'
 * ends the value (quotes do not protect it); the keyword then resolves \"
 * \; \\ escapes itself. Every option must end with ';'. Sticky buffers
 * (http.uri; content:...) apply to the options that follow; Snort 2 buffer
 * modifiers (content:...; http_uri;) move the content before them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "ips/rule_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/hex.h"

/* ---- registry ---- */

static const struct ips_keyword **kw_sorted;
static size_t kw_n;
static const struct ips_keyword *kw_by_id[IPS_KW__COUNT];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static int kw_cmp(const void *a, const void *b)
{
	const struct ips_keyword *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static void kw_init(void)
{
	static const struct {
		const struct ips_keyword *t;
		const size_t *n;
	} mods[] = {
	        {ips_kw_meta_table, &ips_kw_meta_count},
	        {ips_kw_content_table, &ips_kw_content_count},
	        {ips_kw_byte_table, &ips_kw_byte_count},
	        {ips_kw_proto_table, &ips_kw_proto_count},
	        {ips_kw_buffer_table, &ips_kw_buffer_count},
	        {ips_kw_app_table, &ips_kw_app_count},
	        {ips_kw_event_table, &ips_kw_event_count},
	        {ips_kw_transform_table, &ips_kw_transform_count},
	        {ips_kw_file_table, &ips_kw_file_count},
	        {ips_kw_dataset_table, &ips_kw_dataset_count},
	        {ips_kw_dce_table, &ips_kw_dce_count},
	        {ips_kw_state_table, &ips_kw_state_count},
	};
	size_t total = 0;
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		total += *mods[i].n;
	kw_sorted = calloc(total, sizeof(*kw_sorted));
	if (!kw_sorted) {
		/* Allocation failure at start-up is fatal (STYLE.md). */
		log_err("ips", "out of memory building the keyword registry");
		abort();
	}
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		for (size_t j = 0; j < *mods[i].n; j++) {
			const struct ips_keyword *k = &mods[i].t[j];
			kw_sorted[kw_n++] = k;
			if (!kw_by_id[k->id])
				kw_by_id[k->id] = k;
		}
	}
	qsort(kw_sorted, kw_n, sizeof(*kw_sorted), kw_cmp);
}

const struct ips_keyword *ips_keyword_find(const char *name)
{
	pthread_once(&kw_once, kw_init);
	size_t lo = 0, hi = kw_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, kw_sorted[mid]->name);
		if (c == 0)
			return kw_sorted[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *ips_kw_name(enum ips_kw kw)
{
	pthread_once(&kw_once, kw_init);
	return kw >= 0 && kw < IPS_KW__COUNT && kw_by_id[kw] ? kw_by_id[kw]->name : "?";
}

void ips_kw_free_data(enum ips_kw kw, void *data)
{
	pthread_once(&kw_once, kw_init);
	if (!data)
		return;
	if (kw >= 0 && kw < IPS_KW__COUNT && kw_by_id[kw] && kw_by_id[kw]->free)
		kw_by_id[kw]->free(data);
	else
		free(data);
}

/* ---- helpers shared with the keyword modules ---- */

int ips_fail(struct ips_parse_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	if (ctx->reason && ctx->reason_len && !ctx->reason[0]) {
		va_start(ap, fmt);
		vsnprintf(ctx->reason, ctx->reason_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

char *ips_strndup_trim(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

size_t ips_split(const char *s, char sep, char **tok, size_t max, char **buf)
{
	size_t n = 0;
	char *b = strdup(s), *p = b;
	*buf = b;
	if (!b)
		return 0;
	while (p && n < max) {
		char *e = strchr(p, sep);
		if (e)
			*e = 0;
		while (isspace((unsigned char)*p))
			p++;
		char *t = p + strlen(p);
		while (t > p && isspace((unsigned char)t[-1]))
			*--t = 0;
		tok[n++] = p;
		p = e ? e + 1 : NULL;
	}
	return p ? max + 1 : n; /* max + 1: too many tokens */
}

int ips_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return BW_ERR_INVAL;
	errno = 0;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		v = strtoll(s + 2, &end, 16);
	else
		v = strtoll(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end || v < min || v > max)
		return BW_ERR_INVAL;
	*out = v;
	return 0;
}

int ips_parse_num(const char *s, uint64_t max, struct ips_num *out)
{
	int64_t a, b;
	char buf[64];
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return BW_ERR_INVAL;
	memcpy(buf, s, n + 1);
	char *rng = strstr(buf, "<>"), *dash = strchr(buf + 1, '-');
	if (rng || (dash && isdigit((unsigned char)buf[0]))) {
		char *sep = rng ? rng : dash;
		*sep = 0;
		if (ips_parse_i64(buf, 0, (int64_t)max, &a) ||
		    ips_parse_i64(sep + (rng ? 2 : 1), 0, (int64_t)max, &b) || a >= b)
			return BW_ERR_INVAL;
		/* Suricata: "a<>b" and "a-b" are exclusive. */
		*out = (struct ips_num){IPS_CMP_RANGE, (uint64_t)a, (uint64_t)b};
		return 0;
	}
	enum ips_cmp op = IPS_CMP_EQ;
	const char *p = buf;
	if (p[0] == '<' && p[1] == '=') {
		op = IPS_CMP_LE;
		p += 2;
	} else if (p[0] == '>' && p[1] == '=') {
		op = IPS_CMP_GE;
		p += 2;
	} else if (p[0] == '<') {
		op = IPS_CMP_LT;
		p++;
	} else if (p[0] == '>') {
		op = IPS_CMP_GT;
		p++;
	} else if (p[0] == '!') {
		op = IPS_CMP_NE;
		p++;
	} else if (p[0] == '=') {
		p++;
	}
	if (ips_parse_i64(p, 0, (int64_t)max, &a))
		return BW_ERR_INVAL;
	/* Comparisons that no value can satisfy are refused as Suricata does. */
	if ((op == IPS_CMP_LT && a == 0) || (op == IPS_CMP_GT && (uint64_t)a == max))
		return BW_ERR_INVAL;
	*out = (struct ips_num){op, (uint64_t)a, 0};
	return 0;
}

int ips_kw_num(struct ips_parse_ctx *ctx, const char *val, uint64_t max, bool eq_only, void **data)
{
	struct ips_num *n = calloc(1, sizeof(*n));
	if (!n)
		return BW_ERR_NOMEM;
	if (ips_parse_num(val, max, n) || (eq_only && n->op != IPS_CMP_EQ)) {
		free(n);
		return ips_fail(ctx, BW_ERR_INVAL, "%s: bad value '%s'", ctx->kwname, val);
	}
	*data = n;
	return 0;
}

bool ips_num_match(const struct ips_num *n, uint64_t v)
{
	switch (n->op) {
	case IPS_CMP_EQ:
		return v == n->lo;
	case IPS_CMP_NE:
		return v != n->lo;
	case IPS_CMP_LT:
		return v < n->lo;
	case IPS_CMP_LE:
		return v <= n->lo;
	case IPS_CMP_GT:
		return v > n->lo;
	case IPS_CMP_GE:
		return v >= n->lo;
	case IPS_CMP_RANGE:
		return v > n->lo && v < n->hi;
	}
	return false;
}

int ips_var_index(const struct ips_rule *r, const char *name)
{
	for (size_t i = 0; i < r->nvars; i++)
		if (strcmp(r->vars[i], name) == 0)
			return (int)i;
	return IPS_NOVAR;
}

int ips_parse_int_or_var(struct ips_parse_ctx *ctx, const char *s, int64_t min, int64_t max,
                         int32_t *val, int *var)
{
	int64_t v;
	*var = IPS_NOVAR;
	while (isspace((unsigned char)*s))
		s++;
	if (isalpha((unsigned char)*s) || *s == '_') {
		int i = ips_var_index(ctx->r, s);
		if (i == IPS_NOVAR)
			return ips_fail(ctx, BW_ERR_INVAL, "%s: unknown variable '%s'", ctx->kwname,
			                s);
		*var = i;
		*val = 0;
		return 0;
	}
	if (ips_parse_i64(s, min, max, &v))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: bad number '%s'", ctx->kwname, s);
	*val = (int32_t)v;
	return 0;
}

int ips_unquote(struct ips_parse_ctx *ctx, const char *s, bool need, bool hex, uint8_t **out,
                size_t *len)
{
	size_t n = strlen(s);
	*out = NULL;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	} else if (need) {
		return ips_fail(ctx, BW_ERR_INVAL, "%s: value must be in double quotes",
		                ctx->kwname);
	}
	uint8_t *b = malloc(n + 1);
	if (!b)
		return BW_ERR_NOMEM;
	size_t o = 0;
	bool inhex = false;
	int hi = -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (hex && c == '|') {
			if (inhex && hi >= 0)
				goto bad_hex;
			inhex = !inhex;
			continue;
		}
		if (inhex) {
			if (isspace(c))
				continue;
			int h = bw_hex_digit(c);
			if (h < 0)
				goto bad_hex;
			if (hi < 0) {
				hi = h;
			} else {
				b[o++] = (uint8_t)(hi << 4 | h);
				hi = -1;
			}
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= n) {
				free(b);
				return ips_fail(ctx, BW_ERR_INVAL, "%s: trailing backslash",
				                ctx->kwname);
			}
			c = (unsigned char)s[++i];
			/*
			 * Content accepts these escapes only, as Suricata; in other
			 * text (msg) Suricata drops the backslash before any character.
			 */
			if (hex && c != '"' && c != ';' && c != '\\' && c != ':' && c != '|') {
				free(b);
				return ips_fail(ctx, BW_ERR_INVAL, "%s: invalid escape '\\%c'",
				                ctx->kwname, c);
			}
		} else if (c == '"' && need) {
			free(b);
			return ips_fail(ctx, BW_ERR_INVAL, "%s: unescaped '\"' in value",
			                ctx->kwname);
		}
		b[o++] = c;
	}
	if (inhex) {
	bad_hex:
		free(b);
		return ips_fail(ctx, BW_ERR_INVAL, "%s: bad |hex| block", ctx->kwname);
	}
	b[o] = 0;
	*out = b;
	*len = o;
	return 0;
}

/* ---- rule header ---- */

static const struct {
	const char *name;
	enum ips_action a;
} actions[] = {
        {"alert", IPS_ACT_ALERT},         {"drop", IPS_ACT_DROP},
        {"reject", IPS_ACT_REJECT},       {"rejectsrc", IPS_ACT_REJECTSRC},
        {"rejectdst", IPS_ACT_REJECTDST}, {"rejectboth", IPS_ACT_REJECTBOTH},
        {"pass", IPS_ACT_PASS},
};

static const char *const proto_names[IPS_PROTO__COUNT] = {
        [IPS_PROTO_IP] = "ip",     [IPS_PROTO_TCP] = "tcp",
        [IPS_PROTO_UDP] = "udp",   [IPS_PROTO_ICMP] = "icmp",
        [IPS_PROTO_HTTP] = "http", [IPS_PROTO_DNS] = "dns",
        [IPS_PROTO_TLS] = "tls",   [IPS_PROTO_SSH] = "ssh",
        [IPS_PROTO_FTP] = "ftp",   [IPS_PROTO_FTP_DATA] = "ftp-data",
        [IPS_PROTO_SMTP] = "smtp", [IPS_PROTO_MQTT] = "mqtt",
        [IPS_PROTO_KRB5] = "krb5", [IPS_PROTO_MODBUS] = "modbus",
        [IPS_PROTO_ENIP] = "enip", [IPS_PROTO_IKE] = "ike",
        [IPS_PROTO_SMB] = "smb",   [IPS_PROTO_DCERPC] = "dcerpc",
};

const char *ips_proto_name(enum ips_proto p)
{
	return (unsigned)p < IPS_PROTO__COUNT ? proto_names[p] : "?";
}

/*
 * Protocols Suricata knows that this engine does not decode (yet). Names in
 * proto_names are matched first, so listing them here too is harmless.
 */
static const char *const proto_unsupported[] = {
        "sctp",   "ftp",  "ftp-data", "smtp",           "ssh",     "http2",   "quic",
        "nfs",    "tftp", "krb5",     "dhcp",           "snmp",    "sip",     "rfb",
        "mqtt",   "rdp",  "ike",      "ikev2",          "ntp",     "enip",    "dnp3",
        "modbus", "imap", "pop3",     "bittorrent-dht", "pgsql",   "telnet",  "websocket",
        "ldap",   "nntp", "doh2",     "http1",          "dns-tcp", "dns-udp", "tcp-stream-only",
};

/*
 * Suricata's network-layer protocol forms (detect-engine-proto.c): pkthdr is
 * "ip" (any packet), ipv4/ip4 and ipv6/ip6 restrict the IP version,
 * icmpv4/icmpv6 one ICMP version ("icmp" is both).
 */
static const struct {
	const char *name;
	enum ips_proto proto;
	uint8_t ip_version, icmp_version;
} proto_forms[] = {
        {"pkthdr", IPS_PROTO_IP, 0, 0},   {"ipv4", IPS_PROTO_IP, 4, 0},
        {"ip4", IPS_PROTO_IP, 4, 0},      {"ipv6", IPS_PROTO_IP, 6, 0},
        {"ip6", IPS_PROTO_IP, 6, 0},      {"icmpv4", IPS_PROTO_ICMP, 0, 4},
        {"icmpv6", IPS_PROTO_ICMP, 0, 6},
};

static const char *const act_names[] = {"alert",     "drop",       "reject", "rejectsrc",
                                        "rejectdst", "rejectboth", "pass"};

/* One header token: runs to blank space, but blanks inside [..] are kept. */
static const char *next_token(const char *p, const char *end, char *out, size_t cap)
{
	size_t o = 0;
	int depth = 0;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (p < end && (depth > 0 || !isspace((unsigned char)*p)) && *p != '(') {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		if (o + 1 >= cap)
			return NULL;
		if (!isspace((unsigned char)*p))
			out[o++] = *p;
		p++;
	}
	out[o] = 0;
	return o ? p : NULL;
}

static int parse_proto(struct ips_parse_ctx *ctx, const char *s)
{
	struct ips_rule *r = ctx->r;
	for (int i = 0; i < IPS_PROTO__COUNT; i++) {
		if (strcasecmp(s, proto_names[i]) == 0) {
			r->proto = (enum ips_proto)i;
			return 0;
		}
	}
	if (strcasecmp(s, "ikev2") == 0) {
		r->proto = IPS_PROTO_IKE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(proto_forms) / sizeof(proto_forms[0]); i++) {
		if (strcasecmp(s, proto_forms[i].name) == 0) {
			r->proto = proto_forms[i].proto;
			r->ip_version = proto_forms[i].ip_version;
			r->icmp_version = proto_forms[i].icmp_version;
			return 0;
		}
	}
	if (strcasecmp(s, "tcp-pkt") == 0 || strcasecmp(s, "tcp-stream") == 0) {
		r->proto = IPS_PROTO_TCP;
		r->tcp_scope = s[4] == 'p' || s[4] == 'P' ? IPS_TCP_PKT : IPS_TCP_STREAM;
		return 0;
	}
	for (size_t i = 0; i < sizeof(proto_unsupported) / sizeof(proto_unsupported[0]); i++)
		if (strcasecmp(s, proto_unsupported[i]) == 0)
			return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported protocol %s", s);
	return ips_fail(ctx, BW_ERR_INVAL, "unknown protocol %s", s);
}

static int parse_header(struct ips_parse_ctx *ctx, const char *p, const char *end)
{
	struct ips_rule *r = ctx->r;
	char tok[7][4096];
	const char *why;
	int e;
	for (int i = 0; i < 7; i++) {
		if (!(p = next_token(p, end, tok[i], sizeof(tok[i]))))
			return ips_fail(ctx, BW_ERR_INVAL, "invalid header: expected 7 fields");
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p != end)
		return ips_fail(ctx, BW_ERR_INVAL, "invalid header: text before '('");
	size_t a;
	for (a = 0; a < sizeof(actions) / sizeof(actions[0]); a++)
		if (strcmp(tok[0], actions[a].name) == 0)
			break;
	if (a == sizeof(actions) / sizeof(actions[0]))
		return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported action %s", tok[0]);
	r->action = actions[a].a;
	if ((e = parse_proto(ctx, tok[1])) != 0)
		return e;
	if (strcmp(tok[4], "->") == 0)
		r->bidir = false;
	else if (strcmp(tok[4], "<>") == 0)
		r->bidir = true;
	else
		return ips_fail(ctx, BW_ERR_INVAL, "invalid header: direction '%s'", tok[4]);
	if ((e = ips_addr_parse(&r->src, tok[2], ctx->vars, &why)) != 0)
		return e == BW_ERR_NOMEM ? e : ips_fail(ctx, e, "invalid source address: %s", why);
	if ((e = ips_addr_parse(&r->dst, tok[5], ctx->vars, &why)) != 0)
		return e == BW_ERR_NOMEM ? e
		                         : ips_fail(ctx, e, "invalid destination address: %s", why);
	if ((e = ips_port_parse(&r->sp, tok[3], ctx->vars, &why)) != 0)
		return e == BW_ERR_NOMEM ? e : ips_fail(ctx, e, "invalid source port: %s", why);
	if ((e = ips_port_parse(&r->dp, tok[6], ctx->vars, &why)) != 0)
		return e == BW_ERR_NOMEM ? e
		                         : ips_fail(ctx, e, "invalid destination port: %s", why);
	/*
	 * ICMP has no ports. An ip rule may name ports (ET's SHELLCODE_PORTS
	 * rules do, and Suricata loads them): they then apply to packets that
	 * carry ports, TCP and UDP.
	 */
	if (r->proto == IPS_PROTO_ICMP && (!r->sp.any || !r->dp.any))
		return ips_fail(ctx, BW_ERR_INVAL, "invalid header: ports with protocol %s",
		                proto_names[r->proto]);
	return 0;
}

/* ---- options ---- */

/* App layer a buffer belongs to (IPS_PROTO_IP: several, or none). */
static enum ips_proto buf_app(enum ips_buf b)
{
	/* Packet headers, files and base64_data belong to no one protocol. */
	if (b == IPS_BUF_PAYLOAD || ips_buf_is_pkt(b) || b == IPS_BUF_BASE64_DATA ||
	    (b >= IPS_BUF_FILE_NAME && b <= IPS_BUF_FILE_SHA256))
		return IPS_PROTO_IP;
	if (b <= IPS_BUF_FILE_DATA)
		return IPS_PROTO_HTTP;
	if (b == IPS_BUF_DNS_QUERY)
		return IPS_PROTO_DNS;
	if (b >= IPS_BUF_SSH_PROTO && b <= IPS_BUF_SSH_HASSH_SERVER_STRING)
		return IPS_PROTO_SSH;
	if (b == IPS_BUF_FTP_COMMAND || b == IPS_BUF_FTP_COMMAND_DATA)
		return IPS_PROTO_FTP;
	if (b == IPS_BUF_FTPDATA_COMMAND)
		return IPS_PROTO_FTP_DATA;
	if (b == IPS_BUF_KRB5_CNAME || b == IPS_BUF_KRB5_SNAME)
		return IPS_PROTO_KRB5;
	if (b >= IPS_BUF_MQTT_PUBLISH_TOPIC && b <= IPS_BUF_MQTT_UNSUBSCRIBE_TOPIC)
		return IPS_PROTO_MQTT;
	if (b >= IPS_BUF_IKE_INIT_SPI && b <= IPS_BUF_IKE_VENDOR)
		return IPS_PROTO_IKE;
	if (b == IPS_BUF_SMB_NAMED_PIPE || b == IPS_BUF_SMB_SHARE ||
	    b == IPS_BUF_SMB_NTLMSSP_USER || b == IPS_BUF_SMB_NTLMSSP_DOMAIN)
		return IPS_PROTO_SMB;
	if (b == IPS_BUF_DCERPC_STUB_DATA)
		return IPS_PROTO_DCERPC;
	/* Frames: the frame keyword names the app layer. */
	if (b >= IPS_BUF_FRAME_PDU && b <= IPS_BUF_FRAME_DATA)
		return IPS_PROTO_IP;
	return IPS_PROTO_TLS;
}

/*
 * The app layer of buffer b in this rule. file.data is filled by every
 * parser that carries files (HTTP bodies, FTP data, SMTP attachments, SMB
 * file transfers): it belongs to the rule's own app protocol when that is
 * one of them, to any of them in a tcp or ip rule (as Suricata registers
 * file.data for each), and to HTTP for another app protocol (an error then).
 */
static enum ips_proto rule_buf_app(const struct ips_rule *r, enum ips_buf b)
{
	if (b != IPS_BUF_FILE_DATA)
		return buf_app(b);
	switch (r->proto) {
	case IPS_PROTO_HTTP:
	case IPS_PROTO_FTP_DATA:
	case IPS_PROTO_SMTP:
	case IPS_PROTO_SMB:
		return r->proto;
	case IPS_PROTO_IP:
	case IPS_PROTO_TCP:
	case IPS_PROTO_UDP:
	case IPS_PROTO_ICMP:
		return IPS_PROTO_IP;
	default:
		return IPS_PROTO_HTTP;
	}
}

/* Whether app protocol a runs over UDP. */
static bool app_over_udp(enum ips_proto a)
{
	return a == IPS_PROTO_DNS || a == IPS_PROTO_KRB5 || a == IPS_PROTO_ENIP ||
	       a == IPS_PROTO_IKE;
}

static int need_app(struct ips_parse_ctx *ctx, enum ips_proto app, const char *why)
{
	struct ips_rule *r = ctx->r;
	if (app == IPS_PROTO_IP)
		return 0;
	/* DCE/RPC keywords on an smb rule inspect DCE/RPC over its pipes. */
	if (app == IPS_PROTO_DCERPC && (r->proto == IPS_PROTO_SMB || r->app == IPS_PROTO_SMB))
		app = IPS_PROTO_SMB;
	if (app == IPS_PROTO_SMB && r->app == IPS_PROTO_DCERPC && r->proto != IPS_PROTO_DCERPC)
		r->app = IPS_PROTO_IP; /* smb keywords narrow a dcerpc one down to smb */
	if (r->app != IPS_PROTO_IP && r->app != app)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: mixes %s and %s inspection", why,
		                proto_names[r->app], proto_names[app]);
	if (r->proto >= IPS_PROTO_HTTP && r->proto != app)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: needs %s but the rule is %s", why,
		                proto_names[app], proto_names[r->proto]);
	/* DNS, krb5 and enip also run over UDP; ike only does; the others need TCP. */
	if (r->proto == IPS_PROTO_UDP && !app_over_udp(app))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: %s over udp", why, proto_names[app]);
	if (r->proto == IPS_PROTO_TCP && app == IPS_PROTO_IKE)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: %s over tcp", why, proto_names[app]);
	if (r->proto == IPS_PROTO_ICMP)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: %s on an icmp rule", why, proto_names[app]);
	r->app = app;
	return 0;
}

int ips_need_app(struct ips_parse_ctx *ctx, enum ips_proto app, const char *why)
{
	return need_app(ctx, app, why);
}

static bool has_base64_decode(const struct ips_rule *r)
{
	for (size_t i = 0; i < r->nopts; i++)
		if (r->opts[i].kw == IPS_KW_BASE64_DECODE)
			return true;
	return false;
}

static int apply_option(struct ips_parse_ctx *ctx, const char *name, const char *val)
{
	struct ips_rule *r = ctx->r;
	const struct ips_keyword *kw = ips_keyword_find(name);
	int e;
	if (!kw)
		return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported keyword %s", name);
	ctx->kwname = kw->name;
	if ((kw->flags & IPS_KWF_NOVALUE) && val)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: takes no value", name);
	if ((kw->flags & IPS_KWF_VALUE) && (!val || !*val))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: needs a value", name);
	if (kw->flags & IPS_KWF_STICKY) {
		if (kw->buf == IPS_BUF_BASE64_DATA && !has_base64_decode(r))
			return ips_fail(ctx, BW_ERR_INVAL, "%s: no preceding base64_decode", name);
		ctx->buf = kw->buf;
		ctx->sticky = kw->buf != IPS_BUF_PAYLOAD;
		ctx->tf_first = (uint16_t)r->nopts;
		ctx->tf_n = 0;
		/*
		 * Suricata 7's http.response_body is the file_data buffer of an
		 * HTTP rule (detect-http-server-body.c registers "file_data"):
		 * one buffer, prefiltered and inspected once.
		 */
		if (kw->buf == IPS_BUF_HTTP_RESPONSE_BODY) {
			ctx->buf = IPS_BUF_FILE_DATA;
			return need_app(ctx, IPS_PROTO_HTTP, name);
		}
		return need_app(ctx, rule_buf_app(r, kw->buf), name);
	}
	if (kw->flags & IPS_KWF_BUFMOD) {
		struct ips_opt *c = ctx->last_content;
		if (!c)
			return ips_fail(ctx, BW_ERR_INVAL, "%s: no preceding content", name);
		if (c->buf != IPS_BUF_PAYLOAD)
			return ips_fail(ctx, BW_ERR_INVAL,
			                "%s: the content is already in buffer %s", name,
			                ips_buf_name(c->buf));
		c->buf = kw->buf;
		return need_app(ctx, rule_buf_app(r, kw->buf), name);
	}
	if ((kw->flags & IPS_KWF_TRANSFORM) && (!ctx->sticky || ctx->buf == IPS_BUF_BASE64_DATA))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: transform without a sticky buffer", name);
	/* Suricata: "transforms must directly follow stickybuffers". */
	if ((kw->flags & IPS_KWF_TRANSFORM) && ctx->tf_first + ctx->tf_n != r->nopts)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: transform after an option of the buffer",
		                name);
	void *data = NULL;
	ctx->next_buf = -1;
	ctx->next_tf_n = 0;
	if (kw->parse && (e = kw->parse(ctx, val, &data)) != 0)
		return e;
	if (kw->flags & (IPS_KWF_CMOD | IPS_KWF_RULE))
		return 0;
	if (r->nopts >= IPS_RULE_MAX_OPTS) {
		ips_kw_free_data(kw->id, data);
		return ips_fail(ctx, BW_ERR_LIMIT, "too many options");
	}
	struct ips_opt *o = &r->opts[r->nopts++];
	o->kw = kw->id;
	o->buf = ctx->next_buf >= 0            ? (enum ips_buf)ctx->next_buf
	         : (kw->flags & IPS_KWF_INBUF) ? ctx->buf
	                                       : IPS_BUF_PAYLOAD;
	o->data = data;
	o->tf_first = o->tf_n = 0;
	if (kw->flags & IPS_KWF_TRANSFORM)
		ctx->tf_n++;
	else if (ctx->sticky && o->buf == ctx->buf) {
		o->tf_first = ctx->tf_first;
		o->tf_n = ctx->tf_n;
	} else if (ctx->next_buf >= 0 && ctx->next_tf_n > 0) {
		o->tf_first = ctx->next_tf_first;
		o->tf_n = ctx->next_tf_n;
	}
	if (o->buf != IPS_BUF_PAYLOAD && (e = need_app(ctx, rule_buf_app(r, o->buf), name)) != 0)
		return e;
	if (kw->id == IPS_KW_CONTENT)
		ctx->last_content = o;
	return 0;
}

/* Largest buffer length a bsize comparison allows. */
static uint64_t num_max(const struct ips_num *n)
{
	switch (n->op) {
	case IPS_CMP_EQ:
	case IPS_CMP_LE:
		return n->lo;
	case IPS_CMP_LT:
		return n->lo - 1;
	case IPS_CMP_RANGE:
		return n->hi - 1;
	default:
		return UINT64_MAX;
	}
}

/* Cross-option checks once every option is known. */
static int finish_rule(struct ips_parse_ctx *ctx, bool have_sid)
{
	struct ips_rule *r = ctx->r;
	if (!have_sid)
		return ips_fail(ctx, BW_ERR_INVAL, "missing sid");
	for (size_t i = 0; i < r->nopts; i++) {
		struct ips_opt *o = &r->opts[i];
		if (o->kw == IPS_KW_FLOW && !r->flow)
			r->flow = o->data;
		else if ((o->kw == IPS_KW_THRESHOLD) && !r->threshold)
			r->threshold = o->data;
		else if (o->kw == IPS_KW_CONTENT &&
		         (((struct ips_content *)o->data)->flags & IPS_CF_FAST_PATTERN))
			r->fast_pattern = o->data;
		else if (o->kw == IPS_KW_URILEN && ips_need_app(ctx, IPS_PROTO_HTTP, "urilen"))
			return BW_ERR_INVAL;
		else if ((o->kw == IPS_KW_DCE_IFACE || o->kw == IPS_KW_DCE_OPNUM) &&
		         need_app(ctx, IPS_PROTO_DCERPC, ips_kw_name(o->kw)))
			return BW_ERR_INVAL;
		if (o->kw != IPS_KW_BSIZE)
			continue;
		/* Suricata: a content longer than bsize allows can never match. */
		uint64_t max = num_max(o->data);
		for (size_t j = 0; j < r->nopts; j++) {
			const struct ips_content *c = r->opts[j].data;
			/* The same view: the buffer through the same transforms. */
			if (r->opts[j].kw == IPS_KW_CONTENT && r->opts[j].buf == o->buf &&
			    r->opts[j].tf_n == o->tf_n &&
			    (o->tf_n == 0 || r->opts[j].tf_first == o->tf_first) &&
			    !(c->flags & IPS_CF_NEGATED) && c->len > max)
				return ips_fail(
				        ctx, BW_ERR_INVAL,
				        "bsize: content of %zu bytes exceeds bsize %" PRIu64,
				        c->len, max);
		}
	}
	if (r->proto >= IPS_PROTO_HTTP)
		r->app = r->proto;
	return 0;
}

/* Walks "name[:value];" items between p and end. */
static int parse_options(struct ips_parse_ctx *ctx, const char *p, const char *end)
{
	char name[64];
	bool have_sid = false;
	int e;
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		size_t n = 0;
		while (p < end &&
		       (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-')) {
			if (n + 1 >= sizeof(name))
				return ips_fail(ctx, BW_ERR_INVAL, "syntax: keyword name too long");
			name[n++] = *p++;
		}
		name[n] = 0;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (n == 0 || p >= end || (*p != ':' && *p != ';'))
			return ips_fail(ctx, BW_ERR_INVAL, "syntax: bad option near '%.20s'", p);
		char *val = NULL;
		if (*p == ':') {
			const char *v = ++p;
			while (p < end && *p != ';') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p >= end)
				return ips_fail(ctx, BW_ERR_INVAL, "syntax: option %s without ';'",
				                name);
			if (!(val = ips_strndup_trim(v, (size_t)(p - v))))
				return BW_ERR_NOMEM;
		}
		p++; /* ';' */
		if (strcmp(name, "sid") == 0)
			have_sid = true;
		e = apply_option(ctx, name, val);
		free(val);
		if (e)
			return e;
	}
	return finish_rule(ctx, have_sid);
}

void ips_rule_free(struct ips_rule *r)
{
	if (!r)
		return;
	ips_addrset_clear(&r->src);
	ips_addrset_clear(&r->dst);
	ips_portset_clear(&r->sp);
	ips_portset_clear(&r->dp);
	free(r->msg);
	free(r->classtype);
	for (size_t i = 0; i < r->nrefs; i++) {
		free(r->refs[i].type);
		free(r->refs[i].value);
	}
	free(r->refs);
	for (size_t i = 0; i < r->nmeta; i++) {
		free(r->meta[i].key);
		free(r->meta[i].value);
	}
	free(r->meta);
	for (size_t i = 0; i < r->nopts; i++)
		ips_kw_free_data(r->opts[i].kw, r->opts[i].data);
	free(r->opts);
	for (size_t i = 0; i < r->nvars; i++)
		free(r->vars[i]);
	free(r);
}

int ips_rule_parse(const char *text, const struct ips_vars *vars, struct ips_rule **out,
                   char *reason, size_t reason_len, char *key, size_t key_len)
{
	return ips_rule_parse_in(text, vars, NULL, out, reason, reason_len, key, key_len);
}

int ips_rule_parse_in(const char *text, const struct ips_vars *vars, const char *dir,
                      struct ips_rule **out, char *reason, size_t reason_len, char *key,
                      size_t key_len)
{
	struct ips_vars *tmp = NULL;
	struct ips_rule *r = NULL;
	int e;
	*out = NULL;
	if (reason && reason_len)
		reason[0] = 0;
	if (key && key_len)
		key[0] = 0;
	struct ips_parse_ctx ctx = {.reason = reason, .reason_len = reason_len, .next_buf = -1};
	if (!vars) {
		if ((e = ips_vars_new(&tmp)) != 0)
			return e;
		vars = tmp;
	}
	ctx.vars = vars;
	ctx.dir = dir;
	size_t len = strlen(text);
	const char *open = memchr(text, '(', len);
	const char *close = text + len;
	while (close > text && isspace((unsigned char)close[-1]))
		close--;
	if (len > IPS_RULE_MAX_LEN) {
		e = ips_fail(&ctx, BW_ERR_LIMIT, "syntax: rule too long");
		goto out;
	}
	if (!open || close == text || close[-1] != ')' || close - 1 < open) {
		e = ips_fail(&ctx, BW_ERR_INVAL, "syntax: no (options)");
		goto out;
	}
	close--;
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(r->opts = calloc(IPS_RULE_MAX_OPTS, sizeof(*r->opts)))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	r->gid = 1;
	r->priority = -1;
	ctx.r = r;
	if ((e = parse_header(&ctx, text, open)) != 0)
		goto out;
	if ((e = parse_options(&ctx, open + 1, close)) != 0)
		goto out;
	/* Shrink the option array now that pointers into it are no longer kept. */
	struct ips_opt *shr = realloc(r->opts, (r->nopts ? r->nopts : 1) * sizeof(*r->opts));
	if (shr) {
		r->opts = shr;
		/* Re-point the convenience views at the moved array. */
		r->flow = NULL;
		r->threshold = NULL;
		r->fast_pattern = NULL;
		for (size_t i = 0; i < r->nopts; i++) {
			if (r->opts[i].kw == IPS_KW_FLOW && !r->flow)
				r->flow = r->opts[i].data;
			else if (r->opts[i].kw == IPS_KW_THRESHOLD && !r->threshold)
				r->threshold = r->opts[i].data;
			else if (r->opts[i].kw == IPS_KW_CONTENT &&
			         (((struct ips_content *)r->opts[i].data)->flags &
			          IPS_CF_FAST_PATTERN))
				r->fast_pattern = r->opts[i].data;
		}
	}
	*out = r;
	r = NULL;
out:
	if (e && key && key_len && reason) {
		/* The stats key: the reason up to its first ':' ("depth", "unsupported keyword x").
		 */
		size_t k = strcspn(reason, ":");
		if (k >= key_len)
			k = key_len - 1;
		memcpy(key, reason, k);
		key[k] = 0;
		if (!k)
			snprintf(key, key_len, "%s", bw_strerror(e));
	}
	ips_rule_free(r);
	ips_vars_free(tmp);
	return e;
}

/* ---- stats ---- */

void ips_load_stats_count(struct ips_load_stats *st, const char *what)
{
	for (size_t i = 0; i < st->nreasons; i++) {
		if (strcmp(st->reasons[i].what, what) == 0) {
			st->reasons[i].count++;
			return;
		}
	}
	if (st->nreasons == IPS_LOAD_MAX_REASONS - 1)
		what = "other";
	if (st->nreasons == IPS_LOAD_MAX_REASONS) {
		st->reasons[IPS_LOAD_MAX_REASONS - 1].count++;
		return;
	}
	snprintf(st->reasons[st->nreasons].what, sizeof(st->reasons[0].what), "%s", what);
	st->reasons[st->nreasons++].count = 1;
}

static int reason_cmp(const void *a, const void *b)
{
	const struct ips_load_reason *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->what, y->what);
}

void ips_load_stats_print(const struct ips_load_stats *st, FILE *f)
{
	struct ips_load_reason tmp[IPS_LOAD_MAX_REASONS];
	memcpy(tmp, st->reasons, st->nreasons * sizeof(tmp[0]));
	qsort(tmp, st->nreasons, sizeof(tmp[0]), reason_cmp);
	fprintf(f, "rules: %u seen, %u loaded (%.2f%%), %u skipped, %u duplicate sid\n", st->rules,
	        st->loaded, st->rules ? 100.0 * st->loaded / st->rules : 0.0, st->skipped,
	        st->dup_sid);
	for (size_t i = 0; i < st->nreasons; i++)
		fprintf(f, "  %6u  %s\n", tmp[i].count, tmp[i].what);
}

/* ---- loader ---- */

void ips_ruleset_free(struct ips_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		ips_rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs);
}

/* gid:sid -> index, open addressing, for duplicate detection while loading. */
struct sidtab {
	uint64_t *key; /* 0 = empty; stored key is (gid << 32 | sid) + 1 */
	size_t *idx;
	size_t cap, n;
};

static int sidtab_grow(struct sidtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	uint64_t *nk = calloc(ncap, sizeof(*nk));
	size_t *ni = calloc(ncap, sizeof(*ni));
	if (!nk || !ni) {
		free(nk);
		free(ni);
		return BW_ERR_NOMEM;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->key[i])
			continue;
		size_t h = (size_t)(t->key[i] * 0x9e3779b97f4a7c15ull) & (ncap - 1);
		while (nk[h])
			h = (h + 1) & (ncap - 1);
		nk[h] = t->key[i];
		ni[h] = t->idx[i];
	}
	free(t->key);
	free(t->idx);
	t->key = nk;
	t->idx = ni;
	t->cap = ncap;
	return 0;
}

/* Finds or inserts k; *found says which, *slot is the index slot. */
static int sidtab_get(struct sidtab *t, uint64_t k, size_t **slot, bool *found)
{
	int e;
	if ((t->n + 1) * 2 > t->cap && (e = sidtab_grow(t)) != 0)
		return e;
	k++;
	size_t h = (size_t)(k * 0x9e3779b97f4a7c15ull) & (t->cap - 1);
	while (t->key[h] && t->key[h] != k)
		h = (h + 1) & (t->cap - 1);
	*found = t->key[h] != 0;
	if (!*found) {
		t->key[h] = k;
		t->n++;
	}
	*slot = &t->idx[h];
	return 0;
}

static int rs_push(struct ips_ruleset *rs, struct ips_rule *r)
{
	if (rs->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 1024;
		struct ips_rule **nr = realloc(rs->rules, ncap * sizeof(*nr));
		if (!nr)
			return BW_ERR_NOMEM;
		rs->rules = nr;
		rs->cap = ncap;
	}
	rs->rules[rs->n++] = r;
	return 0;
}

struct loader {
	struct ips_ruleset *rs;
	const struct ips_vars *vars;
	struct ips_load_stats *st;
	struct sidtab sids;
	const char *file;
	char *dir; /* the file's directory */
};

static int load_one(struct loader *ld, const char *text, unsigned line)
{
	char reason[256], key[48];
	struct ips_rule *r;
	size_t *slot;
	bool found;
	ld->st->rules++;
	int e = ips_rule_parse_in(text, ld->vars, ld->dir, &r, reason, sizeof(reason), key,
	                          sizeof(key));
	if (e == BW_ERR_NOMEM)
		return e;
	if (e) {
		log_warn("ips", "%s:%u: rule skipped: %s", ld->file, line,
		         reason[0] ? reason : bw_strerror(e));
		ld->st->skipped++;
		ips_load_stats_count(ld->st, key);
		return 0;
	}
	r->file = ld->file;
	r->line = line;
	if ((e = sidtab_get(&ld->sids, (uint64_t)r->gid << 32 | r->sid, &slot, &found)) != 0) {
		ips_rule_free(r);
		return e;
	}
	if (found) {
		/* Suricata keeps the higher revision of a duplicated gid:sid. */
		struct ips_rule *old = ld->rs->rules[*slot];
		log_warn("ips", "%s:%u: duplicate sid %u (also %s:%u), keeping rev %u", ld->file,
		         line, r->sid, old->file, old->line, r->rev > old->rev ? r->rev : old->rev);
		ld->st->dup_sid++;
		ld->st->skipped++;
		ips_load_stats_count(ld->st, "duplicate sid");
		if (r->rev > old->rev) {
			ld->rs->rules[*slot] = r;
			ips_rule_free(old);
		} else {
			ips_rule_free(r);
		}
		return 0;
	}
	if ((e = rs_push(ld->rs, r)) != 0) {
		ips_rule_free(r);
		return e;
	}
	*slot = ld->rs->n - 1;
	ld->st->loaded++;
	return 0;
}

/* Appends s[0..n) to the growable buffer. */
static int buf_add(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*b, ncap);
		if (!nb)
			return BW_ERR_NOMEM;
		*b = nb;
		*cap = ncap;
	}
	memcpy(*b + *len, s, n);
	*len += n;
	(*b)[*len] = 0;
	return 0;
}

static int load_stream(struct loader *ld, gzFile gz)
{
	char chunk[8192];
	char *line = NULL, *rule = NULL;
	size_t ll = 0, lc = 0, rl = 0, rc = 0;
	unsigned lineno = 0, start = 0;
	int e = 0;
	bool eof = false;
	while (!eof) {
		ll = 0;
		/* One physical line, of any length. */
		for (;;) {
			if (!gzgets(gz, chunk, sizeof(chunk))) {
				eof = true;
				break;
			}
			size_t n = strlen(chunk);
			if ((e = buf_add(&line, &ll, &lc, chunk, n)) != 0)
				goto out;
			if (n && chunk[n - 1] == '\n')
				break;
		}
		if (eof && ll == 0)
			break;
		lineno++;
		ld->st->lines++;
		while (ll && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
			line[--ll] = 0;
		const char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (rl == 0 && (*s == '#' || *s == 0))
			continue;
		if (rl == 0)
			start = lineno;
		bool cont = ll && line[ll - 1] == '\\';
		if (cont)
			line[--ll] = 0;
		if (rl + ll > IPS_RULE_MAX_LEN) {
			log_warn("ips", "%s:%u: rule skipped: longer than %d bytes", ld->file,
			         start, IPS_RULE_MAX_LEN);
			ld->st->rules++;
			ld->st->skipped++;
			ips_load_stats_count(ld->st, "syntax");
			rl = 0;
			continue;
		}
		if ((e = buf_add(&rule, &rl, &rc, rl ? line : s, rl ? ll : strlen(s))) != 0)
			goto out;
		if (cont && !eof)
			continue;
		e = load_one(ld, rule, start);
		rl = 0;
		if (e)
			goto out;
	}
	if (rl)
		e = load_one(ld, rule, start);
out:
	free(line);
	free(rule);
	return e;
}

int ips_ruleset_load_file(struct ips_ruleset *rs, const char *path, const struct ips_vars *vars,
                          struct ips_load_stats *st)
{
	struct ips_load_stats local;
	struct ips_vars *tmp = NULL;
	int e;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (!vars) {
		if ((e = ips_vars_new(&tmp)) != 0)
			return e;
		vars = tmp;
	}
	char **nf = realloc(rs->files, (rs->nfiles + 1) * sizeof(*nf));
	if (!nf) {
		ips_vars_free(tmp);
		return BW_ERR_NOMEM;
	}
	rs->files = nf;
	if (!(rs->files[rs->nfiles] = strdup(path))) {
		ips_vars_free(tmp);
		return BW_ERR_NOMEM;
	}
	const char *file = rs->files[rs->nfiles++];
	/* gzopen reads plain files as they are, so .rules and .rules.gz take one path. */
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		log_err("ips", "%s: cannot open: %m", path);
		ips_vars_free(tmp);
		return BW_ERR_IO;
	}
	gzbuffer(gz, 1 << 17);
	struct loader ld = {.rs = rs, .vars = vars, .st = st, .file = file};
	const char *slash = strrchr(path, '/');
	if (slash && !(ld.dir = strndup(path, (size_t)(slash - path) + (slash == path)))) {
		gzclose(gz);
		ips_vars_free(tmp);
		return BW_ERR_NOMEM;
	}
	e = load_stream(&ld, gz);
	int zerr;
	const char *zmsg = gzerror(gz, &zerr);
	if (!e && zerr != Z_OK && zerr != Z_BUF_ERROR) {
		log_err("ips", "%s: read error: %s", path, zmsg);
		e = BW_ERR_IO;
	}
	gzclose(gz);
	free(ld.sids.key);
	free(ld.sids.idx);
	free(ld.dir);
	ips_vars_free(tmp);
	return e;
}

int ips_rules_load(const char *path, const struct ips_vars *vars, struct ips_ruleset **out,
                   struct ips_load_stats *st)
{
	*out = NULL;
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return BW_ERR_NOMEM;
	int e = ips_ruleset_load_file(rs, path, vars, st);
	if (e) {
		ips_ruleset_free(rs);
		return e;
	}
	*out = rs;
	return 0;
}

/* ---- dump ---- */

static void dump_range(const uint8_t *lo, const uint8_t *hi, size_t w, FILE *f)
{
	char a[64], b[64];
	int af = w == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, lo, a, sizeof(a));
	if (memcmp(lo, hi, w) == 0) {
		fputs(a, f);
		return;
	}
	/* A CIDR block when lo..hi is one prefix. */
	unsigned plen = 0;
	while (plen < 8 * w) {
		size_t i = plen / 8;
		uint8_t bit = (uint8_t)(0x80 >> (plen % 8));
		if ((lo[i] & bit) != (hi[i] & bit))
			break;
		plen++;
	}
	bool cidr = true;
	for (unsigned k = plen; k < 8 * w && cidr; k++) {
		uint8_t bit = (uint8_t)(0x80 >> (k % 8));
		cidr = !(lo[k / 8] & bit) && (hi[k / 8] & bit);
	}
	if (cidr) {
		fprintf(f, "%s/%u", a, plen);
		return;
	}
	inet_ntop(af, hi, b, sizeof(b));
	fprintf(f, "%s-%s", a, b);
}

static void dump_addr(const struct ips_addrset *a, FILE *f)
{
	if (a->any) {
		fputs("any", f);
		return;
	}
	fputc('[', f);
	for (size_t i = 0; i < a->n4; i++) {
		if (i)
			fputc(',', f);
		dump_range(a->v4[i].lo, a->v4[i].hi, 4, f);
	}
	for (size_t i = 0; i < a->n6; i++) {
		if (i || a->n4)
			fputc(',', f);
		dump_range(a->v6[i].lo, a->v6[i].hi, 16, f);
	}
	fputc(']', f);
}

static void dump_ports(const struct ips_portset *p, FILE *f)
{
	if (p->any) {
		fputs("any", f);
		return;
	}
	fputc('[', f);
	for (size_t i = 0; i < p->n; i++) {
		if (p->r[i].lo == p->r[i].hi)
			fprintf(f, "%s%u", i ? "," : "", p->r[i].lo);
		else
			fprintf(f, "%s%u:%u", i ? "," : "", p->r[i].lo, p->r[i].hi);
	}
	fputc(']', f);
}

void ips_rule_dump(const struct ips_rule *r, FILE *f)
{
	static const char *const scope[] = {"", " (packets only)", " (stream only)"};
	fprintf(f, "rule %u:%u:%u %s:%u\n", r->gid, r->sid, r->rev, r->file ? r->file : "-",
	        r->line);
	fprintf(f, "  header: %s %s%s", act_names[r->action], proto_names[r->proto],
	        scope[r->tcp_scope]);
	if (r->ip_version)
		fprintf(f, " ipv%u", r->ip_version);
	if (r->icmp_version)
		fprintf(f, " icmpv%u", r->icmp_version);
	if (r->app != IPS_PROTO_IP && r->app != r->proto)
		fprintf(f, " app=%s", proto_names[r->app]);
	fputc(' ', f);
	dump_addr(&r->src, f);
	fputc(' ', f);
	dump_ports(&r->sp, f);
	fputs(r->bidir ? " <> " : " -> ", f);
	dump_addr(&r->dst, f);
	fputc(' ', f);
	dump_ports(&r->dp, f);
	fputc('\n', f);
	if (r->msg)
		fprintf(f, "  msg: \"%s\"\n", r->msg);
	if (r->classtype)
		fprintf(f, "  classtype: %s\n", r->classtype);
	if (r->priority >= 0)
		fprintf(f, "  priority: %d\n", r->priority);
	for (size_t i = 0; i < r->nrefs; i++)
		fprintf(f, "  reference: %s,%s\n", r->refs[i].type, r->refs[i].value);
	for (size_t i = 0; i < r->nmeta; i++)
		fprintf(f, "  metadata: %s %s\n", r->meta[i].key, r->meta[i].value);
	if (r->target != IPS_TARGET_NONE)
		fprintf(f, "  target: %s\n", r->target == IPS_TARGET_SRC ? "src_ip" : "dest_ip");
	if (r->noalert)
		fputs("  noalert\n", f);
	if (ips_rule_ip_only(r))
		fputs("  ip-only: evaluated on the first packet of each flow direction\n", f);
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		const struct ips_keyword *k = kw_by_id[o->kw];
		/* Transforms share one id: their dump names the transform. */
		fprintf(f, "  [%zu] %s %s", i, ips_buf_name(o->buf),
		        o->kw == IPS_KW_TRANSFORM ? "transform" : ips_kw_name(o->kw));
		if (o->tf_n)
			fprintf(f, " (through [%u..%u])", o->tf_first, o->tf_first + o->tf_n - 1);
		if (k && k->dump && o->data) {
			fputc(' ', f);
			k->dump(o->data, f);
		}
		fputc('\n', f);
	}
}
