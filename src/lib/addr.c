/* SPDX-License-Identifier: ISC */
/* Address parsing, formatting and prefix matching for struct bw_addr. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/err.h"

size_t bw_addr_len(const struct bw_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return BW_ERR_INVAL;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return BW_ERR_INVAL;
	*port = (uint16_t)v;
	return 0;
}

int bw_addr_parse(struct bw_addr *out, const char *s)
{
	char tmp[64];
	const char *colon;
	size_t n = strlen(s);

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(tmp))
		return BW_ERR_INVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || (size_t)(close - s - 1) >= sizeof(tmp))
			return BW_ERR_INVAL;
		memcpy(tmp, s + 1, (size_t)(close - s - 1));
		tmp[close - s - 1] = '\0';
		if (inet_pton(AF_INET6, tmp, out->a) != 1)
			return BW_ERR_INVAL;
		out->family = AF_INET6;
		if (close[1] == '\0')
			return 0;
		if (close[1] != ':')
			return BW_ERR_INVAL;
		return parse_port(close + 2, &out->port);
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	colon = strchr(s, ':');
	if (colon != NULL) {
		memcpy(tmp, s, (size_t)(colon - s));
		tmp[colon - s] = '\0';
		if (parse_port(colon + 1, &out->port) != 0)
			return BW_ERR_INVAL;
	} else {
		memcpy(tmp, s, n + 1);
	}
	if (inet_pton(AF_INET, tmp, out->a) != 1)
		return BW_ERR_INVAL;
	out->family = AF_INET;
	return 0;
}

int bw_prefix_parse(struct bw_addr *out, uint8_t *plen, const char *s)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long v;
	char *end;
	int r;

	if (n >= sizeof(tmp))
		return BW_ERR_INVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if ((r = bw_addr_parse(out, tmp)) != 0)
		return r;
	if (out->port != 0)
		return BW_ERR_INVAL;
	if (slash == NULL) {
		*plen = (uint8_t)(bw_addr_len(out) * 8);
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return BW_ERR_INVAL;
	v = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || v > bw_addr_len(out) * 8)
		return BW_ERR_INVAL;
	*plen = (uint8_t)v;
	return 0;
}

bool bw_addr_eq(const struct bw_addr *x, const struct bw_addr *y)
{
	return x->family == y->family && x->port == y->port &&
	       memcmp(x->a, y->a, bw_addr_len(x)) == 0;
}

bool bw_addr_in_prefix(const struct bw_addr *a, const struct bw_addr *prefix, uint8_t plen)
{
	size_t full = plen / 8;
	unsigned rem = plen % 8;

	if (a->family != prefix->family || plen > bw_addr_len(a) * 8)
		return false;
	if (memcmp(a->a, prefix->a, full) != 0)
		return false;
	if (rem == 0)
		return true;
	return ((a->a[full] ^ prefix->a[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

const char *bw_addr_str(const struct bw_addr *a, char *buf, size_t len)
{
	if (a->family == 0 || inet_ntop(a->family, a->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

socklen_t bw_addr_to_sa(const struct bw_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->a, 4);
		return sizeof(*sin);
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->a, 16);
		return sizeof(*sin6);
	}
	return 0;
}

int bw_addr_from_sa(struct bw_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		a->family = AF_INET;
		a->port = ntohs(sin->sin_port);
		memcpy(a->a, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		a->family = AF_INET6;
		a->port = ntohs(sin6->sin6_port);
		memcpy(a->a, &sin6->sin6_addr, 16);
		return 0;
	}
	return BW_ERR_INVAL;
}
