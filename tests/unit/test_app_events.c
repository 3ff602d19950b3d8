/* SPDX-License-Identifier: ISC */
/*
 * App-layer transaction events (app-layer-event): HTTP requests with two
 * Content-Length headers, an unknown Authorization scheme, a body libhtp
 * did not expect; DNS messages with the Z bit or an opcode past 6; and the
 * event names, which follow Suricata's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ips/app.h"
#include "lib/err.h"

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

/* The events of every transaction of a flow fed one request (and response). */
static uint32_t http_events(const char *req, const char *res)
{
	struct app_flow *f;
	uint32_t ev = 0;

	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)req, strlen(req)), 0);
	if (res)
		assert_int_equal(
		        app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)res, strlen(res)), 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_HTTP);
	for (struct app_tx *tx = app_flow_tx_first(f); tx; tx = app_tx_next(tx))
		ev |= app_tx_event_bits(tx);
	app_flow_free(f);
	return ev;
}

static void test_http_events(void **state)
{
	(void)state;
	uint32_t ev;

	ev = http_events("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\n"
	                                                      "Content-Length: 0\r\n\r\n");
	assert_int_equal(ev, 0);
	ev = http_events("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	                 "Content-Length: 4\r\n\r\nabcd",
	                 NULL);
	assert_true(ev & (1u << APP_TXEV_HTTP_REQ_DUP_CL));
	ev = http_events("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Foo bar\r\n\r\n", NULL);
	assert_true(ev & (1u << APP_TXEV_HTTP_REQ_AUTH_UNRECOGNIZED));
	ev = http_events("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\n\r\n", NULL);
	assert_false(ev & (1u << APP_TXEV_HTTP_REQ_AUTH_UNRECOGNIZED));
	/* A request Transfer-Encoding other than chunked (libhtp's HTP_REQUEST_INVALID_T_E). */
	ev = http_events("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", NULL);
	assert_true(ev & (1u << APP_TXEV_HTTP_REQ_INVALID_TE));
	ev = http_events("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	                 "1\r\na\r\n0\r\n\r\n",
	                 NULL);
	assert_false(ev & (1u << APP_TXEV_HTTP_REQ_INVALID_TE));
}

/* One DNS query for "a." with the given flags word, to server port `port`. */
static uint32_t dns_events_port(uint16_t flags, uint16_t port, int *opcode)
{
	struct app_flow *f;
	uint8_t q[] = {0x12,
	               0x34,
	               (uint8_t)(flags >> 8),
	               (uint8_t)flags,
	               0,
	               1,
	               0,
	               0,
	               0,
	               0,
	               0,
	               0,
	               1,
	               'a',
	               0,
	               0,
	               1,
	               0,
	               1};
	uint32_t ev = 0;

	*opcode = -1;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_UDP), 0);
	app_flow_set_ports(f, 0, port);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, q, sizeof(q)), 0);
	for (struct app_tx *tx = app_flow_tx_first(f); tx; tx = app_tx_next(tx)) {
		ev |= app_tx_event_bits(tx);
		*opcode = app_tx_dns_opcode(tx);
	}
	app_flow_free(f);
	return ev;
}

static uint32_t dns_events(uint16_t flags, int *opcode)
{
	return dns_events_port(flags, 0, opcode);
}

static void test_dns_events(void **state)
{
	(void)state;
	int op;

	assert_int_equal(dns_events(0x0100, &op), 0);
	assert_int_equal(op, 0);
	assert_int_equal(dns_events(0x0140, &op), 1u << APP_TXEV_DNS_Z_FLAG_SET);
	/* NOTIFY (RFC 1996) is an opcode of its own, not an anomaly. */
	assert_int_equal(dns_events(0x2000, &op), 0);
	assert_int_equal(op, 4);
	/* Opcode 9: not DNS to the port-independent check, DNS on port 53. */
	assert_int_equal(dns_events(0x4800, &op), 0);
	assert_int_equal(op, -1);
	assert_int_equal(dns_events_port(0x4800, 53, &op), 1u << APP_TXEV_DNS_INVALID_OPCODE);
	assert_int_equal(op, 9);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(app_tx_event_name(APP_TXEV_HTTP_REQ_CHUNK_EXT),
	                    "http.request_chunk_extension");
	assert_string_equal(app_tx_event_name(APP_TXEV_DNS_INVALID_OPCODE), "dns.invalid_opcode");
	assert_string_equal(app_tx_event_name(-1), "unknown");
	assert_string_equal(app_tx_event_name(APP_TXEV__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_http_events),
	        cmocka_unit_test(test_dns_events),
	        cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
