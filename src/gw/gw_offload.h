/* SPDX-License-Identifier: ISC */
/*
 * TCP segmentation and receive coalescing for the TUN device with virtio
 * net headers (IFF_VNET_HDR + TUNSETOFFLOAD). The kernel then hands the
 * gateway TCP super-packets of up to 64 KiB (TSO) and accepts them back
 * (GRO), so one system call moves up to 45 segments and the endpoints' TCP
 * stacks see one large packet instead of many. This is what lets a
 * userspace tunnel approach the speed of the cipher: per-packet system
 * calls, not AES, are the cost.
 *
 * Pure functions over bounded input: no I/O, no clock. The vnet header is
 * little-endian (struct virtio_net_hdr, legacy layout, 10 bytes).
 */
#ifndef BW_GW_OFFLOAD_H
#define BW_GW_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pkt.h"

enum {
	GW_VNET_HDR_LEN = 10,
	GW_GSO_MAX = 65535, /* largest IP packet the kernel hands over or accepts */
	GW_VNET_F_NEEDS_CSUM = 1,
	GW_VNET_GSO_NONE = 0,
	GW_VNET_GSO_TCPV4 = 1,
	GW_VNET_GSO_TCPV6 = 4,
	GW_VNET_GSO_ECN = 0x80,
};

struct gw_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

int gw_vnet_hdr_parse(const uint8_t *p, size_t len, struct gw_vnet_hdr *h);
void gw_vnet_hdr_write(uint8_t *p, const struct gw_vnet_hdr *h);

/* Internet checksum helpers (RFC 1071): a running 32-bit sum, then fold. */
uint32_t gw_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t gw_csum_fold(uint32_t sum);

/*
 * Completes a packet read from TUN: finishes a partial checksum
 * (NEEDS_CSUM), and splits a TSO super-packet into segments of gso_size
 * with correct IP lengths, IDs, TCP sequence numbers, flags and checksums.
 * ip/len is the packet after the vnet header. Segments are new pkts from
 * pool stored in out[0..*n); on error nothing is allocated.
 */
int gw_tso_split(const struct gw_vnet_hdr *h, const uint8_t *ip, size_t len, struct pkt_pool *pool,
                 struct pkt **out, size_t max, size_t *n);
/* Finishes a NEEDS_CSUM checksum in place (non-GSO packets). */
int gw_csum_complete(const struct gw_vnet_hdr *h, uint8_t *ip, size_t len);

/*
 * Receive coalescing: consecutive in-order TCP segments of one flow with
 * identical headers (but for lengths, IDs, checksums and sequence numbers)
 * become one super-packet. Each segment's TCP checksum is verified first;
 * one that does not verify is never merged (the kernel will drop it).
 */
struct gw_gro {
	uint8_t buf[GW_VNET_HDR_LEN + GW_GSO_MAX];
	size_t len;        /* bytes of IP packet after the vnet header; 0 = empty */
	size_t hdr_len;    /* IP + TCP header bytes */
	size_t ip_len;     /* IP header bytes */
	uint16_t mss;      /* payload size of the first segment */
	uint32_t next_seq; /* sequence number the next segment must carry */
	unsigned segs;
	bool v6;
	bool closed; /* last segment was short or had PSH: no more merging */
};

/* Tries to append ip/len to the group; false if it does not fit or belong. */
bool gw_gro_add(struct gw_gro *g, const uint8_t *ip, size_t len);
/* Whether a packet could start a group (IPv4/IPv6 TCP with payload, checksum good). */
bool gw_gro_eligible(const uint8_t *ip, size_t len);
/* Finalises the group: *out points at vnet header + packet, *outlen its length. */
void gw_gro_finish(struct gw_gro *g, const uint8_t **out, size_t *outlen);
static inline void gw_gro_reset(struct gw_gro *g)
{
	g->len = 0;
	g->segs = 0;
	g->closed = false;
}

#endif
