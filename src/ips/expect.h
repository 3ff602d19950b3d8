/* SPDX-License-Identifier: ISC */
/*
 * Expected flows (Suricata's app-layer expectations): data connections an
 * FTP control flow announced, waiting for the TCP flow that carries them.
 * An entry names the two hosts of the control flow (in either order), the
 * data flow's destination port and the transfer (struct app_expect); the
 * first new flow between those hosts to that port takes it. The table is
 * owned by the thread that owns the flow table (the pipeline), holds at
 * most `max` entries (the oldest goes when full: its memory is fixed at
 * creation) and forgets entries older than `ttl_ns`.
 */
#ifndef BW_IPS_EXPECT_H
#define BW_IPS_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ips/app.h"

struct ips_expect_table;

/* max entries (0: the default 256), each kept at most ttl_ns. */
struct ips_expect_table *ips_expect_new(size_t max, uint64_t ttl_ns);
void ips_expect_free(struct ips_expect_table *t);

/* Records e for hosts a and b (16-byte keys, IPv4 in the first 4). */
void ips_expect_add(struct ips_expect_table *t, uint8_t ip_version, const uint8_t a[16],
                    const uint8_t b[16], const struct app_expect *e, uint64_t now_ns);

/* Takes the entry for a new flow src -> dst:dport, if any. */
bool ips_expect_take(struct ips_expect_table *t, uint8_t ip_version, const uint8_t src[16],
                     const uint8_t dst[16], uint16_t dport, uint64_t now_ns,
                     struct app_expect *out);

size_t ips_expect_count(const struct ips_expect_table *t);

#endif
