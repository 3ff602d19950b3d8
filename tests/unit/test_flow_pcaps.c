/* SPDX-License-Identifier: ISC */
/*
 * Integration check of decode + flow table + TCP stream on the realistic
 * captures of ../shared/ips/pcaps/realistic/ (skipped when absent): every
 * file goes through ips_pcap_*, ips_decode (with fragment reassembly),
 * ips_flow_lookup, ips_stream_packet and expiry on the capture clock,
 * with Suricata's defaults (midstream off, depth 1 MiB). Printed per file:
 * flows by protocol, TCP sessions, reassembled bytes per direction, gaps
 * and stream events. Checked: no crash, every chunk contiguous, flow and
 * stream memory within their caps and the stream memory back to zero when
 * the table is freed, and every flow ending exactly once.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/decode.h"
#include "ips/defrag.h"
#include "ips/flow.h"
#include "ips/pcap_in.h"
#include "ips/stream.h"

struct run {
	struct ips_stream_cb cb;
	uint64_t bytes[2], gaps, ended, tcp_flows, udp_flows, other_flows;
	uint64_t sessions_seen;
};

static void on_data(void *arg, struct ips_flow_rec *f, bool to_server,
                    const struct ips_stream_chunk *c)
{
	struct run *r = arg;

	(void)f;
	r->bytes[to_server ? 0 : 1] += c->len;
	if (c->flags & IPS_STREAM_GAP)
		r->gaps++;
}

static void on_end(void *arg, struct ips_flow_rec *f, enum ips_flow_end why)
{
	struct run *r = arg;

	(void)why;
	ips_stream_flush(f, &r->cb, r);
	if (f->tcp)
		r->sessions_seen++;
	r->ended++;
	if (f->cls == IPS_FLOW_CL_TCP)
		r->tcp_flows++;
	else if (f->cls == IPS_FLOW_CL_UDP)
		r->udp_flows++;
	else
		r->other_flows++;
}

static void one_file(const char *path, const char *name)
{
	struct run r = {.cb = {.data = on_data}};
	struct ips_flow_cfg fcfg;
	struct ips_flow_table *t;
	struct ips_stream_ctx *sc = ips_stream_ctx_new(NULL);
	struct ips_defrag *df = ips_defrag_new(NULL);
	struct ips_decoder dec = {0};
	struct ips_pcap *pc;
	struct ips_pcap_rec rec;
	uint64_t pkts = 0, last_exp = 0, created = 0;
	uint32_t ev_all = 0;
	int rc;

	ips_flow_cfg_default(&fcfg);
	fcfg.on_end = on_end;
	fcfg.arg = &r;
	t = ips_flow_table_new(&fcfg);
	assert_non_null(t);
	assert_non_null(sc);
	assert_non_null(df);
	assert_int_equal(ips_pcap_open(&pc, path), 0);
	while ((rc = ips_pcap_next(pc, &rec)) == 1) {
		struct ips_packet p;
		struct ips_dgram *g = NULL;
		struct ips_flow_rec *f;
		bool ts, made;
		uint32_t ev;

		pkts++;
		ips_decode(&p, rec.data, rec.caplen, rec.linktype, &dec);
		if ((p.flags & IPS_PKT_FRAG) && p.n_ip > 0 &&
		    ips_defrag_add(df, &p, p.n_ip - 1u, rec.ts_ns, &g) == 0 && g) {
			size_t len;
			const uint8_t *d = ips_dgram_data(g, &len);

			ips_decode_reassembled(&p, p.n_ip - 1u, d, len, &dec);
		}
		f = ips_flow_lookup(t, &p, rec.ts_ns, &ts, &made);
		if (f) {
			created += made;
			ips_stream_packet(sc, f, &p, ts, rec.ts_ns, &r.cb, &r, &ev);
			ev_all |= ev;
		}
		ips_defrag_release(df, g);
		if (rec.ts_ns >= last_exp + 1000000000u) {
			ips_flow_expire(t, rec.ts_ns);
			ips_defrag_expire(df, rec.ts_ns);
			last_exp = rec.ts_ns;
		}
		assert_true(ips_flow_stats(t)->mem <= fcfg.memcap);
		assert_true(ips_stream_ctx_stats(sc)->mem <= (size_t)256 << 20);
	}
	assert_int_equal(rc, 0);
	ips_pcap_close(pc);
	ips_flow_table_free(t);
	assert_int_equal(r.ended, created);
	assert_int_equal(ips_stream_ctx_stats(sc)->mem, 0);
	printf("%-44s pkts=%-6llu flows tcp=%llu udp=%llu other=%llu sessions=%llu "
	       "bytes ts=%llu tc=%llu gaps=%llu retx=%llu overlap_diff=%llu events=%#x "
	       "stream_mem_peak=%zu\n",
	       name, (unsigned long long)pkts, (unsigned long long)r.tcp_flows,
	       (unsigned long long)r.udp_flows, (unsigned long long)r.other_flows,
	       (unsigned long long)r.sessions_seen, (unsigned long long)r.bytes[0],
	       (unsigned long long)r.bytes[1], (unsigned long long)r.gaps,
	       (unsigned long long)ips_stream_ctx_stats(sc)->retransmits,
	       (unsigned long long)ips_stream_ctx_stats(sc)->overlap_diff, ev_all,
	       ips_stream_ctx_stats(sc)->mem_peak);
	ips_stream_ctx_free(sc);
	ips_defrag_free(df);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_realistic(void **state)
{
	char dir[1024], path[2048];
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/ips/pcaps/realistic", BW_SOURCE_DIR);
	if ((d = opendir(dir)) == NULL)
		skip();
	while ((de = readdir(d)) != NULL && n < 256) {
		size_t l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".pcap") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		one_file(path, names[i]);
		free(names[i]);
	}
	assert_true(n > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_realistic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
