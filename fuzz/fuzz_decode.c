/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the IPS decoder and fragment reassembly. Input:
 *
 *   | link selector 1 | ( length 2 | frame ) ... |
 *
 * The selector picks the link type (Ethernet, SLL, SLL2, raw, NULL, LOOP,
 * PPP, IPv4, IPv6, one the decoder does not know, Cisco HDLC). Frames follow with a
 * big-endian length each; whatever does not parse as one more record is the
 * last frame. Every frame is decoded (with an ESP hook that "decrypts" SPI
 * 0x1001 by handing back the ESP payload as an inner packet, so decrypted
 * paths are reached); fragments go to one reassembler per input (small caps,
 * time advancing by one second per frame) and completed datagrams go through
 * ips_decode_reassembled(). Invariants checked after every decode: layer and
 * IP counts within their caps, every view inside its buffer.
 *
 * Seeds (fuzz/corpus/fuzz_decode/) come from tests/data/ips/gen_decode.py
 * --corpus: every packet of the decoder test captures, plus fragment trains
 * (IPv4 and IPv6, in and out of order, overlapping) as multi-frame inputs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ips/decode.h"
#include "ips/defrag.h"
#include "lib/err.h"

static const int fuzz_links[] = {
        IPS_LINK_EN10MB, IPS_LINK_LINUX_SLL, IPS_LINK_LINUX_SLL2, IPS_LINK_RAW,  IPS_LINK_NULL,
        IPS_LINK_LOOP,   IPS_LINK_PPP,       IPS_LINK_IPV4,       IPS_LINK_IPV6, 147,
        IPS_LINK_CHDLC,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_decrypt(void *ctx, const struct ips_esp *esp, const struct ips_ip *outer,
                        const uint8_t **inner, size_t *inner_len, uint8_t *next_proto)
{
	(void)ctx;
	(void)outer;
	if (esp->spi != 0x1001 || esp->len < 9)
		return BW_ERR_NOTFOUND;
	/* The byte after the sequence number says tunnel (odd) or transport (even: TCP). */
	*next_proto = (esp->data[8] & 1) ? 4 : 6;
	*inner = esp->data + 9;
	*inner_len = esp->len - 9;
	return 0;
}

static bool inside(const uint8_t *v, size_t n, const uint8_t *b, size_t len)
{
	return v == NULL || (v >= b && n <= len && (size_t)(v - b) <= len - n);
}

/* Views must sit inside the frame unless they came from a hook or a reassembled buffer. */
static void check(const struct ips_packet *p, const uint8_t *b, size_t len)
{
	if (p->n_ip > IPS_MAX_IP || p->n_layers > IPS_MAX_LAYERS || p->n_vlan > IPS_MAX_VLAN ||
	    p->n_events > IPS_MAX_EVENTS)
		abort();
	if (p->flags & (IPS_PKT_DECRYPTED | IPS_PKT_REASSEMBLED))
		return;
	if (!inside(p->payload, p->payload_len, b, len))
		abort();
	for (unsigned i = 0; i < p->n_ip; i++)
		if (!inside(p->ip[i].payload, p->ip[i].payload_len, b, len) ||
		    !inside(p->ip[i].hdr, p->ip[i].hdr_len, b, len))
			abort();
	for (unsigned i = 0; i < p->n_layers; i++)
		if (!inside(p->layers[i].hdr, p->layers[i].len, b, len))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ips_defrag_cfg cfg = {.memcap = 256 * 1024,
	                             .max_trackers = 16,
	                             .max_frags = 64,
	                             .timeout_ns = 5ULL * 1000000000ULL};
	static struct ips_decoder dec;
	struct ips_defrag *df;
	int link;
	uint64_t now = 0;

	if (size < 1)
		return 0;
	link = fuzz_links[data[0] % (sizeof(fuzz_links) / sizeof(fuzz_links[0]))];
	data++;
	size--;
	dec.esp_hook.decrypt = fake_decrypt;
	if ((df = ips_defrag_new(&cfg)) == NULL)
		return 0;
	while (size > 0) {
		struct ips_packet p;
		struct ips_dgram *g = NULL;
		size_t n = size;

		if (size >= 2 && (size_t)(data[0] << 8 | data[1]) <= size - 2) {
			n = (size_t)(data[0] << 8 | data[1]);
			data += 2;
			size -= 2;
		}
		ips_decode(&p, data, n, link, &dec);
		check(&p, data, n);
		now += 1000000000ULL;
		if ((p.flags & IPS_PKT_FRAG) && !(p.flags & IPS_PKT_DECRYPTED) &&
		    ips_defrag_add(df, &p, p.n_ip - 1u, now, &g) == 0 && g != NULL) {
			size_t glen;
			const uint8_t *gd = ips_dgram_data(g, &glen);

			ips_decode_reassembled(&p, p.n_ip - 1u, gd, glen, &dec);
			check(&p, gd, glen);
			ips_defrag_release(df, g);
		}
		if (ips_defrag_stats(df)->mem > cfg.memcap)
			abort();
		data += n;
		size -= n;
	}
	ips_defrag_free(df);
	return 0;
}
