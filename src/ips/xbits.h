/* SPDX-License-Identifier: ISC */
/*
 * xbits state (Suricata's host bits and IP-pair bits): named bits kept per
 * host (track ip_src / ip_dst) or per pair of hosts (track ip_pair, either
 * direction), each with an expiry time. The table is owned by the thread
 * that owns the flow table (the pipeline) and lives next to it; it holds
 * at most `max` bits (memory fixed by that cap: a set that finds the table
 * full first drops the expired bits, then is refused and counted). Bit ids
 * are the engine's interned names (ips_detect_flowbit_id). Times are in
 * microseconds of packet time.
 */
#ifndef BW_IPS_XBITS_H
#define BW_IPS_XBITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ips_xbits;

/* What a bit is attached to: one host, or an unordered pair of hosts. */
struct ips_xbits_key {
	uint8_t ip_version; /* 4 or 6 */
	bool pair;
	uint8_t a[16], b[16]; /* a host in a; a pair in a and b (the smaller address first) */
};

/* Key of host h (16 bytes, IPv4 in the first 4). */
void ips_xbits_key_host(struct ips_xbits_key *k, uint8_t ip_version, const uint8_t h[16]);
/* Key of the pair {x, y}, the same for both orders. */
void ips_xbits_key_pair(struct ips_xbits_key *k, uint8_t ip_version, const uint8_t x[16],
                        const uint8_t y[16]);

/* A table of at most max bits (0: the default 65536); NULL when out of memory. */
struct ips_xbits *ips_xbits_new(size_t max);
void ips_xbits_free(struct ips_xbits *x);

/*
 * isset: the bit exists and has not expired at now (an expired bit is
 * removed, as Suricata's HostBitIsset does).
 */
bool ips_xbits_isset(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id, uint64_t now);
/* Sets the bit to expire at expire; a bit already there keeps its expiry (Suricata). */
void ips_xbits_set(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id, uint64_t expire,
                   uint64_t now);
void ips_xbits_unset(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id);
/* Removes the bit when present (expired or not), else sets it to expire at expire. */
void ips_xbits_toggle(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id,
                      uint64_t expire, uint64_t now);

struct ips_xbits_stats {
	size_t bits;      /* bits held now */
	uint64_t refused; /* sets refused: table full of live bits */
};
void ips_xbits_stats(const struct ips_xbits *x, struct ips_xbits_stats *st);

#endif
