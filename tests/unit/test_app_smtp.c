/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the SMTP parser and its MIME reader (src/ips/app_smtp.c):
 * the envelope (HELO, MAIL FROM, RCPT TO) in the EVE fields, a multipart
 * message whose base64, quoted-printable and 8bit attachments each become
 * one decoded file.data instance while the text part does not (the
 * Content-Disposition file name over the Content-Type one), folded
 * header fields, dot-stuffing, the same message split at every byte, two
 * mails on one connection, a refused DATA, BDAT chunks, and STARTTLS
 * ending the parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

static void feed(struct app_flow *f, enum app_dir d, const char *s)
{
	assert_int_equal(app_flow_feed(f, d, (const uint8_t *)s, strlen(s)), 0);
}

static const char msg[] = "MAIL FROM:<a@example.com>\r\n"
                          "RCPT TO:<b@example.com>\r\n"
                          "RCPT TO:<c@example.com>\r\n"
                          "DATA\r\n"
                          "From: <a@example.com>\r\n"
                          "Subject: test\r\n"
                          "Content-Type: multipart/mixed;\r\n"
                          "\tboundary=\"XYZ\"\r\n"
                          "\r\n"
                          "preamble\r\n"
                          "--XYZ\r\n"
                          "Content-Type: text/plain\r\n"
                          "\r\n"
                          "body text not a file\r\n"
                          "..dot-stuffed\r\n"
                          "--XYZ\r\n"
                          "Content-Type: application/octet-stream; name=\"ct.bin\"\r\n"
                          "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
                          "Content-Transfer-Encoding: base64\r\n"
                          "\r\n"
                          "aGVsbG8g\r\n"
                          "d29y bGQ=\r\n"
                          "--XYZ\r\n"
                          "Content-Disposition: attachment; filename=q.txt\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\n"
                          "caf=C3=A9 soft=\r\n"
                          "break\r\n"
                          "--XYZ\r\n"
                          "Content-Disposition: attachment; filename=\"p.txt\"\r\n"
                          "\r\n"
                          "..plain\r\n"
                          "--XYZ--\r\n"
                          "epilogue\r\n"
                          ".\r\n";

static void check_mail(const struct app_flow *f)
{
	const struct app_tx *tx = app_flow_tx_first(f);
	const struct app_smtp_info *m;
	const uint8_t *p;
	size_t n;

	assert_non_null(tx);
	m = app_tx_smtp(tx);
	assert_non_null(m);
	assert_string_equal(m->helo, "client.example");
	assert_string_equal(m->mail_from, "<a@example.com>");
	assert_int_equal(m->nrcpt, 2);
	assert_string_equal(m->rcpt_to[1], "<c@example.com>");
	assert_string_equal(m->from, "<a@example.com>");
	assert_string_equal(m->subject, "test");
	assert_int_equal(m->nattach, 3);
	assert_string_equal(m->attachments[0], "a.bin");
	assert_string_equal(m->attachments[1], "q.txt");
	assert_string_equal(m->attachments[2], "p.txt");
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	/* One decoded file.data instance per attachment, to the server. */
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 0, &p, &n), 0);
	assert_int_equal(n, 11);
	assert_memory_equal(p, "hello world", 11);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 1, &p, &n), 0);
	assert_int_equal(n, 17);
	assert_memory_equal(p, "caf\xc3\xa9 softbreak\r\n", 17);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 2, &p, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(p, ".plain\r\n", 8);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 3, &p, &n),
	                 BW_ERR_NOTFOUND);
	assert_int_equal(app_tx_buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, 0, &p, &n),
	                 BW_ERR_NOTFOUND);
	/* Each attachment is a generic file: file.name (filename, fileext) and size. */
	static const char *const names[] = {"a.bin", "q.txt", "p.txt"};
	static const uint64_t sizes[] = {11, 17, 8};
	assert_int_equal(app_tx_nfiles(tx, APP_DIR_TO_SERVER), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(app_tx_buf(tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_NAME, i, &p, &n),
		                 0);
		assert_int_equal(n, strlen(names[i]));
		assert_memory_equal(p, names[i], n);
		assert_true(app_tx_file_at(tx, APP_DIR_TO_SERVER, i)->complete);
		assert_int_equal(app_tx_file_at(tx, APP_DIR_TO_SERVER, i)->size, sizes[i]);
	}
}

static struct app_flow *greet(void)
{
	struct app_flow *f;

	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	feed(f, APP_DIR_TO_CLIENT, "220 mx ESMTP ready\r\n");
	assert_int_equal(app_flow_proto(f), APP_PROTO_SMTP);
	feed(f, APP_DIR_TO_SERVER, "EHLO client.example\r\n");
	feed(f, APP_DIR_TO_CLIENT, "250-mx\r\n250 OK\r\n");
	return f;
}

static void test_message(void **state)
{
	struct app_flow *f;

	(void)state;
	f = greet();
	feed(f, APP_DIR_TO_SERVER, msg);
	check_mail(f);
	app_flow_free(f);
	/* Split at every byte. */
	f = greet();
	for (size_t i = 0; i < sizeof(msg) - 1; i++)
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)msg + i, 1),
		                 0);
	check_mail(f);
	app_flow_free(f);
}

static void test_two_mails_and_rset(void **state)
{
	struct app_flow *f;
	const struct app_tx *tx;

	(void)state;
	f = greet();
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<x@y>\r\nRSET\r\n");
	feed(f, APP_DIR_TO_SERVER, msg);
	tx = app_flow_tx_first(f);
	assert_string_equal(app_tx_smtp(tx)->mail_from, "<x@y>");
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	tx = app_tx_next(tx);
	assert_non_null(tx);
	assert_string_equal(app_tx_smtp(tx)->mail_from, "<a@example.com>");
	assert_int_equal(app_tx_smtp(tx)->nattach, 3);
	app_flow_free(f);
}

/* DATA refused, pipelined with the envelope: what follows is commands again. */
static void test_data_refused(void **state)
{
	struct app_flow *f;
	const struct app_tx *tx;

	(void)state;
	f = greet();
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<a@b>\r\nRCPT TO:<nobody@b>\r\nDATA\r\n");
	feed(f, APP_DIR_TO_CLIENT, "250 ok\r\n550 no such user\r\n554 no valid recipients\r\n");
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<c@d>\r\n");
	tx = app_flow_tx_first(f);
	assert_non_null(app_tx_next(tx));
	assert_string_equal(app_tx_smtp(app_tx_next(tx))->mail_from, "<c@d>");
	app_flow_free(f);
	/* Accepted: the 354 keeps the message mode. */
	f = greet();
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<a@b>\r\nRCPT TO:<c@b>\r\nDATA\r\n");
	feed(f, APP_DIR_TO_CLIENT, "250 ok\r\n250 ok\r\n354 go\r\n");
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<in-body@x>\r\n.\r\n");
	tx = app_flow_tx_first(f);
	assert_null(app_tx_next(tx));
	assert_string_equal(app_tx_smtp(tx)->mail_from, "<a@b>");
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	app_flow_free(f);
}

static void test_bdat(void **state)
{
	static const char chunk[] = "Content-Disposition: attachment; filename=b\r\n\r\nxy\r\n";
	char cmd[64];
	struct app_flow *f;
	const uint8_t *p;
	size_t n;

	(void)state;
	f = greet();
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
	snprintf(cmd, sizeof(cmd), "BDAT %zu LAST\r\n", sizeof(chunk) - 1);
	feed(f, APP_DIR_TO_SERVER, cmd);
	feed(f, APP_DIR_TO_SERVER, chunk);
	assert_int_equal(
	        app_tx_buf(app_flow_tx_first(f), APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, 0, &p, &n),
	        0);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "xy\r\n", 4);
	assert_true(app_tx_flags(app_flow_tx_first(f)) & APP_TX_COMPLETE);
	/* Back in command mode. */
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<e@f>\r\n");
	assert_string_equal(app_tx_smtp(app_tx_next(app_flow_tx_first(f)))->mail_from, "<e@f>");
	app_flow_free(f);
}

static void test_starttls(void **state)
{
	struct app_flow *f;

	(void)state;
	f = greet();
	feed(f, APP_DIR_TO_SERVER, "STARTTLS\r\n");
	feed(f, APP_DIR_TO_CLIENT, "220 go ahead\r\n");
	feed(f, APP_DIR_TO_SERVER, "MAIL FROM:<hidden@x>\r\n");
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_message),      cmocka_unit_test(test_two_mails_and_rset),
	        cmocka_unit_test(test_data_refused), cmocka_unit_test(test_bdat),
	        cmocka_unit_test(test_starttls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
