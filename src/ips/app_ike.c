/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"

static int ike_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	(void)f;
	(void)dir;
	(void)p;
	(void)len;
	return 0;
}

static int ike_init(struct app_flow *f)
{
	(void)f;
	return 0;
}

const struct app_parser app_parser_ike = {
        .proto = APP_PROTO_IKE,
        .init = ike_init,
        .feed = ike_feed,
};

int app_ike_probe(const uint8_t *p, size_t len)
{
	(void)p;
	(void)len;
	return BW_ERR_NOTFOUND;
}

bool app_ike_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	(void)tx;
	(void)dir;
	(void)m;
	return false;
}
