/* SPDX-License-Identifier: ISC */
/*
 * ips_json_str(): EVE strings from hostile bytes stay valid JSON (RFC 8259):
 * runs of printable ASCII as they are, quote and backslash escaped, control
 * bytes and DEL as \u00XX (with \n, \r, \t short forms), valid UTF-8
 * (RFC 3629) kept, every other byte \u00XX. ips_eve_time(), formatted by
 * hand, agrees with gmtime_r() and strftime() from 1970 to 2554.
 */
#define _DEFAULT_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ips/ips.h"

static void check(const char *in, size_t len, const char *want)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	ips_json_str(f, in, len);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_json_str(void **state)
{
	(void)state;
	check("", 0, "\"\"");
	check("GET /index.html HTTP/1.1", 24, "\"GET /index.html HTTP/1.1\"");
	check("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check("\"", 1, "\"\\\"\"");
	check("x\ny\rz\t", 6, "\"x\\ny\\rz\\t\"");
	check("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	check("a\0b", 3, "\"a\\u0000b\"");
	/* Valid UTF-8 of 2, 3 and 4 bytes stays. */
	check("\xc3\xa9t\xc3\xa9", 5, "\"\xc3\xa9t\xc3\xa9\"");
	check("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	check("\xf0\x9f\x98\x80!", 5, "\"\xf0\x9f\x98\x80!\"");
	/* Invalid: lone continuation, overlong, surrogate, past U+10FFFF, cut short. */
	check("\x80", 1, "\"\\u0080\"");
	check("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");
	check("\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"");
	check("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");
	check("\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"");
	check("ab\xe2\x82", 4, "\"ab\\u00e2\\u0082\"");
	/* Only len bytes are read. */
	check("abcdef", 3, "\"abc\"");
}

static void check_time(uint64_t ns)
{
	char got[40], want[48];
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	assert_non_null(gmtime_r(&t, &tm));
	size_t n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(want + n, sizeof(want) - n, ".%06u+0000", (unsigned)(ns % 1000000000u / 1000u));
	ips_eve_time(got, sizeof(got), ns);
	if (strcmp(got, want) != 0)
		fail_msg("%llu ns: got %s want %s", (unsigned long long)ns, got, want);
}

static void test_eve_time(void **state)
{
	(void)state;
	static const uint64_t s[] = {0,          59,         86399,      86400,       68169599,
	                             68169600,   951782400,  951868800,  1258493229,  4107456000,
	                             4107542400, 4102444799, 4102444800, 13574563200, 13574649600};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		for (uint64_t d = 0; d < 3; d++)
			check_time((s[i] + d) * 1000000000u + d * 534255123u);
	check_time(UINT64_MAX);
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_time(x);
	}
	char small[8];
	ips_eve_time(small, sizeof(small), 0);
	assert_string_equal(small, "1970-01");
}

/* The stats event and the exit summary print one key per drop reason: every reason needs its
 * own name (a missing one printed "(null)" and shifted the others). */
static void test_drop_reason_names(void **state)
{
	(void)state;
	for (int i = 0; i < IPS_DROP__COUNT; i++) {
		const char *n = ips_drop_reason_name((enum ips_drop_reason)i);
		assert_non_null(n);
		assert_true(n[0] != '\0');
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, ips_drop_reason_name((enum ips_drop_reason)j));
	}
	assert_string_equal(ips_drop_reason_name(IPS_DROP_DEFRAG), "defrag");
	assert_string_equal(ips_drop_reason_name(IPS_DROP_RULE), "rules");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_json_str),
	        cmocka_unit_test(test_eve_time),
	        cmocka_unit_test(test_drop_reason_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
