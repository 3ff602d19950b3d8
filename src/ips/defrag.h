/* SPDX-License-Identifier: ISC */
/*
 * IPv4 (RFC 791 3.2) and IPv6 (RFC 8200 4.5) fragment reassembly for the
 * IPS. Fragments come from decoded packets (the IP layer that the decoder
 * flagged is_frag); a complete datagram comes back in a buffer that the
 * reassembler owns until the caller releases it, and goes through
 * ips_decode_reassembled(). Time is an input (nanoseconds, the capture's
 * clock): nothing here reads a clock.
 *
 * Trackers are keyed by (IP version, src, dst, identification, VLAN ids,
 * tunnel depth) plus the protocol for IPv4 (RFC 791 3.2; leaving it out was
 * Suricata's CVE-2017-7177). IPv6 keys on (src, dst, id) only, as RFC 8200
 * 4.5 says; the next header of the offset-zero fragment is the one used.
 *
 * Overlap policy (the same choice as Suricata's default "bsd"; Novak's
 * target-based reassembly terms): bytes already held win, except that a
 * new fragment starting before a held one and reaching past its end
 * replaces it. IPS_DEFRAG_FIRST keeps held bytes always; IPS_DEFRAG_DROP
 * discards the whole datagram on any overlap (RFC 5722 for IPv6). Every
 * overlap is an event (defrag.overlap) whatever the policy.
 *
 * Caps: a datagram never exceeds 65535 bytes (IPv4 total length, IPv6
 * payload length); each tracker holds at most max_frags fragments; the
 * memory of all trackers and unreleased datagrams stays under memcap, the
 * oldest trackers being evicted to make room; trackers expire timeout_ns
 * after their first fragment.
 */
#ifndef BW_IPS_DEFRAG_H
#define BW_IPS_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "ips/decode.h"

enum ips_defrag_policy {
	IPS_DEFRAG_BSD,   /* default */
	IPS_DEFRAG_FIRST, /* held bytes always win */
	IPS_DEFRAG_DROP,  /* any overlap drops the datagram (RFC 5722) */
};

struct ips_defrag_cfg {
	size_t memcap;       /* bytes; 0 = 32 MiB */
	size_t max_trackers; /* 0 = 65535 */
	uint32_t max_frags;  /* per tracker; 0 = 1024 */
	uint64_t timeout_ns; /* 0 = 60 s */
	enum ips_defrag_policy policy4, policy6;
};

struct ips_defrag_stats {
	uint64_t frags;       /* fragments offered */
	uint64_t reassembled; /* datagrams completed */
	uint64_t timeouts;    /* trackers expired incomplete */
	uint64_t evicted;     /* trackers evicted for memory or tracker count */
	uint64_t overlaps;    /* fragments that overlapped held data */
	uint64_t dropped;     /* fragments dropped (caps, inconsistency, policy) */
	size_t mem, mem_peak; /* bytes in use now, at most */
	size_t trackers;      /* trackers live now */
};

struct ips_defrag;
/* A reassembled datagram, owned by the reassembler until released. */
struct ips_dgram;

/* cfg may be NULL (all defaults). NULL on allocation failure. */
struct ips_defrag *ips_defrag_new(const struct ips_defrag_cfg *cfg);
/* Frees every tracker and every unreleased datagram. NULL is a no-op. */
void ips_defrag_free(struct ips_defrag *df);

/*
 * Offers IP layer `layer` of a decoded packet (it must be a fragment). The
 * fragment's bytes are copied; p is only borrowed. On completion returns 0
 * with *out set to a new datagram; 0 with *out NULL when the fragment is
 * held; a negative bw_err when it was dropped (BW_ERR_INVAL: inconsistent
 * or refused by the overlap policy; BW_ERR_LIMIT: a cap; BW_ERR_NOMEM).
 * Anomalies are recorded on p.
 */
int ips_defrag_add(struct ips_defrag *df, struct ips_packet *p, unsigned layer, uint64_t now_ns,
                   struct ips_dgram **out);
/* The datagram's bytes: a whole IP packet, IP header first. */
const uint8_t *ips_dgram_data(const struct ips_dgram *g, size_t *len);
/* Gives a datagram back. NULL is a no-op. */
void ips_defrag_release(struct ips_defrag *df, struct ips_dgram *g);
/* Expires trackers whose first fragment is older than the timeout; returns how many. */
size_t ips_defrag_expire(struct ips_defrag *df, uint64_t now_ns);
const struct ips_defrag_stats *ips_defrag_stats(const struct ips_defrag *df);

#endif
