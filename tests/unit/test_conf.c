/* SPDX-License-Identifier: ISC */
/*
 * Configuration loading (lib/conf + gw/gw_conf): good files land in struct
 * gw_conf with the documented defaults, and every kind of mistake is
 * reported at the right file:line:column, all of them in one run, without
 * ever logging a key. Hostile documents (alias bombs, deep nesting) are
 * refused quickly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gw/gw_conf.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/log.h"

/* Captured log lines. */
static char logbuf[65536];
static size_t loglen;
static unsigned nlines;

static void sink(enum bw_log_level level, const char *line, void *arg)
{
	int n;

	(void)arg;
	(void)level;
	n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
	nlines++;
}

static int setup(void **state)
{
	(void)state;
	loglen = 0;
	logbuf[0] = '\0';
	nlines = 0;
	bw_log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bw_log_set_sink(NULL, NULL);
	return 0;
}

static bool logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

#define ASSERT_LOGGED(s)                                                                           \
	do {                                                                                       \
		if (!logged(s))                                                                    \
			fail_msg("expected '%s' in the log:\n%s", (s), logbuf);                    \
	} while (0)

static int load(struct gw_conf **c, const char *text)
{
	return gw_conf_load_buf(c, "t.yaml", text, strlen(text));
}

/* Loads text expecting failure with BW_ERR_CONFIG. */
static void load_bad(const char *text)
{
	struct gw_conf *c = (struct gw_conf *)1;

	assert_int_equal(load(&c, text), BW_ERR_CONFIG);
	assert_null(c);
}

#define K36  "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
#define K36B "0xf0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f10111213"
#define K32  "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K32B "0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

/* A valid tunnel; tests splice mistakes into copies of it. */
static const char good_tunnel[] = "ipsec:\n"                                      /* 1 */
                                  "  manual:\n"                                   /* 2 */
                                  "    - name: t1\n"                              /* 3 */
                                  "      local: 192.0.2.1\n"                      /* 4 */
                                  "      remote: 192.0.2.2\n"                     /* 5 */
                                  "      local_ts: [10.1.0.0/24]\n"               /* 6 */
                                  "      remote_ts: [10.2.0.0/24]\n"              /* 7 */
                                  "      enc: aes-gcm-256\n"                      /* 8 */
                                  "      out: {spi: 0x1001, enc_key: " K36 "}\n"  /* 9 */
                                  "      in: {spi: 0x2001, enc_key: " K36B "}\n"; /* 10 */

static void test_defaults(void **state)
{
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, good_tunnel), 0);
	assert_string_equal(c->path, "t.yaml");
	assert_int_equal(c->log_level, BW_LOG_INFO);
	assert_false(c->log_syslog);
	assert_string_equal(c->user, "");
	assert_string_equal(c->ctl_socket, "/run/bulwark.sock");
	assert_string_equal(c->tun_name, "bw0");
	assert_int_equal(c->tun_mtu, 1400);
	assert_int_equal(c->n_tun_addr, 0);
	assert_true(c->esp_raw);
	assert_int_equal(c->esp_udp_port, 4500);
	assert_int_equal(c->fwmark, 0);
	assert_int_equal(c->workers, 1);
	assert_int_equal(c->n_manual, 1);
	assert_string_equal(c->manual[0].name, "t1");
	assert_int_equal(c->manual[0].mode, ESP_MODE_TUNNEL);
	assert_false(c->manual[0].udp_encap);
	assert_int_equal(c->manual[0].local.port, 0);
	for (int d = 0; d < 2; d++) {
		const struct esp_sa_cfg *sa = d ? &c->manual[0].in : &c->manual[0].out;

		assert_int_equal(sa->encr, ESP_ENCR_AES_GCM_16);
		assert_int_equal(sa->encr_key_len, 36);
		assert_int_equal(sa->integ, ESP_INTEG_NONE);
		assert_int_equal(sa->integ_key_len, 0);
		assert_false(sa->esn);
		assert_int_equal(sa->replay_window, 1024);
		assert_false(sa->udp_encap);
		assert_int_equal(sa->mode, ESP_MODE_TUNNEL);
		/* Both directions see this host as local. */
		assert_int_equal(sa->local.a[3], 1);
		assert_int_equal(sa->remote.a[3], 2);
	}
	assert_int_equal(c->manual[0].out.spi, 0x1001);
	assert_int_equal(c->manual[0].in.spi, 0x2001);
	assert_int_equal(c->manual[0].out.encr_key[35], 0x23);
	assert_int_equal(c->manual[0].in.encr_key[0], 0xf0);
	assert_int_equal(nlines, 0);
	gw_conf_free(c);
}

static void test_empty(void **state)
{
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, ""), 0);
	assert_int_equal(c->n_manual, 0);
	assert_string_equal(c->tun_name, "bw0");
	gw_conf_free(c);
	assert_int_equal(load(&c, "# only a comment\n"), 0);
	gw_conf_free(c);
	gw_conf_free(NULL);
}

static void test_full(void **state)
{
	static const char text[] =
	        "log: {level: debug, syslog: yes}\n"
	        "daemon: {user: nobody, control_socket: /tmp/bw.sock}\n"
	        "tun:\n"
	        "  name: vpn7\n"
	        "  mtu: 9000\n"
	        "  addresses: [10.9.0.1/24, 'fd00::1/64']\n"
	        "ipsec:\n"
	        "  raw_esp: false\n"
	        "  udp_port: 14500\n"
	        "  fwmark: 0x10\n"
	        "  workers: 1\n"
	        "  manual:\n"
	        "    - name: host-to-host\n"
	        "      mode: transport\n"
	        "      local: 2001:db8::1\n"
	        "      remote: 2001:db8::2\n"
	        "      encap: udp\n"
	        "      remote_port: 4501\n"
	        "      esn: true\n"
	        "      replay_window: 0\n"
	        "      enc: aes-cbc-256\n"
	        "      integ: hmac-sha256-128\n"
	        "      out: {spi: 4096, enc_key: " K32 ", integ_key: " K32B "}\n"
	        "      in: {spi: 0xffffffff, enc_key: " K32B ", integ_key: " K32 "}\n"
	        "    - name: dual\n"
	        "      local: 192.0.2.1\n"
	        "      remote: 192.0.2.3\n"
	        "      local_ts: [10.1.0.0/24, 'fd01::/64']\n"
	        "      remote_ts: [10.2.0.0/16, 10.3.0.0/16, 'fd02::/64']\n"
	        "      enc: chacha20-poly1305\n"
	        "      out: {spi: 1, enc_key: " K36 "}\n"
	        "      in: {spi: 2, enc_key: " K36 "}\n";
	struct gw_conf *c;
	const struct gw_conf_manual *m;

	(void)state;
	assert_int_equal(load(&c, text), 0);
	assert_int_equal(c->log_level, BW_LOG_DEBUG);
	assert_true(c->log_syslog);
	assert_string_equal(c->user, "nobody");
	assert_string_equal(c->ctl_socket, "/tmp/bw.sock");
	assert_string_equal(c->tun_name, "vpn7");
	assert_int_equal(c->tun_mtu, 9000);
	assert_int_equal(c->n_tun_addr, 2);
	assert_int_equal(c->tun_addr[1].family, AF_INET6);
	assert_int_equal(c->tun_plen[0], 24);
	assert_int_equal(c->tun_plen[1], 64);
	assert_false(c->esp_raw);
	assert_int_equal(c->esp_udp_port, 14500);
	assert_int_equal(c->fwmark, 16);
	assert_int_equal(c->workers, 1);
	assert_int_equal(c->n_manual, 2);

	m = &c->manual[0];
	assert_int_equal(m->mode, ESP_MODE_TRANSPORT);
	assert_true(m->udp_encap);
	/* local_port defaults to ipsec.udp_port. */
	assert_int_equal(m->local.port, 14500);
	assert_int_equal(m->remote.port, 4501);
	assert_int_equal(m->out.local.port, 14500);
	assert_int_equal(m->in.remote.port, 4501);
	assert_true(m->in.udp_encap);
	assert_true(m->out.esn);
	assert_int_equal(m->in.replay_window, 0);
	assert_int_equal(m->out.encr, ESP_ENCR_AES_CBC);
	assert_int_equal(m->out.encr_key_len, 32);
	assert_int_equal(m->out.integ, ESP_INTEG_HMAC_SHA256_128);
	assert_int_equal(m->out.integ_key_len, 32);
	assert_int_equal(m->out.integ_key[0], 0x20);
	assert_int_equal(m->in.spi, 0xffffffffu);
	assert_int_equal(m->in.mode, ESP_MODE_TRANSPORT);
	/* Transport mode defaults to host selectors, without the ports. */
	assert_int_equal(m->n_ts, 1);
	assert_int_equal(m->ts[0].local_plen, 128);
	assert_int_equal(m->ts[0].remote_plen, 128);
	assert_int_equal(m->ts[0].local.port, 0);
	assert_int_equal(m->ts[0].remote.a[15], 2);

	m = &c->manual[1];
	assert_int_equal(m->out.encr, ESP_ENCR_CHACHA20_POLY1305);
	/* Same-family pairs only: 1 x 2 IPv4 + 1 x 1 IPv6. */
	assert_int_equal(m->n_ts, 3);
	assert_int_equal(m->ts[0].remote_plen, 16);
	assert_int_equal(m->ts[2].local.family, AF_INET6);
	assert_int_equal(m->ts[2].remote.family, AF_INET6);
	/* SPIs under 256 are reserved: a warning, not an error. */
	ASSERT_LOGGED("t.yaml:31:18: SPI 1 is in the range IANA reserves");
	gw_conf_free(c);
}

static void test_examples(void **state)
{
	struct gw_conf *a, *b, *ex;

	(void)state;
	assert_int_equal(gw_conf_load(&ex, BW_SOURCE_DIR "/examples/bulwark.yaml"), 0);
	assert_int_equal(ex->n_manual, 1);
	assert_int_equal(ex->manual[0].n_ts, 1);
	gw_conf_free(ex);
	assert_int_equal(gw_conf_load(&a, BW_SOURCE_DIR "/examples/site-a.yaml"), 0);
	assert_int_equal(gw_conf_load(&b, BW_SOURCE_DIR "/examples/site-b.yaml"), 0);
	assert_int_equal(a->n_manual, 1);
	assert_int_equal(b->n_manual, 1);
	/* The pair mirrors: A's out SA is B's in SA and the other way round. */
	assert_int_equal(a->manual[0].out.spi, b->manual[0].in.spi);
	assert_int_equal(a->manual[0].in.spi, b->manual[0].out.spi);
	assert_int_equal(a->manual[0].out.encr_key_len, 36);
	assert_memory_equal(a->manual[0].out.encr_key, b->manual[0].in.encr_key, 36);
	assert_memory_equal(a->manual[0].in.encr_key, b->manual[0].out.encr_key, 36);
	assert_true(bw_addr_eq(&a->manual[0].local, &b->manual[0].remote));
	assert_true(bw_addr_eq(&a->manual[0].remote, &b->manual[0].local));
	assert_true(a->manual[0].out.esn && b->manual[0].out.esn);
	assert_true(bw_addr_eq(&a->manual[0].ts[0].local, &b->manual[0].ts[0].remote));
	assert_int_equal(a->manual[0].ts[0].local_plen, 24);
	gw_conf_free(a);
	gw_conf_free(b);
	assert_int_equal(nlines, 0);
}

static void test_syntax_error(void **state)
{
	(void)state;
	/* The second line continues the plain scalar, and then a colon appears. */
	load_bad("tun:\n  name: bw0\n  mtu: 1400 x\n   bad: 1\n");
	ASSERT_LOGGED("t.yaml:4:7: YAML syntax error: mapping values are not allowed");
	loglen = 0;
	load_bad("tun: {name: bw0\n");
	ASSERT_LOGGED("t.yaml:2:1: YAML syntax error");
	loglen = 0;
	load_bad("a: 1\n---\nb: 2\n");
	ASSERT_LOGGED("t.yaml:2:1: only one YAML document");
}

static void test_unknown_key(void **state)
{
	(void)state;
	load_bad("tun:\n  name: bw0\n  mut: 1400\nbogus: 1\n");
	ASSERT_LOGGED("t.yaml:3:3: unknown key 'mut'");
	ASSERT_LOGGED("t.yaml:4:1: unknown key 'bogus'");
	ASSERT_LOGGED("t.yaml: 2 errors");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	load_bad("tun:\n  mtu: 1400\n  mtu: 1500\n");
	ASSERT_LOGGED("t.yaml:3:3: duplicate key 'mtu' (first at line 2, column 3)");
}

/* Replaces the first occurrence of `from` in good_tunnel by `to`. */
static const char *patch(const char *from, const char *to)
{
	static char out[4096];
	const char *p = strstr(good_tunnel, from);

	assert_non_null(p);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - good_tunnel), good_tunnel, to,
	         p + strlen(from));
	return out;
}

static void test_bad_hex(void **state)
{
	(void)state;
	load_bad(patch("enc_key: 0x0001", "enc_key: 0xZZ01"));
	ASSERT_LOGGED("t.yaml:9:35: 'enc_key' has a character that is not a hex digit");
	loglen = 0;
	load_bad(patch("enc_key: 0x0001", "enc_key: 0x001"));
	ASSERT_LOGGED("t.yaml:9:35: 'enc_key' must have an even");
	loglen = 0;
	load_bad(patch("enc_key: 0x0001", "enc_key: 0001"));
	ASSERT_LOGGED("t.yaml:9:35: 'enc_key' must be hex bytes starting with 0x");
	/* The key text never reaches the log. */
	assert_false(logged("0405060708090a0b"));
}

static void test_key_length(void **state)
{
	(void)state;
	load_bad(patch("enc_key: " K36, "enc_key: " K32));
	ASSERT_LOGGED("t.yaml:9:35: 'enc_key' for aes-gcm-256 must be 36 bytes "
	              "(32-byte key + 4-byte salt), not 32");
	loglen = 0;
	load_bad(patch("aes-gcm-256", "aes-gcm-128"));
	ASSERT_LOGGED("t.yaml:9:35: 'enc_key' for aes-gcm-128 must be 20 bytes");
	ASSERT_LOGGED("t.yaml:10:34: 'enc_key' for aes-gcm-128 must be 20 bytes");
	assert_false(logged("0405060708090a0b"));
	loglen = 0;
	load_bad(patch("aes-gcm-256\n", "aes-cbc-128\n      integ: hmac-sha512-256\n"));
	ASSERT_LOGGED("t.yaml:10:35: 'enc_key' for aes-cbc-128 must be 16 bytes");
	ASSERT_LOGGED("t.yaml:10:12: missing 'integ_key' in 'out' (integ is hmac-sha512-256)");
}

static void test_algs(void **state)
{
	(void)state;
	load_bad(patch("aes-gcm-256\n", "aes-gcm-256\n      integ: hmac-sha256-128\n"));
	ASSERT_LOGGED("t.yaml:9:14: 'integ' must be none with aes-gcm-256");
	loglen = 0;
	load_bad(patch("aes-gcm-256\n", "aes-cbc-256\n"));
	ASSERT_LOGGED("t.yaml:3:7: aes-cbc-256 needs 'integ'");
	loglen = 0;
	load_bad(patch("aes-gcm-256\n", "des\n"));
	ASSERT_LOGGED("t.yaml:8:12: 'enc' must be aes-gcm-128");
	loglen = 0;
	load_bad(patch("spi: 0x2001, ", "spi: 0x2001, integ_key: 0x00, "));
	ASSERT_LOGGED("t.yaml:10:36: 'integ_key' given but 'integ' is none");
	loglen = 0;
	/* An invalid prefix before it must not shift where the pairing error points. */
	load_bad(patch("[10.1.0.0/24]", "[10.1.0.0/33, 10.1.0.0/24, 'fd00::/64']"));
	ASSERT_LOGGED("t.yaml:6:18: '10.1.0.0/33' is not an address/prefix-length");
	ASSERT_LOGGED("t.yaml:6:44: local_ts prefix has no remote_ts prefix of the same family");
}

static void test_duplicate_spi(void **state)
{
	static const char text[] = "ipsec:\n"
	                           "  manual:\n"
	                           "    - name: a\n"
	                           "      local: 192.0.2.1\n"
	                           "      remote: 192.0.2.2\n"
	                           "      local_ts: [10.1.0.0/24]\n"
	                           "      remote_ts: [10.2.0.0/24]\n"
	                           "      enc: aes-gcm-256\n"
	                           "      out: {spi: 0x1001, enc_key: " K36 "}\n"
	                           "      in: {spi: 0x2001, enc_key: " K36 "}\n"
	                           "    - name: b\n"
	                           "      local: 192.0.2.1\n"
	                           "      remote: 192.0.2.3\n"
	                           "      local_ts: [10.1.0.0/24]\n"
	                           "      remote_ts: [10.3.0.0/24]\n"
	                           "      enc: aes-gcm-256\n"
	                           "      out: {spi: 0x2001, enc_key: " K36 "}\n"
	                           "      in: {spi: 0x2001, enc_key: " K36 "}\n";

	(void)state;
	load_bad(text);
	/* The outbound SPI may repeat (another peer's space); the inbound may not. */
	ASSERT_LOGGED("t.yaml:18:17: inbound SPI 0x00002001 is already used by tunnel 'a' "
	              "(line 10, column 17)");
	assert_false(logged("t.yaml:17:"));
	loglen = 0;
	load_bad(patch("spi: 0x2001", "spi: 0"));
	ASSERT_LOGGED("t.yaml:10:17: 'spi' must be a number from 1 to 4294967295, not '0'");
}

static void test_many_errors(void **state)
{
	static const char text[] = "tun:\n"
	                           "  mtu: 100\n"
	                           "  name: 'a/b'\n"
	                           "  addresses: [10.0.0.1/33]\n"
	                           "log: {level: loud}\n"
	                           "ipsec:\n"
	                           "  udp_port: 70000\n"
	                           "  manual:\n"
	                           "    - name: x\n"
	                           "      mode: tunnel\n"
	                           "      local: 192.0.2.1\n"
	                           "      remote: 2001:db8::2\n"
	                           "      encap: none\n"
	                           "      local_port: 4500\n"
	                           "      enc: aes-gcm-256\n"
	                           "      out: {spi: 0x1001, enc_key: " K36 "}\n";

	(void)state;
	load_bad(text);
	ASSERT_LOGGED("t.yaml:2:8: 'mtu' must be a number from 576 to 9000, not '100'");
	ASSERT_LOGGED("t.yaml:3:9: 'name' must be an interface name");
	ASSERT_LOGGED("t.yaml:4:15: '10.0.0.1/33' is not an address/prefix-length");
	ASSERT_LOGGED("t.yaml:5:14: 'level' must be error, warn");
	ASSERT_LOGGED("t.yaml:7:13: 'udp_port' must be a number from 0 to 65535");
	ASSERT_LOGGED("t.yaml:12:15: 'local' and 'remote' must both be IPv4 or both IPv6");
	ASSERT_LOGGED("t.yaml:14:19: 'local_port' is only for 'encap: udp'");
	ASSERT_LOGGED("t.yaml:9:7: tunnel mode needs 'local_ts' and 'remote_ts'");
	ASSERT_LOGGED("t.yaml:9:7: missing 'in' (the inbound SA)");
	ASSERT_LOGGED("t.yaml: 9 errors");
}

static void test_types(void **state)
{
	(void)state;
	load_bad("tun: [a, b]\nipsec: {raw_esp: maybe, workers: 1x, manual: {a: 1}}\n");
	ASSERT_LOGGED("t.yaml:1:6: 'tun' must be a map");
	ASSERT_LOGGED("t.yaml:2:18: 'raw_esp' must be true or false");
	ASSERT_LOGGED("t.yaml:2:34: 'workers' must be a number from 1 to 1, not '1x'");
	ASSERT_LOGGED("t.yaml:2:46: 'manual' must be a list, not a map");
	loglen = 0;
	load_bad("- 1\n- 2\n");
	ASSERT_LOGGED("t.yaml:1:1: the configuration must be a map");
	loglen = 0;
	load_bad("tun: {mtu: 99999999999999999999999}\n");
	ASSERT_LOGGED("t.yaml:1:12: 'mtu' must be a number");
	loglen = 0;
	load_bad("tun: {name: \"a\\0b\"}\n");
	ASSERT_LOGGED("t.yaml:1:13: NUL character in a value");
}

static void test_billion_laughs(void **state)
{
	char doc[4096];
	size_t n = 0;
	clock_t t0 = clock();

	(void)state;
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "a0: &a0 [lol, lol, lol, lol]\n");
	for (int i = 1; i < 30; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n,
		                      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
		                      i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	load_bad(doc);
	ASSERT_LOGGED("t.yaml:1:5: YAML anchors and aliases are not supported");
	/* A bare alias (to nothing) is refused the same way. */
	loglen = 0;
	load_bad("tun: *x\n");
	assert_true(logged("t.yaml:1:6: YAML anchors and aliases are not supported") ||
	            logged("t.yaml:1:6: YAML syntax error"));
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
}

static void test_limits(void **state)
{
	char doc[512];
	struct conf_doc *d;
	size_t n;

	(void)state;
	for (n = 0; n < 100; n++)
		doc[n] = '[';
	for (; n < 200; n++)
		doc[n] = ']';
	doc[n] = '\0';
	load_bad(doc);
	ASSERT_LOGGED("t.yaml:1:33: nested deeper than 32 levels");
	/* The size cap holds before libyaml sees a byte. */
	assert_int_equal(conf_load_buf(&d, "big", doc, (size_t)CONF_MAX_SIZE + 1), BW_ERR_CONFIG);
	assert_null(d);
	ASSERT_LOGGED("big: larger than");
}

static void test_conf_api(void **state)
{
	static const char text[] = "m: {a: 1, b: [x, y], h: 0xAbCd, t: Yes, s: 'str'}\n";
	struct conf_doc *d;
	const struct conf_node *m, *n;
	static const char *const known[] = {"a", "b", "h", "t", NULL};
	uint8_t buf[4];
	size_t len;
	uint64_t v;
	bool b;

	(void)state;
	assert_int_equal(conf_load_buf(&d, "api", text, strlen(text)), 0);
	m = conf_get(conf_root(d), "m");
	assert_non_null(m);
	assert_int_equal(conf_type(m), CONF_MAP);
	assert_int_equal(conf_len(m), 5);
	assert_string_equal(conf_str(conf_key_at(m, 1)), "b");
	n = conf_get(m, "b");
	assert_int_equal(conf_type(n), CONF_SEQ);
	assert_int_equal(conf_len(n), 2);
	assert_string_equal(conf_str(conf_at(n, 1)), "y");
	assert_null(conf_at(n, 2));
	assert_int_equal(conf_line(conf_at(n, 1)), 1);
	assert_int_equal(conf_col(conf_at(n, 1)), 18);
	assert_int_equal(conf_get_hex(d, conf_get(m, "h"), "h", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(buf[0], 0xab);
	assert_int_equal(conf_get_u64(d, conf_get(m, "h"), "h", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 0xabcd);
	assert_int_equal(conf_get_u64(d, conf_get(m, "a"), "a", 2, 5, &v), BW_ERR_CONFIG);
	assert_int_equal(conf_get_bool(d, conf_get(m, "t"), "t", &b), 0);
	assert_true(b);
	assert_int_equal(conf_get_hex(d, conf_get(m, "a"), "a", buf, 1, &len), BW_ERR_CONFIG);
	assert_int_equal(conf_get_hex(d, conf_get(m, "h"), "h", buf, 1, &len), BW_ERR_CONFIG);
	assert_int_equal(conf_check_keys(d, m, known), BW_ERR_CONFIG);
	ASSERT_LOGGED("api:1:41: unknown key 's'");
	assert_int_equal(conf_errors(d), 4);
	conf_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_examples, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_duplicate_key, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_hex, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_key_length, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_algs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_duplicate_spi, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_many_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_billion_laughs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_conf_api, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
