/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"

static int modbus_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	(void)f;
	(void)dir;
	(void)p;
	(void)len;
	return 0;
}

static int modbus_init(struct app_flow *f)
{
	(void)f;
	return 0;
}

const struct app_parser app_parser_modbus = {
        .proto = APP_PROTO_MODBUS,
        .no_gaps = true,
        .init = modbus_init,
        .feed = modbus_feed,
};

int app_modbus_probe(const uint8_t *p, size_t len)
{
	(void)p;
	(void)len;
	return BW_ERR_NOTFOUND;
}

int app_modbus_parse_kw(const char *val, struct ips_app_match *m)
{
	(void)val;
	(void)m;
	return BW_ERR_INVAL;
}

bool app_modbus_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	(void)tx;
	(void)dir;
	(void)m;
	return false;
}
