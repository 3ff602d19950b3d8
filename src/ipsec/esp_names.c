/* SPDX-License-Identifier: ISC */
/* ESP transform names and key lengths, shared by every configuration reader. */
#include <string.h>

#include "ipsec/esp.h"

static const struct esp_enc_name enc_names[] = {
        {"aes-gcm-128", ESP_ENCR_AES_GCM_16, 20, true, "16-byte key + 4-byte salt"},
        {"aes-gcm-256", ESP_ENCR_AES_GCM_16, 36, true, "32-byte key + 4-byte salt"},
        {"chacha20-poly1305", ESP_ENCR_CHACHA20_POLY1305, 36, true, "32-byte key + 4-byte salt"},
        {"aes-cbc-128", ESP_ENCR_AES_CBC, 16, false, "AES-128 key"},
        {"aes-cbc-256", ESP_ENCR_AES_CBC, 32, false, "AES-256 key"},
};

static const struct esp_integ_name integ_names[] = {
        {"none", ESP_INTEG_NONE, 0},
        {"hmac-sha256-128", ESP_INTEG_HMAC_SHA256_128, 32},
        {"hmac-sha384-192", ESP_INTEG_HMAC_SHA384_192, 48},
        {"hmac-sha512-256", ESP_INTEG_HMAC_SHA512_256, 64},
};

const struct esp_enc_name *esp_enc_by_name(const char *s)
{
	for (size_t i = 0; i < sizeof(enc_names) / sizeof(enc_names[0]); i++)
		if (strcmp(s, enc_names[i].name) == 0)
			return &enc_names[i];
	return NULL;
}

const struct esp_integ_name *esp_integ_by_name(const char *s)
{
	for (size_t i = 0; i < sizeof(integ_names) / sizeof(integ_names[0]); i++)
		if (strcmp(s, integ_names[i].name) == 0)
			return &integ_names[i];
	return NULL;
}
