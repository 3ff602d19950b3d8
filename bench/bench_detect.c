/* SPDX-License-Identifier: ISC */
/*
 * Detection micro-benchmark: loads the ET open ruleset (path as argv[1], or
 * ../shared/ips/rules beside the source tree), builds the engine and prints
 * load and build time and engine memory, then scans a 1400-byte HTTP-like
 * request through the payload and http.uri/host/user_agent/header groups
 * and prints packets/s and Mbit/s; then a bare TCP ACK to an external
 * address (no payload, no app layer: only the header index of the rules
 * without content can yield candidates). It never fails on time.
 * Usage: bench_detect [rules.gz|-] [seconds] [--ac]; the default rules are
 * $BW_SOURCE_DIR (or .)/../shared/ips/rules/et-open-...rules.gz.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ips/detect.h"
#include "lib/log.h"

#define ET_RULES "/../shared/ips/rules/et-open-suricata-5.0-20240421-all.rules.gz"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	char def[4096];
	const char *src = getenv("BW_SOURCE_DIR");
	snprintf(def, sizeof(def), "%s%s", src ? src : ".", ET_RULES);
	const char *path = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : def;
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	bool ac = argc > 3 && strcmp(argv[3], "--ac") == 0;
	struct ips_ruleset *rs;
	struct ips_load_stats ls;
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_detect_stats ds;
	struct ips_detect_conf conf = {.force_ac = ac};

	bw_log_set_sink(quiet, NULL);
	double t0 = now();
	if (ips_rules_load(path, NULL, &rs, &ls) != 0) {
		fprintf(stderr, "cannot load %s\n", path);
		return 1;
	}
	double t1 = now();
	if (ips_detect_build(rs, &conf, &e, &ds) != 0 || ips_detect_thread_new(e, &t) != 0) {
		fprintf(stderr, "build failed\n");
		return 1;
	}
	double t2 = now();
	bw_log_set_sink(NULL, NULL);
	printf("rules: %u loaded of %u in %.3f s; engine built in %.3f s; load+build %.3f s "
	       "(target < 5 s)\n",
	       ls.loaded, ls.rules, t1 - t0, t2 - t1, t2 - t0);
	ips_detect_stats_print(&ds, stdout);
	printf("peak RSS after build: %.1f MiB\n", (double)rss_kib() / 1024.0);

	/* A 1400-byte HTTP request; the app-layer buffers are views into it. */
	static uint8_t pkt[1400];
	const char *head = "GET /images/logo/banner.png?id=12345&session=abcdef HTTP/1.1\r\n"
	                   "Host: www.example.com\r\n"
	                   "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 "
	                   "Firefox/115.0\r\n"
	                   "Accept: text/html,application/xhtml+xml\r\n"
	                   "Accept-Language: en-US,en;q=0.5\r\n"
	                   "Cookie: a=b; c=d\r\n"
	                   "X-Pad: ";
	size_t hl = strlen(head);
	memcpy(pkt, head, hl);
	for (size_t i = hl; i < sizeof(pkt) - 4; i++)
		pkt[i] = (uint8_t)('a' + i % 26);
	memcpy(pkt + sizeof(pkt) - 4, "\r\n\r\n", 4);
	struct ips_bufv uri = {.p = pkt + 4, .len = 48},
	                host = {.p = (const uint8_t *)"www.example.com", .len = 15},
	                ua = {.p = pkt + 4 + 48 + 11 + 23 + 12, .len = 70},
	                meth = {.p = pkt, .len = 3}, hdr = {.p = pkt + 61, .len = sizeof(pkt) - 61};
	struct ips_detect_input in = {0};
	struct ips_flowbits_state fb = {0};
	in.ip_version = 4;
	memcpy(in.src, (const uint8_t[]){192, 168, 1, 10}, 4);
	memcpy(in.dst, (const uint8_t[]){93, 184, 216, 34}, 4);
	in.proto = 6;
	in.ttl = 64;
	in.sp = 49152;
	in.dp = 80;
	in.has_tcp = true;
	in.tcp_flags = 0x18;
	in.payload = pkt;
	in.payload_len = in.dsize = sizeof(pkt);
	in.has_flow = in.established = in.to_server = true;
	in.app = IPS_PROTO_HTTP;
	in.flowbits = &fb;
	ips_detect_set_buf(&in, IPS_BUF_HTTP_URI, &uri);
	ips_detect_set_buf(&in, IPS_BUF_HTTP_RAW_URI, &uri);
	ips_detect_set_buf(&in, IPS_BUF_HTTP_HOST, &host);
	ips_detect_set_buf(&in, IPS_BUF_HTTP_USER_AGENT, &ua);
	ips_detect_set_buf(&in, IPS_BUF_HTTP_METHOD, &meth);
	ips_detect_set_buf(&in, IPS_BUF_HTTP_HEADER, &hdr);

	struct ips_match m[32];
	size_t n, alerts = 0;
	uint64_t pkts = 0;
	double s0 = now(), s1;
	do {
		for (int k = 0; k < 256; k++) {
			in.ts_usec += 1000;
			ips_detect_run(e, t, &in, m, 32, &n);
			alerts += n;
			pkts++;
		}
		s1 = now();
	} while (s1 - s0 < secs);
	const struct ips_detect_thread_stats *ts = ips_detect_thread_stats(t);
	printf("scan (%s): %.0f packets/s, %.0f Mbit/s of payload; %.1f candidates and %.1f "
	       "evaluations per packet, %zu alerts\n",
	       ac ? "aho-corasick" : "vectorscan", (double)pkts / (s1 - s0),
	       (double)pkts * sizeof(pkt) * 8 / (s1 - s0) / 1e6,
	       (double)ts->candidates / (double)ts->runs, (double)ts->evaluated / (double)ts->runs,
	       alerts);
	/* A bare ACK: 192.168.1.10:49152 -> 93.184.216.34:443, no payload, no app layer. */
	struct ips_detect_input ack = in;
	ack.payload = NULL;
	ack.payload_len = ack.dsize = 0;
	ack.tcp_flags = 0x10;
	ack.dp = 443;
	ack.app = IPS_PROTO_IP;
	memset(ack.bufs, 0, sizeof(ack.bufs));
	uint64_t r0 = ts->runs, c0 = ts->candidates;
	pkts = 0;
	s0 = now();
	do {
		for (int k = 0; k < 1024; k++) {
			ack.ts_usec += 10;
			ips_detect_run(e, t, &ack, m, 32, &n);
			pkts++;
		}
		s1 = now();
	} while (s1 - s0 < secs / 2);
	printf("scan (bare ACK, header index only): %.0f packets/s; %.1f candidates per packet\n",
	       (double)pkts / (s1 - s0), (double)(ts->candidates - c0) / (double)(ts->runs - r0));
	printf("peak RSS: %.1f MiB\n", (double)rss_kib() / 1024.0);
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_ruleset_free(rs);
	return 0;
}
