/* SPDX-License-Identifier: ISC */
/*
 * app-layer-event:<proto>.<event> for the app-layer parsers that raise
 * Suricata's per-transaction events (MQTT, Kerberos 5, Modbus, IKE): the
 * option matches a transaction carrying that event (app_tx_events(),
 * app_int.h). Event names are checked against Suricata 7's lists; "ikev2."
 * is an alias of "ike.". Events of other protocols (http, dns, decoder and
 * stream events) are not supported here and skip the rule.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/app.h"
#include "ips/rule_int.h"
#include "lib/err.h"

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

static int kw_app_layer_event(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	const char *dot = strchr(val, '.');
	struct ips_app_match *m;
	size_t plen;

	if (dot == NULL)
		return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported keyword app-layer-event");
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
		*data = m;
		return 0;
	}
	return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported keyword app-layer-event");
}

static void event_free(void *data)
{
	struct ips_app_match *m = data;

	if (m != NULL)
		free(m->str);
	free(m);
}

static void event_dump(const void *data, FILE *f)
{
	const struct ips_app_match *m = data;

	fputs(m->str != NULL ? m->str : "?", f);
}

const struct ips_keyword ips_kw_event_table[] = {
        {"app-layer-event", IPS_KW_APP, IPS_KWF_VALUE, 0, kw_app_layer_event, event_free,
         event_dump},
};
const size_t ips_kw_event_count = sizeof(ips_kw_event_table) / sizeof(ips_kw_event_table[0]);
