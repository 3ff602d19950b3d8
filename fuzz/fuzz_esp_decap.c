/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for ESP decapsulation (RFC 4303 3.4): the input is one
 * ESP packet starting at the SPI. Its SPI is looked up in a SAD holding one
 * inbound SA per transform (AES-GCM-128/256, ChaCha20-Poly1305, AES-CBC with
 * each HMAC; some with ESN, some in transport mode) and decapsulated in
 * place; on success the inner packet goes through the SPD checks. An
 * unknown SPI is still handed to one SA, chosen by length, to exercise the
 * length and SPI checks. Each input starts from the same replay window (top
 * at FUZZ_TOP, or just below 2^33 with ESN so that seq-hi inference crosses
 * a boundary), so runs are deterministic and replays of one input are fine.
 *
 * Seeds (fuzz/corpus/fuzz_esp_decap/) are valid packets for these SAs, made
 * by a throwaway C program that #included this file for fuzz_cfg() and
 * called esp_encap() with sequence numbers from FUZZ_TOP - 3 to FUZZ_TOP + 40
 * (or the ESN equivalents) over IPv4, IPv6 and transport payloads, writing
 * each packet as a binary file; CBC IVs are random, so regenerating gives
 * different but equally valid seeds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ipsec/esp_int.h"
#include "lib/addr.h"

enum {
	FUZZ_NSA = 9,
	FUZZ_SPI_BASE = 0x4000,
};

#define FUZZ_TOP     1000ULL
#define FUZZ_TOP_ESN 0x1fffffff0ULL

static struct esp_sa *fuzz_sa[FUZZ_NSA];
static struct esp_sad *fuzz_sad;
static struct esp_spd *fuzz_spd;
static struct pkt fuzz_pkt;

/* The SA configuration both the fuzzer and the seed generator use. */
static void fuzz_cfg(int i, struct esp_sa_cfg *c)
{
	static const struct {
		enum esp_encr encr;
		size_t klen;
		enum esp_integ integ;
		size_t ilen;
	} t[FUZZ_NSA] = {
	        {ESP_ENCR_AES_GCM_16, 20, ESP_INTEG_NONE, 0},
	        {ESP_ENCR_AES_GCM_16, 36, ESP_INTEG_NONE, 0},
	        {ESP_ENCR_CHACHA20_POLY1305, 36, ESP_INTEG_NONE, 0},
	        {ESP_ENCR_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32},
	        {ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA384_192, 48},
	        {ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA512_256, 64},
	        {ESP_ENCR_AES_GCM_16, 36, ESP_INTEG_NONE, 0},
	        {ESP_ENCR_CHACHA20_POLY1305, 36, ESP_INTEG_NONE, 0},
	        {ESP_ENCR_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32},
	};

	memset(c, 0, sizeof(*c));
	c->spi = FUZZ_SPI_BASE + (uint32_t)i;
	c->encr = t[i].encr;
	c->encr_key_len = t[i].klen;
	for (size_t k = 0; k < t[i].klen; k++)
		c->encr_key[k] = (uint8_t)(k * 29 + (size_t)i);
	c->integ = t[i].integ;
	c->integ_key_len = t[i].ilen;
	for (size_t k = 0; k < t[i].ilen; k++)
		c->integ_key[k] = (uint8_t)(k * 31 + 7);
	c->esn = i % 2 == 1;
	c->mode = i >= 6 ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
	c->replay_window = i == 8 ? 0 : i == 4 ? 64 : ESP_REPLAY_DEFAULT;
}

static void fuzz_add_any(struct esp_sa *in, int family)
{
	struct esp_ts ts;

	memset(&ts, 0, sizeof(ts));
	ts.local.family = ts.remote.family = (uint8_t)family;
	if (esp_spd_add(fuzz_spd, &ts, in, in) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (crypto_init() != 0 || (fuzz_sad = esp_sad_new()) == NULL ||
	    (fuzz_spd = esp_spd_new()) == NULL)
		abort();
	for (int i = 0; i < FUZZ_NSA; i++) {
		struct esp_sa_cfg c;

		fuzz_cfg(i, &c);
		if (esp_sa_new(&fuzz_sa[i], &c) != 0 || esp_sad_add(fuzz_sad, fuzz_sa[i]) != 0)
			abort();
		fuzz_add_any(fuzz_sa[i], AF_INET);
		fuzz_add_any(fuzz_sa[i], AF_INET6);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esp_sa *sa = NULL;
	enum esp_drop drop;
	uint32_t spi;
	uint8_t nh;

	if (fuzz_sad == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > PKT_BUFSIZE - PKT_HEADROOM)
		return 0;
	if (esp_peek_spi(data, size, &spi) == 0)
		sa = esp_sad_lookup(fuzz_sad, spi);
	if (sa == NULL)
		sa = fuzz_sa[size % FUZZ_NSA];
	esp_replay_reset(sa->replay);
	esp_replay_update(sa->replay, sa->cfg.esn ? FUZZ_TOP_ESN : FUZZ_TOP);

	pkt_reset(&fuzz_pkt);
	memcpy(pkt_put(&fuzz_pkt, size), data, size);
	if (esp_decap(sa, &fuzz_pkt, &nh, &drop) == 0) {
		/* The inner packet is still untrusted as far as the SPD is concerned. */
		(void)esp_spd_in_ok(fuzz_spd, sa, pkt_data(&fuzz_pkt), fuzz_pkt.len);
		(void)esp_spd_out(fuzz_spd, pkt_data(&fuzz_pkt), fuzz_pkt.len);
	}
	/* The selector parser also gets the raw bytes. */
	(void)esp_spd_out(fuzz_spd, data, size);
	return 0;
}
