/* SPDX-License-Identifier: ISC */
/*
 * A compact IPv4/IPv6 address with an optional port, used for outer
 * endpoints, selectors and configuration. Network byte order in `a`,
 * host order in `port`.
 */
#ifndef BW_ADDR_H
#define BW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bw_addr {
	uint8_t family; /* AF_INET, AF_INET6 or 0 (unset) */
	uint16_t port;  /* host order; 0 = none */
	uint8_t a[16];  /* 4 bytes used for AF_INET */
};

/* Length of the address bytes for a family: 4, 16 or 0. */
size_t bw_addr_len(const struct bw_addr *a);
/* Parses "192.0.2.1", "2001:db8::1", "[2001:db8::1]:4500" or "192.0.2.1:4500". */
int bw_addr_parse(struct bw_addr *out, const char *s);
/* Parses "10.0.0.0/24" or "2001:db8::/64"; a bare address gets a host prefix. */
int bw_prefix_parse(struct bw_addr *out, uint8_t *plen, const char *s);
bool bw_addr_eq(const struct bw_addr *x, const struct bw_addr *y);
/* Is a inside prefix/plen? Families must match. */
bool bw_addr_in_prefix(const struct bw_addr *a, const struct bw_addr *prefix, uint8_t plen);
/* Formats without port into buf (INET6_ADDRSTRLEN is enough); returns buf. */
const char *bw_addr_str(const struct bw_addr *a, char *buf, size_t len);
/* Conversions to and from struct sockaddr_storage; returns the socklen or 0. */
socklen_t bw_addr_to_sa(const struct bw_addr *a, struct sockaddr_storage *ss);
int bw_addr_from_sa(struct bw_addr *a, const struct sockaddr *sa);

#endif
