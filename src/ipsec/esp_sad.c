/* SPDX-License-Identifier: ISC */
/*
 * Security Association Database for inbound ESP (RFC 4301 4.4.2): SAs keyed
 * by SPI alone, which is enough for unicast SAs whose SPIs we chose
 * ourselves (RFC 4301 4.1: the receiver picks the SPI). The table borrows
 * the SAs. Lookup is one hash probe per packet and allocates nothing.
 */
#include <stdlib.h>

#include "ipsec/esp_int.h"
#include "lib/err.h"
#include "lib/htab.h"

struct esp_sad {
	struct htab *by_spi;
};

enum {
	SAD_HINT = 16,
};

struct esp_sad *esp_sad_new(void)
{
	struct esp_sad *sad = calloc(1, sizeof(*sad));
	uint64_t seed;

	if (sad == NULL)
		return NULL;
	/* SPIs are ours, but a random seed costs nothing and keeps probes honest. */
	if (crypto_random(&seed, sizeof(seed)) != 0)
		seed = (uint64_t)(uintptr_t)sad;
	if ((sad->by_spi = htab_new(SAD_HINT, seed)) == NULL) {
		free(sad);
		return NULL;
	}
	return sad;
}

void esp_sad_free(struct esp_sad *sad)
{
	if (sad == NULL)
		return;
	htab_free(sad->by_spi);
	free(sad);
}

int esp_sad_add(struct esp_sad *sad, struct esp_sa *sa)
{
	/* RFC 4303 2.1: SPIs 1-255 are reserved by IANA and 0 is local use only. */
	if (esp_sa_spi(sa) < 256)
		return BW_ERR_INVAL;
	return htab_put(sad->by_spi, esp_sa_spi(sa), sa);
}

int esp_sad_del(struct esp_sad *sad, uint32_t spi)
{
	return htab_del(sad->by_spi, spi) != NULL ? 0 : BW_ERR_NOTFOUND;
}

struct esp_sa *esp_sad_lookup(const struct esp_sad *sad, uint32_t spi)
{
	return htab_get(sad->by_spi, spi);
}
