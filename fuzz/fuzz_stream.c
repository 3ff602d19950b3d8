/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for TCP stream tracking and reassembly: a sequence of
 * synthetic TCP segments drives one flow through the flow table and
 * ips_stream_packet(). Input:
 *
 *   | config 1 | ( dir+flags 2 | seq 4 | ack 4 | len 2 | data ... ) ... |
 *
 * config: bit 0 midstream, bits 1-3 select the depth (0 = unlimited, else
 * 16 << n), bits 4-7 select the queue cap (256 << n, with a 16 KiB global
 * memcap). Each record: the first byte's bit 0 is the direction (0 = from
 * the client), the second byte the TCP flags; seq and ack are big-endian
 * and relative to the client (0x10000) or server (0x80000) ISN base; data is
 * min(len, what remains) bytes. Time advances one second per record; the
 * flow is flushed at the end.
 *
 * Invariants: no crash; stream memory never above its cap and back to zero
 * after the flow ends; per direction, chunks are contiguous (offset = last
 * end + gap, GAP set exactly when gap is not 0), START only on the first
 * chunk, only EOF after DEPTH, nothing after EOF, and bytes delivered never
 * exceed the payload bytes received.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ips/decode.h"
#include "ips/flow.h"
#include "ips/stream.h"
#include "lib/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MEMCAP = 16384, MAX_RECORDS = 4096 };

struct check {
	uint64_t next_off[2];
	uint64_t delivered[2];
	bool seen[2], depth[2], eof[2];
};

static void on_data(void *arg, struct ips_flow_rec *f, bool to_server,
                    const struct ips_stream_chunk *c)
{
	struct check *k = arg;
	unsigned d = to_server ? 0 : 1;

	(void)f;
	if (k->eof[d] || c->offset != k->next_off[d] + c->gap || (c->len && c->data == NULL))
		abort();
	/* GAP iff a gap; START only on the first chunk; after DEPTH only EOF. */
	if (!(c->flags & IPS_STREAM_GAP) != !c->gap ||
	    ((c->flags & IPS_STREAM_START) && k->seen[d]))
		abort();
	if (k->depth[d] && (c->len || c->flags != IPS_STREAM_EOF))
		abort();
	k->seen[d] = true;
	if (c->flags & IPS_STREAM_DEPTH)
		k->depth[d] = true;
	if (c->len)
		(void)*(volatile const uint8_t *)&c->data[c->len - 1]; /* readable */
	k->next_off[d] = c->offset + c->len;
	k->delivered[d] += c->len;
	if (c->flags & IPS_STREAM_EOF)
		k->eof[d] = true;
}

static const uint8_t l4hdr[20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ips_stream_cfg cfg;
	struct ips_stream_ctx *ctx;
	struct ips_flow_table *t;
	struct ips_stream_cb cb = {.data = on_data};
	struct check k = {0};
	struct ips_flow_rec *f = NULL;
	struct bw_rd rd;
	uint8_t conf;
	unsigned n = 0;

	bw_rd_init(&rd, data, size);
	if (bw_rd_u8(&rd, &conf) != 0)
		return 0;
	ips_stream_cfg_default(&cfg);
	cfg.midstream = conf & 1;
	cfg.depth = (conf >> 1) & 7 ? (uint64_t)16 << ((conf >> 1) & 7) : 0;
	cfg.queue_cap = (size_t)256 << (conf >> 4);
	cfg.memcap = MEMCAP;
	if ((ctx = ips_stream_ctx_new(&cfg)) == NULL || (t = ips_flow_table_new(NULL)) == NULL) {
		ips_stream_ctx_free(ctx);
		return 0;
	}
	while (bw_rd_left(&rd) >= 12 && n++ < MAX_RECORDS) {
		uint8_t dflags, flags;
		uint32_t seq, ack;
		uint16_t len;
		const uint8_t *pay = NULL;
		struct ips_packet p;
		struct ips_ip *ip = &p.ip[0];
		bool c, ts, created;

		if (bw_rd_u8(&rd, &dflags) || bw_rd_u8(&rd, &flags) || bw_rd_u32(&rd, &seq) ||
		    bw_rd_u32(&rd, &ack) || bw_rd_u16(&rd, &len))
			break;
		if (len > bw_rd_left(&rd))
			len = (uint16_t)bw_rd_left(&rd);
		if (len && bw_rd_ptr(&rd, &pay, len) != 0)
			break;
		c = !(dflags & 1);
		memset(&p, 0, sizeof(p));
		p.n_ip = 1;
		ip->version = 4;
		ip->proto = 6;
		ip->src.family = ip->dst.family = AF_INET;
		ip->src.a[0] = ip->dst.a[0] = 10;
		ip->src.a[3] = c ? 1 : 2;
		ip->dst.a[3] = c ? 2 : 1;
		p.l4proto = 6;
		p.sp = c ? 40000 : 80;
		p.dp = c ? 80 : 40000;
		p.tcp.seq = seq + (c ? 0x10000u : 0x80000u);
		p.tcp.ack = ack + (c ? 0x80000u : 0x10000u);
		p.tcp.flags = flags;
		p.tcp.win = 65535;
		p.l4 = l4hdr;
		p.payload = pay;
		p.payload_len = len;
		p.len = 54u + len;
		f = ips_flow_lookup(t, &p, (uint64_t)n * 1000000000u, &ts, &created);
		if (f == NULL)
			abort(); /* one flow, default caps: always fits */
		if (created)     /* first packet, or a SYN reusing the closed flow */
			memset(&k, 0, sizeof(k));
		ips_stream_packet(ctx, f, &p, ts, (uint64_t)n * 1000000000u, &cb, &k, NULL);
		if (ips_stream_ctx_stats(ctx)->mem > MEMCAP)
			abort();
	}
	if (f) {
		struct ips_stream_info info;

		ips_stream_info(f, &info);
		for (unsigned d = 0; d < 2; d++)
			if (info.delivered[d] > info.rx_bytes[d] ||
			    info.delivered[d] != k.delivered[d])
				abort();
		ips_stream_flush(f, &cb, &k);
	}
	ips_flow_table_free(t);
	if (ips_stream_ctx_stats(ctx)->mem != 0)
		abort();
	ips_stream_ctx_free(ctx);
	return 0;
}
