/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the detection engine: the input is one rule, a newline,
 * then a payload. The rule is parsed; if it loads, engines are built with
 * vectorscan, with Aho-Corasick and without prefilter, and the payload is
 * inspected as the packet payload and as every sticky buffer at once, as
 * the first packet of its flow direction or a later one (iponly_done, from
 * the payload's second byte). The three must agree (the prefilter never
 * changes the result), an IP-only rule never matches a later packet, and
 * nothing may read outside the views (ASan).
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ips/detect.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static size_t run(const struct ips_ruleset *rs, const struct ips_detect_conf *c,
                  const struct ips_detect_input *in)
{
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_match m[4];
	size_t n = 0;
	if (ips_detect_build(rs, c, &e, NULL) != 0)
		abort();
	if (ips_detect_thread_new(e, &t) != 0)
		abort();
	ips_detect_run(e, t, in, m, 4, &n);
	ips_detect_thread_free(t);
	ips_detect_free(e);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bw_log_set_sink(quiet, NULL);
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl || (size_t)(nl - data) > 4096)
		return 0;
	/* Not strndup: sanitizer interceptors may look past n for the NUL. */
	size_t tlen = (size_t)(nl - data);
	char *text = malloc(tlen + 1);
	if (!text)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	struct ips_rule *r = NULL;
	char why[128], key[64];
	int pe = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	free(text);
	if (pe != 0)
		return 0;
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	struct ips_rule **v = malloc(sizeof(*v));
	if (!rs || !v)
		abort();
	v[0] = r;
	rs->rules = v;
	rs->n = rs->cap = 1;

	const uint8_t *pay = nl + 1;
	size_t plen = size - (size_t)(pay - data);
	struct ips_bufv view = {.p = pay, .len = plen};
	struct ips_detect_input in = {0};
	struct ips_flowbits_state fb = {0};
	in.ip_version = 4;
	in.src[0] = 10;
	in.dst[0] = 192;
	in.proto = 6;
	in.sp = 1024;
	in.dp = 80;
	in.has_tcp = true;
	in.tcp_flags = plen ? pay[0] : 0;
	in.payload = pay;
	in.payload_len = in.dsize = plen;
	in.has_flow = in.established = in.to_server = true;
	in.app = r->app;
	in.flowbits = &fb;
	/* A later packet of the flow direction: IP-only rules are not evaluated. */
	in.iponly_done = plen > 1 && (pay[1] & 1);
	for (int b = 1; b < IPS_BUF__COUNT; b++)
		ips_detect_set_buf(&in, (enum ips_buf)b, &view);

	struct ips_detect_conf hs = {0}, ac = {.force_ac = true}, none = {.no_prefilter = true};
	size_t a = run(rs, &hs, &in);
	fb.n = 0;
	size_t b = run(rs, &ac, &in);
	fb.n = 0;
	size_t c = run(rs, &none, &in);
	if (a != c || b != c)
		abort();
	if (in.iponly_done && ips_rule_ip_only(r) && c != 0)
		abort();
	ips_ruleset_free(rs);
	return 0;
}
