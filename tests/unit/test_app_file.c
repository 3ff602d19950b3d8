/* SPDX-License-Identifier: ISC */
/*
 * Files in transit (src/ips/app_file.c through the HTTP parser) and the
 * file keywords (rule_kw_file.c, detect): file.name from Content-Disposition
 * or the URI path, size, libmagic's file.magic, digests only when asked
 * for and only of a complete file; filename/fileext/filemagic as caseless
 * contents; filemd5 lists (relative to the rules directory, negation);
 * filesize on open and closed files; filestore accepted; multipart uploads
 * as one file per part.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ips/app.h"
#include "ips/detect.h"
#include "lib/err.h"

static const char req[] = "GET /dl/report.PDF?x=1 HTTP/1.1\r\nHost: h\r\n\r\n";
static const char pdf[] = "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
                          "trailer\n<< /Root 1 0 R >>\n%%EOF\n";

static bool buf(const struct app_tx *tx, enum ips_buf b, const uint8_t **p, size_t *n)
{
	return app_tx_buf(tx, APP_DIR_TO_CLIENT, b, 0, p, n) == 0;
}

static struct app_flow *run(struct app_ctx **cx, unsigned needs, const char *extra_hdr, size_t cut)
{
	struct app_cfg cfg;
	struct app_flow *f;
	char res[1024];
	int n;

	app_cfg_default(&cfg);
	cfg.file_needs = needs;
	assert_int_equal(app_ctx_new(cx, &cfg), 0);
	assert_int_equal(app_flow_new(&f, *cx, APP_L4_TCP), 0);
	n = snprintf(res, sizeof(res), "HTTP/1.1 200 OK\r\n%sContent-Length: %zu\r\n\r\n%s",
	             extra_hdr, sizeof(pdf) - 1, pdf);
	assert_true(n > 0 && (size_t)n < sizeof(res));
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)req, sizeof(req) - 1),
	                 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)res, (size_t)n - cut),
	                 0);
	return f;
}

static void test_http_file(void **state)
{
	struct app_ctx *cx;
	struct app_flow *f;
	const struct app_file_info *fi;
	const uint8_t *p;
	size_t n;

	(void)state;
	/* Everything asked: name from the URI path, magic, digests. */
	f = run(&cx, APP_FILE_NEED_MD5 | APP_FILE_NEED_SHA256 | APP_FILE_NEED_MAGIC, "", 0);
	const struct app_tx *tx = app_flow_tx_first(f);
	assert_non_null(tx);
	fi = app_tx_file(tx, APP_DIR_TO_CLIENT);
	assert_non_null(fi);
	assert_true(fi->complete);
	assert_int_equal(fi->size, sizeof(pdf) - 1);
	assert_true(buf(tx, IPS_BUF_FILE_NAME, &p, &n));
	/* libhtp's normalised path, case kept (Suricata turns lowercasing off). */
	assert_int_equal(n, strlen("/dl/report.PDF"));
	assert_memory_equal(p, "/dl/report.PDF", n);
	assert_true(buf(tx, IPS_BUF_FILE_MAGIC, &p, &n));
	assert_non_null(memmem(p, n, "PDF document", 12));
	assert_true(buf(tx, IPS_BUF_FILE_MD5, &p, &n));
	assert_int_equal(n, 16);
	assert_true(buf(tx, IPS_BUF_FILE_SHA256, &p, &n));
	assert_int_equal(n, 32);
	assert_false(buf(tx, IPS_BUF_FILE_SHA1, &p, &n)); /* not asked for */
	assert_null(app_tx_file(tx, APP_DIR_TO_SERVER));
	app_flow_free(f);
	app_ctx_free(cx);

	/* Content-Disposition names the file; nothing asked: no magic, no digests. */
	f = run(&cx, 0, "Content-Disposition: attachment; filename=\"eicar.txt\"\r\n", 0);
	tx = app_flow_tx_first(f);
	assert_true(buf(tx, IPS_BUF_FILE_NAME, &p, &n));
	assert_int_equal(n, 9);
	assert_memory_equal(p, "eicar.txt", 9);
	assert_false(buf(tx, IPS_BUF_FILE_MAGIC, &p, &n));
	assert_false(buf(tx, IPS_BUF_FILE_MD5, &p, &n));
	app_flow_free(f);
	app_ctx_free(cx);

	/* Cut short and ended: truncated, no digest. */
	f = run(&cx, APP_FILE_NEED_MD5, "", 10);
	app_flow_gap(f, APP_DIR_TO_CLIENT);
	app_flow_eof(f, APP_DIR_TO_CLIENT);
	tx = app_flow_tx_first(f);
	fi = app_tx_file(tx, APP_DIR_TO_CLIENT);
	assert_non_null(fi);
	assert_false(fi->complete);
	assert_false(buf(tx, IPS_BUF_FILE_MD5, &p, &n));
	app_flow_free(f);
	app_ctx_free(cx);
}

/* Detection over file buffers given directly. */
static size_t detect(const char *rules_text, const char *dir, const struct ips_bufv *name,
                     const struct ips_bufv *md5, bool complete, uint64_t size)
{
	struct ips_ruleset rs = {0};
	struct ips_rule *r = NULL;
	char why[200], key[64];
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_detect_input in = {0};
	struct ips_match m[4];
	size_t n = 0;

	if (ips_rule_parse_in(rules_text, NULL, dir, &r, why, sizeof(why), key, sizeof(key)) != 0)
		fail_msg("refused (%s): %s", why, rules_text);
	rs.rules = &r;
	rs.n = rs.cap = 1;
	assert_int_equal(ips_detect_build(&rs, NULL, &e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(e, &t), 0);
	in.ip_version = 4;
	in.proto = 6;
	in.app = IPS_PROTO_HTTP;
	in.has_flow = true;
	ips_detect_set_buf(&in, IPS_BUF_FILE_NAME, name);
	ips_detect_set_buf(&in, IPS_BUF_FILE_MD5, md5);
	in.file_present = true;
	in.file_complete = complete;
	in.file_size = size;
	assert_int_equal(ips_detect_run(e, t, &in, m, 4, &n), 0);
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_rule_free(r);
	return n;
}

static void test_file_keywords(void **state)
{
	char dir[] = "/tmp/bw-test-file-XXXXXX", path[64];
	static const uint8_t d1[16] = {0x09, 0x0f, 0xe6, 0x07, 0xa5, 0xbe, 0x12, 0x28,
	                               0x36, 0x26, 0x14, 0xcc, 0xaa, 0x08, 0x85, 0x77};
	static const uint8_t d2[16] = {1};
	struct ips_bufv nm = {.p = (const uint8_t *)"/dl/report.PDF", .len = 14},
	                h1 = {.p = d1, .len = 16}, h2 = {.p = d2, .len = 16};
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/md5.list", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("\n00000000000000000000000000000000\n090FE607A5BE1228362614CCAA088577 x\n", fp);
	fclose(fp);
#define H "alert http any any -> any any ("
	assert_int_equal(detect(H "filename:\"report\"; sid:1;)", NULL, &nm, NULL, true, 0), 1);
	assert_int_equal(detect(H "filename:REPORT; sid:1;)", NULL, &nm, NULL, true, 0), 1);
	assert_int_equal(detect(H "fileext:\"pdf\"; sid:1;)", NULL, &nm, NULL, true, 0), 1);
	assert_int_equal(detect(H "fileext:\"dl\"; sid:1;)", NULL, &nm, NULL, true, 0), 0);
	assert_int_equal(detect(H "filename:!\"zip\"; sid:1;)", NULL, &nm, NULL, true, 0), 1);
	assert_int_equal(detect(H "file.name; content:\"/dl/\"; startswith; sid:1;)", NULL, &nm,
	                        NULL, true, 0),
	                 1);
	assert_int_equal(detect(H "filemd5:md5.list; sid:1;)", dir, &nm, &h1, true, 10), 1);
	assert_int_equal(detect(H "filemd5:md5.list; sid:1;)", dir, &nm, &h2, true, 10), 0);
	assert_int_equal(detect(H "filemd5:!md5.list; sid:1;)", dir, &nm, &h2, true, 10), 1);
	/* No digest (file open or truncated): no match either way. */
	assert_int_equal(detect(H "filemd5:!md5.list; sid:1;)", dir, &nm, NULL, false, 10), 0);
	assert_int_equal(detect(H "filesize:10; filestore; sid:1;)", NULL, &nm, NULL, true, 10), 1);
	assert_int_equal(detect(H "filesize:10; sid:1;)", NULL, &nm, NULL, false, 10), 0);
	assert_int_equal(detect(H "filesize:>5; sid:1;)", NULL, &nm, NULL, false, 10), 1);
	assert_int_equal(detect(H "filesize:<5; sid:1;)", NULL, &nm, NULL, false, 1), 0);
	/* Bad lists are refused. */
	{
		struct ips_rule *r = NULL;
		char why[200], key[64];
		assert_int_not_equal(ips_rule_parse_in(H "filemd5:nosuch.list; sid:1;)", NULL, dir,
		                                       &r, why, sizeof(why), key, sizeof(key)),
		                     0);
		assert_int_not_equal(ips_rule_parse_in(H "filesha256:md5.list; sid:1;)", NULL, dir,
		                                       &r, why, sizeof(why), key, sizeof(key)),
		                     0);
	}
	unlink(path);
	rmdir(dir);
}

/* A multipart upload: each file part is a file with its own name and digest. */
static void test_multipart(void **state)
{
	static const char body[] =
	        "--XyZ\r\n"
	        "Content-Disposition: form-data; name=\"t\"\r\n\r\n"
	        "text\r\n"
	        "--XyZ\r\n"
	        "Content-Disposition: form-data; name=\"a\"; filename=\"one.jpg\"\r\n"
	        "Content-Type: image/jpeg\r\n\r\n"
	        "abc\r\n"
	        "--XyZ\r\n"
	        "Content-Disposition: form-data; name=\"b\"; filename=\"two.txt\"\r\n\r\n"
	        "second file\r\n"
	        "--XyZ--\r\n";
	static const uint8_t md5_abc[16] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
	                                    0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72};
	char req2[1024];
	struct app_cfg cfg;
	struct app_ctx *cx;
	struct app_flow *f;
	const struct app_tx *tx;
	const uint8_t *p;
	size_t n;
	int w;

	(void)state;
	w = snprintf(req2, sizeof(req2),
	             "POST /upload.cgi HTTP/1.1\r\nHost: h\r\n"
	             "Content-Type: multipart/form-data; boundary=XyZ\r\n"
	             "Content-Length: %zu\r\n\r\n%s",
	             sizeof(body) - 1, body);
	app_cfg_default(&cfg);
	cfg.file_needs = APP_FILE_NEED_MD5;
	assert_int_equal(app_ctx_new(&cx, &cfg), 0);
	assert_int_equal(app_flow_new(&f, cx, APP_L4_TCP), 0);
	/* Byte by byte: parts and files cross every feed boundary. */
	for (int i = 0; i < w; i++)
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)req2 + i, 1),
		                 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_int_equal(app_tx_nfiles(tx, APP_DIR_TO_SERVER), 2);
	assert_int_equal(app_tx_file_buf(tx, APP_DIR_TO_SERVER, 0, IPS_BUF_FILE_NAME, &p, &n), 0);
	assert_int_equal(n, 7);
	assert_memory_equal(p, "one.jpg", 7);
	assert_int_equal(app_tx_file_buf(tx, APP_DIR_TO_SERVER, 1, IPS_BUF_FILE_NAME, &p, &n), 0);
	assert_memory_equal(p, "two.txt", 7);
	assert_int_equal(app_tx_file_at(tx, APP_DIR_TO_SERVER, 0)->size, 3);
	assert_true(app_tx_file_at(tx, APP_DIR_TO_SERVER, 0)->complete);
	assert_int_equal(app_tx_file_buf(tx, APP_DIR_TO_SERVER, 0, IPS_BUF_FILE_MD5, &p, &n), 0);
	assert_memory_equal(p, md5_abc, 16);
	/* The tx-wide view: one instance per file. */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_NAME, 1, &p, &n), 0);
	assert_memory_equal(p, "two.txt", 7);
	assert_int_not_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_NAME, 2, &p, &n), 0);
	app_flow_free(f);
	app_ctx_free(cx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_http_file),
	        cmocka_unit_test(test_file_keywords),
	        cmocka_unit_test(test_multipart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
