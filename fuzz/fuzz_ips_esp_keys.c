/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the IPS ESP key file (ips/esp_keys.c): arbitrary
 * bytes go through libyaml, lib/conf and the key-file schema. Anything but
 * a clean accept or a clean BW_ERR_CONFIG is a bug. An accepted key set is
 * then given a raw ESP packet for SPI 0x1001 (random ciphertext) through the
 * decoder hook: it must decode or stay ESP, and be counted exactly once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ips/decode.h"
#include "ips/esp_keys.h"
#include "lib/err.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void drop(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	bw_log_set_sink(drop, NULL);
	return 0;
}

/* Outer IPv4 192.0.2.2 -> 192.0.2.1, protocol 50, then SPI 0x1001, seq 1 and 80 bytes. */
static void esp_frame(uint8_t *f, size_t len)
{
	static const uint8_t h[28] = {0x45, 0, 0,   0, 0, 1, 0, 0, 64,   50,   0, 0, 192, 0,
	                              2,    2, 192, 0, 2, 1, 0, 0, 0x10, 0x01, 0, 0, 0,   1};
	uint16_t c;

	memset(f, 0xa5, len);
	memcpy(f, h, sizeof(h));
	f[2] = (uint8_t)(len >> 8);
	f[3] = (uint8_t)len;
	c = ips_csum_fold(ips_csum_add(0, f, 20));
	f[10] = (uint8_t)(c >> 8);
	f[11] = (uint8_t)c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ips_esp_keys *k = (struct ips_esp_keys *)1;
	struct ips_decoder dec;
	struct ips_packet p;
	uint8_t f[108];
	int r;

	r = ips_esp_keys_load_buf(&k, "fuzz", (const char *)data, size);
	if (r != 0) {
		if ((r != BW_ERR_CONFIG && r != BW_ERR_NOMEM) || k != NULL)
			abort();
		return 0;
	}
	if (k == NULL || ips_esp_keys_count(k) > IPS_ESP_KEYS_MAX)
		abort();
	memset(&dec, 0, sizeof(dec));
	ips_esp_keys_hook(k, &dec.esp_hook);
	esp_frame(f, sizeof(f));
	ips_decode(&p, f, sizeof(f), IPS_LINK_IPV4, &dec);
	if (dec.stats.esp != 1 || dec.stats.esp_decrypted + dec.stats.esp_no_key +
	                                          dec.stats.esp_auth_failed +
	                                          dec.stats.esp_invalid !=
	                                  1)
		abort();
	ips_esp_keys_free(k);
	return 0;
}
