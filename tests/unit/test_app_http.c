/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the HTTP parser (src/ips/app_http.c over libhtp): request
 * buffers as Suricata defines them (normalised and raw URI, http.header
 * without Cookie, http.header_names framing, host lowercased without port),
 * a chunked gzip response body decoded into http.response_body/file.data,
 * the same exchange split at every byte boundary, pipelined transactions,
 * 100-continue, the body limit, transaction release after ack, and the
 * buffers of messages cut short (request line only, headers closed early).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "ips/app.h"
#include "lib/err.h"

static struct app_ctx *ctx;

static const char req[] = "GET /a/../index.html?q=1 HTTP/1.1\r\n"
                          "Host: WWW.Example.COM:8080\r\n"
                          "User-Agent: test-agent/1.0\r\n"
                          "Cookie: s=1\r\n"
                          "Accept: */*\r\n"
                          "\r\n";

static const char body_text[] = "<html>hello, gzip world</html>";

static uint8_t res[1024];
static size_t nres;

/* A 200 response whose body is gzip, sent in two chunks (RFC 9112 7.1). */
static int setup(void **state)
{
	uint8_t gz[256];
	z_stream z;
	size_t n, half;
	int w;

	(void)state;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)body_text;
	z.avail_in = sizeof(body_text) - 1;
	z.next_out = gz;
	z.avail_out = sizeof(gz);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		return -1;
	n = sizeof(gz) - z.avail_out;
	deflateEnd(&z);
	half = n / 2;
	w = snprintf((char *)res, sizeof(res),
	             "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Type: text/html\r\n"
	             "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
	             half);
	nres = (size_t)w;
	memcpy(res + nres, gz, half);
	nres += half;
	nres += (size_t)snprintf((char *)res + nres, sizeof(res) - nres, "\r\n%zx\r\n", n - half);
	memcpy(res + nres, gz + half, n - half);
	nres += n - half;
	memcpy(res + nres, "\r\n0\r\n\r\n", 7);
	nres += 7;
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
	if (n != strlen(want) || memcmp(p, want, n) != 0)
		fail_msg("buffer %s: got \"%.*s\" want \"%s\"", ips_buf_name(b), (int)n, p, want);
}

/* app_tx_buf_each gives what app_tx_buf does, instance by instance. */
struct each_ctx {
	const struct app_tx *tx;
	enum app_dir d;
	size_t n;
};

static void each_one(void *arg, enum ips_buf b, size_t k, const uint8_t *p, size_t len)
{
	struct each_ctx *c = arg;
	const uint8_t *q;
	size_t n;

	assert_int_equal(app_tx_buf(c->tx, c->d, b, k, &q, &n), 0);
	assert_int_equal(n, len);
	assert_ptr_equal(q, p);
	c->n++;
}

static void check_each(const struct app_tx *tx, enum app_dir d)
{
	struct each_ctx c = {tx, d, 0};
	size_t want = 0;

	app_tx_buf_each(tx, d, 16, each_one, &c);
	for (int b = 1; b < IPS_BUF__COUNT; b++) {
		const uint8_t *p;
		size_t n;
		for (size_t k = 0; k < 16 && app_tx_buf(tx, d, (enum ips_buf)b, k, &p, &n) == 0;
		     k++)
			want++;
	}
	assert_int_equal(c.n, want);
	assert_true(want > 0);
}

static void check_tx(const struct app_tx *tx)
{
	const struct app_http_info *h = app_tx_http(tx);
	const enum app_dir S = APP_DIR_TO_SERVER, C = APP_DIR_TO_CLIENT;
	const uint8_t *p;
	size_t n;

	check_each(tx, S);
	check_each(tx, C);

	assert_non_null(h);
	buf_eq(tx, S, IPS_BUF_HTTP_URI, "/index.html?q=1");
	buf_eq(tx, S, IPS_BUF_HTTP_RAW_URI, "/a/../index.html?q=1");
	buf_eq(tx, S, IPS_BUF_HTTP_METHOD, "GET");
	buf_eq(tx, S, IPS_BUF_HTTP_PROTOCOL, "HTTP/1.1");
	buf_eq(tx, S, IPS_BUF_HTTP_REQUEST_LINE, "GET /a/../index.html?q=1 HTTP/1.1");
	buf_eq(tx, S, IPS_BUF_HTTP_HOST, "www.example.com");
	buf_eq(tx, S, IPS_BUF_HTTP_RAW_HOST, "WWW.Example.COM:8080");
	buf_eq(tx, S, IPS_BUF_HTTP_USER_AGENT, "test-agent/1.0");
	buf_eq(tx, S, IPS_BUF_HTTP_COOKIE, "s=1");
	buf_eq(tx, S, IPS_BUF_HTTP_ACCEPT, "*/*");
	buf_eq(tx, S, IPS_BUF_HTTP_HEADER,
	       "Host: WWW.Example.COM:8080\r\nUser-Agent: test-agent/1.0\r\nAccept: */*\r\n");
	buf_eq(tx, S, IPS_BUF_HTTP_HEADER_NAMES,
	       "\r\nHost\r\nUser-Agent\r\nCookie\r\nAccept\r\n\r\n");
	buf_eq(tx, C, IPS_BUF_HTTP_STAT_CODE, "200");
	buf_eq(tx, C, IPS_BUF_HTTP_STAT_MSG, "OK");
	buf_eq(tx, C, IPS_BUF_HTTP_RESPONSE_LINE, "HTTP/1.1 200 OK");
	buf_eq(tx, C, IPS_BUF_HTTP_SERVER, "test");
	buf_eq(tx, C, IPS_BUF_HTTP_CONTENT_TYPE, "text/html");
	buf_eq(tx, C, IPS_BUF_FILE_DATA, body_text); /* also http.response_body (Suricata 7) */
	assert_int_equal(app_tx_buf(tx, C, IPS_BUF_HTTP_RESPONSE_BODY, 0, &p, &n), BW_ERR_NOTFOUND);
	assert_string_equal(h->hostname, "www.example.com");
	assert_string_equal(h->url, "/a/../index.html?q=1");
	assert_string_equal(h->http_method, "GET");
	assert_string_equal(h->http_user_agent, "test-agent/1.0");
	assert_string_equal(h->http_content_type, "text/html");
	assert_int_equal(h->status, 200);
	assert_int_equal(h->length, sizeof(body_text) - 1);
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
}

static void test_exchange_every_split(void **state)
{
	(void)state;
	for (size_t k = 0; k <= nres; k++) {
		struct app_flow *f;
		size_t kq = k < sizeof(req) - 1 ? k : sizeof(req) - 1;

		assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)req, kq), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)req + kq,
		                               sizeof(req) - 1 - kq),
		                 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, res, k), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, res + k, nres - k), 0);
		assert_int_equal(app_flow_proto(f), APP_PROTO_HTTP);
		assert_non_null(app_flow_tx_first(f));
		check_tx(app_flow_tx_first(f));
		assert_null(app_tx_next(app_flow_tx_first(f)));
		app_flow_tx_ack(f);
		assert_null(app_flow_tx_first(f));
		app_flow_free(f);
	}
}

static void test_bytewise(void **state)
{
	struct app_flow *f;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	for (size_t i = 0; i < sizeof(req) - 1; i++)
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)req + i, 1),
		                 0);
	for (size_t i = 0; i < nres; i++)
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, res + i, 1), 0);
	check_tx(app_flow_tx_first(f));
	app_flow_free(f);
}

/*
 * http.uri as Suricata 7 composes it (SCHTPGenerateNormalizedUri): the
 * query URL-decoded, '+' kept; http.raw_uri as sent. Suricata's detect-xor
 * verification case hides "password=" behind %-escapes in the query.
 */
static void test_uri_query_decoded(void **state)
{
	static const char get[] = "GET /get?data=%7Dk%BB%8C+a%41 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct app_flow *f;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)get, sizeof(get) - 1),
	                 0);
	struct app_tx *tx = app_flow_tx_first(f);
	assert_non_null(tx);
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_URI, "/get?data=}k\xbb\x8c+aA");
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_RAW_URI, "/get?data=%7Dk%BB%8C+a%41");
	app_flow_free(f);
}

/*
 * Header buffers of a long header block (more pieces than one append takes)
 * and single-header buffers found whatever the case of their name.
 */
static void test_many_headers(void **state)
{
	char rq[4096], hdr[4096], names[4096];
	size_t n = 0, nh = 0, nn = 0, len;
	const uint8_t *p;
	struct app_flow *f;

	(void)state;
	n += (size_t)snprintf(rq + n, sizeof(rq) - n, "GET / HTTP/1.1\r\nhOsT: h\r\n");
	nh += (size_t)snprintf(hdr + nh, sizeof(hdr) - nh, "hOsT: h\r\n");
	nn += (size_t)snprintf(names + nn, sizeof(names) - nn, "\r\nhOsT\r\n");
	for (int i = 0; i < 30; i++) {
		n += (size_t)snprintf(rq + n, sizeof(rq) - n, "X-H%02d: value %d\r\n", i, i);
		nh += (size_t)snprintf(hdr + nh, sizeof(hdr) - nh, "X-H%02d: value %d\r\n", i, i);
		nn += (size_t)snprintf(names + nn, sizeof(names) - nn, "X-H%02d\r\n", i);
	}
	static const char ua[] = "uSeR-aGeNt: ua/1\r\nCONNECTION: close\r\n\r\n";
	memcpy(rq + n, ua, sizeof(ua) - 1);
	n += sizeof(ua) - 1;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)rq, n), 0);
	struct app_tx *tx = app_flow_tx_first(f);
	assert_non_null(tx);
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_RAW_HOST, "h");
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_USER_AGENT, "ua/1");
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_CONNECTION, "close");
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_HEADER, 0, &p, &len), 0);
	assert_int_equal(len, nh + strlen("uSeR-aGeNt: ua/1\r\nCONNECTION: close\r\n"));
	assert_memory_equal(p, hdr, nh);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_HEADER_NAMES, 0, &p, &len),
	                 0);
	assert_int_equal(len, nn + strlen("uSeR-aGeNt\r\nCONNECTION\r\n\r\n"));
	assert_memory_equal(p, names, nn);
	app_flow_free(f);
}

/* Three pipelined requests in one segment, then the three responses. */
static void test_pipelining(void **state)
{
	static const char reqs[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	                           "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n"
	                           "POST /3 HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\n\r\nhello";
	static const char ress[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
	                           "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBB"
	                           "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
	const char *uris[] = {"/1", "/2", "/3"}, *codes[] = {"200", "404", "201"},
	           *bodies[] = {"A", "BB", NULL};
	struct app_flow *f;
	struct app_tx *tx;
	int i = 0;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(
	        app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)reqs, sizeof(reqs) - 1), 0);
	/* Requests are visible before any response. */
	for (tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx), i++) {
		buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_URI, uris[i]);
		assert_true(app_tx_updated(tx, APP_DIR_TO_SERVER));
	}
	assert_int_equal(i, 3);
	app_flow_tx_ack(f);
	assert_int_equal(
	        app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)ress, sizeof(ress) - 1), 0);
	for (i = 0, tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx), i++) {
		assert_int_equal(app_tx_id(tx), (uint64_t)i);
		buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_STAT_CODE, codes[i]);
		if (bodies[i] != NULL)
			buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, bodies[i]);
		assert_true(app_tx_updated(tx, APP_DIR_TO_CLIENT));
	}
	assert_int_equal(i, 3);
	tx = app_tx_next(app_tx_next(app_flow_tx_first(f)));
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_REQUEST_BODY, "hello");
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, "hello");
	app_flow_tx_ack(f);
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);
}

/* Expect: 100-continue, the interim response, the body, the final response. */
static void test_100_continue(void **state)
{
	static const char r1[] = "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
	                         "Content-Length: 4\r\n\r\n";
	static const char s1[] = "HTTP/1.1 100 Continue\r\n\r\n";
	static const char r2[] = "data";
	static const char s2[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct app_flow *f;
	struct app_tx *tx;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)r1, sizeof(r1) - 1),
	                 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s1, sizeof(s1) - 1),
	                 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)r2, sizeof(r2) - 1),
	                 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s2, sizeof(s2) - 1),
	                 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_null(app_tx_next(tx));
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_REQUEST_BODY, "data");
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_STAT_CODE, "200");
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, "ok");
	/* The interim response's buffers were cleared: the walk sees the final ones only. */
	check_each(tx, APP_DIR_TO_SERVER);
	check_each(tx, APP_DIR_TO_CLIENT);
	assert_int_equal(app_tx_http(tx)->status, 200);
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	app_flow_free(f);
}

/*
 * Suricata's request-/response-body-limit: the body is kept up to the
 * limit, and the file ends truncated there, whether the cut falls inside a
 * chunk of data or the data comes after it; a body within the limit stays
 * complete.
 */
static void test_body_limit(void **state)
{
	struct app_cfg cfg;
	struct app_ctx *c;
	struct app_flow *f;
	static const char r[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabcdef"
	                        "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char s1[] = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234";
	static const char s2[] = "56789abcdefghij";
	static const char s3[] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nABCDEFGH";
	const struct app_file_info *fi;
	const struct app_tx *tx, *tx2;
	const uint8_t *p;
	size_t n;

	(void)state;
	app_cfg_default(&cfg);
	assert_int_equal(cfg.http_body_limit[APP_DIR_TO_SERVER], 100u << 10);
	assert_int_equal(cfg.http_body_limit[APP_DIR_TO_CLIENT], 100u << 10);
	cfg.http_body_limit[APP_DIR_TO_SERVER] = 4;
	cfg.http_body_limit[APP_DIR_TO_CLIENT] = 8;
	assert_int_equal(app_ctx_new(&c, &cfg), 0);
	assert_int_equal(app_flow_new(&f, c, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)r, sizeof(r) - 1), 0);
	/* The first response: 5 bytes, then 15 (the cut falls in the second). */
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s1, sizeof(s1) - 1),
	                 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	fi = app_tx_file(tx, APP_DIR_TO_CLIENT);
	assert_non_null(fi);
	assert_false(fi->truncated);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s2, sizeof(s2) - 1),
	                 0);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, 0, &p, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(p, "01234567", 8);
	fi = app_tx_file(tx, APP_DIR_TO_CLIENT);
	assert_true(fi->truncated);
	assert_false(fi->complete);
	assert_int_equal(fi->size, 8);
	/* The request body: cut at 4, in both of its buffers. */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_REQUEST_BODY, 0, &p, &n),
	                 0);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "abcd", 4);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 0, &p, &n), 0);
	assert_int_equal(n, 4);
	assert_true(app_tx_file(tx, APP_DIR_TO_SERVER)->truncated);
	/* The second response fits exactly: complete. */
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s3, sizeof(s3) - 1),
	                 0);
	tx2 = app_tx_next(tx);
	assert_non_null(tx2);
	assert_int_equal(app_tx_buf(tx2, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, 0, &p, &n), 0);
	assert_int_equal(n, 8);
	assert_true(app_tx_file(tx2, APP_DIR_TO_CLIENT)->complete);
	app_flow_free(f);
	app_ctx_free(c);
}

/*
 * Suricata's inspection points: the request line's buffers exist before the
 * headers end; a response whose connection closes inside its header block
 * still has its header buffers; http.header.raw of a response keeps its
 * bytes (they arrive before libhtp's headers hook).
 */
static void test_partial_messages(void **state)
{
	static const char r[] = "GET /index.html HTTP/1.0\r\nHost: h\r\n";
	static const char r2[] = "\r\n";
	static const char s[] = "HTTP/1.0 200 OK\r\nServer:ng1nx\r\n";
	const uint8_t *p;
	size_t n;
	struct app_flow *f;
	struct app_tx *tx;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)r, sizeof(r) - 1), 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_true(app_tx_updated(tx, APP_DIR_TO_SERVER));
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_REQUEST_LINE, "GET /index.html HTTP/1.0");
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_URI, "/index.html");
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_HEADER, 0, &p, &n),
	                 BW_ERR_NOTFOUND);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)r2, sizeof(r2) - 1),
	                 0);
	buf_eq(tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_HEADER, "Host: h\r\n");
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s, sizeof(s) - 1), 0);
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_STAT_CODE, "200");
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_RAW_HEADER, "Server:ng1nx\r\n");
	app_flow_eof(f, APP_DIR_TO_CLIENT);
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_HEADER, "Server: ng1nx\r\n");
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_SERVER, "ng1nx");
	buf_eq(tx, APP_DIR_TO_CLIENT, IPS_BUF_HTTP_RESPONSE_LINE, "HTTP/1.0 200 OK");
	app_flow_free(f);
}

/* gzip of in[0..n) into out; returns the size. */
static size_t gzip_buf(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	size_t w;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	w = cap - z.avail_out;
	deflateEnd(&z);
	return w;
}

/* Three gzip layers decode with http_decompress_layers 3, not with the default 2. */
static void test_decompress_layers(void **state)
{
	static const char r[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char text[] = "three layers deep";
	uint8_t a[256], b[256], c[256], res3[512];
	size_t na, nb, nc, nr;
	const uint8_t *p;
	size_t n;

	(void)state;
	na = gzip_buf((const uint8_t *)text, sizeof(text) - 1, a, sizeof(a));
	nb = gzip_buf(a, na, b, sizeof(b));
	nc = gzip_buf(b, nb, c, sizeof(c));
	nr = (size_t)snprintf((char *)res3, sizeof(res3),
	                      "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nContent-Encoding: gzip\r\n"
	                      "Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n\r\n",
	                      nc);
	memcpy(res3 + nr, c, nc);
	nr += nc;
	for (unsigned layers = 2; layers <= 3; layers++) {
		struct app_cfg cfg;
		struct app_ctx *cx;
		struct app_flow *f;

		app_cfg_default(&cfg);
		assert_int_equal(cfg.http_decompress_layers, 2);
		cfg.http_decompress_layers = layers;
		assert_int_equal(app_ctx_new(&cx, &cfg), 0);
		assert_int_equal(app_flow_new(&f, cx, APP_L4_TCP), 0);
		assert_int_equal(
		        app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)r, sizeof(r) - 1), 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, res3, nr), 0);
		if (app_tx_buf(app_flow_tx_first(f), APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, 0, &p,
		               &n) != 0)
			n = 0;
		if (layers == 3) {
			assert_int_equal(n, sizeof(text) - 1);
			assert_memory_equal(p, text, n);
		} else {
			assert_false(n == sizeof(text) - 1 && memcmp(p, text, n) == 0);
		}
		app_flow_free(f);
		app_ctx_free(cx);
	}
}

/*
 * A gap on one side before the protocol is known ends detection there only
 * (Suricata): the responses of a one-sided capture are still HTTP. Both
 * sides gone: detection fails.
 */
static void test_gap_one_side(void **state)
{
	static const char s[] = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nHello";
	struct app_flow *f;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	app_flow_gap(f, APP_DIR_TO_SERVER);
	assert_int_equal(app_flow_proto(f), APP_PROTO_UNKNOWN);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)s, sizeof(s) - 1), 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_HTTP);
	assert_non_null(app_flow_tx_first(f));
	assert_int_equal(
	        app_tx_buf(app_flow_tx_first(f), APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, 0, &p, &n),
	        0);
	assert_int_equal(n, 5);
	app_flow_free(f);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	app_flow_gap(f, APP_DIR_TO_SERVER);
	app_flow_gap(f, APP_DIR_TO_CLIENT);
	assert_int_equal(app_flow_proto(f), APP_PROTO_FAILED);
	app_flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exchange_every_split),
	        cmocka_unit_test(test_bytewise),
	        cmocka_unit_test(test_pipelining),
	        cmocka_unit_test(test_uri_query_decoded),
	        cmocka_unit_test(test_many_headers),
	        cmocka_unit_test(test_100_continue),
	        cmocka_unit_test(test_body_limit),
	        cmocka_unit_test(test_partial_messages),
	        cmocka_unit_test(test_decompress_layers),
	        cmocka_unit_test(test_gap_one_side),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
