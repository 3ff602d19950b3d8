/* SPDX-License-Identifier: ISC */
/*
 * ESP keys for the offline IPS (`bulwark ips --esp-keys FILE`): a YAML list
 * of manually keyed SAs, written with the field and transform names of the
 * gateway's `ipsec: manual:` tunnels (docs/ips.md), and the decoder hook
 * (struct ips_esp_hook) that decrypts ESP with them through src/ipsec.
 *
 * A key set serves one decoder: it owns the one scratch buffer decrypted
 * packets are written to, valid until the next call. Not thread-safe.
 */
#ifndef BW_IPS_ESP_KEYS_H
#define BW_IPS_ESP_KEYS_H

#include <stddef.h>

#include "ips/decode.h"

enum {
	IPS_ESP_KEYS_MAX = 4096, /* SAs in one key file */
};

struct ips_esp_keys;

/*
 * Loads a key file. Every error is logged as file:line:col and loading goes
 * on to list them all; the result is then BW_ERR_CONFIG and *out NULL. Keys
 * are never logged and are wiped on free.
 */
int ips_esp_keys_load_file(struct ips_esp_keys **out, const char *path);
/* The same from a buffer; `name` stands for the file in messages. */
int ips_esp_keys_load_buf(struct ips_esp_keys **out, const char *name, const char *buf, size_t len);
/* NULL is a no-op. */
void ips_esp_keys_free(struct ips_esp_keys *k);
size_t ips_esp_keys_count(const struct ips_esp_keys *k);
/* Fills a decoder hook that borrows k (k must outlive the decoder). */
void ips_esp_keys_hook(struct ips_esp_keys *k, struct ips_esp_hook *h);

#endif
