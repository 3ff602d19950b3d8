/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the rule parser: the input is one rule text (NUL
 * bytes end it early, as a C string would). Every accepted rule is dumped
 * to /dev/null so the dump walks each keyword's data, then freed; the
 * parser must never crash, leak or read out of bounds on any input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ips_vars *vars;
static FILE *devnull;

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!vars) {
		bw_log_set_sink(quiet, NULL);
		if (ips_vars_new(&vars) != 0)
			abort();
		devnull = fopen("/dev/null", "w");
		if (!devnull)
			abort();
	}
	if (size > IPS_RULE_MAX_LEN)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct ips_rule *r;
	char why[256], key[48];
	if (ips_rule_parse(text, vars, &r, why, sizeof(why), key, sizeof(key)) == 0) {
		ips_rule_dump(r, devnull);
		ips_rule_free(r);
	}
	free(text);
	return 0;
}
