/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the whole IPS pipeline: decoding, fragment
 * reassembly, the flow table, TCP reassembly, the application layer and
 * detection together, on one thread as `bulwark ips` runs them. Input: a
 * sequence of frames, each
 *
 *   | len 2 (big-endian) | raw IPv4 or IPv6 packet (linktype RAW) ... |
 *
 * a frame taking what remains when len runs past the end; timestamps are
 * 1 ms apart. A fixed ruleset, built once, covers the packet payload, the
 * reassembled stream, HTTP, DNS and TLS buffers, flowbits, thresholds and
 * IP-only rules. Invariants: no crash, no sanitizer report, and the
 * pipeline frees everything (LeakSanitizer) after the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ips/detect.h"
#include "ips/ips.h"
#include "lib/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const rules[] = {
        "alert tcp any any -> any any (msg:\"payload\"; content:\"EVIL\"; sid:1;)",
        "alert tcp any any -> any any (msg:\"stream\"; flow:established,to_server; "
        "content:\"SPLIT-PATTERN\"; sid:2;)",
        "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/admin\"; "
        "http.method; content:\"GET\"; sid:3;)",
        "alert http any any -> any any (msg:\"body\"; file.data; content:\"MARK\"; "
        "pcre:\"/MARK\\d+/\"; sid:4;)",
        "alert dns any any -> any any (msg:\"dns\"; dns.query; content:\"bad\"; nocase; sid:5;)",
        "alert tls any any -> any any (msg:\"sni\"; tls.sni; content:\"evil\"; sid:6;)",
        "alert tcp any any -> any any (msg:\"set\"; content:\"LOGIN\"; flowbits:set,login; "
        "flowbits:noalert; sid:7;)",
        "alert tcp any any -> any any (msg:\"isset\"; content:\"230\"; depth:3; "
        "flowbits:isset,login; sid:8;)",
        "alert ip 10.0.0.0/8 any -> any any (msg:\"ip-only\"; threshold:type limit,"
        "track by_src,count 1,seconds 60; sid:9;)",
        "alert ip [10.0.0.0/8,!10.1.0.0/16] any -> any any (msg:\"negated\"; sid:10;)",
        "alert udp any any -> any 53 (msg:\"dsize\"; dsize:>100; sid:11;)",
        "alert tcp any any -> any any (msg:\"flags\"; flags:S; ttl:<10; sid:12;)",
        "drop tcp any any -> any 6666 (msg:\"drop\"; content:\"x\"; sid:13;)",
        "alert icmp any any -> any any (msg:\"icmp\"; itype:8; sid:14;)",
};

static struct ips_ruleset *rs;
static struct ips_detect_engine *engine;

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t n = sizeof(rules) / sizeof(rules[0]);

	(void)argc;
	(void)argv;
	bw_log_set_sink(quiet, NULL);
	if (!(rs = calloc(1, sizeof(*rs))) || !(rs->rules = calloc(n, sizeof(*rs->rules))))
		abort();
	for (size_t i = 0; i < n; i++) {
		char why[128], key[64];
		if (ips_rule_parse(rules[i], NULL, &rs->rules[i], why, sizeof(why), key,
		                   sizeof(key)) != 0)
			abort();
	}
	rs->n = rs->cap = n;
	/*
	 * A small threshold table: each input builds a pipeline with two detect
	 * threads, whose default 16,384 entries each are zeroed and freed per
	 * input; with 64, inputs with many sources also reach eviction.
	 */
	struct ips_detect_conf conf = {.thr_entries = 64};
	if (ips_detect_build(rs, &conf, &engine, NULL) != 0)
		abort();
	return 0;
}

static void on_alert(void *arg, const struct ips_alert *a)
{
	(void)a;
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t alerts = 0;
	struct ips_pipeline_cfg cfg = {.engine = engine, .on_alert = on_alert, .arg = &alerts};
	struct ips_pipeline *pl;
	uint64_t ts = 1700000000ull * 1000000000ull;

	if (!engine)
		LLVMFuzzerInitialize(NULL, NULL);
	cfg.engine = engine;
	if (ips_pipeline_new(&pl, &cfg) != 0)
		abort();
	for (size_t off = 0; off + 2 <= size; ts += 1000000) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		(void)ips_pipeline_packet(pl, data + off, len, IPS_LINK_RAW, ts);
		off += len;
	}
	ips_pipeline_finish(pl);
	ips_pipeline_free(pl);
	return 0;
}
