/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the configuration loader: arbitrary bytes go through
 * libyaml, the tree builder (lib/conf.c) and the schema checks
 * (gw/gw_conf.c). Anything but a clean accept or a clean BW_ERR_CONFIG is a
 * bug; an accepted config must satisfy the invariants the daemon relies on.
 * Logging goes to a sink that drops it, so error paths run but stay quiet.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gw/gw_conf.h"
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

static void check(const struct gw_conf *c)
{
	for (size_t i = 0; i < c->n_manual; i++) {
		const struct gw_conf_manual *m = &c->manual[i];

		if (m->out.spi == 0 || m->in.spi == 0 || m->n_ts == 0 || m->n_ts > GW_CONF_MAX_TS)
			abort();
		if (m->local.family != m->remote.family || m->out.encr_key_len == 0 ||
		    m->out.encr_key_len > ESP_KEY_MAX)
			abort();
		if ((m->out.integ == ESP_INTEG_NONE) != (m->out.integ_key_len == 0))
			abort();
		for (size_t j = 0; j < i; j++)
			if (c->manual[j].in.spi == m->in.spi)
				abort();
	}
	if (c->tun_mtu < 576 || c->tun_mtu > 9000 || c->n_tun_addr > GW_CONF_MAX_ADDRS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_conf *c;
	int r;

	r = gw_conf_load_buf(&c, "fuzz", (const char *)data, size);
	if (r == 0) {
		check(c);
		gw_conf_free(c);
	} else if (r != BW_ERR_CONFIG && r != BW_ERR_NOMEM) {
		abort();
	} else if (c != NULL) {
		abort();
	}
	return 0;
}
