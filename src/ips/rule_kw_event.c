/* SPDX-License-Identifier: ISC */
/*
 * Event and header keywords of Suricata's rule language:
 *  - decode-event (decoder and defrag anomalies, enum ips_event), stream-event
 *    (TCP tracking anomalies, enum ips_stream_event) and app-layer-event
 *    (transaction anomalies, enum app_tx_event for HTTP and DNS; the event
 *    names MQTT, Kerberos 5, Modbus and IKE record on their transactions,
 *    app_tx_event() in app_int.h, "ikev2." an alias of "ike."), by
 *    Suricata's names: the value is looked up in the engine's own tables, so
 *    a rule naming an event this engine never raises is skipped rather than
 *    silently dead;
 *  - ipopts (one IPv4 option kind, RFC 791 3.1), the checksum keywords
 *    ipv4-csum, tcpv4-csum, tcpv6-csum, udpv4-csum, udpv6-csum, icmpv4-csum,
 *    icmpv6-csum ("valid" or "invalid"), flow.age (seconds since the flow's
 *    first packet), dns.opcode (RFC 1035 4.1.1), icmpv6.mtu (RFC 4443 3.2);
 *  - prefilter, which in Suricata only picks the rule's prefilter engine:
 *    accepted and ignored (this engine prefilters header rules by itself).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ips/app.h"
#include "ips/decode.h"
#include "ips/rule_int.h"
#include "ips/stream.h"
#include "lib/err.h"

enum { EV_NAME_MAX = 96 };

/* Index of "<prefix><val>" among names(0..n), case-insensitively, or -1. */
static int ev_find(const char *prefix, const char *val, const char *(*name)(int), int first, int n)
{
	char full[EV_NAME_MAX];
	if ((size_t)snprintf(full, sizeof(full), "%s%s", prefix, val) >= sizeof(full))
		return -1;
	for (int i = first; i < n; i++)
		if (strcasecmp(name(i), full) == 0)
			return i;
	return -1;
}

static int ev_ref(struct ips_parse_ctx *ctx, int id, const char *val, void **data)
{
	if (id < 0)
		return ips_fail(ctx, BW_ERR_UNSUPP, "%s: unsupported event '%s'", ctx->kwname, val);
	struct ips_event_ref *e = calloc(1, sizeof(*e));
	if (!e)
		return BW_ERR_NOMEM;
	e->id = (uint16_t)id;
	*data = e;
	return 0;
}

static int kw_decode_event(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	/* decode-event:ipv6.frag_overlap names decoder.ipv6.frag_overlap. */
	return ev_ref(ctx, ev_find("decoder.", val, ips_event_name, 1, IPS_EV__COUNT), val, data);
}

static int kw_stream_event(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return ev_ref(ctx, ev_find("stream.", val, ips_stream_event_name, 0, IPS_SEV__COUNT), val,
	              data);
}

static const char *const mqtt_events[] = {
        "missing_connect",     "missing_publish",       "missing_subscribe", "missing_unsubscribe",
        "double_connect",      "unintroduced_message",  "invalid_qos_level", "missing_msg_id",
        "unassigned_msg_type", "too_many_transactions", "malformed_traffic", NULL,
};
static const char *const krb5_events[] = {"malformed_data", "weak_encryption", NULL};
static const char *const modbus_events[] = {
        "unsolicited_response",
        "invalid_function_code",
        "invalid_length",
        "invalid_value",
        "invalid_exception_code",
        "value_mismatch",
        "flooded",
        "invalid_protocol_id",
        NULL,
};
static const char *const ike_events[] = {
        "malformed_data",
        "no_encryption",
        "weak_crypto_enc",
        "weak_crypto_prf",
        "weak_crypto_dh",
        "weak_crypto_auth",
        "weak_crypto_no_dh",
        "weak_crypto_no_auth",
        "invalid_proposal",
        "unknown_proposal",
        "payload_extra_data",
        "multiple_server_proposal",
        NULL,
};

static const struct {
	const char *prefix; /* as written in rules */
	const char *canon;  /* as app_tx_event() records it */
	enum ips_proto app;
	const char *const *events;
} event_protos[] = {
        {"mqtt", "mqtt", IPS_PROTO_MQTT, mqtt_events},
        {"krb5", "krb5", IPS_PROTO_KRB5, krb5_events},
        {"modbus", "modbus", IPS_PROTO_MODBUS, modbus_events},
        {"ike", "ike", IPS_PROTO_IKE, ike_events},
        {"ikev2", "ike", IPS_PROTO_IKE, ike_events},
};

/*
 * app-layer-event of the parsers that record their events on the
 * transaction (app_tx_event(), app_int.h): MQTT, Kerberos 5, Modbus, IKE.
 * Returns 1 when val names none of them, else 0 with *out set or an error.
 */
static int tx_event(struct ips_parse_ctx *ctx, const char *val, struct ips_app_match **out)
{
	const char *dot = strchr(val, '.');
	struct ips_app_match *m;
	size_t plen;

	if (dot == NULL)
		return 1;
	plen = (size_t)(dot - val);
	for (size_t i = 0; i < sizeof(event_protos) / sizeof(event_protos[0]); i++) {
		const char *const *ev = event_protos[i].events;
		size_t k;

		if (strlen(event_protos[i].prefix) != plen ||
		    strncmp(val, event_protos[i].prefix, plen) != 0)
			continue;
		for (k = 0; ev[k] != NULL && strcmp(ev[k], dot + 1) != 0; k++)
			;
		if (ev[k] == NULL)
			return ips_fail(ctx, BW_ERR_INVAL, "app-layer-event: unknown event '%s'",
			                val);
		if (ips_need_app(ctx, event_protos[i].app, "app-layer-event") != 0)
			return BW_ERR_INVAL;
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return ips_fail(ctx, BW_ERR_NOMEM, "out of memory");
		m->app = event_protos[i].app;
		m->what = APP_M_EVENT;
		size_t cl = strlen(event_protos[i].canon), el = strlen(ev[k]);
		if ((m->str = malloc(cl + 1 + el + 1)) == NULL) {
			free(m);
			return ips_fail(ctx, BW_ERR_NOMEM, "out of memory");
		}
		memcpy(m->str, event_protos[i].canon, cl);
		m->str[cl] = '.';
		memcpy(m->str + cl + 1, ev[k], el + 1);
		*out = m;
		return 0;
	}
	return 1;
}

static int kw_app_event(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_app_match *m = NULL;
	int e = tx_event(ctx, val, &m);
	if (e <= 0) {
		struct ips_event_ref *r;
		if (e < 0)
			return e;
		if (!(r = calloc(1, sizeof(*r)))) {
			free(m->str);
			free(m);
			return BW_ERR_NOMEM;
		}
		r->m = m;
		*data = r;
		return 0;
	}
	int id = ev_find("", val, app_tx_event_name, 0, APP_TXEV__COUNT);
	if (id < 0)
		return ev_ref(ctx, id, val, data);
	enum ips_proto app = strncasecmp(val, "dns.", 4) == 0 ? IPS_PROTO_DNS : IPS_PROTO_HTTP;
	if ((e = ips_need_app(ctx, app, ctx->kwname)) != 0)
		return e;
	return ev_ref(ctx, id, val, data);
}

static void ev_dump(const void *p, FILE *f)
{
	const struct ips_event_ref *r = p;
	if (r->m)
		fputs(r->m->str ? r->m->str : "?", f);
	else
		fprintf(f, "%u", r->id);
}

static void ev_free(void *p)
{
	struct ips_event_ref *r = p;
	if (r && r->m) {
		free(r->m->str);
		free(r->m);
	}
	free(r);
}

static int kw_ipopts(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const struct {
		const char *name;
		uint16_t bit;
	} opts[] = {
	        {"rr", IPS_IPOPT_RR},     {"eol", IPS_IPOPT_EOL},   {"nop", IPS_IPOPT_NOP},
	        {"ts", IPS_IPOPT_TS},     {"sec", IPS_IPOPT_SEC},   {"esec", IPS_IPOPT_ESEC},
	        {"lsrr", IPS_IPOPT_LSRR}, {"ssrr", IPS_IPOPT_SSRR}, {"satid", IPS_IPOPT_SATID},
	        {"any", IPS_IPOPT_ANY},
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcasecmp(val, opts[i].name) != 0)
			continue;
		struct ips_ipopts *o = malloc(sizeof(*o));
		if (!o)
			return BW_ERR_NOMEM;
		o->mask = opts[i].bit;
		*data = o;
		return 0;
	}
	return ips_fail(ctx, BW_ERR_INVAL, "ipopts: unknown option '%s'", val);
}

static void ipopts_dump(const void *p, FILE *f)
{
	fprintf(f, "0x%04x", ((const struct ips_ipopts *)p)->mask);
}

static int kw_csum(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const names[] = {"ipv4-csum",  "tcpv4-csum",  "tcpv6-csum", "udpv4-csum",
	                                    "udpv6-csum", "icmpv4-csum", "icmpv6-csum"};
	size_t k;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(ctx->kwname, names[k]) == 0)
			break;
	if (k == sizeof(names) / sizeof(names[0]))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: unknown checksum keyword", ctx->kwname);
	/* Suricata accepts the value quoted too. */
	size_t n = strlen(val);
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
		val++;
		n -= 2;
	}
	bool valid;
	if (n == 5 && strncasecmp(val, "valid", 5) == 0)
		valid = true;
	else if (n == 7 && strncasecmp(val, "invalid", 7) == 0)
		valid = false;
	else
		return ips_fail(ctx, BW_ERR_INVAL, "%s: expected valid or invalid", ctx->kwname);
	struct ips_csum *c = malloc(sizeof(*c));
	if (!c)
		return BW_ERR_NOMEM;
	c->kind = (enum ips_csum_kind)k;
	c->valid = valid;
	*data = c;
	return 0;
}

static void csum_dump(const void *p, FILE *f)
{
	const struct ips_csum *c = p;
	fprintf(f, "%d %s", (int)c->kind, c->valid ? "valid" : "invalid");
}

static int kw_u32(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return ips_kw_num(ctx, val, UINT32_MAX, false, data);
}

static int kw_dns_opcode(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	int e = ips_need_app(ctx, IPS_PROTO_DNS, "dns.opcode");
	return e ? e : ips_kw_num(ctx, val, 15, false, data);
}

static void num_dump(const void *p, FILE *f)
{
	static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "<>"};
	const struct ips_num *n = p;
	if (n->op == IPS_CMP_RANGE)
		fprintf(f, "%" PRIu64 "<>%" PRIu64, n->lo, n->hi);
	else
		fprintf(f, "%s%" PRIu64, ops[n->op], n->lo);
}

#define V IPS_KWF_VALUE
#define CSUM(name)                                                                                 \
	{                                                                                          \
		name, IPS_KW_CSUM, V, 0, kw_csum, free, csum_dump                                  \
	}
const struct ips_keyword ips_kw_event_table[] = {
        {"decode-event", IPS_KW_DECODE_EVENT, V, 0, kw_decode_event, free, ev_dump},
        {"stream-event", IPS_KW_STREAM_EVENT, V, 0, kw_stream_event, free, ev_dump},
        {"app-layer-event", IPS_KW_APP_EVENT, V, 0, kw_app_event, ev_free, ev_dump},
        {"ipopts", IPS_KW_IPOPTS, V, 0, kw_ipopts, free, ipopts_dump},
        CSUM("ipv4-csum"),
        CSUM("tcpv4-csum"),
        CSUM("tcpv6-csum"),
        CSUM("udpv4-csum"),
        CSUM("udpv6-csum"),
        CSUM("icmpv4-csum"),
        CSUM("icmpv6-csum"),
        {"flow.age", IPS_KW_FLOW_AGE, V, 0, kw_u32, free, num_dump},
        {"dns.opcode", IPS_KW_DNS_OPCODE, V, 0, kw_dns_opcode, free, num_dump},
        {"icmpv6.mtu", IPS_KW_ICMPV6_MTU, V, 0, kw_u32, free, num_dump},
        {"prefilter", IPS_KW_STICKY, IPS_KWF_NOVALUE | IPS_KWF_RULE, 0, NULL, NULL, NULL},
};
const size_t ips_kw_event_count = sizeof(ips_kw_event_table) / sizeof(ips_kw_event_table[0]);
