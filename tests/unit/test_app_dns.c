/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the DNS parser (src/ips/app_dns.c) and for protocol
 * detection (src/ips/app_detect.c): queries and answers over UDP, the same
 * over TCP with the 2-byte framing split at every byte boundary and two
 * messages in one segment, name compression, compression loops and
 * forward pointers rejected, rdata rendering; detection of HTTP, TLS, DNS,
 * SSH, SMB, FTP and SMTP from first bytes, and "need more" on prefixes.
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

/* Query id 0x1234 for www.example.com A, RD set. */
static const uint8_t query[] = {
        0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,   0, 3, 'w', 'w', 'w', 7,
        'e',  'x',  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1,   0,   1,
};

/* Its answer: CNAME to a compressed name, then A, AAAA, MX, TXT. */
static const uint8_t answer[] = {
        0x12,
        0x34,
        0x81,
        0x80,
        0,
        1,
        0,
        5,
        0,
        0,
        0,
        0,
        /* question at offset 12 */
        3,
        'w',
        'w',
        'w',
        7,
        'e',
        'x',
        'a',
        'm',
        'p',
        'l',
        'e',
        3,
        'c',
        'o',
        'm',
        0,
        0,
        1,
        0,
        1,
        /* CNAME www.example.com -> web.example.com (web + pointer to offset 16) */
        0xc0,
        12,
        0,
        5,
        0,
        1,
        0,
        0,
        0x0e,
        0x10,
        0,
        6,
        3,
        'w',
        'e',
        'b',
        0xc0,
        16,
        /* A web.example.com 93.184.216.34 (pointer to "web" at offset 45) */
        0xc0,
        45,
        0,
        1,
        0,
        1,
        0,
        0,
        0,
        60,
        0,
        4,
        93,
        184,
        216,
        34,
        /* AAAA 2001:db8::1 */
        0xc0,
        45,
        0,
        28,
        0,
        1,
        0,
        0,
        0,
        60,
        0,
        16,
        0x20,
        0x01,
        0x0d,
        0xb8,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        /* MX 10 mail.example.com */
        0xc0,
        16,
        0,
        15,
        0,
        1,
        0,
        0,
        1,
        0,
        0,
        9,
        0,
        10,
        4,
        'm',
        'a',
        'i',
        'l',
        0xc0,
        16,
        /* TXT "v=1" "x" */
        0xc0,
        16,
        0,
        16,
        0,
        1,
        0,
        0,
        1,
        0,
        0,
        6,
        3,
        'v',
        '=',
        '1',
        1,
        'x',
};

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

static void check_query(const struct app_tx *tx)
{
	const struct app_dns_info *d = app_tx_dns(tx);
	const uint8_t *p;
	size_t n;

	assert_non_null(d);
	assert_false(d->answer);
	assert_int_equal(d->id, 0x1234);
	assert_string_equal(d->rrname, "www.example.com");
	assert_string_equal(d->rrtype, "A");
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_DNS_QUERY, 0, &p, &n), 0);
	assert_int_equal(n, 15);
	assert_memory_equal(p, "www.example.com", 15);
	assert_true(app_tx_updated(tx, APP_DIR_TO_SERVER));
}

static void check_answer(const struct app_tx *tx)
{
	const struct app_dns_info *d = app_tx_dns(tx);
	const uint8_t *p;
	size_t n;

	assert_non_null(d);
	assert_true(d->answer);
	assert_string_equal(d->rcode, "NOERROR");
	assert_string_equal(d->rrname, "www.example.com");
	assert_int_equal(d->nanswers, 5);
	assert_string_equal(d->answers[0].rrtype, "CNAME");
	assert_string_equal(d->answers[0].rdata, "web.example.com");
	assert_int_equal(d->answers[0].ttl, 3600);
	assert_string_equal(d->answers[1].rrname, "web.example.com");
	assert_string_equal(d->answers[1].rdata, "93.184.216.34");
	assert_string_equal(d->answers[2].rrtype, "AAAA");
	assert_string_equal(d->answers[2].rdata, "2001:db8::1");
	assert_string_equal(d->answers[3].rdata, "mail.example.com");
	assert_string_equal(d->answers[4].rdata, "v=1x");
	/* dns.query is for requests only. */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_DNS_QUERY, 0, &p, &n),
	                 BW_ERR_NOTFOUND);
}

static void test_udp(void **state)
{
	struct app_flow *f;
	struct app_tx *tx;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_UDP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, query, sizeof(query)), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, answer, sizeof(answer)), 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_DNS);
	assert_int_equal(app_flow_events(f), 0);
	tx = app_flow_tx_first(f);
	check_query(tx);
	check_answer(app_tx_next(tx));
	assert_int_equal(app_tx_id(app_tx_next(tx)), 1);
	/* Messages are complete transactions: acknowledged, they go. */
	app_flow_tx_ack(f);
	assert_null(app_flow_tx_first(f));
	assert_int_equal(app_flow_mem(f), 0);
	app_flow_free(f);
}

static void test_tcp_splits(void **state)
{
	uint8_t seg[2 * (2 + sizeof(answer))];
	size_t n = 0;

	(void)state;
	/* Two framed answers back to back, split at every boundary. */
	for (int i = 0; i < 2; i++) {
		seg[n++] = 0;
		seg[n++] = (uint8_t)sizeof(answer);
		memcpy(seg + n, answer, sizeof(answer));
		n += sizeof(answer);
	}
	for (size_t k = 0; k <= n; k++) {
		struct app_flow *f;
		uint8_t q[2 + sizeof(query)] = {0, (uint8_t)sizeof(query)};
		struct app_tx *tx;

		memcpy(q + 2, query, sizeof(query));
		assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, q, sizeof(q)), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, seg, k), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, seg + k, n - k), 0);
		assert_int_equal(app_flow_proto(f), APP_PROTO_DNS);
		tx = app_flow_tx_first(f);
		check_query(tx);
		check_answer(tx = app_tx_next(tx));
		check_answer(tx = app_tx_next(tx));
		assert_null(app_tx_next(tx));
		assert_int_equal(app_flow_events(f), 0);
		app_flow_free(f);
	}
}

static void test_compression_loops(void **state)
{
	/* A pointer to itself, a pointer forward, and a two-pointer cycle. */
	static const uint8_t self[] = {0, 1,   0x81, 0x80, 0, 1, 0, 1,    0,  0, 0, 0,
	                               1, 'a', 0,    0,    1, 0, 1, 0xc0, 19, 0, 1, 0,
	                               1, 0,   0,    0,    1, 0, 4, 1,    2,  3, 4};
	static const uint8_t fwd[] = {0, 1,    0x01, 0x00, 0,   1, 0, 0, 0, 0, 0,
	                              0, 0xc0, 14,   1,    'a', 0, 0, 1, 0, 1};
	static const uint8_t cyc[] = {0, 1, 0x81, 0x80, 0, 1, 0,   1,    0,  0, 0,   0,    1,  'a',
	                              0, 0, 1,    0,    1, 1, 'b', 0xc0, 22, 1, 'c', 0xc0, 19, 0,
	                              1, 0, 1,    0,    0, 0, 1,   0,    4,  1, 2,   3,    4};
	const uint8_t *msgs[] = {self, fwd, cyc};
	size_t lens[] = {sizeof(self), sizeof(fwd), sizeof(cyc)};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct app_flow *f;

		assert_int_equal(app_flow_new(&f, ctx, APP_L4_UDP), 0);
		/* Detection may refuse these outright; force the parser via a good query. */
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, query, sizeof(query)), 0);
		assert_int_equal(app_flow_feed(f, i == 1 ? APP_DIR_TO_SERVER : APP_DIR_TO_CLIENT,
		                               msgs[i], lens[i]),
		                 0);
		assert_true(app_flow_events(f) & APP_EV_DNS_PTR_LOOP);
		app_flow_free(f);
	}
}

static void test_truncations(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(answer); k++) {
		struct app_flow *f;

		assert_int_equal(app_flow_new(&f, ctx, APP_L4_UDP), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, query, sizeof(query)), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, answer, k), 0);
		if (k > 12)
			assert_true(app_flow_events(f) & APP_EV_DNS_MALFORMED);
		app_flow_free(f);
	}
}

struct det_case {
	const char *bytes;
	size_t len;
	enum app_dir dir;
	enum app_l4 l4;
	int ret;
	enum app_proto proto;
};

#define S(x) x, sizeof(x) - 1

static void test_detect(void **state)
{
	static const struct det_case cases[] = {
	        {S("GET / HTTP/1.1\r\n"), APP_DIR_TO_SERVER, APP_L4_TCP, 0, APP_PROTO_HTTP},
	        {S("PROPFIND /x"), APP_DIR_TO_SERVER, APP_L4_TCP, 0, APP_PROTO_HTTP},
	        {S("GE"), APP_DIR_TO_SERVER, APP_L4_TCP, BW_ERR_AGAIN, APP_PROTO_UNKNOWN},
	        {S("HTTP/1.1 200 OK\r\n"), APP_DIR_TO_CLIENT, APP_L4_TCP, 0, APP_PROTO_HTTP},
	        {S("GET / HTTP/1.1\r\n"), APP_DIR_TO_CLIENT, APP_L4_TCP, BW_ERR_NOTFOUND,
	         APP_PROTO_UNKNOWN},
	        {S("\x16\x03\x01\x02\x00\x01"), APP_DIR_TO_SERVER, APP_L4_TCP, 0, APP_PROTO_TLS},
	        {S("\x16\x03\x03\x00\x5a\x02"), APP_DIR_TO_CLIENT, APP_L4_TCP, 0, APP_PROTO_TLS},
	        {S("\x16\x03\x01"), APP_DIR_TO_SERVER, APP_L4_TCP, BW_ERR_AGAIN, APP_PROTO_UNKNOWN},
	        /* Not TLS; only a DNS-over-TCP header could still fit, which needs 14 bytes. */
	        {S("\x16\x03\x07\x02\x00\x01"), APP_DIR_TO_SERVER, APP_L4_TCP, BW_ERR_AGAIN,
	         APP_PROTO_UNKNOWN},
	        {S("SSH-2.0-OpenSSH_9.2\r\n"), APP_DIR_TO_CLIENT, APP_L4_TCP, 0, APP_PROTO_SSH},
	        {S("220 ftp.example.org FTP server ready\r\n"), APP_DIR_TO_CLIENT, APP_L4_TCP, 0,
	         APP_PROTO_FTP},
	        {S("220 mx.example.org ESMTP Postfix\r\n"), APP_DIR_TO_CLIENT, APP_L4_TCP, 0,
	         APP_PROTO_SMTP},
	        {S("220 mx.exa"), APP_DIR_TO_CLIENT, APP_L4_TCP, BW_ERR_AGAIN, APP_PROTO_UNKNOWN},
	        {S("EHLO client\r\n"), APP_DIR_TO_SERVER, APP_L4_TCP, 0, APP_PROTO_SMTP},
	        {S("\x00\x00\x00\x54\xfeSMB"), APP_DIR_TO_SERVER, APP_L4_TCP, 0, APP_PROTO_SMB},
	        {S("\x01\x02\x03\x04 random bytes here"), APP_DIR_TO_SERVER, APP_L4_TCP,
	         BW_ERR_NOTFOUND, APP_PROTO_UNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum app_proto p;

		print_message("case %zu\n", i);
		assert_int_equal(app_detect((const uint8_t *)cases[i].bytes, cases[i].len,
		                            cases[i].dir, cases[i].l4, &p),
		                 cases[i].ret);
		assert_int_equal(p, cases[i].proto);
	}
}

static void test_detect_dns(void **state)
{
	enum app_proto p;
	uint8_t tcp[2 + sizeof(query)] = {0, (uint8_t)sizeof(query)};

	(void)state;
	memcpy(tcp + 2, query, sizeof(query));
	assert_int_equal(app_detect(query, sizeof(query), APP_DIR_TO_SERVER, APP_L4_UDP, &p), 0);
	assert_int_equal(p, APP_PROTO_DNS);
	/* A query sent as if from the server is not DNS. */
	assert_int_equal(app_detect(query, sizeof(query), APP_DIR_TO_CLIENT, APP_L4_UDP, &p),
	                 BW_ERR_NOTFOUND);
	assert_int_equal(app_detect(answer, sizeof(answer), APP_DIR_TO_CLIENT, APP_L4_UDP, &p), 0);
	assert_int_equal(app_detect(tcp, sizeof(tcp), APP_DIR_TO_SERVER, APP_L4_TCP, &p), 0);
	assert_int_equal(p, APP_PROTO_DNS);
	assert_int_equal(app_detect(tcp, 1, APP_DIR_TO_SERVER, APP_L4_TCP, &p), BW_ERR_AGAIN);
}

/* A server's first bytes name the flow; SMB has no parser, so nothing is parsed. */
static void test_flow_naming(void **state)
{
	struct app_flow *f;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT,
	                               (const uint8_t *)"\x00\x00\x00\x10\xfeSMB\x40\x00", 10),
	                 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_SMB);
	assert_string_equal(app_proto_name(app_flow_proto(f)), "smb");
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);
	/* An SSH banner: named and parsed. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)"SSH-2.0-x\r\n", 11),
	                 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_SSH);
	assert_string_equal(app_proto_name(app_flow_proto(f)), "ssh");
	assert_non_null(app_tx_ssh(app_flow_tx_first(f)));
	app_flow_free(f);
	/* Garbage both ways fails detection. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)"\x00\x05zzzzzz", 8),
	                 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)"\x00\x03yyyyyy", 8),
	                 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_FAILED);
	app_flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_udp),
	        cmocka_unit_test(test_tcp_splits),
	        cmocka_unit_test(test_compression_loops),
	        cmocka_unit_test(test_truncations),
	        cmocka_unit_test(test_detect),
	        cmocka_unit_test(test_detect_dns),
	        cmocka_unit_test(test_flow_naming),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
