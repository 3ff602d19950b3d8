/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for struct bw_addr (src/lib/addr.h): address and prefix parsing
 * with good and bad inputs (ports, IPv6 brackets, lengths), prefix
 * membership at odd prefix lengths for both families, formatting and the
 * sockaddr round trip.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "lib/addr.h"
#include "lib/err.h"

struct addr_case {
	const char *in;
	int family; /* 0 = must fail */
	const char *addr;
	uint16_t port;
};

static const struct addr_case addr_cases[] = {
        {"192.0.2.1", AF_INET, "192.0.2.1", 0},
        {"192.0.2.1:4500", AF_INET, "192.0.2.1", 4500},
        {"0.0.0.0:0", AF_INET, "0.0.0.0", 0},
        {"255.255.255.255:65535", AF_INET, "255.255.255.255", 65535},
        {"2001:db8::1", AF_INET6, "2001:db8::1", 0},
        {"::", AF_INET6, "::", 0},
        {"::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1", 0},
        {"[2001:db8::1]", AF_INET6, "2001:db8::1", 0},
        {"[2001:db8::1]:4500", AF_INET6, "2001:db8::1", 4500},
        {"[::1]:1", AF_INET6, "::1", 1},
        /* A bare IPv6 address with a trailing group is an address, not a port. */
        {"2001:db8::1:4500", AF_INET6, "2001:db8::1:4500", 0},
        {"", 0, NULL, 0},
        {"192.0.2", 0, NULL, 0},
        {"192.0.2.256", 0, NULL, 0},
        {"192.0.2.1:", 0, NULL, 0},
        {"192.0.2.1:65536", 0, NULL, 0},
        {"192.0.2.1:-1", 0, NULL, 0},
        {"192.0.2.1:+80", 0, NULL, 0},
        {"192.0.2.1: 80", 0, NULL, 0},
        {"192.0.2.1:80x", 0, NULL, 0},
        {"192.0.2.1:4294967376", 0, NULL, 0}, /* 2^32 + 80 must not wrap to 80 */
        {"192.0.2.1:99999999999999999999999", 0, NULL, 0},
        {"192.0.2.1:80:90", 0, NULL, 0},
        {" 192.0.2.1", 0, NULL, 0},
        {"[192.0.2.1]", 0, NULL, 0},
        {"[192.0.2.1]:80", 0, NULL, 0},
        {"[2001:db8::1", 0, NULL, 0},
        {"2001:db8::1]", 0, NULL, 0},
        {"[2001:db8::1]4500", 0, NULL, 0},
        {"[2001:db8::1]:", 0, NULL, 0},
        {"[2001:db8::1]:65536", 0, NULL, 0},
        {"[]", 0, NULL, 0},
        {"[]:80", 0, NULL, 0},
        {"2001:db8:::1", 0, NULL, 0},
        {"example.org", 0, NULL, 0},
        {"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001", 0, NULL, 0},
};

static void test_addr_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct bw_addr a, want;
		int r;

		memset(&a, 0x77, sizeof(a));
		r = bw_addr_parse(&a, c->in);
		if (c->family == 0) {
			if (r == 0)
				fail_msg("'%s' parsed but must fail", c->in);
			assert_int_equal(r, BW_ERR_INVAL);
			continue;
		}
		if (r != 0)
			fail_msg("'%s' failed: %d", c->in, r);
		memset(&want, 0, sizeof(want));
		want.family = (uint8_t)c->family;
		assert_int_equal(inet_pton(c->family, c->addr, want.a), 1);
		assert_int_equal(a.family, c->family);
		assert_int_equal(a.port, c->port);
		assert_memory_equal(a.a, want.a, sizeof(a.a)); /* unused bytes zeroed */
		assert_int_equal(bw_addr_len(&a), c->family == AF_INET ? 4 : 16);
	}
}

static void test_addr_parse_long(void **state)
{
	char s[200];

	(void)state;
	/* Long input is refused, not truncated into something valid. */
	memset(s, '1', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memcpy(s, "192.0.2.1:", 10);
	assert_int_equal(bw_addr_parse(&(struct bw_addr){0}, s), BW_ERR_INVAL);
	memset(s, ' ', sizeof(s) - 1);
	memcpy(s, "[::1]", 5);
	assert_int_equal(bw_addr_parse(&(struct bw_addr){0}, s), BW_ERR_INVAL);
}

struct prefix_case {
	const char *in;
	int family; /* 0 = must fail */
	const char *addr;
	uint8_t plen;
};

static const struct prefix_case prefix_cases[] = {
        {"10.0.0.0/24", AF_INET, "10.0.0.0", 24},
        {"10.0.0.0/0", AF_INET, "10.0.0.0", 0},
        {"10.0.0.0/32", AF_INET, "10.0.0.0", 32},
        {"10.1.2.3/23", AF_INET, "10.1.2.3", 23}, /* host bits kept as written */
        {"10.0.0.1", AF_INET, "10.0.0.1", 32},
        {"2001:db8::/64", AF_INET6, "2001:db8::", 64},
        {"2001:db8::/128", AF_INET6, "2001:db8::", 128},
        {"2001:db8::/0", AF_INET6, "2001:db8::", 0},
        {"::1", AF_INET6, "::1", 128},
        {"[2001:db8::]/48", AF_INET6, "2001:db8::", 48},
        {"10.0.0.0/33", 0, NULL, 0},
        {"2001:db8::/129", 0, NULL, 0},
        {"10.0.0.0/", 0, NULL, 0},
        {"10.0.0.0/-1", 0, NULL, 0},
        {"10.0.0.0/+8", 0, NULL, 0},
        {"10.0.0.0/ 8", 0, NULL, 0},
        {"10.0.0.0/24x", 0, NULL, 0},
        {"10.0.0.0/24/8", 0, NULL, 0},
        {"10.0.0.0/4294967320", 0, NULL, 0}, /* 2^32 + 24 must not wrap */
        {"10.0.0.0/99999999999999999999999", 0, NULL, 0},
        {"/24", 0, NULL, 0},
        {"", 0, NULL, 0},
        {"10.0.0.0:80/24", 0, NULL, 0},
        {"[2001:db8::]:500/64", 0, NULL, 0},
        {"10.0.0/24", 0, NULL, 0},
};

static void test_prefix_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		struct bw_addr a, want;
		uint8_t plen = 0xee;
		int r = bw_prefix_parse(&a, &plen, c->in);

		if (c->family == 0) {
			if (r == 0)
				fail_msg("'%s' parsed but must fail", c->in);
			continue;
		}
		if (r != 0)
			fail_msg("'%s' failed: %d", c->in, r);
		memset(&want, 0, sizeof(want));
		assert_int_equal(inet_pton(c->family, c->addr, want.a), 1);
		assert_int_equal(a.family, c->family);
		assert_int_equal(a.port, 0);
		assert_memory_equal(a.a, want.a, sizeof(a.a));
		assert_int_equal(plen, c->plen);
	}
}

struct in_case {
	const char *addr;
	const char *prefix; /* "a/len" */
	bool in;
};

static const struct in_case in_cases[] = {
        {"10.1.2.5", "10.1.2.0/23", true},
        {"10.1.3.255", "10.1.2.0/23", true},
        {"10.1.4.0", "10.1.2.0/23", false},
        {"10.1.1.255", "10.1.2.0/23", false},
        {"10.1.2.5", "10.1.3.0/23", true}, /* host bits in the prefix are ignored */
        {"192.0.2.6", "192.0.2.7/31", true},
        {"192.0.2.8", "192.0.2.7/31", false},
        {"192.0.2.7", "192.0.2.7/32", true},
        {"192.0.2.6", "192.0.2.7/32", false},
        {"127.0.0.1", "0.0.0.0/1", true},
        {"128.0.0.1", "0.0.0.0/1", false},
        {"203.0.113.9", "0.0.0.0/0", true},
        {"10.0.0.1", "10.0.0.0/9", true},
        {"10.128.0.1", "10.0.0.0/9", false},
        {"10.127.255.255", "10.0.0.0/9", true},
        {"2001:db8:0:0:8000::1", "2001:db8::/65", false},
        {"2001:db8:0:0:7fff::1", "2001:db8::/65", true},
        {"2001:db8::1", "2001:db8::/127", true},
        {"2001:db8::2", "2001:db8::/127", false},
        {"2001:db8::7f", "2001:db8::/121", true},
        {"2001:db8::80", "2001:db8::/121", false},
        {"2001:db8::100", "2001:db8::/121", false},
        {"fe80::1", "fe80::/10", true},
        {"febf::1", "fe80::/10", true},
        {"fec0::1", "fe80::/10", false},
        {"2001:db8::1", "::/0", true},
        {"10.0.0.1", "::/0", false}, /* families must match */
        {"::ffff:10.0.0.1", "10.0.0.0/8", false},
};

static void test_in_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(in_cases) / sizeof(in_cases[0]); i++) {
		struct bw_addr a, p;
		uint8_t plen;

		assert_int_equal(bw_addr_parse(&a, in_cases[i].addr), 0);
		assert_int_equal(bw_prefix_parse(&p, &plen, in_cases[i].prefix), 0);
		if (bw_addr_in_prefix(&a, &p, plen) != in_cases[i].in)
			fail_msg("%s in %s: expected %d", in_cases[i].addr, in_cases[i].prefix,
			         in_cases[i].in);
	}
}

static void test_in_prefix_bad_len(void **state)
{
	struct bw_addr a, p;

	(void)state;
	assert_int_equal(bw_addr_parse(&a, "10.0.0.1"), 0);
	assert_int_equal(bw_addr_parse(&p, "10.0.0.1"), 0);
	assert_true(bw_addr_in_prefix(&a, &p, 32));
	assert_false(bw_addr_in_prefix(&a, &p, 33));
	assert_int_equal(bw_addr_parse(&a, "::1"), 0);
	assert_int_equal(bw_addr_parse(&p, "::1"), 0);
	assert_true(bw_addr_in_prefix(&a, &p, 128));
	assert_false(bw_addr_in_prefix(&a, &p, 129));
	assert_false(bw_addr_in_prefix(&a, &p, 255));
}

static void test_sockaddr_roundtrip(void **state)
{
	static const char *const in[] = {"192.0.2.1:4500", "[2001:db8::7]:500", "10.0.0.1",
	                                 "[fe80::1]:65535"};
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	struct bw_addr a, b;
	char buf[INET6_ADDRSTRLEN], tiny[4];

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		socklen_t len;

		assert_int_equal(bw_addr_parse(&a, in[i]), 0);
		len = bw_addr_to_sa(&a, &ss);
		if (a.family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

			assert_int_equal(len, sizeof(struct sockaddr_in));
			assert_int_equal(sin->sin_family, AF_INET);
			assert_int_equal(ntohs(sin->sin_port), a.port);
			assert_memory_equal(&sin->sin_addr, a.a, 4);
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(struct sockaddr_in6));
			assert_int_equal(sin6->sin6_family, AF_INET6);
			assert_int_equal(ntohs(sin6->sin6_port), a.port);
			assert_memory_equal(&sin6->sin6_addr, a.a, 16);
		}
		assert_int_equal(bw_addr_from_sa(&b, (const struct sockaddr *)&ss), 0);
		assert_true(bw_addr_eq(&a, &b));
		assert_memory_equal(&a, &b, sizeof(a));
	}
	/* eq looks at port and family too. */
	assert_int_equal(bw_addr_parse(&a, "192.0.2.1:1"), 0);
	assert_int_equal(bw_addr_parse(&b, "192.0.2.1:2"), 0);
	assert_false(bw_addr_eq(&a, &b));
	assert_int_equal(bw_addr_parse(&b, "::ffff:192.0.2.1"), 0);
	assert_false(bw_addr_eq(&a, &b));

	/* Unset address and foreign families. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(bw_addr_to_sa(&a, &ss), 0);
	assert_int_equal(bw_addr_len(&a), 0);
	assert_string_equal(bw_addr_str(&a, buf, sizeof(buf)), "-");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_int_equal(bw_addr_from_sa(&b, (const struct sockaddr *)&sun), BW_ERR_INVAL);

	/* Formatting: without port; a short buffer gives "-", never an overrun. */
	assert_int_equal(bw_addr_parse(&a, "[2001:db8::7]:500"), 0);
	assert_string_equal(bw_addr_str(&a, buf, sizeof(buf)), "2001:db8::7");
	assert_int_equal(bw_addr_parse(&a, "192.0.2.1:4500"), 0);
	assert_string_equal(bw_addr_str(&a, buf, sizeof(buf)), "192.0.2.1");
	assert_string_equal(bw_addr_str(&a, tiny, sizeof(tiny)), "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_addr_parse),        cmocka_unit_test(test_addr_parse_long),
	        cmocka_unit_test(test_prefix_parse),      cmocka_unit_test(test_in_prefix),
	        cmocka_unit_test(test_in_prefix_bad_len), cmocka_unit_test(test_sockaddr_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
