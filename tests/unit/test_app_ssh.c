/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the SSH parser (src/ips/app_ssh.c): banners of both sides
 * (ssh.proto, ssh.software, the EVE fields), a KEXINIT built from OpenSSH
 * for Windows 7.7's lists whose HASSH must be the value Suricata logs for
 * it (2dd6531c7e89d3c925db9214711be76a, from Suricata's ssh-hassh test),
 * the same fed byte by byte, the server's HASSH from its own direction's
 * lists, NEWKEYS ending the parsing, overlong and malformed banners, and
 * an oversized KEXINIT skipped.
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

static const char kex[] =
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
        "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
        "diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-"
        "group14-sha256,diffie-hellman-group14-sha1,ext-info-c";
static const char enc[] = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
                          "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
static const char mac[] =
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
        "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
        "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";

static size_t put_list(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, s, n);
	return 4 + n;
}

/*
 * A binary packet with a KEXINIT (RFC 4253 6, 7.1). Lists in order: kex,
 * host key, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s, comp s2c, lang x2.
 */
static size_t build_kexinit(uint8_t *out, const char *const lists[10])
{
	size_t n = 6 + 16, plen;

	memset(out, 0, 6 + 16);
	out[5] = 20; /* SSH_MSG_KEXINIT */
	for (int i = 0; i < 10; i++)
		n += put_list(out + n, lists[i]);
	out[n++] = 0;              /* first_kex_packet_follows */
	memset(out + n, 0, 4 + 4); /* reserved, then 4 bytes of padding */
	n += 8;
	plen = n - 4;
	out[0] = (uint8_t)(plen >> 24);
	out[1] = (uint8_t)(plen >> 16);
	out[2] = (uint8_t)(plen >> 8);
	out[3] = (uint8_t)plen;
	out[4] = 4; /* padding_length */
	return n;
}

static const char *buf(const struct app_tx *tx, enum app_dir d, enum ips_buf b)
{
	const uint8_t *p;
	size_t n;

	if (app_tx_buf(tx, d, b, 0, &p, &n) != 0)
		return NULL;
	return (const char *)p;
}

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

static void test_banners(void **state)
{
	static const char srv[] = "SSH-2.0-OpenSSH_7.4\r\n";
	static const char cli[] = "SSH-2.0-OpenSSH_for_Windows_7.7 some comment\r\n";
	struct app_flow *f;
	const struct app_tx *tx;
	const struct app_ssh_info *s;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)srv, strlen(srv)), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)cli, strlen(cli)), 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_SSH);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_null(app_tx_next(tx));
	assert_true(app_tx_updated(tx, APP_DIR_TO_SERVER));
	assert_true(app_tx_updated(tx, APP_DIR_TO_CLIENT));
	/* Each direction has its own side's banner. */
	assert_string_equal(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_SSH_PROTO), "2.0");
	assert_string_equal(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_SSH_SOFTWARE),
	                    "OpenSSH_for_Windows_7.7");
	assert_string_equal(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_SOFTWARE), "OpenSSH_7.4");
	assert_null(buf(tx, APP_DIR_TO_SERVER, IPS_BUF_SSH_HASSH));
	s = app_tx_ssh(tx);
	assert_non_null(s);
	assert_string_equal(s->client.proto_version, "2.0");
	assert_string_equal(s->server.software_version, "OpenSSH_7.4");
	assert_null(app_tx_http(tx));
	app_flow_free(f);
}

static void check_hassh(const struct app_tx *tx)
{
	const char *h = buf(tx, APP_DIR_TO_SERVER, IPS_BUF_SSH_HASSH);
	const char *str = buf(tx, APP_DIR_TO_SERVER, IPS_BUF_SSH_HASSH_STRING);

	assert_non_null(h);
	assert_string_equal(h, "2dd6531c7e89d3c925db9214711be76a");
	assert_non_null(str);
	assert_int_equal(strlen(str), strlen(kex) + strlen(enc) + strlen(mac) + 4 + 3);
	assert_memory_equal(str, kex, strlen(kex));
	assert_string_equal(str + strlen(str) - 5, ";none");
	assert_string_equal(app_tx_ssh(tx)->client.hassh, h);
	/* The client's HASSH is not a server one. */
	assert_null(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_HASSH_SERVER));
}

static void test_hassh(void **state)
{
	static const char cli[] = "SSH-2.0-OpenSSH_for_Windows_7.7\r\n";
	const char *const lists[10] = {kex,         "ssh-ed25519", enc,    "aes256-ctr", mac,
	                               "hmac-sha1", "none",        "zlib", "",           ""};
	uint8_t pkt[2048], all[4096];
	size_t n = build_kexinit(pkt, lists), na;
	struct app_flow *f;

	(void)state;
	/* Whole. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)cli, strlen(cli)), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, pkt, n), 0);
	check_hassh(app_flow_tx_first(f));
	app_flow_free(f);
	/* Banner and packet in one piece, then byte by byte. */
	na = strlen(cli);
	memcpy(all, cli, na);
	memcpy(all + na, pkt, n);
	na += n;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	for (size_t i = 0; i < na; i++)
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, all + i, 1), 0);
	check_hassh(app_flow_tx_first(f));
	app_flow_free(f);
}

/* The server's HASSH uses the server-to-client lists. */
static void test_hassh_server_and_newkeys(void **state)
{
	static const char srv[] = "SSH-1.99-srv\n";
	const char *const lists[10] = {"k1,k2",   "h",       "c2s-enc",  "s2c-enc",
	                               "c2s-mac", "s2c-mac", "c2s-comp", "none,zlib@openssh.com",
	                               "",        ""};
	static const uint8_t newkeys[] = {0, 0, 0, 12, 10, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t pkt[512];
	size_t n = build_kexinit(pkt, lists);
	struct app_flow *f;
	struct app_tx *tx;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)srv, strlen(srv)), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, pkt, n), 0);
	tx = app_flow_tx_first(f);
	assert_string_equal(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_PROTO), "1.99");
	assert_string_equal(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_HASSH_SERVER_STRING),
	                    "k1,k2;s2c-enc;s2c-mac;none,zlib@openssh.com");
	assert_int_equal(strlen(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_HASSH_SERVER)), 32);
	assert_string_equal(app_tx_ssh(tx)->server.hassh_string,
	                    "k1,k2;s2c-enc;s2c-mac;none,zlib@openssh.com");
	/* NEWKEYS: what follows is encrypted and ignored, even a second KEXINIT. */
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, newkeys, sizeof(newkeys)), 0);
	assert_true(app_tx_flags(tx) & APP_TX_RES_DONE);
	assert_false(app_tx_flags(tx) & APP_TX_COMPLETE);
	assert_int_equal(
	        app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)"\xff\xff\xff\xff", 4), 0);
	assert_int_equal(app_flow_events(f) & APP_EV_SSH_MALFORMED, 0);
	app_flow_free(f);
}

static void test_malformed(void **state)
{
	uint8_t big[600];
	struct app_flow *f;
	struct app_tx *tx;
	static const uint8_t huge_kex[] = {0x00, 0x10, 0x00, 0x10, 4, 20};
	static const uint8_t zero_len[] = {0, 0, 0, 1, 0, 0};

	(void)state;
	/* An overlong banner: its first SSH_BANNER_MAX bytes count, the rest is skipped. */
	memcpy(big, "SSH-2.0-", 8);
	memset(big + 8, 'A', sizeof(big) - 9);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, big, sizeof(big)), 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_int_equal(strlen(buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_SOFTWARE)), 256 - 8);
	/* A KEXINIT over the cap is skipped, not kept; then a bad length stops the side. */
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, huge_kex, sizeof(huge_kex)), 0);
	assert_true(app_flow_mem(f) < 64 * 1024);
	app_flow_free(f);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)"SSH-2.0-x\n", 10),
	                 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, zero_len, sizeof(zero_len)), 0);
	assert_true(app_flow_events(f) & APP_EV_SSH_MALFORMED);
	app_flow_free(f);
	/* "SSH-" without a version separator is no banner. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)"SSH-2.0\r\n", 9), 0);
	assert_true(app_flow_events(f) & APP_EV_SSH_MALFORMED);
	tx = app_flow_tx_first(f);
	assert_true(tx == NULL || buf(tx, APP_DIR_TO_CLIENT, IPS_BUF_SSH_PROTO) == NULL);
	app_flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_banners),
	        cmocka_unit_test(test_hassh),
	        cmocka_unit_test(test_hassh_server_and_newkeys),
	        cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
