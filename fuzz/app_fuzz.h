/* SPDX-License-Identifier: ISC */
/*
 * Shared body of the app-layer fuzz targets (fuzz_app_dns.c, fuzz_app_http.c,
 * fuzz_app_tls.c, fuzz_app_ssh.c, fuzz_app_ftp.c, fuzz_app_smtp.c,
 * fuzz_app_mqtt.c, fuzz_app_smb.c, fuzz_app_dcerpc.c, ...): they differ only
 * in their seed corpora, which steer the protocol detection towards one
 * parser, and, for the protocols detected only on their registered port
 * (MQTT, Kerberos, Modbus, EtherNet/IP, IKE), in APP_FUZZ_SRV_PORT, the
 * server port defined before including this file. Input: byte 0 picks the
 * transport (odd: UDP) and whether transactions are acknowledged as they
 * come (bit 1: both directions, bit 2: the direction just fed; bit 3:
 * headers 0xfe/0xff are stream gaps in direction h & 1, not chunks); then
 * chunks, each a header byte h (direction h & 1, length (h >> 1) + 1) and
 * that many bytes, fed to one flow as stream data in order. After every
 * chunk each buffer of each transaction is read back in both directions
 * (views must be readable end to end), each file's state is checked, and
 * the flow's memory must stay under its cap. Every FTP expectation the flow
 * posts becomes an ftp-data flow fed with the rest of the input. Anything
 * but clean returns is a bug.
 */
#ifndef BW_FUZZ_APP_FUZZ_H
#define BW_FUZZ_APP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ips/app.h"
#include "lib/err.h"

static struct app_ctx *ctx;

static void walk(struct app_flow *f)
{
	volatile uint8_t sink = 0;

	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx)) {
		for (int d = 0; d < 2; d++)
			for (int b = 1; b < IPS_BUF__COUNT; b++)
				for (size_t i = 0;; i++) {
					const uint8_t *p;
					size_t n;

					if (app_tx_buf(tx, (enum app_dir)d, (enum ips_buf)b, i, &p,
					               &n) != 0)
						break;
					for (size_t k = 0; k < n; k++)
						sink ^= p[k];
				}
		for (int d = 0; d < 2; d++) {
			const struct app_file_info *fi = app_tx_file(tx, (enum app_dir)d);

			if (fi != NULL && fi->complete && fi->truncated)
				abort(); /* a file is one or the other */
		}
		(void)app_tx_http(tx);
		(void)app_tx_dns(tx);
		(void)app_tx_tls(tx);
		(void)app_tx_ssh(tx);
		(void)app_tx_ftp(tx);
		(void)app_tx_ftp_data(tx);
		(void)app_tx_smtp(tx);
		{
			struct ips_dce_call c;

			if (app_tx_dce(tx, &c))
				for (size_t i = 0; i < c.nifaces; i++)
					sink ^= c.ifaces[i].uuid[i % 16];
		}
	}
	(void)sink;
}

/* An ftp-data flow for e, fed p in the direction the file goes, then the other. */
static void data_flow(const struct app_expect *e, const uint8_t *p, size_t len)
{
	struct app_flow *d;

	if (app_flow_new_ftp_data(&d, ctx, e) != 0)
		return;
	if (app_flow_feed(d, e->to_server ? APP_DIR_TO_SERVER : APP_DIR_TO_CLIENT, p, len) != 0 &&
	    app_flow_mem(d) > (1u << 20))
		abort();
	(void)app_flow_feed(d, e->to_server ? APP_DIR_TO_CLIENT : APP_DIR_TO_SERVER, p, len);
	walk(d);
	app_flow_eof(d, APP_DIR_TO_SERVER);
	app_flow_eof(d, APP_DIR_TO_CLIENT);
	walk(d);
	app_flow_free(d);
}

static int app_fuzz_run(const uint8_t *data, size_t size)
{
	struct app_expect e;

	struct app_cfg cfg;
	struct app_flow *f;
	uint8_t mode;

	if (ctx == NULL) {
		app_cfg_default(&cfg);
		cfg.flow_memcap = 1u << 20;
		cfg.body_limit = 64u << 10;
		/* Files compute everything they can: digests and libmagic run too. */
		cfg.file_needs = APP_FILE_NEED_MD5 | APP_FILE_NEED_SHA1 | APP_FILE_NEED_SHA256 |
		                 APP_FILE_NEED_MAGIC;
		/* Frames are kept; MQTT truncates early enough for small inputs to reach it. */
		cfg.frames = true;
		cfg.mqtt_max_msg = 4096;
		if (app_ctx_new(&ctx, &cfg) != 0)
			abort();
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (app_flow_new(&f, ctx, (mode & 1) ? APP_L4_UDP : APP_L4_TCP) != 0)
		return 0;
#ifdef APP_FUZZ_SRV_PORT
	/* Targets of port-registered protocols put the flow on their port. */
	app_flow_set_ports(f, 40000, APP_FUZZ_SRV_PORT);
#endif
	while (size > 0) {
		enum app_dir dir = (enum app_dir)(data[0] & 1);
		size_t n = (size_t)(data[0] >> 1) + 1;

		data++;
		size--;
		if ((mode & 8) && n == 128) {
			/* With mode bit 3, the largest chunk header is a stream gap instead. */
			app_flow_gap(f, dir);
			continue;
		}
		if (n > size)
			n = size;
		if (app_flow_feed(f, dir, data, n) != 0 && app_flow_mem(f) > (1u << 20))
			abort();
		if (app_flow_mem(f) > (1u << 20))
			abort();
		walk(f);
		if (mode & 2)
			app_flow_tx_ack(f);
		else if (mode & 4)
			app_flow_tx_ack_dir(f, dir);
		data += n;
		size -= n;
		while (app_flow_expect_take(f, &e))
			data_flow(&e, data, size);
	}
	app_flow_eof(f, APP_DIR_TO_SERVER);
	app_flow_eof(f, APP_DIR_TO_CLIENT);
	walk(f);
	app_flow_free(f);
	return 0;
}

#endif
