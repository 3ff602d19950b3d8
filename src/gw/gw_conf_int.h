/* SPDX-License-Identifier: ISC */
/*
 * Shared by the configuration loader's files (gw_conf.c for the daemon,
 * TUN and manual ESP sections, gw_conf_ike.c for IKE connections): the
 * loader state and the typed helpers that report errors with positions.
 */
#ifndef BW_GW_CONF_INT_H
#define BW_GW_CONF_INT_H

#include "gw/gw_conf.h"
#include "lib/conf.h"

/* An inbound SPI already taken, for the uniqueness check. */
struct spi_use {
	uint32_t spi;
	const struct conf_node *node;
	const char *tunnel;
};

struct loader {
	struct conf_doc *doc;
	struct gw_conf *conf;
	struct spi_use *spis;
	size_t n_spis;
};

/* Looks key up in map and checks it is a map; NULL when absent or wrong. */
const struct conf_node *gwc_section(struct loader *l, const struct conf_node *map, const char *key);
void gwc_opt_bool(struct loader *l, const struct conf_node *map, const char *key, bool *out);
void gwc_opt_u32(struct loader *l, const struct conf_node *map, const char *key, uint32_t min,
                 uint32_t max, uint32_t *out);
void gwc_opt_u16(struct loader *l, const struct conf_node *map, const char *key, uint16_t min,
                 uint16_t *out);
/* An outer address (no port, not unspecified). */
int gwc_outer_addr(struct loader *l, const struct conf_node *n, const char *key,
                   struct bw_addr *out);
/* Reads a list of prefixes into p/plen (at most cap); returns the count. */
size_t gwc_prefixes(struct loader *l, const struct conf_node *n, const char *key, struct bw_addr *p,
                    uint8_t *plen, const struct conf_node **where, size_t cap);
/* The ike: section (gw_conf_ike.c). */
void gwc_load_ike(struct loader *l, const struct conf_node *root);
/* Zeroes the connections (PSKs included) without freeing; gwc_free_ike() calls it. */
void gwc_wipe_ike(struct gw_conf *c);
void gwc_free_ike(struct gw_conf *c);

#endif
