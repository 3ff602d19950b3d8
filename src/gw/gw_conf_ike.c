/* SPDX-License-Identifier: ISC */
/*
 * The ike: section of the configuration (docs/configuration.md). Until the
 * full loader lands, it accepts only an absent section.
 */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "gw/gw_conf_int.h"

void gwc_load_ike(struct loader *l, const struct conf_node *root)
{
	const struct conf_node *sec = gwc_section(l, root, "ike");

	if (sec != NULL)
		conf_error(l->doc, sec, "'ike' is not supported yet");
}

void gwc_free_ike(struct gw_conf *c)
{
	if (c->conn == NULL)
		return;
	crypto_wipe(c->conn, c->n_conn * sizeof(*c->conn));
	free(c->conn);
	c->conn = NULL;
}
