/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the MQTT, Kerberos 5, Modbus/TCP, EtherNet/IP and IKE
 * parsers (src/ips/app_mqtt.c, app_krb5.c, app_modbus.c, app_enip.c,
 * app_ike.c) and their keywords (rule_kw_app.c, rule_kw_event.c): rules are
 * parsed with ips_rule_parse() and their IPS_KW_APP option evaluated with
 * app_tx_match() on the transactions of hand-built conversations and of the
 * real captures kept as fuzz seeds (fuzz/corpus/fuzz_app_*). Covers
 * Suricata's MQTT transaction and event model, messages split at every byte,
 * stream gaps (data after a gap stops both directions, as Suricata),
 * truncated and malformed messages, DER Kerberos over TCP and UDP with the
 * ticket encryption checks, Modbus request/response pairing and the modbus
 * keyword forms, ENIP commands and CIP services, IKEv2 proposal events and
 * the responder's chosen transforms, and keyword values that must fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/app.h"
#include "ips/rule.h"
#include "lib/err.h"
#include "lib/rd.h"

static struct app_ctx *ctx;

static int setup(void **state)
{
	(void)state;
	return app_ctx_new(&ctx, NULL);
}

static int teardown(void **state)
{
	(void)state;
	app_ctx_free(ctx);
	return 0;
}

static struct app_flow *flow(enum app_l4 l4, uint16_t port)
{
	struct app_flow *f;

	assert_int_equal(app_flow_new(&f, ctx, l4), 0);
	app_flow_set_ports(f, 40000, port);
	return f;
}

static void feed(struct app_flow *f, enum app_dir dir, const void *p, size_t n)
{
	assert_int_equal(app_flow_feed(f, dir, p, n), 0);
}

/* The fuzz seed format: mode byte, then chunks of (h: dir = h & 1, len = (h >> 1) + 1). */
static struct app_flow *seed(const char *name, uint16_t port)
{
	char path[512];
	uint8_t buf[8192];
	FILE *fp;
	size_t n, off = 1;
	struct app_flow *f;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/%s", BW_SOURCE_DIR, name);
	assert_non_null(fp = fopen(path, "rb"));
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_true(n > 1);
	f = flow((buf[0] & 1) ? APP_L4_UDP : APP_L4_TCP, port);
	while (off < n) {
		enum app_dir dir = (enum app_dir)(buf[off] & 1);
		size_t len = (size_t)(buf[off] >> 1) + 1;

		off++;
		if (len > n - off)
			len = n - off;
		feed(f, dir, buf + off, len);
		off += len;
	}
	return f;
}

/* All bytes a seed sends in direction dir, concatenated (UDP seeds cut datagrams at 128). */
static size_t gather(const char *name, enum app_dir dir, uint8_t *out, size_t cap)
{
	char path[512];
	uint8_t buf[8192];
	size_t n, m = 0, off = 1;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/%s", BW_SOURCE_DIR, name);
	assert_non_null(fp = fopen(path, "rb"));
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	while (off < n) {
		size_t len = (size_t)(buf[off] >> 1) + 1;
		bool mine = (enum app_dir)(buf[off] & 1) == dir;

		off++;
		if (len > n - off)
			len = n - off;
		if (mine && m + len <= cap) {
			memcpy(out + m, buf + off, len);
			m += len;
		}
		off += len;
	}
	return m;
}

static struct ips_rule *rule(const char *proto, const char *opts)
{
	char text[1024], why[256], key[64];
	struct ips_rule *r = NULL;

	snprintf(text, sizeof(text), "alert %s any any -> any any (%s sid:1;)", proto, opts);
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	if (e != 0)
		fail_msg("rule '%s': %s", text, why);
	return r;
}

static bool rule_fails(const char *proto, const char *opts)
{
	char text[1024], why[256], key[64];
	struct ips_rule *r = NULL;

	snprintf(text, sizeof(text), "alert %s any any -> any any (%s sid:1;)", proto, opts);
	if (ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key)) == 0) {
		ips_rule_free(r);
		return false;
	}
	return true;
}

static const struct ips_app_match *app_opt(const struct ips_rule *r)
{
	for (size_t i = 0; i < r->nopts; i++) {
		if (r->opts[i].kw == IPS_KW_APP)
			return r->opts[i].data;
		/* app-layer-event of these parsers: the same test, wrapped. */
		if (r->opts[i].kw == IPS_KW_APP_EVENT &&
		    ((const struct ips_event_ref *)r->opts[i].data)->m)
			return ((const struct ips_event_ref *)r->opts[i].data)->m;
	}
	fail_msg("no app option");
	return NULL;
}

/* Transactions of f that the option in opts matches when inspected in dir. */
static size_t count(struct app_flow *f, enum app_dir dir, const char *proto, const char *opts)
{
	struct ips_rule *r = rule(proto, opts);
	const struct ips_app_match *m = app_opt(r);
	size_t n = 0;

	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx))
		n += app_tx_match(tx, dir, m);
	ips_rule_free(r);
	return n;
}

static size_t ntx(const struct app_flow *f)
{
	size_t n = 0;

	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx))
		n++;
	return n;
}

/* The first instance of buffer b in any transaction, as a string. */
static bool has_buf(struct app_flow *f, enum app_dir dir, enum ips_buf b, const char *want)
{
	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx))
		for (size_t i = 0;; i++) {
			const uint8_t *p;
			size_t n;

			if (app_tx_buf(tx, dir, b, i, &p, &n) != 0)
				break;
			if (n == strlen(want) && memcmp(p, want, n) == 0)
				return true;
		}
	return false;
}

/* ---- MQTT ---- */

/* CONNECT 3.1.1, client id "cl", user "u". */
static const uint8_t mq_connect[] = {0x10, 17, 0, 4, 'M', 'Q', 'T', 'T', 4,  0x82,
                                     0,    60, 0, 2, 'c', 'l', 0,   1,   'u'};
static const uint8_t mq_connack[] = {0x20, 2, 0, 0};
/* PUBLISH QoS 1, topic "a/b", id 5, payload "hi". */
static const uint8_t mq_publish1[] = {0x32, 9, 0, 3, 'a', '/', 'b', 0, 5, 'h', 'i'};
static const uint8_t mq_puback[] = {0x40, 2, 0, 5};
/* PUBLISH with QoS 3 (invalid). */
static const uint8_t mq_publish3[] = {0x36, 9, 0, 3, 'a', '/', 'b', 0, 6, 'h', 'i'};

static void test_mqtt_session(void **state)
{
	struct app_flow *f = flow(APP_L4_TCP, 1883);

	(void)state;
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	assert_int_equal(app_flow_proto(f), APP_PROTO_MQTT);
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	feed(f, APP_DIR_TO_SERVER, mq_publish1, sizeof(mq_publish1));
	feed(f, APP_DIR_TO_CLIENT, mq_puback, sizeof(mq_puback));
	/* CONNECT+CONNACK, PUBLISH+PUBACK. */
	assert_int_equal(ntx(f), 2);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:CONNACK;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:3;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:SUBSCRIBE;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.qos:1;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.flags:!retain,!dup;"), 2);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.flags:retain;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.protocol_version:4;"), 2);
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.connect.flags:username,!password;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.connack.session_present:false;"),
	                 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.reason_code:0;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.connack.return_code:>0;"), 0);
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.missing_connect;"), 0);
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_PUBLISH_TOPIC, "a/b"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_PUBLISH_MESSAGE, "hi"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_CONNECT_CLIENTID, "cl"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_CONNECT_USERNAME, "u"));
	/* SUBSCRIBE id 7 to two filters, UNSUBSCRIBE id 8 from one; CONNECT with a will and a
	 * password. */
	static const uint8_t sub[] = {0x82, 12, 0, 7, 0, 3, 'x', '/', 'y', 1, 0, 1, 'z', 0};
	static const uint8_t unsub[] = {0xa2, 5, 0, 8, 0, 1, 'z'};
	static const uint8_t will[] = {0x10, 24,  0, 4, 'M', 'Q', 'T', 'T', 4,   0x44, 0, 60,  0,
	                               1,    'c', 0, 1, 't', 0,   2,   'w', 'm', 0,    2, 'p', 'w'};
	feed(f, APP_DIR_TO_SERVER, sub, sizeof(sub));
	feed(f, APP_DIR_TO_SERVER, unsub, sizeof(unsub));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_SUBSCRIBE_TOPIC, "x/y"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_SUBSCRIBE_TOPIC, "z"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_UNSUBSCRIBE_TOPIC, "z"));
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:UNSUBSCRIBE;"), 1);
	app_flow_free(f);
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, will, sizeof(will));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_CONNECT_WILLTOPIC, "t"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_CONNECT_WILLMESSAGE, "wm"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_CONNECT_PASSWORD, "pw"));
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.connect.flags:will,password;"),
	                 1);
	app_flow_free(f);
}

static void test_mqtt_events(void **state)
{
	struct app_flow *f;

	(void)state;
	/* QoS 3 after a completed CONNECT. */
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	feed(f, APP_DIR_TO_SERVER, mq_publish3, sizeof(mq_publish3));
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.invalid_qos_level;"), 1);
	app_flow_free(f);

	/* PUBLISH before the CONNACK. */
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	feed(f, APP_DIR_TO_SERVER, mq_publish1, sizeof(mq_publish1));
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.unintroduced_message;"),
	        1);
	app_flow_free(f);

	/* CONNACK without CONNECT; a PUBACK nobody asked for. */
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	assert_int_equal(
	        count(f, APP_DIR_TO_CLIENT, "mqtt", "app-layer-event:mqtt.missing_connect;"), 1);
	app_flow_free(f);

	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	feed(f, APP_DIR_TO_CLIENT, mq_puback, sizeof(mq_puback));
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	assert_int_equal(
	        count(f, APP_DIR_TO_CLIENT, "mqtt", "app-layer-event:mqtt.missing_publish;"), 1);
	assert_int_equal(
	        count(f, APP_DIR_TO_CLIENT, "mqtt", "app-layer-event:mqtt.double_connect;"), 1);
	app_flow_free(f);
}

static void test_mqtt_splits(void **state)
{
	uint8_t all[sizeof(mq_connect) + sizeof(mq_publish1)];

	(void)state;
	memcpy(all, mq_connect, sizeof(mq_connect));
	memcpy(all + sizeof(mq_connect), mq_publish1, sizeof(mq_publish1));
	for (size_t cut = 1; cut < sizeof(all); cut++) {
		struct app_flow *f = flow(APP_L4_TCP, 1883);

		feed(f, APP_DIR_TO_SERVER, all, cut);
		feed(f, APP_DIR_TO_SERVER, all + cut, sizeof(all) - cut);
		assert_int_equal(ntx(f), 2);
		assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:PUBLISH;"), 1);
		assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_MQTT_PUBLISH_TOPIC, "a/b"));
		app_flow_free(f);
	}
	/* Byte by byte. */
	struct app_flow *f = flow(APP_L4_TCP, 1883);
	for (size_t i = 0; i < sizeof(all); i++)
		feed(f, APP_DIR_TO_SERVER, all + i, 1);
	assert_int_equal(ntx(f), 2);
	app_flow_free(f);
}

static void test_mqtt_malformed(void **state)
{
	/* MQTT 5 CONNECT whose property length (50) passes the message end. */
	static const uint8_t bad5[] = {0x10, 13,   0, 4,  'M', 'Q', 'T', 'T',
	                               5,    0x02, 0, 60, 50,  0,   0};
	/* A PUBLISH of 2 MiB + 1: skipped unparsed, then a PINGREQ. */
	static const uint8_t big[] = {0x30, 0x81, 0x80, 0x80, 0x01};
	static const uint8_t bad_varint[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
	struct app_flow *f;

	(void)state;
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, bad5, sizeof(bad5));
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.malformed_traffic;"), 1);
	/* Both directions stopped: the CONNACK is not parsed. */
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "mqtt", "mqtt.type:CONNACK;"), 0);
	app_flow_free(f);

	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	feed(f, APP_DIR_TO_SERVER, big, sizeof(big));
	uint8_t *zeros = calloc(1, 1u << 16);
	assert_non_null(zeros);
	size_t left = (2u << 20) + 1;
	while (left > 0) {
		size_t k = left < (1u << 16) ? left : (1u << 16);
		feed(f, APP_DIR_TO_SERVER, zeros, k);
		left -= k;
	}
	free(zeros);
	static const uint8_t ping[] = {0xc0, 0};
	feed(f, APP_DIR_TO_SERVER, ping, sizeof(ping));
	/* The truncated PUBLISH is a transaction (inspected to the client, as Suricata). */
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "mqtt", "mqtt.type:PUBLISH;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:PINGREQ;"), 1);
	assert_true(app_flow_mem(f) < (1u << 20));
	app_flow_free(f);

	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	feed(f, APP_DIR_TO_SERVER, bad_varint, sizeof(bad_varint));
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.malformed_traffic;"), 1);
	app_flow_free(f);

	/* Not MQTT on the MQTT port: type 0, or QoS 3 at detection. */
	static const uint8_t type0[] = {0x00, 0x00};
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, type0, sizeof(type0));
	assert_int_not_equal(app_flow_proto(f), APP_PROTO_MQTT);
	app_flow_free(f);
	/* MQTT off its port is not detected. */
	f = flow(APP_L4_TCP, 8883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	assert_int_not_equal(app_flow_proto(f), APP_PROTO_MQTT);
	app_flow_free(f);
}

/* Suricata's parsers take no gaps: data after a gap stops both directions. */
static void test_mqtt_gaps(void **state)
{
	static const uint8_t suback[] = {0x90, 3, 0, 1, 0};
	struct app_flow *f;

	(void)state;
	f = flow(APP_L4_TCP, 1883);
	feed(f, APP_DIR_TO_SERVER, mq_connect, sizeof(mq_connect));
	app_flow_gap(f, APP_DIR_TO_CLIENT);
	/* The client side goes on until the server side has data again. */
	feed(f, APP_DIR_TO_SERVER, mq_publish1, sizeof(mq_publish1));
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.unintroduced_message;"),
	        1);
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	feed(f, APP_DIR_TO_SERVER, mq_publish1, sizeof(mq_publish1));
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "mqtt", "mqtt.type:PUBLISH;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "mqtt", "mqtt.type:CONNACK;"), 0);
	app_flow_free(f);

	/* A gap before detection ends that direction's detection only. */
	f = flow(APP_L4_TCP, 1883);
	app_flow_gap(f, APP_DIR_TO_SERVER);
	feed(f, APP_DIR_TO_CLIENT, mq_connack, sizeof(mq_connack));
	assert_int_equal(app_flow_proto(f), APP_PROTO_MQTT);
	assert_int_equal(
	        count(f, APP_DIR_TO_CLIENT, "mqtt", "app-layer-event:mqtt.missing_connect;"), 1);
	feed(f, APP_DIR_TO_SERVER, mq_publish1, sizeof(mq_publish1));
	feed(f, APP_DIR_TO_CLIENT, suback, sizeof(suback));
	assert_int_equal(ntx(f), 1);
	app_flow_free(f);
}

static void test_mqtt_seeds(void **state)
{
	struct app_flow *f;

	(void)state;
	f = seed("fuzz_app_mqtt/invalid_qos", 1883);
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.invalid_qos_level;"), 1);
	app_flow_free(f);
	f = seed("fuzz_app_mqtt/v5_proplen", 1883);
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "mqtt", "app-layer-event:mqtt.malformed_traffic;"), 1);
	app_flow_free(f);
}

/* ---- Kerberos 5 ---- */

static void test_krb5_tcp(void **state)
{
	struct app_flow *f;

	(void)state;
	f = seed("fuzz_app_krb5/tcp_tgs", 88);
	assert_int_equal(app_flow_proto(f), APP_PROTO_KRB5);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "krb5", "krb5_msg_type:12;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5_msg_type:13;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5.ticket_encryption:weak;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5.ticket_encryption:!weak;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5.ticket_encryption:23;"), 1);
	assert_int_equal(
	        count(f, APP_DIR_TO_CLIENT, "krb5", "krb5.ticket_encryption:des-cbc-crc,rc4-hmac;"),
	        1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5",
	                       "krb5.ticket_encryption:aes256-cts-hmac-sha1-96;"),
	                 0);
	/* Ticket encryption is inspected to the client only, as Suricata. */
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "krb5", "krb5.ticket_encryption:23;"), 0);
	app_flow_free(f);

	f = seed("fuzz_app_krb5/tcp_error", 88);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5_msg_type:30;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5_err_code:25;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5_err_code:>30;"), 0);
	assert_true(has_buf(f, APP_DIR_TO_CLIENT, IPS_BUF_KRB5_SNAME, "krbtgt"));
	app_flow_free(f);

	/* The AS-REP names the client; krb5.cname is inspected to the client only. */
	f = seed("fuzz_app_krb5/tcp_as", 88);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "krb5", "krb5_msg_type:11;"), 1);
	struct app_tx *tx;
	size_t names = 0;
	for (tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx)) {
		const uint8_t *p;
		size_t n;

		names += app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_KRB5_CNAME, 0, &p, &n) == 0;
		assert_int_not_equal(
		        app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_KRB5_CNAME, 0, &p, &n), 0);
	}
	assert_int_equal(names, 1);
	app_flow_free(f);
}

/* The first message of a TCP seed, without its record mark, as UDP datagrams. */
static void test_krb5_udp(void **state)
{
	uint8_t msg[4096];
	size_t m = gather("fuzz_app_krb5/tcp_error", APP_DIR_TO_SERVER, msg, sizeof(msg));

	(void)state;
	assert_true(m > 4 && m - 4 == bw_be32(msg));
	struct app_flow *f = flow(APP_L4_UDP, 88);
	feed(f, APP_DIR_TO_SERVER, msg + 4, m - 4);
	assert_int_equal(app_flow_proto(f), APP_PROTO_KRB5);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "krb5", "krb5_msg_type:10;"), 1);
	/* Every truncation of it: no crash, and no AS-REQ from a cut message. */
	for (size_t cut = 0; cut < m - 4; cut++) {
		struct app_flow *g = flow(APP_L4_UDP, 88);

		(void)app_flow_feed(g, APP_DIR_TO_SERVER, msg + 4, cut);
		assert_int_equal(count(g, APP_DIR_TO_SERVER, "krb5", "krb5_msg_type:10;"), 0);
		app_flow_free(g);
	}
	app_flow_free(f);
}

/* ---- Modbus ---- */

static void test_modbus(void **state)
{
	/* Read coils (1) tid 1 unit 10 address 0 quantity 2, its response; write single register
	 * (6) tid 2 address 5 value 0x1234 and its echo; diagnostics (8) sub-function 1. */
	static const uint8_t rd_req[] = {0, 1, 0, 0, 0, 6, 10, 1, 0, 0, 0, 2};
	static const uint8_t rd_resp[] = {0, 1, 0, 0, 0, 4, 10, 1, 1, 3};
	static const uint8_t wr_req[] = {0, 2, 0, 0, 0, 6, 10, 6, 0, 5, 0x12, 0x34};
	static const uint8_t wr_resp[] = {0, 2, 0, 0, 0, 6, 10, 6, 0, 5, 0x12, 0x34};
	static const uint8_t diag[] = {0, 3, 0, 0, 0, 6, 10, 8, 0, 1, 0, 0};
	static const uint8_t unsolicited[] = {0, 9, 0, 0, 0, 4, 10, 1, 1, 3};
	struct app_flow *f = flow(APP_L4_TCP, 502);
	const enum app_dir ts = APP_DIR_TO_SERVER;

	(void)state;
	feed(f, ts, rd_req, sizeof(rd_req));
	assert_int_equal(app_flow_proto(f), APP_PROTO_MODBUS);
	feed(f, APP_DIR_TO_CLIENT, rd_resp, sizeof(rd_resp));
	/* The write request arrives split. */
	feed(f, ts, wr_req, 5);
	feed(f, ts, wr_req + 5, sizeof(wr_req) - 5);
	feed(f, APP_DIR_TO_CLIENT, wr_resp, sizeof(wr_resp));
	feed(f, ts, diag, sizeof(diag));
	assert_int_equal(ntx(f), 3);
	assert_int_equal(count(f, ts, "modbus", "modbus: function 1;"), 1);
	assert_int_equal(count(f, ts, "modbus", "modbus: function assigned;"), 3);
	assert_int_equal(count(f, ts, "modbus", "modbus: function !assigned;"), 0);
	assert_int_equal(count(f, ts, "modbus", "modbus: function 8, subfunction 1;"), 1);
	assert_int_equal(count(f, ts, "modbus", "modbus: function 8, subfunction 2;"), 0);
	assert_int_equal(count(f, ts, "modbus", "modbus: access read;"), 1);
	assert_int_equal(count(f, ts, "modbus", "modbus: access read coils;"), 1);
	assert_int_equal(count(f, ts, "modbus", "modbus: access read holding;"), 0);
	assert_int_equal(count(f, ts, "modbus", "modbus: access write;"), 1);
	assert_int_equal(count(f, ts, "modbus", "modbus: access write holding, address 6;"), 1);
	assert_int_equal(
	        count(f, ts, "modbus", "modbus: access write holding, address 6, value 4660;"), 1);
	assert_int_equal(
	        count(f, ts, "modbus", "modbus: access write holding, address 6, value >5000;"), 0);
	assert_int_equal(count(f, ts, "modbus", "modbus: unit 10;"), 3);
	assert_int_equal(count(f, ts, "modbus", "modbus: unit <10;"), 0);
	assert_int_equal(
	        count(f, ts, "modbus", "modbus: unit >9, access read coils, address 0<>2;"), 1);
	/* Only to the server. */
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "modbus", "modbus: unit 10;"), 0);
	feed(f, APP_DIR_TO_CLIENT, unsolicited, sizeof(unsolicited));
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "modbus",
	                       "app-layer-event:modbus.unsolicited_response;"),
	                 1);
	app_flow_free(f);

	assert_true(rule_fails("modbus", "modbus: function 0;"));
	assert_true(rule_fails("modbus", "modbus: access write discretes;"));
	assert_true(rule_fails("modbus", "modbus: access read, address 1, value 3;"));
	assert_true(rule_fails("modbus", "modbus: access write, address 1<>4, value 3;"));
	assert_true(rule_fails("modbus", "modbus: unit x;"));
	assert_true(rule_fails("modbus", "modbus: function bogus;"));
	/* Over UDP or on a krb5 rule: refused. */
	assert_true(rule_fails("udp", "modbus: unit 1;"));
	assert_true(rule_fails("krb5", "modbus: unit 1;"));

	/* A protocol id other than 0 is not Modbus at detection. */
	static const uint8_t notmb[] = {0, 1, 0, 7, 0, 6, 10, 1, 0, 0, 0, 2};
	f = flow(APP_L4_TCP, 502);
	feed(f, ts, notmb, sizeof(notmb));
	assert_int_not_equal(app_flow_proto(f), APP_PROTO_MODBUS);
	app_flow_free(f);
}

/* ---- EtherNet/IP ---- */

static void test_enip(void **state)
{
	/* ListIdentity request; SendRRData with an unconnected CIP Get_Attribute_Single
	 * (0x0e) of class 1, instance 1, attribute 7. */
	static const uint8_t list[24] = {0x63, 0};
	static const uint8_t rr[] = {
	        0x6f, 0x00, 0x18, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	        /* interface handle, timeout, 2 items */
	        0, 0, 0, 0, 0, 0, 2, 0,
	        /* null address item */
	        0, 0, 0, 0,
	        /* unconnected data item, 8 bytes: service, path size 3 words, path */
	        0xb2, 0x00, 0x08, 0x00, 0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07};
	struct app_flow *f = flow(APP_L4_TCP, 44818);

	(void)state;
	feed(f, APP_DIR_TO_SERVER, list, sizeof(list));
	assert_int_equal(app_flow_proto(f), APP_PROTO_ENIP);
	feed(f, APP_DIR_TO_SERVER, rr, sizeof(rr));
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "enip_command:99;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "enip_command:111;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:14;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:14,1,7;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:14,2;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:14,1,8;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:14,1,!8;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:14,1;"), 1);
	/* Get_Attribute_List (3) of class 1 for attributes 1 and 7. */
	static const uint8_t list3[] = {
	        0x6f, 0x00, 0x1c, 0x00, 1,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0,
	        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 2, 0, 0, 0, 0, 0,
	        0xb2, 0x00, 0x0c, 0x00, 0x03, 0x02, 0x20, 0x01, 0x24, 0x01, 2, 0, 1, 0, 7, 0};
	feed(f, APP_DIR_TO_SERVER, list3, sizeof(list3));
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:3,1,7;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:3,1,9;"), 0);
	/* Class/attribute only for the attribute services. */
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "cip_service:76,1;"), 0);
	app_flow_free(f);

	f = seed("fuzz_app_enip/list_identity", 44818);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "enip", "enip_command:99;"), 2);
	app_flow_free(f);
	assert_true(rule_fails("enip", "cip_service:14,1,7,9;"));
	assert_true(rule_fails("enip", "cip_service:200;"));
	assert_true(rule_fails("enip", "cip_service:!14;"));
}

/* ---- IKE ---- */

static void test_ike(void **state)
{
	/* Responder IKE_SA_INIT: SA with one proposal AES-GCM-16 (20) / PRF SHA2-256 (5) /
	 * DH 19, then nothing. */
	static const uint8_t resp[] = {
	        /* header: SPIs, next SA, version 2.0, exchange 34, flags response, id 0, length */
	        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 33, 0x20, 34, 0x20, 0, 0, 0,
	        0, 0, 0, 0, 68,
	        /* SA payload: next 0, length 40 */
	        0, 0, 0, 40,
	        /* proposal: last, length 36, num 1, proto IKE, spi size 0, 3 transforms */
	        0, 0, 0, 36, 1, 1, 0, 3,
	        /* ENCR 20 with key length 256 */
	        3, 0, 0, 12, 1, 0, 0, 20, 0x80, 14, 1, 0,
	        /* PRF 5 */
	        3, 0, 0, 8, 2, 0, 0, 5,
	        /* DH 19 */
	        0, 0, 0, 8, 4, 0, 0, 19};
	struct app_flow *f;

	(void)state;
	uint8_t init[2048];
	size_t ninit = gather("fuzz_app_ike/sa_init_weak", APP_DIR_TO_SERVER, init, sizeof(init));
	f = flow(APP_L4_UDP, 500);
	feed(f, APP_DIR_TO_SERVER, init, ninit);
	assert_int_equal(app_flow_proto(f), APP_PROTO_IKE);
	assert_int_equal(
	        count(f, APP_DIR_TO_SERVER, "ikev2", "app-layer-event:ikev2.weak_crypto_dh;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "ike", "ike.exchtype:34;"), 1);
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_IKE_INIT_SPI, "61d3693ce12af528"));
	assert_false(has_buf(f, APP_DIR_TO_CLIENT, IPS_BUF_IKE_RESP_SPI, "0000000000000000"));
	app_flow_free(f);

	f = flow(APP_L4_UDP, 500);
	feed(f, APP_DIR_TO_CLIENT, resp, sizeof(resp));
	assert_int_equal(app_flow_proto(f), APP_PROTO_IKE);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "ike", "ike.chosen_sa_attribute:alg_dh=19;"),
	                 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "ike", "ike.chosen_sa_attribute:alg_dh=19;"),
	                 0);
	assert_true(has_buf(f, APP_DIR_TO_CLIENT, IPS_BUF_IKE_RESP_SPI, "090a0b0c0d0e0f10"));
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "ike", "ike.chosen_sa_attribute:alg_enc=20;"),
	                 1);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "ike", "ike.chosen_sa_attribute:alg_prf=2;"),
	                 0);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "ike", "ike.chosen_sa_attribute:alg_auth=2;"),
	                 0);
	/* AEAD: no integrity needed; strong DH: no weak events. */
	assert_int_equal(
	        count(f, APP_DIR_TO_CLIENT, "ike", "app-layer-event:ike.weak_crypto_no_auth;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_CLIENT, "ike", "app-layer-event:ike.weak_crypto_dh;"),
	                 0);
	app_flow_free(f);

	/* Every truncation of the responder message: probing refuses a length mismatch. */
	for (size_t cut = 0; cut < sizeof(resp); cut++) {
		f = flow(APP_L4_UDP, 500);
		(void)app_flow_feed(f, APP_DIR_TO_CLIENT, resp, cut);
		assert_int_not_equal(app_flow_proto(f), APP_PROTO_IKE);
		app_flow_free(f);
	}
	/* IKEv1 aggressive mode: KE (8 bytes), nonce (4), vendor ID. */
	static const uint8_t v1[] = {
	        1, 2, 3,  4, 5, 6, 7, 8, 0,  0,  0, 0, 0,  0,    0,    0,    4,    0x10, 4,
	        0, 0, 0,  0, 0, 0, 0, 0, 56, 10, 0, 0, 12, 0xaa, 0xbb, 0xcc, 0xdd, 1,    2,
	        3, 4, 13, 0, 0, 8, 9, 8, 7,  6,  0, 0, 0,  8,    0xde, 0xad, 0xbe, 0xef};
	f = flow(APP_L4_UDP, 500);
	feed(f, APP_DIR_TO_SERVER, v1, sizeof(v1));
	assert_int_equal(app_flow_proto(f), APP_PROTO_IKE);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "ike", "ike.key_exchange_payload_length:8;"),
	                 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "ike", "ike.nonce_payload_length:>4;"), 0);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "ike", "ike.nonce_payload_length:4;"), 1);
	assert_int_equal(count(f, APP_DIR_TO_SERVER, "ike", "ike.exchtype:4;"), 1);
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_IKE_VENDOR, "deadbeef"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_IKE_NONCE, "\x09\x08\x07\x06"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_IKE_KEY_EXCHANGE,
	                    "\xaa\xbb\xcc\xdd\x01\x02\x03\x04"));
	assert_true(has_buf(f, APP_DIR_TO_SERVER, IPS_BUF_IKE_INIT_SPI, "0102030405060708"));
	app_flow_free(f);

	assert_true(rule_fails("ike", "ike.chosen_sa_attribute:alg_dh;"));
	assert_true(rule_fails("tcp", "ike.exchtype:34;"));
}

/* ---- keyword values and app-layer-event ---- */

static void test_keywords(void **state)
{
	(void)state;
	assert_true(rule_fails("mqtt", "mqtt.type:FOO;"));
	assert_true(rule_fails("mqtt", "mqtt.type:16;"));
	assert_true(rule_fails("mqtt", "mqtt.qos:3;"));
	assert_true(rule_fails("mqtt", "mqtt.flags:dup,dup;"));
	assert_true(rule_fails("mqtt", "mqtt.flags:bogus;"));
	assert_true(rule_fails("mqtt", "mqtt.connack.session_present:maybe;"));
	assert_true(rule_fails("krb5", "krb5.ticket_encryption:notacipher;"));
	assert_true(rule_fails("krb5", "krb5_msg_type:x;"));
	assert_true(rule_fails("http", "krb5_msg_type:10;"));
	assert_true(rule_fails("mqtt", "app-layer-event:mqtt.no_such_event;"));
	/* Mixing protocols in one rule. */
	assert_true(rule_fails("tcp", "mqtt.type:1; modbus: unit 1;"));
	/* Other protocols' events are not this keyword's. */
	assert_true(rule_fails("http", "app-layer-event:http.invalid_header;"));

	struct ips_rule *r = rule("krb5", "krb5.ticket_encryption: rc4-hmac, 18 ;");
	const struct ips_app_match *m = app_opt(r);
	assert_int_equal(m->narg, 3);
	ips_rule_free(r);
	r = rule("tcp", "mqtt.type:connect;");
	assert_int_equal(r->app, IPS_PROTO_MQTT);
	ips_rule_free(r);
	r = rule("ikev2", "app-layer-event:ikev2.weak_crypto_dh;");
	assert_int_equal(r->proto, IPS_PROTO_IKE);
	assert_string_equal(app_opt(r)->str, "ike.weak_crypto_dh");
	ips_rule_free(r);
	r = rule("krb5", "krb5.sname; content:\"krbtgt\";");
	assert_int_equal(r->app, IPS_PROTO_KRB5);
	ips_rule_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mqtt_session), cmocka_unit_test(test_mqtt_events),
	        cmocka_unit_test(test_mqtt_splits),  cmocka_unit_test(test_mqtt_malformed),
	        cmocka_unit_test(test_mqtt_gaps),    cmocka_unit_test(test_mqtt_seeds),
	        cmocka_unit_test(test_krb5_tcp),     cmocka_unit_test(test_krb5_udp),
	        cmocka_unit_test(test_modbus),       cmocka_unit_test(test_enip),
	        cmocka_unit_test(test_ike),          cmocka_unit_test(test_keywords),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
