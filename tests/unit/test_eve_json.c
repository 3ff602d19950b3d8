/* SPDX-License-Identifier: ISC */
/*
 * ips_json_str(): EVE strings from hostile bytes stay valid JSON (RFC 8259):
 * runs of printable ASCII as they are, quote and backslash escaped, control
 * bytes and DEL as \u00XX (with \n, \r, \t short forms), valid UTF-8
 * (RFC 3629) kept, every other byte \u00XX.
 */
#define _DEFAULT_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_json_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
