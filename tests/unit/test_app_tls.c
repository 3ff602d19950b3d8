/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the TLS handshake parser (src/ips/app_tls.c): a real TLS
 * 1.2 handshake from OpenSSL (tests/vectors/tls_handshake.txt, made by
 * tls_handshake.py, which also computes JA3/JA3S independently) must give
 * the same SNI, version, JA3, JA3S, certificate subject/issuer/serial and
 * DER, whether fed whole, split at every byte boundary or byte by byte;
 * hand-built hellos check GREASE removal, records split across handshake
 * messages, malformed lengths and the handshake size cap.
 */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/app.h"
#include "lib/err.h"

struct vec {
	uint8_t ch[4096], sf[8192];
	size_t nch, nsf;
	char ja3[1024], ja3_hash[64], ja3s[256], ja3s_hash[64], sni[256], subject[256], issuer[256],
	        serial[64];
};

static struct vec v;
static struct app_ctx *ctx;

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned b;

	while (s[0] != '\0' && s[0] != '\n' && n < cap && sscanf(s, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

static void field(const char *line, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);

	if (strncmp(line, key, k) == 0 && line[k] == '=') {
		snprintf(out, cap, "%s", line + k + 1);
		out[strcspn(out, "\n")] = '\0';
	}
}

static int setup(void **state)
{
	char path[512], *line = NULL;
	size_t cap = 0;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/tls_handshake.txt", BW_VECTORS_DIR);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) > 0) {
		if (strncmp(line, "client_hello=", 13) == 0)
			v.nch = unhex(line + 13, v.ch, sizeof(v.ch));
		if (strncmp(line, "server_flight=", 14) == 0)
			v.nsf = unhex(line + 14, v.sf, sizeof(v.sf));
		field(line, "ja3_string", v.ja3, sizeof(v.ja3));
		field(line, "ja3_hash", v.ja3_hash, sizeof(v.ja3_hash));
		field(line, "ja3s_string", v.ja3s, sizeof(v.ja3s));
		field(line, "ja3s_hash", v.ja3s_hash, sizeof(v.ja3s_hash));
		field(line, "sni", v.sni, sizeof(v.sni));
		field(line, "subject", v.subject, sizeof(v.subject));
		field(line, "issuer", v.issuer, sizeof(v.issuer));
		field(line, "serial", v.serial, sizeof(v.serial));
	}
	free(line);
	fclose(fp);
	return app_ctx_new(&ctx, NULL);
}

static int teardown(void **state)
{
	(void)state;
	app_ctx_free(ctx);
	return 0;
}

static void buf_eq(const struct app_tx *tx, enum app_dir d, enum ips_buf b, const char *want)
{
	const uint8_t *p;
	size_t n;

	assert_int_equal(app_tx_buf(tx, d, b, 0, &p, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* Feeds the vector with the client hello split at k and the server flight at k2. */
static void run(size_t k, size_t k2, bool bytewise)
{
	struct app_flow *f;
	const struct app_tls_info *t;
	const struct app_tx *tx;
	const uint8_t *p;
	size_t n;

	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	if (bytewise) {
		for (size_t i = 0; i < v.nch; i++)
			assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, v.ch + i, 1), 0);
		for (size_t i = 0; i < v.nsf; i++)
			assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, v.sf + i, 1), 0);
	} else {
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, v.ch, k), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, v.ch + k, v.nch - k), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, v.sf, k2), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, v.sf + k2, v.nsf - k2), 0);
	}
	assert_int_equal(app_flow_proto(f), APP_PROTO_TLS);
	assert_int_equal(app_flow_events(f), 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_null(app_tx_next(tx));
	assert_non_null(t = app_tx_tls(tx));
	assert_string_equal(t->sni, v.sni);
	assert_string_equal(t->version, "TLS 1.2");
	assert_string_equal(t->ja3_string, v.ja3);
	assert_string_equal(t->ja3_hash, v.ja3_hash);
	assert_string_equal(t->ja3s_string, v.ja3s);
	assert_string_equal(t->ja3s_hash, v.ja3s_hash);
	assert_string_equal(t->subject, v.subject);
	assert_string_equal(t->issuerdn, v.issuer);
	assert_string_equal(t->serial, v.serial);
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_TLS_SNI, v.sni);
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_JA3_HASH, v.ja3_hash);
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_JA3_STRING, v.ja3);
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_JA3S_HASH, v.ja3s_hash);
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_SUBJECT, v.subject);
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_ISSUER, v.issuer);
	/* One self-signed certificate: its DER starts with a SEQUENCE. */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERTS, 0, &p, &n), 0);
	assert_true(n > 300 && p[0] == 0x30);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERTS, 1, &p, &n),
	                 BW_ERR_NOTFOUND);
	/* Buffers are per direction. */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_SNI, 0, &p, &n),
	                 BW_ERR_NOTFOUND);
	app_flow_free(f);
}

static void test_real_handshake(void **state)
{
	(void)state;
	assert_true(v.nch > 100 && v.nsf > 500);
	run(0, 0, false);
	run(0, 0, true);
}

static void test_every_split(void **state)
{
	(void)state;
	for (size_t k = 0; k <= v.nch; k++)
		run(k, k < v.nsf ? k : v.nsf, false);
	for (size_t k = v.nch; k <= v.nsf; k++)
		run(v.nch / 2, k, false);
}

/* A hand-made ClientHello: GREASE everywhere, SNI, groups, point formats. */
static size_t build_hello(uint8_t *out, bool split_record)
{
	static const uint8_t body[] = {
	        0x03, 0x03, /* legacy_version */
	        1,    2,    3,    4,    5,    6,    7,    8,    9, 10,  11,  12,  13,  14,  15,
	        16, /* random */
	        1,    2,    3,    4,    5,    6,    7,    8,    9, 10,  11,  12,  13,  14,  15,
	        16,   0,                                        /* no session id */
	        0,    6,    0x1a, 0x1a, 0x13, 0x01, 0xc0, 0x2f, /* ciphers: GREASE, 4865, 49199 */
	        1,    0,                                        /* compression: null */
	        0,    39,                                       /* extensions */
	        0x2a, 0x2a, 0,    0,                            /* GREASE extension */
	        0,    0,    0,    10,   0,    8,    0,    0,    5, 'a', '.', 'b', 'c', 'd', /* SNI
	                                                                                       a.bcd
	                                                                                     */
	        0,    10,   0,    6,    0,    4,    0xfa, 0xfa, 0, 29, /* groups: GREASE, x25519 */
	        0,    11,   0,    2,    1,    0,                       /* point formats: 0 */
	        0,    23,   0,    1,    0,                             /* 23 with a 1-byte body */
	};
	size_t n = 0;

	if (!split_record) {
		memcpy(out,
		       (const uint8_t[]){22, 3, 1, 0, (uint8_t)(sizeof(body) + 4), 1, 0, 0,
		                         (uint8_t)sizeof(body)},
		       9);
		n = 9;
	} else {
		/* Handshake header alone in a first record, the body in a second. */
		memcpy(out,
		       (const uint8_t[]){22, 3, 1, 0, 4, 1, 0, 0, (uint8_t)sizeof(body), 22, 3, 1,
		                         0, (uint8_t)sizeof(body)},
		       14);
		n = 14;
	}
	memcpy(out + n, body, sizeof(body));
	return n + sizeof(body);
}

static void test_grease_and_records(void **state)
{
	uint8_t hello[256];
	struct app_flow *f;
	const struct app_tls_info *t;

	(void)state;
	for (int split = 0; split < 2; split++) {
		size_t n = build_hello(hello, split);

		assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, hello + i, 1), 0);
		assert_int_equal(app_flow_proto(f), APP_PROTO_TLS);
		assert_non_null(app_flow_tx_first(f));
		t = app_tx_tls(app_flow_tx_first(f));
		assert_string_equal(t->ja3_string, "771,4865-49199,0-10-11-23,29,0");
		/* md5("771,4865-49199,0-10-11-23,29,0") by python3 hashlib */
		assert_string_equal(t->ja3_hash, "fb5089a392f16bd32aafb1d76d602552");
		assert_string_equal(t->sni, "a.bcd");
		assert_int_equal(app_flow_events(f), 0);
		app_flow_free(f);
	}
}

static void test_malformed(void **state)
{
	uint8_t hello[256];
	struct app_flow *f;
	size_t n;

	(void)state;
	/* Every truncation of the hello body, with the lengths left as they were. */
	n = build_hello(hello, false);
	for (size_t cut = 9; cut < n; cut++) {
		assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, hello, cut), 0);
		app_flow_eof(f, APP_DIR_TO_SERVER);
		app_flow_free(f);
	}
	/* A lying extension length: malformed, no JA3. */
	n = build_hello(hello, false);
	hello[9 + 2 + 32 + 1 + 2 + 6 + 2 + 1] = 99;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, hello, n), 0);
	assert_true(app_flow_events(f) & APP_EV_TLS_MALFORMED);
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);
}

static void test_oversize(void **state)
{
	struct app_cfg cfg;
	struct app_ctx *small;
	struct app_flow *f;
	uint8_t hello[256];
	size_t n;

	(void)state;
	app_cfg_default(&cfg);
	cfg.tls_msg_limit = 64; /* less than the hello */
	assert_int_equal(app_ctx_new(&small, &cfg), 0);
	assert_int_equal(app_flow_new(&f, small, APP_L4_TCP), 0);
	n = build_hello(hello, false);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, hello, n), 0);
	assert_true(app_flow_events(f) & APP_EV_TLS_OVERSIZE);
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);
	app_ctx_free(small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_real_handshake),     cmocka_unit_test(test_every_split),
	        cmocka_unit_test(test_grease_and_records), cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_oversize),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
