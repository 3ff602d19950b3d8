/* SPDX-License-Identifier: ISC */
/*
 * Rule variables and the address/port grammar: Suricata's defaults, lists,
 * ranges, CIDR and netmask forms, negation inside and outside groups,
 * nested groups, variable expansion and loops, empty results, and YAML
 * overrides.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "ips/rule.h"
#include "lib/err.h"

static bool has4(const struct ips_addrset *a, const char *ip)
{
	uint8_t b[4];
	assert_int_equal(inet_pton(AF_INET, ip, b), 1);
	return ips_addrset_has(a, b, 4);
}

static bool has6(const struct ips_addrset *a, const char *ip)
{
	uint8_t b[16];
	assert_int_equal(inet_pton(AF_INET6, ip, b), 1);
	return ips_addrset_has(a, b, 16);
}

struct addr_case {
	const char *expr;
	const char *in[4];
	const char *out[4];
};

static void test_addr_table(void **state)
{
	(void)state;
	static const struct addr_case cases[] = {
	        {"any", {"1.2.3.4", "0.0.0.0", "255.255.255.255"}, {NULL}},
	        {"$HOME_NET",
	         {"192.168.1.1", "10.9.9.9", "172.31.255.255"},
	         {"172.32.0.0", "8.8.8.8"}},
	        {"$EXTERNAL_NET", {"8.8.8.8", "172.32.0.0"}, {"10.0.0.1", "192.168.0.0"}},
	        {"!$HOME_NET", {"8.8.8.8"}, {"10.0.0.1"}},
	        {"[10.0.0.0/8,!10.1.0.0/16]", {"10.0.0.1", "10.2.0.0"}, {"10.1.2.3", "11.0.0.0"}},
	        {"[!10.0.0.0/8]", {"11.0.0.0", "9.255.255.255"}, {"10.0.0.0"}},
	        {"![10.0.0.0/8,!10.1.0.0/16]", {"10.1.0.5", "8.8.8.8"}, {"10.0.0.1", "10.255.0.0"}},
	        {"[$HOME_NET,$HTTP_SERVERS]", {"10.0.0.1"}, {"8.8.8.8"}},
	        {"[!$HOME_NET,any]", {"8.8.8.8"}, {"10.0.0.1"}},
	        {"1.2.3.4-1.2.3.9", {"1.2.3.4", "1.2.3.9"}, {"1.2.3.3", "1.2.3.10"}},
	        {"10.0.0.0/255.255.0.0", {"10.0.255.255"}, {"10.1.0.0"}},
	        {"[1.1.1.1, 2.2.2.2]", {"1.1.1.1", "2.2.2.2"}, {"1.1.1.2"}},
	        {"[[1.1.1.1,[2.2.2.2]],3.3.3.3]", {"1.1.1.1", "2.2.2.2", "3.3.3.3"}, {"4.4.4.4"}},
	        {"[0.0.0.0/0,!255.255.255.255]",
	         {"0.0.0.0", "255.255.255.254"},
	         {"255.255.255.255"}},
	        {"1.2.3.4/32", {"1.2.3.4"}, {"1.2.3.5"}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ips_addrset a;
		const char *why;
		int r = ips_addr_parse(&a, cases[i].expr, NULL, &why);
		if (r)
			fail_msg("%s: %s", cases[i].expr, why);
		for (size_t k = 0; k < 4 && cases[i].in[k]; k++)
			if (!has4(&a, cases[i].in[k]))
				fail_msg("%s should hold %s", cases[i].expr, cases[i].in[k]);
		for (size_t k = 0; k < 4 && cases[i].out[k]; k++)
			if (has4(&a, cases[i].out[k]))
				fail_msg("%s should not hold %s", cases[i].expr, cases[i].out[k]);
		ips_addrset_clear(&a);
	}
}

static void test_addr_v6(void **state)
{
	(void)state;
	struct ips_addrset a;
	assert_int_equal(ips_addr_parse(&a, "[2001:db8::/32,!2001:db8:1::/48]", NULL, NULL), 0);
	assert_true(has6(&a, "2001:db8::1"));
	assert_false(has6(&a, "2001:db8:1::1"));
	assert_false(has6(&a, "2001:db9::"));
	assert_false(has4(&a, "10.0.0.1"));
	ips_addrset_clear(&a);
	/* Negating a v4 list leaves all of v6. */
	assert_int_equal(ips_addr_parse(&a, "!$HOME_NET", NULL, NULL), 0);
	assert_true(has6(&a, "::1"));
	assert_false(a.any);
	ips_addrset_clear(&a);
	assert_int_equal(ips_addr_parse(&a, "any", NULL, NULL), 0);
	assert_true(a.any);
	ips_addrset_clear(&a);
}

static void test_addr_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "!any",
	        "[1.2.3.4,!1.2.3.4]",
	        "$NOPE",
	        "1.2.3",
	        "1.2.3.4/33",
	        "10.0.0.0/255.0.255.0",
	        "[1.2.3.4",
	        "1.2.3.9-1.2.3.4",
	        "1.2.3.4-::1",
	        "[]",
	        "",
	        "[1.1.1.1,]",
	        "any x",
	        "1.2.3.4]",
	        "::/129",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ips_addrset a;
		const char *why = NULL;
		if (ips_addr_parse(&a, bad[i], NULL, &why) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(why);
	}
}

static void test_ports(void **state)
{
	(void)state;
	static const struct {
		const char *expr;
		uint16_t in[3];
		int nin;
		uint16_t out[3];
		int nout;
	} cases[] = {
	        {"any", {0, 80, 65535}, 3, {0}, 0},
	        {"80", {80}, 1, {81, 79}, 2},
	        {"1024:", {1024, 65535}, 2, {1023}, 1},
	        {":1023", {0, 1023}, 2, {1024}, 1},
	        {"!80", {79, 81}, 2, {80}, 1},
	        {"[80,443,8000:8080]", {80, 443, 8042}, 3, {81, 8081}, 2},
	        {"[1:100,!50]", {1, 49, 51}, 3, {50, 0, 101}, 3},
	        {"$HTTP_PORTS", {80}, 1, {8080}, 1},
	        {"$SHELLCODE_PORTS", {81, 0}, 2, {80}, 1},
	        {"$FILE_DATA_PORTS", {80, 110, 143}, 3, {25}, 1},
	        {"[!80,!443]", {0, 8080}, 2, {80, 443}, 2},
	        {"![80:90,!85]", {85, 79, 91}, 3, {80, 90}, 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ips_portset p;
		const char *why;
		if (ips_port_parse(&p, cases[i].expr, NULL, &why))
			fail_msg("%s: %s", cases[i].expr, why);
		for (int k = 0; k < cases[i].nin; k++)
			if (!ips_portset_has(&p, cases[i].in[k]))
				fail_msg("%s should hold %u", cases[i].expr, cases[i].in[k]);
		for (int k = 0; k < cases[i].nout; k++)
			if (ips_portset_has(&p, cases[i].out[k]))
				fail_msg("%s should not hold %u", cases[i].expr, cases[i].out[k]);
		ips_portset_clear(&p);
	}
	static const char *const bad[] = {"!any", "65536",     "90:80", ":",   "[80,!80]",
	                                  "http", "$HOME_NET", "80-90", "[80", "-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ips_portset p;
		if (ips_port_parse(&p, bad[i], NULL, NULL) == 0)
			fail_msg("accepted port '%s'", bad[i]);
	}
}

static void test_vars_override_and_loops(void **state)
{
	(void)state;
	struct ips_vars *v;
	struct ips_addrset a;
	assert_int_equal(ips_vars_new(&v), 0);
	assert_string_equal(ips_vars_get_addr(v, "EXTERNAL_NET"), "!$HOME_NET");
	assert_string_equal(ips_vars_get_port(v, "HTTP_PORTS"), "80");
	assert_int_equal(ips_vars_set_addr(v, "HOME_NET", "[192.0.2.0/24]"), 0);
	assert_int_equal(ips_addr_parse(&a, "$EXTERNAL_NET", v, NULL), 0);
	assert_true(has4(&a, "10.0.0.1")); /* no longer home */
	assert_false(has4(&a, "192.0.2.7"));
	ips_addrset_clear(&a);
	/* A loop is caught by the depth cap, not a stack overflow. */
	assert_int_equal(ips_vars_set_addr(v, "A", "$B"), 0);
	assert_int_equal(ips_vars_set_addr(v, "B", "[$A]"), 0);
	assert_int_not_equal(ips_addr_parse(&a, "$A", v, NULL), 0);
	assert_int_equal(ips_vars_set_addr(v, "bad name", "any"), BW_ERR_INVAL);
	ips_vars_free(v);
}

static void test_vars_yaml(void **state)
{
	(void)state;
	char path[] = "/tmp/bw_vars_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char y[] =
	        "vars:\n  address-groups:\n    HOME_NET: \"[198.51.100.0/24]\"\n"
	        "  port-groups:\n    HTTP_PORTS: \"[80,8080]\"\n    ORACLE_PORTS: 1521\n";
	assert_int_equal(write(fd, y, sizeof(y) - 1), (ssize_t)(sizeof(y) - 1));
	close(fd);
	struct ips_vars *v;
	assert_int_equal(ips_vars_new(&v), 0);
	assert_int_equal(ips_vars_load_yaml(v, path), 0);
	struct ips_portset p;
	assert_int_equal(ips_port_parse(&p, "$HTTP_PORTS", v, NULL), 0);
	assert_true(ips_portset_has(&p, 8080));
	ips_portset_clear(&p);
	struct ips_addrset a;
	assert_int_equal(ips_addr_parse(&a, "$HTTP_SERVERS", v, NULL), 0);
	assert_true(has4(&a, "198.51.100.1"));
	assert_false(has4(&a, "10.0.0.1"));
	ips_addrset_clear(&a);
	ips_vars_free(v);
	/* A bad value is reported, not accepted. */
	fd = open(path, O_WRONLY | O_TRUNC);
	static const char bad[] = "address-groups:\n  HOME_NET: \"[1.2.3\"\n";
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	close(fd);
	assert_int_equal(ips_vars_new(&v), 0);
	assert_int_equal(ips_vars_load_yaml(v, path), BW_ERR_CONFIG);
	ips_vars_free(v);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_addr_table),
	        cmocka_unit_test(test_addr_v6),
	        cmocka_unit_test(test_addr_bad),
	        cmocka_unit_test(test_ports),
	        cmocka_unit_test(test_vars_override_and_loops),
	        cmocka_unit_test(test_vars_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
