/* SPDX-License-Identifier: ISC */
/*
 * Transaction keywords of the MQTT, Kerberos 5, Modbus, EtherNet/IP and IKE
 * parsers (Suricata 7 names and value grammar): each becomes an IPS_KW_APP
 * option holding a struct ips_app_match whose selector (enum app_match in
 * app.h) app_tx_match() evaluates on the transaction being inspected.
 *
 *   mqtt.type:<name|0-15>        mqtt.flags:[!]dup,[!]retain   mqtt.qos:<0-2>
 *   mqtt.protocol_version:<num>  mqtt.reason_code:<num> (alias mqtt.connack.return_code)
 *   mqtt.connack.session_present:<true|false>
 *   mqtt.connect.flags:[!]username,[!]password,[!]will,[!]will_retain,[!]clean_session
 *   krb5_msg_type:<num>          krb5_err_code:<num>
 *   krb5.ticket_encryption:[!]weak | <etype>[,<etype>...] (names or numbers)
 *   modbus:<see app_modbus.c>    enip_command:<num>   cip_service:<svc>[,<class>[,[!]<attr>]]
 *   ike.exchtype:<num>   ike.chosen_sa_attribute:<alg_enc|alg_prf|alg_auth|alg_dh>=<num> (IKEv2)
 *   ike.key_exchange_payload_length:<num>   ike.nonce_payload_length:<num> (IKEv1)
 * (the sticky buffers of these protocols are in rule_kw_buffer.c)
 *
 * Numbers take Suricata's comparison syntax where Suricata allows it (ips_parse_num).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ips/app.h"
#include "ips/rule_int.h"
#include "lib/err.h"

static struct ips_app_match *new_match(struct ips_parse_ctx *ctx, enum ips_proto app, unsigned what)
{
	struct ips_app_match *m;

	if (ips_need_app(ctx, app, ctx->kwname) != 0)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		ips_fail(ctx, BW_ERR_NOMEM, "out of memory");
		return NULL;
	}
	m->app = app;
	m->what = what;
	return m;
}

static void match_free(void *data)
{
	struct ips_app_match *m = data;

	if (m != NULL)
		free(m->str);
	free(m);
}

static void match_dump(const void *data, FILE *f)
{
	const struct ips_app_match *m = data;

	fprintf(f, "%s sel=%u num=%d:%llu:%llu", ips_proto_name(m->app), m->what, (int)m->num.op,
	        (unsigned long long)m->num.lo, (unsigned long long)m->num.hi);
	for (size_t i = 0; i < m->narg; i++)
		fprintf(f, " %lld", (long long)m->arg[i]);
	if (m->str != NULL)
		fprintf(f, " \"%s\"", m->str);
}

/* A keyword whose value is one of Suricata's unsigned comparisons. */
static int num_kw(struct ips_parse_ctx *ctx, const char *val, void **data, enum ips_proto app,
                  unsigned what, uint64_t max)
{
	struct ips_app_match *m = new_match(ctx, app, what);
	int e;

	if (m == NULL)
		return BW_ERR_INVAL;
	if ((e = ips_parse_num(val, max, &m->num)) != 0) {
		free(m);
		return ips_fail(ctx, BW_ERR_INVAL, "%s: invalid value '%s'", ctx->kwname, val);
	}
	*data = m;
	return 0;
}

/* ---- MQTT ---- */

static const char *const mqtt_types[16] = {
        "UNASSIGNED", "CONNECT",  "CONNACK",    "PUBLISH", "PUBACK",      "PUBREC",
        "PUBREL",     "PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
        "PINGREQ",    "PINGRESP", "DISCONNECT", "AUTH",
};

static int kw_mqtt_type(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_app_match *m;
	int64_t v = -1;

	for (int i = 0; i < 16; i++)
		if (strcasecmp(val, mqtt_types[i]) == 0)
			v = i;
	if (v < 0 && ips_parse_i64(val, 0, 15, &v) != 0)
		return ips_fail(ctx, BW_ERR_INVAL, "mqtt.type: invalid type '%s'", val);
	if ((m = new_match(ctx, IPS_PROTO_MQTT, APP_M_MQTT_TYPE)) == NULL)
		return BW_ERR_INVAL;
	m->num.op = IPS_CMP_EQ;
	m->num.lo = (uint64_t)v;
	*data = m;
	return 0;
}

/* "[!]a,[!]b": arg[0] bits that must be set, arg[1] bits that must be clear. */
static int flag_list(struct ips_parse_ctx *ctx, const char *val, void **data, unsigned what,
                     const char *const *names, const uint64_t *bits, size_t n)
{
	char *tok[16], *buf = NULL;
	size_t nt = ips_split(val, ',', tok, 16, &buf);
	struct ips_app_match *m;

	if (nt == 0) {
		free(buf);
		return ips_fail(ctx, BW_ERR_INVAL, "%s: no flags", ctx->kwname);
	}
	if ((m = new_match(ctx, IPS_PROTO_MQTT, what)) == NULL) {
		free(buf);
		return BW_ERR_INVAL;
	}
	m->narg = 2;
	for (size_t i = 0; i < nt; i++) {
		const char *t = tok[i];
		bool neg = t[0] == '!';
		size_t k;

		t += neg;
		for (k = 0; k < n && strcmp(t, names[k]) != 0; k++)
			;
		if (k == n || ((m->arg[0] | m->arg[1]) & bits[k])) {
			int e = ips_fail(ctx, BW_ERR_INVAL, "%s: invalid or repeated flag '%s'",
			                 ctx->kwname, tok[i]);
			free(buf);
			free(m);
			return e;
		}
		m->arg[neg ? 1 : 0] |= bits[k];
	}
	free(buf);
	*data = m;
	return 0;
}

static int kw_mqtt_flags(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const names[] = {"dup", "retain"};
	static const uint64_t bits[] = {0x08, 0x01};

	return flag_list(ctx, val, data, APP_M_MQTT_FLAGS, names, bits, 2);
}

static int kw_mqtt_connect_flags(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const names[] = {"username", "password", "will", "will_retain",
	                                    "clean_session"};
	static const uint64_t bits[] = {0x80, 0x40, 0x04, 0x20, 0x02};

	return flag_list(ctx, val, data, APP_M_MQTT_CONNECT_FLAGS, names, bits, 5);
}

static int kw_mqtt_qos(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_app_match *m;
	int64_t v;

	if (ips_parse_i64(val, 0, 2, &v) != 0)
		return ips_fail(ctx, BW_ERR_INVAL, "mqtt.qos: invalid value '%s'", val);
	if ((m = new_match(ctx, IPS_PROTO_MQTT, APP_M_MQTT_QOS)) == NULL)
		return BW_ERR_INVAL;
	m->num.op = IPS_CMP_EQ;
	m->num.lo = (uint64_t)v;
	*data = m;
	return 0;
}

static int kw_mqtt_version(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_MQTT, APP_M_MQTT_PROTOCOL_VERSION, 255);
}

static int kw_mqtt_reason(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_MQTT, APP_M_MQTT_REASON_CODE, 255);
}

static int kw_mqtt_session_present(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_app_match *m;
	bool v;

	if (strcasecmp(val, "true") == 0 || strcasecmp(val, "yes") == 0 || strcmp(val, "1") == 0)
		v = true;
	else if (strcasecmp(val, "false") == 0 || strcasecmp(val, "no") == 0 ||
	         strcmp(val, "0") == 0)
		v = false;
	else
		return ips_fail(ctx, BW_ERR_INVAL, "mqtt.connack.session_present: '%s'", val);
	if ((m = new_match(ctx, IPS_PROTO_MQTT, APP_M_MQTT_CONNACK_SESSION_PRESENT)) == NULL)
		return BW_ERR_INVAL;
	m->arg[0] = v;
	m->narg = 1;
	*data = m;
	return 0;
}

/* ---- Kerberos 5 ---- */

static int kw_krb5_msg_type(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_KRB5, APP_M_KRB5_MSG_TYPE, UINT32_MAX);
}

static int kw_krb5_err_code(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_KRB5, APP_M_KRB5_ERR_CODE, UINT32_MAX);
}

/* RFC 3961 8, RFC 4120 7.5.7 and the Microsoft values, as kerberos-parser names them. */
static const struct {
	const char *name;
	int32_t v;
} krb5_etypes[] = {
        {"des-cbc-crc", 1},
        {"des-cbc-md4", 2},
        {"des-cbc-md5", 3},
        {"des3-cbc-md5", 5},
        {"des3-cbc-sha1", 7},
        {"dsaWithSHA1-CmsOID", 9},
        {"md5WithRSAEncryption-CmsOID", 10},
        {"sha1WithRSAEncryption-CmsOID", 11},
        {"rc2CBC-EnvOID", 12},
        {"rsaEncryption-EnvOID", 13},
        {"rsaES-OAEP-ENV-OID", 14},
        {"des-ede3-cbc-Env-OID", 15},
        {"des3-cbc-sha1-kd", 16},
        {"aes128-cts-hmac-sha1-96", 17},
        {"aes256-cts-hmac-sha1-96", 18},
        {"aes128-cts-hmac-sha256-128", 19},
        {"aes256-cts-hmac-sha384-192", 20},
        {"rc4-hmac", 23},
        {"rc4-hmac-exp", 24},
        {"camellia128-cts-cmac", 25},
        {"camellia256-cts-cmac", 26},
        {"subkey-keymaterial", 65},
        {"rc4-md4", -128},
        {"rc4-plain2", -129},
        {"rc4-lm", -130},
        {"rc4-sha", -131},
        {"des-plain", -132},
        {"rc4-hmac-OLD", -133},
        {"rc4-plain-OLD", -134},
        {"rc4-hmac-OLD-exp", -135},
        {"rc4-plain-OLD-exp", -136},
        {"rc4-plain", -140},
        {"rc4-plain-exp", -141},
};

static int kw_krb5_ticket_enc(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_app_match *m = new_match(ctx, IPS_PROTO_KRB5, APP_M_KRB5_TICKET_ENC);
	char *tok[16], *buf = NULL;
	size_t nt;
	int e = 0;

	if (m == NULL)
		return BW_ERR_INVAL;
	if (strcmp(val, "weak") == 0 || strcmp(val, "!weak") == 0) {
		m->arg[0] = 1;
		m->negated = val[0] == '!';
		m->narg = 1;
		*data = m;
		return 0;
	}
	nt = ips_split(val, ',', tok, 16, &buf);
	m->narg = 1;
	for (size_t i = 0; i < nt && e == 0; i++) {
		size_t k;
		int64_t v;

		for (k = 0; k < sizeof(krb5_etypes) / sizeof(krb5_etypes[0]); k++)
			if (strcmp(tok[i], krb5_etypes[k].name) == 0)
				break;
		if (k < sizeof(krb5_etypes) / sizeof(krb5_etypes[0]))
			v = krb5_etypes[k].v;
		else if (ips_parse_i64(tok[i], INT32_MIN, INT32_MAX, &v) != 0)
			e = ips_fail(ctx, BW_ERR_INVAL, "krb5.ticket_encryption: '%s'", tok[i]);
		if (e == 0 && m->narg >= sizeof(m->arg) / sizeof(m->arg[0]))
			e = ips_fail(ctx, BW_ERR_LIMIT, "krb5.ticket_encryption: too many types");
		if (e == 0)
			m->arg[m->narg++] = (uint64_t)v;
	}
	free(buf);
	if (e == 0 && nt == 0)
		e = ips_fail(ctx, BW_ERR_INVAL, "krb5.ticket_encryption: no value");
	if (e != 0) {
		free(m);
		return e;
	}
	*data = m;
	return 0;
}

/* ---- Modbus ---- */

static int kw_modbus(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_app_match *m = new_match(ctx, IPS_PROTO_MODBUS, APP_M_MODBUS);
	int e;

	if (m == NULL)
		return BW_ERR_INVAL;
	if ((e = app_modbus_parse_kw(val, m)) != 0) {
		free(m);
		return ips_fail(ctx, BW_ERR_INVAL, "modbus: invalid value '%s'", val);
	}
	*data = m;
	return 0;
}

/* ---- EtherNet/IP ---- */

static int kw_enip_command(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_ENIP, APP_M_ENIP_COMMAND, 65535);
}

static int kw_cip_service(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *tok[4], *buf = NULL;
	size_t nt = ips_split(val, ',', tok, 4, &buf);
	struct ips_app_match *m;
	int64_t v[3] = {0, 0, 0};
	static const int64_t max[3] = {127, 65535, 65535};
	bool neg = false;

	if (nt < 1 || nt > 3) {
		free(buf);
		return ips_fail(ctx, BW_ERR_INVAL, "cip_service: invalid value '%s'", val);
	}
	for (size_t i = 0; i < nt; i++) {
		const char *t = tok[i];

		/* The attribute may be negated: any attribute of the class. */
		if (i == 2 && t[0] == '!') {
			neg = true;
			t++;
		}
		if (ips_parse_i64(t, 0, max[i], &v[i]) != 0) {
			free(buf);
			return ips_fail(ctx, BW_ERR_INVAL, "cip_service: invalid value '%s'", val);
		}
	}
	free(buf);
	if ((m = new_match(ctx, IPS_PROTO_ENIP, APP_M_CIP_SERVICE)) == NULL)
		return BW_ERR_INVAL;
	m->arg[0] = (uint64_t)v[0];
	m->arg[1] = nt > 1 ? (uint64_t)v[1] + 1 : 0;
	m->arg[2] = nt > 2 ? (uint64_t)v[2] + 1 : 0;
	m->arg[3] = neg;
	m->narg = 4;
	*data = m;
	return 0;
}

/* ---- IKE ---- */

static int kw_ike_exchtype(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_IKE, APP_M_IKE_EXCH_TYPE, 255);
}

static int kw_ike_ke_len(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_IKE, APP_M_IKE_KEY_EXCHANGE_LEN, UINT32_MAX);
}

static int kw_ike_nonce_len(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return num_kw(ctx, val, data, IPS_PROTO_IKE, APP_M_IKE_NONCE_LEN, UINT32_MAX);
}

static int kw_ike_chosen_sa(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	const char *eq = strchr(val, '=');
	struct ips_app_match *m;
	int64_t v;

	if (eq == NULL || eq == val || ips_parse_i64(eq + 1, 0, UINT32_MAX, &v) != 0)
		return ips_fail(ctx, BW_ERR_INVAL, "ike.chosen_sa_attribute: '%s'", val);
	if ((m = new_match(ctx, IPS_PROTO_IKE, APP_M_IKE_CHOSEN_SA)) == NULL)
		return BW_ERR_INVAL;
	if ((m->str = ips_strndup_trim(val, (size_t)(eq - val))) == NULL) {
		free(m);
		return ips_fail(ctx, BW_ERR_NOMEM, "out of memory");
	}
	m->num.op = IPS_CMP_EQ;
	m->num.lo = (uint64_t)v;
	*data = m;
	return 0;
}

#define V IPS_KWF_VALUE
#define K(name, fn)                                                                                \
	{                                                                                          \
		name, IPS_KW_APP, V, 0, fn, match_free, match_dump                                 \
	}
const struct ips_keyword ips_kw_app_table[] = {
        K("mqtt.type", kw_mqtt_type),
        K("mqtt.flags", kw_mqtt_flags),
        K("mqtt.qos", kw_mqtt_qos),
        K("mqtt.protocol_version", kw_mqtt_version),
        K("mqtt.reason_code", kw_mqtt_reason),
        K("mqtt.connack.return_code", kw_mqtt_reason),
        K("mqtt.connack.session_present", kw_mqtt_session_present),
        K("mqtt.connect.flags", kw_mqtt_connect_flags),
        K("krb5_msg_type", kw_krb5_msg_type),
        K("krb5_err_code", kw_krb5_err_code),
        K("krb5.ticket_encryption", kw_krb5_ticket_enc),
        K("modbus", kw_modbus),
        K("enip_command", kw_enip_command),
        K("cip_service", kw_cip_service),
        K("ike.exchtype", kw_ike_exchtype),
        K("ike.chosen_sa_attribute", kw_ike_chosen_sa),
        K("ike.key_exchange_payload_length", kw_ike_ke_len),
        K("ike.nonce_payload_length", kw_ike_nonce_len),
};
const size_t ips_kw_app_count = sizeof(ips_kw_app_table) / sizeof(ips_kw_app_table[0]);
