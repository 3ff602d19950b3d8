/* SPDX-License-Identifier: ISC */
/*
 * Builds the detection engine from the whole Emerging Threats open ruleset
 * in ../shared/ips/rules (beside the repository) and prints load and build
 * time and memory (never failing on time; the target is load + build under
 * 5 s). Checks that every group compiled with vectorscan, and that a few
 * hand-made inputs raise the ET rules they are written for. Skips when the
 * shared folder is absent.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ips/detect.h"
#include "lib/log.h"

#define ET_RULES BW_SOURCE_DIR "/../shared/ips/rules/et-open-suricata-5.0-20240421-all.rules.gz"

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool has_sid(const struct ips_match *m, size_t n, uint32_t sid)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].rule->sid == sid)
			return true;
	return false;
}

static void test_et_build(void **state)
{
	(void)state;
	struct ips_ruleset *rs;
	struct ips_load_stats ls;
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_detect_stats ds;
	if (access(ET_RULES, R_OK) != 0) {
		print_message("skipped: %s not found\n", ET_RULES);
		skip();
	}
	bw_log_set_sink(quiet, NULL);
	double t0 = now();
	assert_int_equal(ips_rules_load(ET_RULES, NULL, &rs, &ls), 0);
	double t1 = now();
	assert_int_equal(ips_detect_build(rs, NULL, &e, &ds), 0);
	double t2 = now();
	bw_log_set_sink(NULL, NULL);
	print_message("ET open: load %.3f s + build %.3f s = %.3f s (target < 5 s)\n", t1 - t0,
	              t2 - t1, t2 - t0);
	ips_detect_stats_print(&ds, stdout);
	assert_int_equal(ds.rules, rs->n);
	assert_true(ds.hs_groups > 0);
	assert_int_equal(ds.ac_groups, 0);
	assert_int_equal(ips_detect_thread_new(e, &t), 0);

	/* A DNS query for a domain an ET rule names, through dns.query + dotprefix. */
	struct ips_detect_input in = {0};
	struct ips_match m[64];
	size_t n;
	in.ip_version = 4;
	memcpy(in.src, (const uint8_t[]){192, 168, 1, 10}, 4);
	memcpy(in.dst, (const uint8_t[]){8, 8, 8, 8}, 4);
	in.proto = 17;
	in.ttl = 64;
	in.sp = 50000;
	in.dp = 53;
	in.has_flow = true;
	in.to_server = true;
	in.app = IPS_PROTO_DNS;
	struct ips_bufv q = {.p = (const uint8_t *)"api.telegram.org", .len = 16};
	ips_detect_set_buf(&in, IPS_BUF_DNS_QUERY, &q);
	assert_int_equal(ips_detect_run(e, t, &in, m, 64, &n), 0);
	assert_true(has_sid(m, n < 64 ? n : 64, 2033966)); /* ET HUNTING Telegram API Domain */
	/* An IP on the Feodo CnC list (sid 2404300, group 1) from a private host. */
	struct ips_detect_input ip = {0};
	ip.ip_version = 4;
	memcpy(ip.src, (const uint8_t[]){10, 1, 2, 3}, 4);
	memcpy(ip.dst, (const uint8_t[]){103, 82, 243, 5}, 4);
	ip.proto = 6;
	ip.ttl = 64;
	ip.sp = 40000;
	ip.dp = 443;
	ip.has_tcp = true;
	ip.tcp_flags = 0x02;
	assert_int_equal(ips_detect_run(e, t, &ip, m, 64, &n), 0);
	assert_true(has_sid(m, n < 64 ? n : 64, 2404300));
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_et_build)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
