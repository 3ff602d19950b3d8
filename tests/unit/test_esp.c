/* SPDX-License-Identifier: ISC */
/*
 * ESP tests (RFC 4303, 4106, 7634, 3602, 4868): SA validation; round trips
 * for every transform with and without ESN in tunnel and transport mode;
 * ESN rollover of the low 32 bits (and that the ICV covers seq-hi);
 * sequence-number exhaustion; missing head- or tailroom; truncation at every
 * length; every byte flipped; hand-crafted packets with bad padding, lying
 * lengths, TFC dummies and wrong next headers; known answers against an
 * independent in-test computation with the crypto API and against packets
 * made by python3-cryptography (tests/vectors/esp_packets.txt); SAD and SPD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "ipsec/esp_int.h"
#include "lib/err.h"
#include "lib/rd.h"

struct xform {
	const char *name;
	enum esp_encr encr;
	size_t klen;
	enum esp_integ integ;
	size_t ilen;
};

static const struct xform xforms[] = {
        {"aes-gcm-128", ESP_ENCR_AES_GCM_16, 20, ESP_INTEG_NONE, 0},
        {"aes-gcm-256", ESP_ENCR_AES_GCM_16, 36, ESP_INTEG_NONE, 0},
        {"chacha20-poly1305", ESP_ENCR_CHACHA20_POLY1305, 36, ESP_INTEG_NONE, 0},
        {"aes-cbc-128/sha256", ESP_ENCR_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32},
        {"aes-cbc-128/sha384", ESP_ENCR_AES_CBC, 16, ESP_INTEG_HMAC_SHA384_192, 48},
        {"aes-cbc-128/sha512", ESP_ENCR_AES_CBC, 16, ESP_INTEG_HMAC_SHA512_256, 64},
        {"aes-cbc-256/sha256", ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA256_128, 32},
        {"aes-cbc-256/sha384", ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA384_192, 48},
        {"aes-cbc-256/sha512", ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA512_256, 64},
};
#define NXFORMS (sizeof(xforms) / sizeof(xforms[0]))

static struct pkt pk; /* 10 KB: static, not on the stack */

static void fill_cfg(struct esp_sa_cfg *c, const struct xform *x, bool esn, enum esp_mode mode,
                     uint32_t window)
{
	memset(c, 0, sizeof(*c));
	c->spi = 0x1000 + (uint32_t)(x - xforms);
	c->encr = x->encr;
	c->encr_key_len = x->klen;
	for (size_t i = 0; i < x->klen; i++)
		c->encr_key[i] = (uint8_t)(0x11 * i + 7);
	c->integ = x->integ;
	c->integ_key_len = x->ilen;
	for (size_t i = 0; i < x->ilen; i++)
		c->integ_key[i] = (uint8_t)(0x3d * i + 1);
	c->mode = mode;
	c->esn = esn;
	c->replay_window = window;
}

static void new_pair(const struct xform *x, bool esn, enum esp_mode mode, struct esp_sa **out,
                     struct esp_sa **in)
{
	struct esp_sa_cfg c;

	fill_cfg(&c, x, esn, mode, ESP_REPLAY_DEFAULT);
	assert_int_equal(esp_sa_new(out, &c), 0);
	assert_int_equal(esp_sa_new(in, &c), 0);
}

/* Fills pk with an inner packet: IPv4 (vers 4), IPv6 (6) or opaque bytes (0). */
static void make_inner(int vers, size_t len)
{
	uint8_t *d;

	pkt_reset(&pk);
	d = pkt_put(&pk, len);
	assert_non_null(d);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 13 + 5);
	if (vers == 4 && len >= 20) {
		d[0] = 0x45;
		bw_put_be16(d + 2, (uint16_t)len);
	} else if (vers == 6 && len >= 40) {
		d[0] = 0x60;
		bw_put_be16(d + 4, (uint16_t)(len - 40));
	}
}

static void check_inner(int vers, size_t len)
{
	uint8_t want[PKT_BUFSIZE];
	struct pkt save = pk;

	make_inner(vers, len);
	memcpy(want, pkt_data(&pk), len);
	pk = save;
	assert_int_equal(pk.len, len);
	assert_memory_equal(pkt_data(&pk), want, len);
}

static void test_sa_new(void **state)
{
	struct esp_sa_cfg c;
	struct esp_sa *sa = (struct esp_sa *)1;
	static const uint8_t zero[ESP_KEY_MAX];

	(void)state;
	fill_cfg(&c, &xforms[0], false, ESP_MODE_TUNNEL, 64);
	c.encr_key_len = 16; /* salt missing */
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);
	assert_null(sa);
	fill_cfg(&c, &xforms[2], false, ESP_MODE_TUNNEL, 64);
	c.encr_key_len = 20; /* ChaCha20 needs 32 + 4 */
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);
	fill_cfg(&c, &xforms[1], false, ESP_MODE_TUNNEL, 64);
	c.integ = ESP_INTEG_HMAC_SHA256_128; /* AEAD forbids an integ */
	c.integ_key_len = 32;
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);
	fill_cfg(&c, &xforms[3], false, ESP_MODE_TUNNEL, 64);
	c.integ = ESP_INTEG_NONE; /* CBC requires one */
	c.integ_key_len = 0;
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);
	fill_cfg(&c, &xforms[4], false, ESP_MODE_TUNNEL, 64);
	c.integ_key_len = 32; /* SHA-384 takes 48 */
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);
	fill_cfg(&c, &xforms[3], false, ESP_MODE_TUNNEL, 64);
	c.encr_key_len = 20;
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);
	fill_cfg(&c, &xforms[3], false, ESP_MODE_TUNNEL, ESP_REPLAY_MAX + 1);
	assert_int_equal(esp_sa_new(&sa, &c), BW_ERR_INVAL);

	for (size_t i = 0; i < NXFORMS; i++) {
		fill_cfg(&c, &xforms[i], true, ESP_MODE_TRANSPORT, ESP_REPLAY_MAX);
		assert_int_equal(esp_sa_new(&sa, &c), 0);
		assert_int_equal(esp_sa_spi(sa), c.spi);
		assert_int_equal(esp_sa_seq(sa), 1);
		assert_int_equal(esp_sa_cfg(sa)->mode, ESP_MODE_TRANSPORT);
		/* The SA keeps no raw key once the contexts hold the schedules. */
		assert_memory_equal(esp_sa_cfg(sa)->encr_key, zero, ESP_KEY_MAX);
		assert_int_equal(esp_sa_stats(sa)->packets, 0);
		esp_sa_free(sa);
	}
	esp_sa_free(NULL);
	assert_string_equal(esp_drop_name(ESP_DROP_AUTH), "auth");
	assert_string_equal(esp_drop_name(ESP_DROP__MAX), "unknown");
}

static void round_trip(const struct xform *x, bool esn, enum esp_mode mode)
{
	static const size_t lens[] = {0,  1,  2,  3,  4,  5,  15,  16,  17,   20,   21,  22,
	                              23, 40, 41, 63, 64, 65, 255, 256, 1400, 1500, 9000};
	struct esp_sa *out, *in;
	uint64_t n = 0, bytes = 0;

	new_pair(x, esn, mode, &out, &in);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];
		int vers = mode == ESP_MODE_TRANSPORT ? 0 : len >= 40 && k % 2 ? 6 : 4;
		uint8_t nh = vers == 4 ? ESP_NH_IPV4 : vers == 6 ? ESP_NH_IPV6 : 17, got;
		enum esp_drop drop;
		uint8_t *start;

		if (mode == ESP_MODE_TUNNEL && len < 20)
			continue;
		make_inner(vers, len);
		start = pkt_data(&pk);
		assert_int_equal(esp_encap(out, &pk, nh), 0);
		n++;
		bytes += len;
		assert_int_equal(pk.len, len + esp_overhead(out, len));
		assert_int_equal(bw_be32(pkt_data(&pk)), esp_sa_spi(out));
		assert_int_equal(bw_be32(pkt_data(&pk) + 4), (uint32_t)n);
		/* In place: the payload was encrypted where it lay. */
		assert_ptr_equal(pkt_data(&pk) + ESP_HDR_LEN + out->iv_len, start);
		if (len >= 16) {
			uint8_t plain[16];
			struct pkt save = pk;

			make_inner(vers, 16);
			memcpy(plain, pkt_data(&pk), 16);
			pk = save;
			assert_memory_not_equal(start, plain, 16);
		}
		assert_int_equal(esp_decap(in, &pk, &got, &drop), 0);
		assert_int_equal(got, nh);
		assert_ptr_equal(pkt_data(&pk), start);
		check_inner(vers, len);
	}
	assert_int_equal(esp_sa_seq(out), n + 1);
	assert_int_equal(esp_sa_stats(out)->packets, n);
	assert_int_equal(esp_sa_stats(out)->bytes, bytes);
	assert_int_equal(esp_sa_stats(in)->packets, n);
	assert_int_equal(esp_sa_stats(in)->bytes, bytes);
	assert_int_equal(esp_replay_top(in->replay), n);
	for (int d = 0; d < ESP_DROP__MAX; d++)
		assert_int_equal(esp_sa_stats(in)->drops[d] + esp_sa_stats(out)->drops[d], 0);
	esp_sa_free(out);
	esp_sa_free(in);
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < NXFORMS; i++)
		for (int esn = 0; esn < 2; esn++) {
			round_trip(&xforms[i], esn, ESP_MODE_TUNNEL);
			round_trip(&xforms[i], esn, ESP_MODE_TRANSPORT);
		}
}

/* Encapsulates one inner IPv4 packet of len bytes with sequence number seq into buf. */
enum { BUF = PKT_BUFSIZE };
static size_t encap_at(struct esp_sa *out, uint64_t seq, size_t len, uint8_t buf[BUF])
{
	esp_sa_set_seq(out, seq);
	make_inner(4, len);
	assert_int_equal(esp_encap(out, &pk, ESP_NH_IPV4), 0);
	if (pk.len > BUF)
		fail();
	memcpy(buf, pkt_data(&pk), pk.len > BUF ? BUF : pk.len);
	return pk.len;
}

static int decap_buf(struct esp_sa *in, const uint8_t *buf, size_t len, enum esp_drop *drop)
{
	uint8_t nh;

	pkt_reset(&pk);
	memcpy(pkt_put(&pk, len), buf, len);
	return esp_decap(in, &pk, &nh, drop);
}

/* ESN: low 32 bits roll over; the receiver infers seq-hi, even out of order. */
static void test_esn_rollover(void **state)
{
	static uint8_t held[BUF], pkt_buf[BUF];

	(void)state;
	for (size_t i = 0; i < NXFORMS; i++) {
		struct esp_sa *out, *in, *fresh;
		enum esp_drop drop;
		size_t held_len, len;

		new_pair(&xforms[i], true, ESP_MODE_TUNNEL, &out, &in);
		/* Bring the receiver up the subspace in steps it can follow. */
		len = encap_at(out, 0x7fffffff, 60, pkt_buf);
		assert_int_equal(decap_buf(in, pkt_buf, len, &drop), 0);
		len = encap_at(out, 0xfffffffd, 60, pkt_buf);
		assert_int_equal(decap_buf(in, pkt_buf, len, &drop), 0);
		held_len = encap_at(out, 0xfffffffe, 61, held);
		for (uint64_t s = 0xffffffff; s <= 0x100000002ULL; s++) {
			len = encap_at(out, s, 62, pkt_buf);
			assert_int_equal(decap_buf(in, pkt_buf, len, &drop), 0);
			assert_int_equal(esp_replay_top(in->replay), s);
		}
		assert_int_equal(esp_sa_seq(out), 0x100000003ULL);
		/* The held 0xfffffffe arrives late, after the rollover: still subspace 0. */
		assert_int_equal(decap_buf(in, held, held_len, &drop), 0);
		check_inner(4, 61);
		assert_int_equal(decap_buf(in, held, held_len, &drop), BW_ERR_REPLAY);
		assert_int_equal(drop, ESP_DROP_REPLAY);
		assert_int_equal(esp_sa_stats(in)->drops[ESP_DROP_REPLAY], 1);

		/* A receiver that believes seq-hi is 0 must fail the ICV: it covers seq-hi. */
		len = encap_at(out, 0x100000005ULL, 62, pkt_buf);
		fresh = NULL;
		{
			struct esp_sa_cfg c;

			fill_cfg(&c, &xforms[i], true, ESP_MODE_TUNNEL, ESP_REPLAY_DEFAULT);
			assert_int_equal(esp_sa_new(&fresh, &c), 0);
		}
		assert_int_equal(decap_buf(fresh, pkt_buf, len, &drop), BW_ERR_AUTH);
		assert_int_equal(drop, ESP_DROP_AUTH);
		assert_int_equal(esp_sa_stats(fresh)->drops[ESP_DROP_AUTH], 1);
		assert_int_equal(esp_replay_top(fresh->replay), 0);
		/* Once its window sits in subspace 1 it accepts the same bytes. */
		esp_replay_update(fresh->replay, 0x100000001ULL);
		assert_int_equal(decap_buf(fresh, pkt_buf, len, &drop), 0);
		check_inner(4, 62);
		esp_sa_free(fresh);
		esp_sa_free(out);
		esp_sa_free(in);
	}
}

static void test_seq_cycle(void **state)
{
	(void)state;
	for (size_t i = 0; i < NXFORMS; i += 3) {
		for (int esn = 0; esn < 2; esn++) {
			struct esp_sa *out, *in;

			new_pair(&xforms[i], esn, ESP_MODE_TUNNEL, &out, &in);
			esp_sa_set_seq(out, esn ? UINT64_MAX : UINT32_MAX);
			make_inner(4, 40);
			assert_int_equal(esp_encap(out, &pk, ESP_NH_IPV4), 0);
			make_inner(4, 40);
			assert_int_equal(esp_encap(out, &pk, ESP_NH_IPV4), BW_ERR_LIMIT);
			assert_int_equal(esp_sa_stats(out)->drops[ESP_DROP_SEQ_CYCLE], 1);
			/* Unchanged packet. */
			assert_int_equal(pk.off, PKT_HEADROOM);
			check_inner(4, 40);
			esp_sa_free(out);
			esp_sa_free(in);
		}
	}
}

static void test_nospace(void **state)
{
	(void)state;
	for (size_t i = 0; i < NXFORMS; i++) {
		struct esp_sa *out, *in;

		new_pair(&xforms[i], false, ESP_MODE_TUNNEL, &out, &in);
		/* No headroom. */
		make_inner(4, 100);
		memmove(pk.buf + 4, pkt_data(&pk), 100);
		pk.off = 4;
		assert_int_equal(esp_encap(out, &pk, ESP_NH_IPV4), BW_ERR_NOSPACE);
		assert_int_equal(pk.off, 4);
		assert_int_equal(pk.len, 100);
		/* No tailroom: the payload fills the buffer but for 5 bytes. */
		pkt_reset(&pk);
		pkt_put(&pk, PKT_BUFSIZE - PKT_HEADROOM - 5);
		pkt_data(&pk)[0] = 0x45;
		assert_int_equal(esp_encap(out, &pk, ESP_NH_IPV4), BW_ERR_NOSPACE);
		assert_int_equal(pk.len, PKT_BUFSIZE - PKT_HEADROOM - 5);
		assert_int_equal(pk.off, PKT_HEADROOM);
		assert_int_equal(esp_sa_stats(out)->drops[ESP_DROP_NOSPACE], 2);
		assert_int_equal(esp_sa_stats(out)->packets, 0);
		assert_int_equal(esp_sa_seq(out), 1); /* no number consumed */
		esp_sa_free(out);
		esp_sa_free(in);
	}
}

/* Every truncation: short header/IV/ICV, misaligned ciphertext, or a failed ICV. */
static void test_truncated(void **state)
{
	static uint8_t buf[BUF];

	(void)state;
	for (size_t i = 0; i < NXFORMS; i++) {
		struct esp_sa *out, *in;
		uint64_t want[ESP_DROP__MAX] = {0};
		size_t full;

		new_pair(&xforms[i], i % 2, ESP_MODE_TUNNEL, &out, &in);
		full = encap_at(out, 1, 77, buf);
		for (size_t len = 0; len < full; len++) {
			size_t fixed = ESP_HDR_LEN + in->iv_len + in->icv_len;
			enum esp_drop drop, expect;

			if (len < fixed)
				expect = ESP_DROP_SHORT;
			else if (len == fixed || (len - fixed) % in->block != 0)
				expect = ESP_DROP_BAD_LEN;
			else
				expect = ESP_DROP_AUTH;
			assert_int_not_equal(decap_buf(in, buf, len, &drop), 0);
			assert_int_equal(drop, expect);
			want[expect]++;
			for (int d = 0; d < ESP_DROP__MAX; d++)
				assert_int_equal(esp_sa_stats(in)->drops[d], want[d]);
		}
		assert_int_equal(esp_replay_top(in->replay), 0);
		assert_int_equal(decap_buf(in, buf, full, &(enum esp_drop){0}), 0);
		esp_sa_free(out);
		esp_sa_free(in);
	}
}

/* Every byte flipped: the SPI is someone else's, anything else fails the ICV. */
static void test_flip_every_byte(void **state)
{
	static uint8_t buf[BUF];

	(void)state;
	for (size_t i = 0; i < NXFORMS; i++) {
		struct esp_sa *out, *in;
		size_t full;
		uint64_t no_sa = 0, auth = 0;

		new_pair(&xforms[i], i % 2 == 0, i % 3 ? ESP_MODE_TUNNEL : ESP_MODE_TRANSPORT, &out,
		         &in);
		full = encap_at(out, 3, 45, buf);
		for (size_t pos = 0; pos < full; pos++) {
			enum esp_drop drop;

			buf[pos] ^= 0xff;
			assert_int_not_equal(decap_buf(in, buf, full, &drop), 0);
			buf[pos] ^= 0xff;
			if (pos < 4) {
				assert_int_equal(drop, ESP_DROP_NO_SA);
				no_sa++;
			} else {
				assert_int_equal(drop, ESP_DROP_AUTH);
				auth++;
			}
			assert_int_equal(esp_sa_stats(in)->drops[ESP_DROP_NO_SA], no_sa);
			assert_int_equal(esp_sa_stats(in)->drops[ESP_DROP_AUTH], auth);
			assert_int_equal(esp_sa_stats(in)->packets, 0);
		}
		assert_int_equal(decap_buf(in, buf, full, &(enum esp_drop){0}), 0);
		assert_int_equal(esp_replay_top(in->replay), 3);
		esp_sa_free(out);
		esp_sa_free(in);
	}
}

/*
 * Independent packet construction with the crypto API, for crafted
 * plaintexts (bad padding, odd next headers) and known answers. pt is
 * payload | padding | pad length | next header, exactly as it will be
 * encrypted. Returns the packet length.
 */
static size_t craft(const struct esp_sa_cfg *c, uint64_t seq, const uint8_t *pt, size_t ptlen,
                    uint8_t *out)
{
	uint8_t *p = out;

	bw_put_be32(p, c->spi);
	bw_put_be32(p + 4, (uint32_t)seq);
	if (c->encr != ESP_ENCR_AES_CBC) {
		struct crypto_aead *a;
		size_t klen = c->encr_key_len - 4;
		uint8_t nonce[12], aad[12];

		memcpy(nonce, c->encr_key + klen, 4);
		bw_put_be64(nonce + 4, seq);
		memcpy(p + 8, nonce + 4, 8);
		memcpy(p + 16, pt, ptlen);
		bw_put_be32(aad, c->spi);
		if (c->esn) {
			bw_put_be64(aad + 4, seq);
		} else {
			bw_put_be32(aad + 4, (uint32_t)seq);
		}
		assert_int_equal(crypto_aead_new(&a,
		                                 c->encr == ESP_ENCR_AES_GCM_16
		                                         ? CRYPTO_AEAD_AES_GCM
		                                         : CRYPTO_AEAD_CHACHA20_POLY1305,
		                                 c->encr_key, klen, 16),
		                 0);
		assert_int_equal(crypto_aead_seal(a, nonce, aad, c->esn ? 12 : 8, p + 16, ptlen,
		                                  p + 16 + ptlen),
		                 0);
		crypto_aead_free(a);
		return 16 + ptlen + 16;
	} else {
		struct crypto_cbc *cbc;
		uint8_t msg[2048], mac[64];
		size_t icvlen = c->integ == ESP_INTEG_HMAC_SHA256_128   ? 16
		                : c->integ == ESP_INTEG_HMAC_SHA384_192 ? 24
		                                                        : 32;
		enum crypto_hmac_alg alg =
		        c->integ == ESP_INTEG_HMAC_SHA256_128   ? CRYPTO_HMAC_SHA256
		        : c->integ == ESP_INTEG_HMAC_SHA384_192 ? CRYPTO_HMAC_SHA384
		                                                : CRYPTO_HMAC_SHA512;
		size_t n;

		for (int k = 0; k < 16; k++)
			p[8 + k] = (uint8_t)(0xa0 + k);
		memcpy(p + 24, pt, ptlen);
		assert_int_equal(crypto_cbc_new(&cbc, c->encr_key, c->encr_key_len), 0);
		assert_int_equal(crypto_cbc_encrypt(cbc, p + 8, p + 24, ptlen), 0);
		crypto_cbc_free(cbc);
		n = 24 + ptlen;
		memcpy(msg, p, n);
		if (c->esn) {
			bw_put_be32(msg + n, (uint32_t)(seq >> 32));
			n += 4;
		}
		assert_int_equal(crypto_hmac_oneshot(alg, c->integ_key, c->integ_key_len, msg, n,
		                                     mac, icvlen),
		                 0);
		memcpy(p + 24 + ptlen, mac, icvlen);
		return 24 + ptlen + icvlen;
	}
}

struct craft_case {
	const char *name;
	uint8_t vers;    /* inner IP version written in the payload, 0 = none */
	size_t payload;  /* payload bytes */
	uint8_t pad[16]; /* pad bytes as sent */
	size_t npad;
	int pad_len; /* -1: npad; else the value sent in the pad length byte */
	uint8_t nh;
	int want; /* 0, or the drop reason + 1 */
	int rc;
};

static const struct craft_case craft_cases[] = {
        {"valid", 4, 26, {1, 2, 3, 4}, 4, -1, 4, 0, 0},
        {"valid-v6", 6, 44, {1, 2}, 2, -1, 41, 0, 0},
        {"pad-byte-wrong", 4, 26, {1, 2, 4, 4}, 4, -1, 4, ESP_DROP_BAD_PAD + 1, BW_ERR_INVAL},
        {"pad-zeros", 4, 26, {0, 0, 0, 0}, 4, -1, 4, ESP_DROP_BAD_PAD + 1, BW_ERR_INVAL},
        {"pad-len-lies-long", 4, 26, {1, 2, 3, 4}, 4, 200, 4, ESP_DROP_BAD_PAD + 1, BW_ERR_INVAL},
        {"pad-len-all", 4, 26, {1, 2, 3, 4}, 4, 30, 4, ESP_DROP_BAD_PAD + 1, BW_ERR_INVAL},
        {"pad-len-short", 4, 26, {1, 2, 3, 4}, 4, 3, 4, ESP_DROP_BAD_PAD + 1, BW_ERR_INVAL},
        {"tfc-dummy", 4, 26, {1, 2, 3, 4}, 4, -1, ESP_NH_NONE, ESP_DROP_TFC + 1, BW_ERR_AGAIN},
        {"nh-udp", 4, 26, {1, 2, 3, 4}, 4, -1, 17, ESP_DROP_NEXT_HDR + 1, BW_ERR_PROTO},
        {"nh-v6-with-v4", 4, 26, {1, 2, 3, 4}, 4, -1, 41, ESP_DROP_NEXT_HDR + 1, BW_ERR_PROTO},
        {"nh-v4-with-v6", 6, 44, {1, 2}, 2, -1, 4, ESP_DROP_NEXT_HDR + 1, BW_ERR_PROTO},
        {"nh-v4-empty",
         0,
         0,
         {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
         14,
         -1,
         4,
         ESP_DROP_NEXT_HDR + 1,
         BW_ERR_PROTO},
};

static size_t craft_pt(const struct craft_case *cc, size_t block, uint8_t *pt)
{
	size_t n = 0;

	for (size_t i = 0; i < cc->payload; i++)
		pt[n++] = (uint8_t)(i + 0x40);
	if (cc->vers == 4)
		pt[0] = 0x45;
	else if (cc->vers == 6)
		pt[0] = 0x60;
	memcpy(pt + n, cc->pad, cc->npad);
	n += cc->npad;
	pt[n++] = (uint8_t)(cc->pad_len < 0 ? (int)cc->npad : cc->pad_len);
	pt[n++] = cc->nh;
	/* The cases are sized to fill whole blocks of 16 (and so of 4). */
	assert_int_equal(n % block, 0);
	return n;
}

static void test_crafted(void **state)
{
	static const size_t pick[] = {0, 2, 3, 8};
	static uint8_t pt[512], buf[1024];

	(void)state;
	for (size_t k = 0; k < sizeof(pick) / sizeof(pick[0]); k++) {
		const struct xform *x = &xforms[pick[k]];

		for (size_t j = 0; j < sizeof(craft_cases) / sizeof(craft_cases[0]); j++) {
			const struct craft_case *cc = &craft_cases[j];
			struct esp_sa_cfg c;
			struct esp_sa *in;
			enum esp_drop drop;
			uint8_t nh;
			size_t ptlen, len;
			int r;

			fill_cfg(&c, x, j % 2, ESP_MODE_TUNNEL, 64);
			ptlen = craft_pt(cc, x->encr == ESP_ENCR_AES_CBC ? 16 : 4, pt);
			len = craft(&c, 9, pt, ptlen, buf);
			assert_int_equal(esp_sa_new(&in, &c), 0);
			pkt_reset(&pk);
			memcpy(pkt_put(&pk, len), buf, len);
			r = esp_decap(in, &pk, &nh, &drop);
			if (r != cc->rc)
				print_message("%s %s: r=%d drop=%s\n", x->name, cc->name, r,
				              r ? esp_drop_name(drop) : "-");
			assert_int_equal(r, cc->rc);
			if (cc->want == 0) {
				assert_int_equal(nh, cc->nh);
				assert_int_equal(pk.len, cc->payload);
				assert_memory_equal(pkt_data(&pk), pt, cc->payload);
				assert_int_equal(esp_sa_stats(in)->packets, 1);
			} else {
				assert_int_equal(drop, cc->want - 1);
				assert_int_equal(esp_sa_stats(in)->drops[cc->want - 1], 1);
				assert_int_equal(esp_sa_stats(in)->packets, 0);
			}
			/* Only authentic packets (valid and TFC) move the window. */
			assert_int_equal(esp_replay_top(in->replay),
			                 cc->want == 0 || cc->want == ESP_DROP_TFC + 1 ? 9 : 0);
			if (cc->want == ESP_DROP_TFC + 1) {
				assert_int_equal(decap_buf(in, buf, len, &drop), BW_ERR_REPLAY);
				assert_int_equal(drop, ESP_DROP_REPLAY);
			}
			esp_sa_free(in);
		}
	}
}

/* Ciphertext lengths that are not a block multiple are refused before the ICV. */
static void test_bad_len(void **state)
{
	static uint8_t pt[64], buf[256];

	(void)state;
	for (size_t k = 0; k < NXFORMS; k++) {
		const struct xform *x = &xforms[k];
		struct esp_sa_cfg c;
		struct esp_sa *in;
		enum esp_drop drop;
		size_t block = x->encr == ESP_ENCR_AES_CBC ? 16 : 4, len;

		fill_cfg(&c, x, false, ESP_MODE_TUNNEL, 64);
		memset(pt, 0, sizeof(pt));
		pt[0] = 0x45;
		len = craft(&c, 1, pt, 32, buf);
		assert_int_equal(esp_sa_new(&in, &c), 0);
		/* One extra byte inside the ciphertext: its length no longer aligns. */
		memmove(buf + len - in->icv_len + 1, buf + len - in->icv_len, in->icv_len);
		assert_int_equal(decap_buf(in, buf, len + 1, &drop), BW_ERR_INVAL);
		assert_int_equal(drop, ESP_DROP_BAD_LEN);
		/* Half a block less. */
		assert_int_equal(decap_buf(in, buf, len - block / 2, &drop), BW_ERR_INVAL);
		assert_int_equal(drop, ESP_DROP_BAD_LEN);
		assert_int_equal(esp_sa_stats(in)->drops[ESP_DROP_BAD_LEN], 2);
		assert_int_equal(esp_sa_stats(in)->drops[ESP_DROP_AUTH], 0);
		esp_sa_free(in);
	}
}

/* AES-GCM known answer, computed independently with the crypto API. */
static void test_kat_gcm_crypto(void **state)
{
	static uint8_t want[256], pt[256];
	struct esp_sa_cfg c;
	struct esp_sa *out;
	size_t n = 0, len;

	(void)state;
	for (int esn = 0; esn < 2; esn++) {
		fill_cfg(&c, &xforms[esn], esn, ESP_MODE_TUNNEL, 64);
		assert_int_equal(esp_sa_new(&out, &c), 0);
		esp_sa_set_seq(out, esn ? 0x500000007ULL : 7);
		make_inner(4, 45);
		memcpy(pt, pkt_data(&pk), 45);
		n = 45;
		for (uint8_t i = 1; i <= 1; i++) /* 45 + 1 + 2 = 48 */
			pt[n++] = i;
		pt[n++] = 1;
		pt[n++] = ESP_NH_IPV4;
		len = craft(&c, esp_sa_seq(out), pt, n, want);
		assert_int_equal(esp_encap(out, &pk, ESP_NH_IPV4), 0);
		assert_int_equal(pk.len, len);
		assert_memory_equal(pkt_data(&pk), want, len);
		esp_sa_free(out);
	}
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && s[0] != '\n') {
		unsigned v;

		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

struct vec {
	char name[64], encr[32], integ[32];
	uint8_t key[64], ikey[64], payload[512], packet[1024];
	size_t klen, ilen, plen, len;
	uint32_t spi;
	uint64_t seq;
	int esn, nh;
};

static void run_vector(const struct vec *v)
{
	struct esp_sa_cfg c;
	struct esp_sa *out, *in;
	enum esp_drop drop;
	uint8_t nh;

	memset(&c, 0, sizeof(c));
	c.spi = v->spi;
	c.encr = strcmp(v->encr, "aes-gcm-16") == 0          ? ESP_ENCR_AES_GCM_16
	         : strcmp(v->encr, "chacha20-poly1305") == 0 ? ESP_ENCR_CHACHA20_POLY1305
	                                                     : ESP_ENCR_AES_CBC;
	memcpy(c.encr_key, v->key, v->klen);
	c.encr_key_len = v->klen;
	c.integ = strcmp(v->integ, "hmac-sha256-128") == 0   ? ESP_INTEG_HMAC_SHA256_128
	          : strcmp(v->integ, "hmac-sha384-192") == 0 ? ESP_INTEG_HMAC_SHA384_192
	          : strcmp(v->integ, "hmac-sha512-256") == 0 ? ESP_INTEG_HMAC_SHA512_256
	                                                     : ESP_INTEG_NONE;
	memcpy(c.integ_key, v->ikey, v->ilen);
	c.integ_key_len = v->ilen;
	c.esn = v->esn;
	c.mode = v->nh == 4 || v->nh == 41 ? ESP_MODE_TUNNEL : ESP_MODE_TRANSPORT;
	c.replay_window = 128;
	print_message("vector %s\n", v->name);
	assert_int_equal(esp_sa_new(&out, &c), 0);
	assert_int_equal(esp_sa_new(&in, &c), 0);
	if (c.encr != ESP_ENCR_AES_CBC) {
		/* Outbound is deterministic for AEADs: byte-exact. */
		esp_sa_set_seq(out, v->seq);
		pkt_reset(&pk);
		memcpy(pkt_put(&pk, v->plen), v->payload, v->plen);
		assert_int_equal(esp_encap(out, &pk, (uint8_t)v->nh), 0);
		assert_int_equal(pk.len, v->len);
		assert_memory_equal(pkt_data(&pk), v->packet, v->len);
	}
	/* Inbound for all: put the window just below the vector's number. */
	esp_replay_update(in->replay, v->seq - 1);
	pkt_reset(&pk);
	memcpy(pkt_put(&pk, v->len), v->packet, v->len);
	assert_int_equal(esp_decap(in, &pk, &nh, &drop), 0);
	assert_int_equal(nh, v->nh);
	assert_int_equal(pk.len, v->plen);
	assert_memory_equal(pkt_data(&pk), v->payload, v->plen);
	assert_int_equal(esp_replay_top(in->replay), v->seq);
	esp_sa_free(out);
	esp_sa_free(in);
}

static void test_vectors(void **state)
{
	FILE *f = fopen(BW_VECTORS_DIR "/esp_packets.txt", "r");
	static struct vec v;
	char line[4096];
	int have = 0, count = 0;

	(void)state;
	assert_non_null(f);
	memset(&v, 0, sizeof(v));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *val = strchr(line, ' ');

		if (line[0] == '#')
			continue;
		if (line[0] == '\n') {
			if (have) {
				run_vector(&v);
				count++;
			}
			memset(&v, 0, sizeof(v));
			have = 0;
			continue;
		}
		have = 1;
		val = val ? val + 1 : line + strlen(line) - 1;
		if (strncmp(line, "name ", 5) == 0)
			sscanf(val, "%63s", v.name);
		else if (strncmp(line, "encr ", 5) == 0)
			sscanf(val, "%31s", v.encr);
		else if (strncmp(line, "integ ", 6) == 0)
			sscanf(val, "%31s", v.integ);
		else if (strncmp(line, "key ", 4) == 0)
			v.klen = unhex(val, v.key, sizeof(v.key));
		else if (strncmp(line, "integ_key", 9) == 0)
			v.ilen = unhex(val, v.ikey, sizeof(v.ikey));
		else if (strncmp(line, "spi ", 4) == 0)
			v.spi = (uint32_t)strtoul(val, NULL, 16);
		else if (strncmp(line, "seq ", 4) == 0)
			v.seq = strtoull(val, NULL, 16);
		else if (strncmp(line, "esn ", 4) == 0)
			v.esn = atoi(val);
		else if (strncmp(line, "nh ", 3) == 0)
			v.nh = atoi(val);
		else if (strncmp(line, "payload ", 8) == 0)
			v.plen = unhex(val, v.payload, sizeof(v.payload));
		else if (strncmp(line, "packet ", 7) == 0)
			v.len = unhex(val, v.packet, sizeof(v.packet));
	}
	if (have) {
		run_vector(&v);
		count++;
	}
	fclose(f);
	assert_true(count >= 7);
}

static void test_sad(void **state)
{
	struct esp_sad *sad = esp_sad_new();
	struct esp_sa *sa[NXFORMS], *low;
	struct esp_sa_cfg c;
	enum esp_drop drop;
	static uint8_t buf[BUF];
	size_t len;

	(void)state;
	assert_non_null(sad);
	for (size_t i = 0; i < NXFORMS; i++) {
		fill_cfg(&c, &xforms[i], false, ESP_MODE_TUNNEL, 64);
		assert_int_equal(esp_sa_new(&sa[i], &c), 0);
		assert_int_equal(esp_sad_add(sad, sa[i]), 0);
	}
	assert_int_equal(esp_sad_add(sad, sa[0]), BW_ERR_EXISTS);
	for (size_t i = 0; i < NXFORMS; i++)
		assert_ptr_equal(esp_sad_lookup(sad, esp_sa_spi(sa[i])), sa[i]);
	/* An unknown SPI finds nothing; the SPI read from a packet is what counts. */
	len = encap_at(sa[0], 1, 30, buf);
	bw_put_be32(buf, 0xdeadbeef);
	{
		uint32_t spi;

		assert_int_equal(esp_peek_spi(buf, 3, &spi), BW_ERR_SHORT);
		assert_int_equal(esp_peek_spi(buf, len, &spi), 0);
		assert_int_equal(spi, 0xdeadbeef);
		assert_null(esp_sad_lookup(sad, spi));
	}
	/* Given to the wrong SA anyway, decap refuses it as no-SA. */
	assert_int_equal(decap_buf(sa[0], buf, len, &drop), BW_ERR_NOTFOUND);
	assert_int_equal(drop, ESP_DROP_NO_SA);
	assert_int_equal(esp_sa_stats(sa[0])->drops[ESP_DROP_NO_SA], 1);
	assert_int_equal(esp_sad_del(sad, esp_sa_spi(sa[1])), 0);
	assert_int_equal(esp_sad_del(sad, esp_sa_spi(sa[1])), BW_ERR_NOTFOUND);
	assert_null(esp_sad_lookup(sad, esp_sa_spi(sa[1])));
	assert_ptr_equal(esp_sad_lookup(sad, esp_sa_spi(sa[2])), sa[2]);
	/* Reserved SPIs 1-255 (RFC 4303 2.1) are refused. */
	fill_cfg(&c, &xforms[0], false, ESP_MODE_TUNNEL, 64);
	c.spi = 255;
	assert_int_equal(esp_sa_new(&low, &c), 0);
	assert_int_equal(esp_sad_add(sad, low), BW_ERR_INVAL);
	esp_sa_free(low);
	esp_sad_free(sad);
	esp_sad_free(NULL);
	for (size_t i = 0; i < NXFORMS; i++)
		esp_sa_free(sa[i]);
}

static void ts(struct esp_ts *t, const char *local, const char *remote)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(bw_prefix_parse(&t->local, &t->local_plen, local), 0);
	assert_int_equal(bw_prefix_parse(&t->remote, &t->remote_plen, remote), 0);
}

/* Builds an IPv4 or IPv6 header from src to dst in buf; returns its length. */
static size_t ip_hdr(uint8_t *buf, const char *src, const char *dst)
{
	struct bw_addr s, d;

	assert_int_equal(bw_addr_parse(&s, src), 0);
	assert_int_equal(bw_addr_parse(&d, dst), 0);
	memset(buf, 0, 60);
	if (s.family == AF_INET) {
		buf[0] = 0x45;
		memcpy(buf + 12, s.a, 4);
		memcpy(buf + 16, d.a, 4);
		return 28;
	}
	buf[0] = 0x60;
	memcpy(buf + 8, s.a, 16);
	memcpy(buf + 24, d.a, 16);
	return 48;
}

static void test_spd(void **state)
{
	struct esp_spd *spd = esp_spd_new();
	struct esp_sa *o[4], *in[4];
	struct esp_sa_cfg c;
	struct esp_ts t;
	uint8_t ip[64];
	size_t n;

	(void)state;
	for (int i = 0; i < 4; i++) {
		fill_cfg(&c, &xforms[0], false, ESP_MODE_TUNNEL, 64);
		c.spi = 0x5000 + (uint32_t)i;
		assert_int_equal(esp_sa_new(&o[i], &c), 0);
		c.spi = 0x6000 + (uint32_t)i;
		assert_int_equal(esp_sa_new(&in[i], &c), 0);
	}
	/* Added least specific first: lookup must still prefer the longest dst. */
	ts(&t, "0.0.0.0/0", "0.0.0.0/0");
	assert_int_equal(esp_spd_add(spd, &t, o[0], in[0]), 0);
	ts(&t, "10.1.0.0/16", "10.2.0.0/16");
	assert_int_equal(esp_spd_add(spd, &t, o[1], in[1]), 0);
	ts(&t, "10.1.0.0/24", "10.2.1.0/24");
	assert_int_equal(esp_spd_add(spd, &t, o[2], in[2]), 0);
	ts(&t, "2001:db8:1::/48", "2001:db8:2::/48");
	assert_int_equal(esp_spd_add(spd, &t, o[3], in[3]), 0);
	ts(&t, "10.0.0.0/8", "2001:db8::/32"); /* mixed families */
	assert_int_equal(esp_spd_add(spd, &t, o[3], NULL), BW_ERR_INVAL);
	ts(&t, "10.0.0.0/8", "10.0.0.0/8");
	t.local_plen = 33;
	assert_int_equal(esp_spd_add(spd, &t, o[3], NULL), BW_ERR_INVAL);

	n = ip_hdr(ip, "10.1.0.5", "10.2.1.9");
	assert_ptr_equal(esp_spd_out(spd, ip, n), o[2]);
	n = ip_hdr(ip, "10.1.7.5", "10.2.1.9"); /* src outside the /24 */
	assert_ptr_equal(esp_spd_out(spd, ip, n), o[1]);
	n = ip_hdr(ip, "10.1.0.5", "10.2.9.9");
	assert_ptr_equal(esp_spd_out(spd, ip, n), o[1]);
	n = ip_hdr(ip, "192.0.2.1", "8.8.8.8");
	assert_ptr_equal(esp_spd_out(spd, ip, n), o[0]);
	n = ip_hdr(ip, "2001:db8:1::1", "2001:db8:2::2");
	assert_ptr_equal(esp_spd_out(spd, ip, n), o[3]);
	n = ip_hdr(ip, "2001:db8:1::1", "2001:db8:3::2");
	assert_null(esp_spd_out(spd, ip, n));
	/* Truncated or unknown headers match nothing. */
	n = ip_hdr(ip, "10.1.0.5", "10.2.1.9");
	for (size_t len = 0; len < 20; len++)
		assert_null(esp_spd_out(spd, ip, len));
	ip[0] = 0x44; /* IHL 4 */
	assert_null(esp_spd_out(spd, ip, n));
	ip[0] = 0x55;
	assert_null(esp_spd_out(spd, ip, n));
	n = ip_hdr(ip, "2001:db8:1::1", "2001:db8:2::2");
	assert_null(esp_spd_out(spd, ip, 39));

	/* Inbound: the inner packet goes remote -> local. */
	n = ip_hdr(ip, "10.2.1.9", "10.1.0.5");
	assert_true(esp_spd_in_ok(spd, in[2], ip, n));
	assert_true(esp_spd_in_ok(spd, in[1], ip, n));
	assert_false(esp_spd_in_ok(spd, in[3], ip, n));
	n = ip_hdr(ip, "10.3.1.9", "10.1.0.5");
	assert_false(esp_spd_in_ok(spd, in[1], ip, n));
	assert_true(esp_spd_in_ok(spd, in[0], ip, n));
	n = ip_hdr(ip, "10.2.1.9", "10.1.3.5"); /* dst outside in[2]'s local /24 */
	assert_false(esp_spd_in_ok(spd, in[2], ip, n));
	n = ip_hdr(ip, "2001:db8:2::2", "2001:db8:1::1");
	assert_true(esp_spd_in_ok(spd, in[3], ip, n));
	assert_false(esp_spd_in_ok(spd, in[3], ip, 10));
	esp_spd_free(spd);
	esp_spd_free(NULL);
	for (int i = 0; i < 4; i++) {
		esp_sa_free(o[i]);
		esp_sa_free(in[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	return crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sa_new),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_esn_rollover),
	        cmocka_unit_test(test_seq_cycle),
	        cmocka_unit_test(test_nospace),
	        cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_flip_every_byte),
	        cmocka_unit_test(test_crafted),
	        cmocka_unit_test(test_bad_len),
	        cmocka_unit_test(test_kat_gcm_crypto),
	        cmocka_unit_test(test_vectors),
	        cmocka_unit_test(test_sad),
	        cmocka_unit_test(test_spd),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
