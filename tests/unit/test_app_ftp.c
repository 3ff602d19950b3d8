/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the FTP parser and ftp-data (src/ips/app_ftp.c) and the
 * expectation table (src/ips/expect.c): commands and replies into
 * transactions (ftp.command, ftp.command_data, multi-line and preliminary
 * replies), the data port from PASV, EPSV, PORT and EPRT, the expectation
 * RETR/STOR posts with the direction Suricata gives it (passive RETR and
 * active STOR to the client), lines split at every byte, an overlong line;
 * an ftp-data flow's file.data and ftpdata_command buffers; the table's
 * matching by host pair and port, its cap and its time limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/app.h"
#include "ips/expect.h"
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

static void feed(struct app_flow *f, enum app_dir d, const char *s)
{
	assert_int_equal(app_flow_feed(f, d, (const uint8_t *)s, strlen(s)), 0);
}

static const char *buf(const struct app_tx *tx, enum app_dir d, enum ips_buf b)
{
	const uint8_t *p;
	size_t n;

	if (app_tx_buf(tx, d, b, 0, &p, &n) != 0)
		return NULL;
	return (const char *)p;
}

static const struct app_tx *last_tx(const struct app_flow *f)
{
	const struct app_tx *tx = app_flow_tx_first(f), *last = NULL;

	for (; tx != NULL; tx = app_tx_next(tx))
		last = tx;
	return last;
}

static void test_commands(void **state)
{
	struct app_flow *f;
	const struct app_tx *tx;
	struct app_expect e;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	feed(f, APP_DIR_TO_CLIENT, "220 ProFTPD ready\r\n");
	assert_int_equal(app_flow_proto(f), APP_PROTO_FTP);
	feed(f, APP_DIR_TO_SERVER, "user anonymous\r\n");
	tx = last_tx(f);
	assert_string_equal(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FTP_COMMAND), "USER");
	assert_string_equal(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FTP_COMMAND_DATA), "anonymous");
	assert_string_equal(app_tx_ftp(tx)->command, "USER");
	/* A multi-line reply: only its last line is final. */
	feed(f, APP_DIR_TO_CLIENT, "331-Guest login ok,\r\n");
	assert_false(app_tx_flags(tx) & APP_TX_COMPLETE);
	feed(f, APP_DIR_TO_CLIENT, "331 send your e-mail\r\n");
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	assert_string_equal(app_tx_ftp(tx)->completion_code, "331");
	app_flow_tx_ack(f);
	/* No data port yet: RETR posts nothing. */
	feed(f, APP_DIR_TO_SERVER, "RETR a.txt\r\n");
	assert_false(app_flow_expect_take(f, &e));
	feed(f, APP_DIR_TO_CLIENT, "425 no data connection\r\n");
	/* NOOP has no argument. */
	feed(f, APP_DIR_TO_SERVER, "NOOP\r\n");
	assert_null(buf(last_tx(f), APP_DIR_TO_SERVER, IPS_BUF_FTP_COMMAND_DATA));
	app_flow_free(f);
}

static void test_passive(void **state)
{
	struct app_flow *f;
	struct app_expect e;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	feed(f, APP_DIR_TO_CLIENT, "220 ready\r\n");
	feed(f, APP_DIR_TO_SERVER, "PASV\r\n");
	feed(f, APP_DIR_TO_CLIENT, "227 Entering Passive Mode (172,23,0,2,117,50).\r\n");
	assert_int_equal(app_tx_ftp(last_tx(f))->dynamic_port, 117 * 256 + 50);
	assert_string_equal(app_tx_ftp(last_tx(f))->mode, "passive");
	/* A preliminary reply leaves RETR open. */
	feed(f, APP_DIR_TO_SERVER, "RETR /etc/passwd\r\n");
	feed(f, APP_DIR_TO_CLIENT, "150 Opening\r\n");
	assert_false(app_tx_flags(last_tx(f)) & APP_TX_COMPLETE);
	assert_true(app_flow_expect_take(f, &e));
	assert_int_equal(e.port, 117 * 256 + 50);
	assert_false(e.stor);
	assert_false(e.to_server); /* passive RETR: the server sends, to the data flow's client */
	assert_string_equal(e.name, "/etc/passwd");
	assert_false(app_flow_expect_take(f, &e));
	/* The port is used once. */
	feed(f, APP_DIR_TO_SERVER, "STOR b\r\n");
	assert_false(app_flow_expect_take(f, &e));
	/* EPSV (RFC 2428), then STOR: passive upload goes to the data flow's server. The
	 * replies RETR and STOR still wait for are missing: the 229 counts for the EPSV
	 * just sent all the same, as in Suricata. */
	feed(f, APP_DIR_TO_SERVER, "EPSV\r\n");
	feed(f, APP_DIR_TO_CLIENT, "229 Entering Extended Passive Mode (|||6446|)\r\n");
	feed(f, APP_DIR_TO_SERVER, "STOR up.bin\r\n");
	assert_true(app_flow_expect_take(f, &e));
	assert_int_equal(e.port, 6446);
	assert_true(e.stor);
	assert_true(e.to_server);
	app_flow_free(f);
}

static void test_active_split(void **state)
{
	static const char retr[] = "RETR index.html\r\n";
	struct app_flow *f;
	struct app_expect e;

	(void)state;
	/* Every split of the RETR line gives the same expectation. */
	for (size_t cut = 0; cut <= sizeof(retr) - 1; cut++) {
		assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
		feed(f, APP_DIR_TO_CLIENT, "220 hi\r\n");
		feed(f, APP_DIR_TO_SERVER, "PORT 172,23,0,3,170,65\r\n");
		feed(f, APP_DIR_TO_CLIENT, "200 PORT ok\r\n");
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)retr, cut),
		                 0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)retr + cut,
		                               sizeof(retr) - 1 - cut),
		                 0);
		feed(f, APP_DIR_TO_CLIENT, "150 go\r\n226 done\r\n");
		assert_true(app_flow_expect_take(f, &e));
		assert_int_equal(e.port, 170 * 256 + 65);
		assert_true(e.to_server); /* active RETR: the server connects and sends */
		assert_false(e.stor);
		assert_string_equal(e.name, "index.html");
		feed(f, APP_DIR_TO_SERVER, "EPRT |2|2001:db8::1|5282|\r\n");
		feed(f, APP_DIR_TO_CLIENT, "200 EPRT ok\r\n");
		assert_string_equal(app_tx_ftp(last_tx(f))->mode, "active");
		feed(f, APP_DIR_TO_SERVER, "STOR x\r\n");
		assert_true(app_flow_expect_take(f, &e));
		assert_int_equal(e.port, 5282);
		assert_false(
		        e.to_server); /* active STOR: the client sends, to the data flow's client */
		assert_true(e.stor);
		app_flow_free(f);
	}
}

static void test_bad_ports(void **state)
{
	static const char *const bad[] = {
	        "227 Entering Passive Mode (1,2,3,4,256,1)\r\n",
	        "227 Entering Passive Mode (1,2,3,4,0,0)\r\n",
	        "227 nothing\r\n",
	};
	struct app_flow *f;
	struct app_expect e;
	char line[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
		feed(f, APP_DIR_TO_CLIENT, "220 hi\r\n");
		feed(f, APP_DIR_TO_SERVER, "PASV\r\n");
		feed(f, APP_DIR_TO_CLIENT, bad[i]);
		feed(f, APP_DIR_TO_SERVER, "RETR x\r\n");
		assert_false(app_flow_expect_take(f, &e));
		app_flow_free(f);
	}
	/* An overlong command is cut (an event); the next line parses. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	feed(f, APP_DIR_TO_SERVER, "USER x\r\n");
	memcpy(line, "USER ", 5);
	memset(line + 5, 'a', sizeof(line) - 8);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	feed(f, APP_DIR_TO_SERVER, line);
	assert_true(app_flow_events(f) & APP_EV_FTP_MALFORMED);
	feed(f, APP_DIR_TO_SERVER, "QUIT\r\n");
	assert_string_equal(buf(last_tx(f), APP_DIR_TO_SERVER, IPS_BUF_FTP_COMMAND), "QUIT");
	assert_true(app_flow_mem(f) < 64 * 1024);
	app_flow_free(f);
}

static void test_ftp_data(void **state)
{
	struct app_expect e = {.port = 30000, .to_server = true, .stor = false};
	struct app_flow *f;
	struct app_tx *tx;
	const uint8_t *p;
	size_t n;

	(void)state;
	strcpy(e.name, "index.html");
	/* Active RETR: the file travels to the data flow's server. */
	assert_int_equal(app_flow_new_ftp_data(&f, ctx, &e), 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_FTP_DATA);
	assert_string_equal(app_proto_name(APP_PROTO_FTP_DATA), "ftp-data");
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_true(app_tx_updated(tx, APP_DIR_TO_SERVER));
	assert_true(app_tx_updated(tx, APP_DIR_TO_CLIENT));
	/* ftpdata_command: retr is seen to the client only. */
	assert_string_equal(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_FTPDATA_COMMAND), "retr");
	assert_null(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FTPDATA_COMMAND));
	assert_string_equal(app_tx_ftp_data(tx)->command, "RETR");
	assert_string_equal(app_tx_ftp_data(tx)->filename, "index.html");
	app_flow_tx_ack(f);
	feed(f, APP_DIR_TO_SERVER, "root:x:0:0");
	feed(f, APP_DIR_TO_CLIENT, "ignored");
	feed(f, APP_DIR_TO_SERVER, ":root\n");
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 0, &p, &n), 0);
	assert_int_equal(n, 16);
	assert_memory_equal(p, "root:x:0:0:root\n", 16);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, 0, &p, &n),
	                 BW_ERR_NOTFOUND);
	/* The transfer is a generic file named by the RETR argument (file.name, fileext). */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_NAME, 0, &p, &n), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(p, "index.html", 10);
	assert_int_equal(app_tx_nfiles(tx, APP_DIR_TO_CLIENT), 0);
	assert_false(app_tx_file(tx, APP_DIR_TO_SERVER)->complete);
	app_flow_eof(f, APP_DIR_TO_SERVER);
	assert_true(app_tx_flags(tx) & APP_TX_REQ_DONE);
	assert_true(app_tx_file(tx, APP_DIR_TO_SERVER)->complete);
	assert_int_equal(app_tx_file(tx, APP_DIR_TO_SERVER)->size, 16);
	app_flow_free(f);
	/* STOR: stor is seen to the server. */
	e.stor = true;
	e.to_server = false;
	assert_int_equal(app_flow_new_ftp_data(&f, ctx, &e), 0);
	tx = app_flow_tx_first(f);
	assert_string_equal(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FTPDATA_COMMAND), "stor");
	feed(f, APP_DIR_TO_CLIENT, "abc");
	assert_string_equal(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA), "abc");
	app_flow_free(f);
}

static void test_expect_table(void **state)
{
	struct ips_expect_table *t = ips_expect_new(2, 1000);
	uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2}, c[16] = {10, 0, 0, 3};
	struct app_expect e = {.port = 2000}, out;

	(void)state;
	assert_non_null(t);
	ips_expect_add(t, 4, a, b, &e, 100);
	/* Either direction between the two hosts, to the port. */
	assert_false(ips_expect_take(t, 4, a, c, 2000, 101, &out));
	assert_false(ips_expect_take(t, 4, b, a, 2001, 101, &out));
	assert_false(ips_expect_take(t, 6, b, a, 2000, 101, &out));
	assert_true(ips_expect_take(t, 4, b, a, 2000, 101, &out));
	assert_int_equal(out.port, 2000);
	assert_false(ips_expect_take(t, 4, b, a, 2000, 101, &out)); /* taken once */
	/* Full: the oldest goes. */
	e.port = 1;
	ips_expect_add(t, 4, a, b, &e, 200);
	e.port = 2;
	ips_expect_add(t, 4, a, b, &e, 201);
	e.port = 3;
	ips_expect_add(t, 4, a, b, &e, 202);
	assert_int_equal(ips_expect_count(t), 2);
	assert_false(ips_expect_take(t, 4, a, b, 1, 203, &out));
	assert_true(ips_expect_take(t, 4, a, b, 3, 203, &out));
	/* Stale after the time limit. */
	assert_false(ips_expect_take(t, 4, a, b, 2, 5000, &out));
	assert_int_equal(ips_expect_count(t), 0);
	ips_expect_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_commands),     cmocka_unit_test(test_passive),
	        cmocka_unit_test(test_active_split), cmocka_unit_test(test_bad_ports),
	        cmocka_unit_test(test_ftp_data),     cmocka_unit_test(test_expect_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
