/* SPDX-License-Identifier: ISC */
/*
 * ESP keys for the offline IPS (ips/esp_keys.c): every kind of mistake in a
 * key file is refused with its file:line:column and without logging a key,
 * and for every transform, with and without ESN, a packet src/ipsec
 * encrypted decodes through the hook into its inner packet, while a bad
 * ICV, an unknown SPI and an SA bound to other outer addresses leave it ESP
 * and are counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/decode.h"
#include "ips/esp_keys.h"
#include "ipsec/esp.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/pkt.h"

static char logbuf[16384];
static size_t loglen;

static void sink(enum bw_log_level level, const char *line, void *arg)
{
	int n;

	(void)arg;
	(void)level;
	n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
}

static int setup(void **state)
{
	(void)state;
	loglen = 0;
	logbuf[0] = '\0';
	bw_log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bw_log_set_sink(NULL, NULL);
	return 0;
}

#define GCM256_KEY "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
#define SHA256_KEY "0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

static const struct bad_case {
	const char *text;
	const char *want; /* in the log */
} bad_cases[] = {
        {"", "empty key file"},
        {"- 1\n", "k.yaml:1:1:"},
        {"sa: []\n", "k.yaml:1:1: unknown key 'sa'"},
        {"sas: 3\n", "k.yaml:1:6:"},
        {"sas:\n  - 7\n", "k.yaml:2:5:"},
        {"sas:\n  - enc: aes-gcm-256\n    enc_key: " GCM256_KEY "\n", "k.yaml:2:5: missing 'spi'"},
        {"sas:\n  - spi: 0\n    enc: aes-gcm-256\n    enc_key: " GCM256_KEY "\n", "k.yaml:2:10:"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-ctr\n    enc_key: " GCM256_KEY "\n",
         "k.yaml:3:10: 'enc' must be"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-gcm-256\n    enc_key: 0x0011\n",
         "k.yaml:4:14: 'enc_key' for aes-gcm-256 must be 36 bytes"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-gcm-256\n    enc_key: 00zz\n", "k.yaml:4:14:"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-gcm-256\n    integ: hmac-sha256-128\n"
         "    enc_key: " GCM256_KEY "\n    integ_key: " SHA256_KEY "\n",
         "k.yaml:4:12: 'integ' must be none with aes-gcm-256"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-cbc-128\n    enc_key: "
         "0x000102030405060708090a0b0c0d0e0f\n",
         "k.yaml:2:5: aes-cbc-128 needs 'integ'"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-cbc-128\n    integ: hmac-sha256-128\n"
         "    enc_key: 0x000102030405060708090a0b0c0d0e0f\n",
         "k.yaml:2:5: missing 'integ_key'"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-cbc-128\n    integ: hmac-sha256-128\n"
         "    enc_key: 0x000102030405060708090a0b0c0d0e0f\n    integ_key: 0x00\n",
         "k.yaml:6:16: 'integ_key' for hmac-sha256-128 must be 32 bytes, not 1"},
        {"sas:\n  - spi: 0x1001\n    src: 192.0.2.300\n    enc: aes-gcm-256\n    "
         "enc_key: " GCM256_KEY "\n",
         "k.yaml:3:10: 'src' must be an IPv4 or IPv6 address"},
        {"sas:\n  - spi: 0x1001\n    src: 192.0.2.1\n    dst: 2001:db8::1\n    enc: aes-gcm-256\n"
         "    enc_key: " GCM256_KEY "\n",
         "k.yaml:4:10: 'src' and 'dst' must both be"},
        {"sas:\n  - spi: 0x1001\n    esn: maybe\n    enc: aes-gcm-256\n    enc_key: " GCM256_KEY
         "\n",
         "k.yaml:3:10:"},
        {"sas:\n  - spi: 0x1001\n    replay: 5\n    enc: aes-gcm-256\n    enc_key: " GCM256_KEY
         "\n",
         "k.yaml:3:5: unknown key 'replay'"},
        {"sas:\n  - spi: 0x1001\n    enc: aes-gcm-256\n    enc_key: " GCM256_KEY "\n"
         "  - spi: 0x1001\n    enc: aes-gcm-256\n    enc_key: " GCM256_KEY "\n",
         "k.yaml:5:5: SPI 0x00001001 with these addresses is already given (line 2)"},
        {"sas: [\n", "k.yaml:"},
};

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct ips_esp_keys *k = (struct ips_esp_keys *)1;

		loglen = 0;
		logbuf[0] = '\0';
		assert_int_not_equal(ips_esp_keys_load_buf(&k, "k.yaml", c->text, strlen(c->text)),
		                     0);
		assert_null(k);
		if (strstr(logbuf, c->want) == NULL)
			fail_msg("case %zu: expected '%s' in the log:\n%s", i, c->want, logbuf);
		/* Keys are never logged. */
		assert_null(strstr(logbuf, "0405060708"));
	}
}

/* The transforms of docs/ips.md, with their key lengths. */
static const struct xform {
	const char *enc, *integ;
	enum esp_encr encr;
	enum esp_integ ei;
	size_t klen, ilen;
} xforms[] = {
        {"aes-gcm-128", "none", ESP_ENCR_AES_GCM_16, ESP_INTEG_NONE, 20, 0},
        {"aes-gcm-256", "none", ESP_ENCR_AES_GCM_16, ESP_INTEG_NONE, 36, 0},
        {"chacha20-poly1305", "none", ESP_ENCR_CHACHA20_POLY1305, ESP_INTEG_NONE, 36, 0},
        {"aes-cbc-128", "hmac-sha256-128", ESP_ENCR_AES_CBC, ESP_INTEG_HMAC_SHA256_128, 16, 32},
        {"aes-cbc-256", "hmac-sha384-192", ESP_ENCR_AES_CBC, ESP_INTEG_HMAC_SHA384_192, 32, 48},
        {"aes-cbc-256", "hmac-sha512-256", ESP_ENCR_AES_CBC, ESP_INTEG_HMAC_SHA512_256, 32, 64},
};

static void hex(char *out, const uint8_t *b, size_t n)
{
	out += sprintf(out, "0x");
	for (size_t i = 0; i < n; i++)
		out += sprintf(out, "%02x", b[i]);
}

/* Inner IPv4/UDP 10.0.0.1:5000 -> 10.0.0.2:5001, 4 bytes of payload, valid checksums. */
static void inner_packet(uint8_t ip[32])
{
	static const uint8_t t[32] = {0x45, 0,    0, 32, 0, 1,  0,   0,   64,  17,   0,
	                              0,    10,   0, 0,  1, 10, 0,   0,   2,   0x13, 0x88,
	                              0x13, 0x89, 0, 12, 0, 0,  'a', 'b', 'c', 'd'};
	uint16_t c;

	memcpy(ip, t, sizeof(t));
	c = ips_csum_fold(ips_csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[26] = ip[27] = 0; /* UDP checksum 0: none (RFC 768) */
}

/* Encrypts the inner packet with cfg and prepends an outer IPv4 header 192.0.2.2 -> .1. */
static void esp_frame(const struct esp_sa_cfg *cfg, struct pkt *p)
{
	static const uint8_t outer[20] = {0x45, 0, 0,   0, 0, 2, 0,   0, 64, 50,
	                                  0,    0, 192, 0, 2, 2, 192, 0, 2,  1};
	struct esp_sa *sa;
	uint8_t *h;
	uint16_t c;

	pkt_reset(p);
	inner_packet(pkt_put(p, 32));
	assert_int_equal(esp_sa_new(&sa, cfg), 0);
	assert_int_equal(esp_encap(sa, p, ESP_NH_IPV4), 0);
	esp_sa_free(sa);
	h = pkt_push(p, sizeof(outer));
	assert_non_null(h);
	memcpy(h, outer, sizeof(outer));
	h[2] = (uint8_t)(p->len >> 8);
	h[3] = (uint8_t)p->len;
	c = ips_csum_fold(ips_csum_add(0, h, 20));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

static void test_decrypt(void **state)
{
	static char text[2048], ek[2 * ESP_KEY_MAX + 3], ik[2 * ESP_INTEG_KEY_MAX + 3];
	struct pkt *p = calloc(1, sizeof(*p));

	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(xforms) / sizeof(xforms[0]) * 2; i++) {
		const struct xform *x = &xforms[i / 2];
		struct esp_sa_cfg cfg = {.spi = 0x1001,
		                         .encr = x->encr,
		                         .integ = x->ei,
		                         .mode = ESP_MODE_TUNNEL,
		                         .esn = i % 2 == 1,
		                         .encr_key_len = x->klen,
		                         .integ_key_len = x->ilen};
		struct ips_esp_keys *k;
		struct ips_decoder dec;
		struct ips_packet pk;

		for (size_t j = 0; j < x->klen; j++)
			cfg.encr_key[j] = (uint8_t)(j * 7 + i);
		for (size_t j = 0; j < x->ilen; j++)
			cfg.integ_key[j] = (uint8_t)(j * 5 + 1);
		hex(ek, cfg.encr_key, x->klen);
		hex(ik, cfg.integ_key, x->ilen);
		/* Entry 1 is bound to other outer addresses; entry 2 matches. */
		snprintf(text, sizeof(text),
		         "sas:\n"
		         "  - {spi: 0x1001, src: 192.0.2.9, enc: %s, integ: %s, enc_key: %s%s%s}\n"
		         "  - spi: 0x1001\n    src: 192.0.2.2\n    dst: 192.0.2.1\n"
		         "    enc: %s\n    integ: %s\n    enc_key: %s\n%s%s%s    esn: %s\n",
		         x->enc, x->integ, ek, x->ilen ? ", integ_key: " : "", x->ilen ? ik : "",
		         x->enc, x->integ, ek, x->ilen ? "    integ_key: " : "", x->ilen ? ik : "",
		         x->ilen ? "\n" : "", cfg.esn ? "yes" : "no");
		if (ips_esp_keys_load_buf(&k, "k.yaml", text, strlen(text)) != 0)
			fail_msg("%s/%s: %s\n%s", x->enc, x->integ, logbuf, text);
		assert_int_equal(ips_esp_keys_count(k), 2);
		memset(&dec, 0, sizeof(dec));
		ips_esp_keys_hook(k, &dec.esp_hook);

		esp_frame(&cfg, p);
		assert_int_equal(ips_decode(&pk, pkt_data(p), p->len, IPS_LINK_IPV4, &dec), 0);
		assert_true(pk.flags & IPS_PKT_DECRYPTED);
		assert_false(pk.flags & IPS_PKT_ESP);
		assert_int_equal(pk.n_ip, 2);
		assert_int_equal(pk.l4proto, 17);
		assert_int_equal(pk.sp, 5000);
		assert_int_equal(pk.dp, 5001);
		assert_int_equal(pk.payload_len, 4);
		assert_memory_equal(pk.payload, "abcd", 4);
		assert_int_equal(dec.stats.esp_decrypted, 1);

		/* A flipped ICV bit: stays ESP, counted. */
		pkt_data(p)[p->len - 1] ^= 1;
		assert_int_equal(ips_decode(&pk, pkt_data(p), p->len, IPS_LINK_IPV4, &dec), 0);
		assert_true(pk.flags & IPS_PKT_ESP);
		assert_int_equal(pk.n_ip, 1);
		assert_int_equal(dec.stats.esp_auth_failed, 1);

		/* Another SPI: no key. */
		cfg.spi = 0x1002;
		esp_frame(&cfg, p);
		assert_int_equal(ips_decode(&pk, pkt_data(p), p->len, IPS_LINK_IPV4, &dec), 0);
		assert_true(pk.flags & IPS_PKT_ESP);
		assert_int_equal(dec.stats.esp_no_key, 1);
		assert_int_equal(dec.stats.esp_decrypted, 1);
		ips_esp_keys_free(k);
	}
	free(p);
}

/* Only the first entry is bound to 192.0.2.9: the packet from 192.0.2.2 finds no key. */
static void test_bound_elsewhere(void **state)
{
	static const char text[] = "sas:\n  - spi: 0x1001\n    src: 192.0.2.9\n"
	                           "    enc: aes-gcm-256\n    enc_key: " GCM256_KEY "\n";
	struct esp_sa_cfg cfg = {.spi = 0x1001, .encr = ESP_ENCR_AES_GCM_16, .encr_key_len = 36};
	struct pkt *p = calloc(1, sizeof(*p));
	struct ips_esp_keys *k;
	struct ips_decoder dec;
	struct ips_packet pk;

	(void)state;
	assert_non_null(p);
	for (size_t j = 0; j < 36; j++)
		cfg.encr_key[j] = (uint8_t)j;
	assert_int_equal(ips_esp_keys_load_buf(&k, "k.yaml", text, strlen(text)), 0);
	memset(&dec, 0, sizeof(dec));
	ips_esp_keys_hook(k, &dec.esp_hook);
	esp_frame(&cfg, p);
	assert_int_equal(ips_decode(&pk, pkt_data(p), p->len, IPS_LINK_IPV4, &dec), 0);
	assert_true(pk.flags & IPS_PKT_ESP);
	assert_int_equal(dec.stats.esp_no_key, 1);
	/* Without a hook every ESP packet counts as no key. */
	memset(&dec, 0, sizeof(dec));
	assert_int_equal(ips_decode(&pk, pkt_data(p), p->len, IPS_LINK_IPV4, &dec), 0);
	assert_int_equal(dec.stats.esp_no_key, 1);
	ips_esp_keys_free(k);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_decrypt, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bound_elsewhere, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
