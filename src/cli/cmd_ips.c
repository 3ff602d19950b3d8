/* SPDX-License-Identifier: ISC */
/*
 * `bulwark ips -r FILE.pcap -S RULES [-S more] [-l OUTDIR] [--vars VARS.yaml]
 * [--classification FILE] [--dump-rules] [--esp-keys FILE] [--set KEY=VALUE]`:
 * the offline IPS.
 * Loads the ESP keys (ips/esp_keys.h) and the rules
 * (Suricata's default variables unless a vars file overrides them; the
 * classification.config given or the one beside the first rules file),
 * compiles the detection engine, runs every frame of the capture through
 * the pipeline (src/ips/ips.h) and writes OUTDIR/eve.json and
 * OUTDIR/fast.log, plus OUTDIR/rules-skipped.log with one line per rule the
 * engine could not honour ("file:line: rule skipped: reason"). A summary
 * goes to stdout on exit. Exit status 0 on success, 1 on an input error,
 * 2 on bad usage.
 */
#define _DEFAULT_SOURCE /* mkdir, strdup */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "ips/esp_keys.h"
#include "ips/ips.h"
#include "ips/pcap_in.h"
#include "lib/err.h"
#include "lib/log.h"

enum { MAX_RULE_FILES = 64 };

struct ips_opts {
	const char *pcap;
	const char *rules[MAX_RULE_FILES];
	size_t nrules;
	const char *outdir;
	const char *vars;
	const char *classification;
	const char *esp_keys;
	bool dump_rules;
	bool midstream;
	bool async_oneside;
	bool quiet;
	unsigned http_decompress_layers;
	unsigned alert_max;          /* packet-alert-max; 0: the default */
	size_t mqtt_max_msg;         /* app-layer.protocols.mqtt.max-msg-length; 0: the default */
	bool has_http_body_limit[2]; /* libhtp request-/response-body-limit given */
	uint64_t http_body_limit[2];
	bool has_action_order; /* action-order given */
	uint8_t action_rank[IPS_ACLASS__COUNT];
};

struct out_ctx {
	struct ips_eve *eve;
	struct ips_fast *fast;
	FILE *skipped;
	bool quiet;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bulwark ips -r FILE.pcap -S RULES [-S RULES...] [-l OUTDIR]\n"
	           "                   [--vars VARS.yaml] [--classification FILE] [--dump-rules]\n"
	           "                   [--midstream] [-q] [--esp-keys FILE] [--set KEY=VALUE]\n"
	           "                   [-h]\n\n"
	           "Runs the IPS over a capture file: decoding, defragmentation, flows, TCP\n"
	           "reassembly, HTTP/DNS/TLS parsing and detection with Snort/Suricata rules.\n"
	           "Writes OUTDIR/eve.json (Suricata EVE), OUTDIR/fast.log and\n"
	           "OUTDIR/rules-skipped.log (OUTDIR defaults to '.'), and prints a summary.\n\n"
	           "  -r FILE               pcap or pcapng capture ('-' for stdin)\n"
	           "  -S FILE               rules file (.rules or .rules.gz), repeatable\n"
	           "  -l DIR                output directory (created if missing)\n"
	           "  --vars FILE           YAML address-groups/port-groups overriding\n"
	           "                        Suricata's default variables\n"
	           "  --classification FILE classification.config (default: the one beside\n"
	           "                        the first rules file, if any)\n"
	           "  --dump-rules          print how each loaded rule was understood\n"
	           "  --midstream           pick up TCP sessions without a handshake\n"
	           "  -q                    no per-rule load warnings on stderr\n"
	           "  --esp-keys FILE       decrypt ESP with the SAs in this YAML file\n"
	           "  --set KEY=VALUE       a Suricata setting (suricata.yaml path), repeatable;\n"
	           "                        known: stream.midstream, stream.async-oneside,\n"
	           "                        packet-alert-max (1-255), action-order (e.g.\n"
	           "                        drop,pass,reject,alert),\n"
	           "                        app-layer.protocols.mqtt.max-msg-length,\n"
	           "                        app-layer.protocols.http.\n"
	           "                        libhtp.default-config.response-body-decompress-\n"
	           "                        layer-limit, ...default-config.request-body-limit\n"
	           "                        and ...response-body-limit (100kb each, 0: none);\n"
	           "                        others are ignored with a warning\n");
}

static void sink(enum bw_log_level level, const char *line, void *arg)
{
	struct out_ctx *o = arg;
	if (o->skipped && strstr(line, ": rule skipped: ")) {
		fprintf(o->skipped, "%s\n", line);
		if (o->quiet)
			return;
	}
	if (o->quiet && level == BW_LOG_WARN && strstr(line, "duplicate sid"))
		return;
	fprintf(stderr, "%s%s\n", level == BW_LOG_WARN ? "warning: " : "", line);
}

static void on_alert(void *arg, const struct ips_alert *a)
{
	struct out_ctx *o = arg;
	if (o->eve)
		ips_eve_alert(o->eve, a);
	if (o->fast)
		ips_fast_alert(o->fast, a);
}

static void on_flow(void *arg, const struct ips_flow_rec *f, enum ips_flow_end why,
                    const char *app_proto)
{
	struct out_ctx *o = arg;
	if (o->eve)
		ips_eve_flow(o->eve, f, why, app_proto);
}

static bool yes(const char *v)
{
	return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1");
}

/*
 * --set KEY=VALUE: the Suricata settings (suricata.yaml paths, as Suricata's
 * own --set) that have a bulwark equivalent. Others are ignored with a
 * warning, so that a Suricata command line can be passed through.
 */
/*
 * A size as Suricata's configuration writes it: a number of bytes, or with
 * kb, mb or gb (powers of 1024, any case); at most max.
 */
static int parse_size(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;
	uint64_t mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		if (!strcasecmp(end, "kb"))
			mul = 1024;
		else if (!strcasecmp(end, "mb"))
			mul = 1024 * 1024;
		else if (!strcasecmp(end, "gb"))
			mul = 1024ull * 1024 * 1024;
		else
			return -1;
	}
	if (n > max / mul)
		return -1;
	*out = (uint64_t)n * mul;
	return 0;
}

static int set_option(struct ips_opts *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t kl = eq ? (size_t)(eq - kv) : 0;
	char *end;
	unsigned long n;

	if (!eq || !kl) {
		fprintf(stderr, "bulwark ips: --set needs KEY=VALUE, not '%s'\n", kv);
		return -1;
	}
	if (kl == strlen("stream.midstream") && !strncmp(kv, "stream.midstream", kl)) {
		o->midstream = yes(eq + 1);
		return 0;
	}
	if (kl == strlen("stream.async-oneside") && !strncmp(kv, "stream.async-oneside", kl)) {
		o->async_oneside = yes(eq + 1);
		return 0;
	}
	if (!strncmp(
	            kv,
	            "app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-"
	            "limit=",
	            kl + 1)) {
		n = strtoul(eq + 1, &end, 10);
		if (*end || end == eq + 1 || n == 0 || n > 16) {
			fprintf(stderr, "bulwark ips: %s: a layer count of 1 to 16\n", kv);
			return -1;
		}
		o->http_decompress_layers = (unsigned)n;
		return 0;
	}
	if (kl == strlen("packet-alert-max") && !strncmp(kv, "packet-alert-max", kl)) {
		n = strtoul(eq + 1, &end, 10);
		/* As Suricata: a value outside 1..255 keeps the default, with a warning. */
		if (*end || end == eq + 1 || n == 0 || n > 255)
			fprintf(stderr, "warning: bulwark ips: %s: not 1 to 255, default kept\n",
			        kv);
		else
			o->alert_max = (unsigned)n;
		return 0;
	}
	if (kl == strlen("app-layer.protocols.mqtt.max-msg-length") &&
	    !strncmp(kv, "app-layer.protocols.mqtt.max-msg-length", kl)) {
		n = strtoul(eq + 1, &end, 10);
		if (*end || end == eq + 1 || n == 0 || n > UINT32_MAX) {
			fprintf(stderr, "bulwark ips: %s: a length of 1 to %" PRIu32 " bytes\n", kv,
			        UINT32_MAX);
			return -1;
		}
		o->mqtt_max_msg = n;
		return 0;
	}
	static const char *const body_keys[2] = {
	        "app-layer.protocols.http.libhtp.default-config.request-body-limit",
	        "app-layer.protocols.http.libhtp.default-config.response-body-limit"};
	for (int d = 0; d < 2; d++) {
		if (kl != strlen(body_keys[d]) || strncmp(kv, body_keys[d], kl))
			continue;
		if (parse_size(eq + 1, UINT32_MAX, &o->http_body_limit[d]) != 0) {
			fprintf(stderr,
			        "bulwark ips: %s: a size in bytes, or with kb, mb or gb (0: no "
			        "limit)\n",
			        kv);
			return -1;
		}
		o->has_http_body_limit[d] = true;
		return 0;
	}
	if (kl == strlen("action-order") && !strncmp(kv, "action-order", kl)) {
		if (ips_detect_parse_action_order(eq + 1, o->action_rank) != 0) {
			fprintf(stderr,
			        "bulwark ips: %s: an order of pass, drop, reject and alert, "
			        "comma-separated\n",
			        kv);
			return -1;
		}
		o->has_action_order = true;
		return 0;
	}
	fprintf(stderr, "warning: bulwark ips: --set %.*s: no such setting, ignored\n", (int)kl,
	        kv);
	return 0;
}

static int parse_args(int argc, char **argv, struct ips_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--dump-rules")) {
			o->dump_rules = true;
		} else if (!strcmp(a, "--midstream")) {
			o->midstream = true;
		} else if (!strcmp(a, "-q")) {
			o->quiet = true;
		} else if (!v) {
			fprintf(stderr, "bulwark ips: %s needs an argument (or is unknown)\n", a);
			return -1;
		} else if (!strcmp(a, "-r")) {
			o->pcap = v;
			i++;
		} else if (!strcmp(a, "-S")) {
			if (o->nrules == MAX_RULE_FILES) {
				fprintf(stderr, "bulwark ips: at most %d rules files\n",
				        MAX_RULE_FILES);
				return -1;
			}
			o->rules[o->nrules++] = v;
			i++;
		} else if (!strcmp(a, "-l")) {
			o->outdir = v;
			i++;
		} else if (!strcmp(a, "--vars")) {
			o->vars = v;
			i++;
		} else if (!strcmp(a, "--classification")) {
			o->classification = v;
			i++;
		} else if (!strcmp(a, "--esp-keys")) {
			o->esp_keys = v;
			i++;
		} else if (!strcmp(a, "--set")) {
			if (set_option(o, v) != 0)
				return -1;
			i++;
		} else {
			fprintf(stderr, "bulwark ips: unknown option '%s'\n", a);
			return -1;
		}
	}
	if (!o->pcap && !o->dump_rules) {
		fprintf(stderr, "bulwark ips: -r FILE is required\n");
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* classification.config beside the first rules file, when it exists. */
static char *class_beside(const char *rules)
{
	const char *slash = strrchr(rules, '/');
	size_t dl = slash ? (size_t)(slash - rules) + 1 : 0;
	char *p = malloc(dl + sizeof("classification.config"));
	struct stat sb;
	if (!p)
		return NULL;
	memcpy(p, rules, dl);
	memcpy(p + dl, "classification.config", sizeof("classification.config"));
	if (stat(p, &sb) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	return fopen(path, "w");
}

static void summary(const struct ips_pipeline *pl, const struct ips_load_stats *ls,
                    const struct ips_detect_stats *ds, double load_s, double run_s,
                    uint64_t pcap_bytes)
{
	const struct ips_pipeline_stats *st = ips_pipeline_stats(pl);
	const struct ips_decode_stats *d = ips_pipeline_decode_stats(pl);
	const struct ips_flow_stats *fs = ips_pipeline_flow_stats(pl);
	struct rusage ru;

	printf("packets: %" PRIu64 "  bytes: %" PRIu64 "  flows: %" PRIu64 "  alerts: %" PRIu64
	       "\n",
	       st->pkts, st->bytes, fs->created, st->alerts);
	printf("rules: %u loaded, %u skipped (%u rules seen)\n", ls->loaded, ls->skipped,
	       ls->rules);
	if (ls->skipped)
		ips_load_stats_print(ls, stdout);
	if (ds->rules)
		ips_detect_stats_print(ds, stdout);
	printf("alerts by sid:\n");
	for (size_t i = 0; i < st->nsids; i++)
		printf("  %u:%u  %" PRIu64 "  %s\n", st->sids[i].gid, st->sids[i].sid,
		       st->sids[i].alerts, st->sids[i].rule->msg ? st->sids[i].rule->msg : "");
	printf("drops by reason:");
	for (int i = 0; i < IPS_DROP__COUNT; i++)
		printf(" %s=%" PRIu64, ips_drop_reason_name((enum ips_drop_reason)i), st->drops[i]);
	printf("\nesp: %" PRIu64 " packets, decrypted %" PRIu64 ", no key %" PRIu64
	       ", auth failed %" PRIu64 ", invalid %" PRIu64 "\n",
	       d->esp, d->esp_decrypted, d->esp_no_key, d->esp_auth_failed, d->esp_invalid);
	printf("decode anomalies: %" PRIu64 " packets\n", d->anomalies);
	for (int i = 1; i < IPS_EV__COUNT; i++)
		if (d->events[i])
			printf("  %s  %" PRIu64 "\n", ips_event_name(i), d->events[i]);
	getrusage(RUSAGE_SELF, &ru);
	printf("time: rules %.3f s, packets %.3f s (%.0f pkt/s, %.1f Mbit/s), peak RSS %ld MiB\n",
	       load_s, run_s, run_s > 0 ? (double)st->pkts / run_s : 0.0,
	       run_s > 0 ? (double)pcap_bytes * 8 / run_s / 1e6 : 0.0, ru.ru_maxrss / 1024);
}

static int load_rules(const struct ips_opts *o, struct ips_vars *vars, struct ips_ruleset **rs,
                      struct ips_load_stats *ls)
{
	int r;
	*rs = calloc(1, sizeof(**rs));
	if (!*rs)
		return BW_ERR_NOMEM;
	memset(ls, 0, sizeof(*ls));
	for (size_t i = 0; i < o->nrules; i++) {
		/* Each load zeroes its stats: merge file by file. */
		struct ips_load_stats one;
		if ((r = ips_ruleset_load_file(*rs, o->rules[i], vars, &one)) != 0)
			return r;
		ls->lines += one.lines;
		ls->rules += one.rules;
		ls->loaded += one.loaded;
		ls->skipped += one.skipped;
		ls->dup_sid += one.dup_sid;
		for (size_t k = 0; k < one.nreasons; k++)
			for (unsigned c = 0; c < one.reasons[k].count; c++)
				ips_load_stats_count(ls, one.reasons[k].what);
	}
	return 0;
}

static int run_capture(const struct ips_opts *o, struct ips_pipeline *pl, uint64_t *last_ts,
                       uint64_t *bytes)
{
	struct ips_pcap *pc;
	struct ips_pcap_rec rec;
	int r;
	if ((r = ips_pcap_open(&pc, o->pcap)) != 0)
		return r;
	if (!ips_pcap_linktype_supported(ips_pcap_linktype(pc)))
		log_warn("ips", "%s: link type %d is not decoded", o->pcap, ips_pcap_linktype(pc));
	while ((r = ips_pcap_next(pc, &rec)) == 1) {
		*last_ts = rec.ts_ns;
		*bytes += rec.caplen;
		ips_pipeline_packet(pl, rec.data, rec.caplen, rec.linktype, rec.ts_ns);
	}
	ips_pcap_close(pc);
	return r < 0 ? r : 0;
}

int cmd_ips(int argc, char **argv)
{
	struct ips_opts o = {.outdir = "."};
	struct out_ctx oc = {0};
	struct ips_vars *vars = NULL;
	struct ips_ruleset *rs = NULL;
	struct ips_load_stats ls;
	struct ips_classconf *cc = NULL;
	struct ips_detect_engine *eng = NULL;
	struct ips_pipeline *pl = NULL;
	struct ips_esp_keys *keys = NULL;
	struct ips_detect_conf dc = {0};
	struct ips_detect_stats ds = {0};
	char path[4096], *cpath = NULL;
	uint64_t last_ts = 0, bytes = 0;
	double t0, t1, t2;
	int r, rc = 1;

	if ((r = parse_args(argc, argv, &o)) != 0)
		return r > 0 ? 0 : 2;
	bw_log_init("bulwark", BW_LOG_NOTICE, false, true);
	oc.quiet = o.quiet;
	bw_log_set_sink(sink, &oc);
	/* Keys first: a wrong key file should fail before minutes of rule loading. */
	if (o.esp_keys && ips_esp_keys_load_file(&keys, o.esp_keys) != 0) {
		fprintf(stderr, "bulwark ips: cannot use the ESP keys in %s\n", o.esp_keys);
		goto out;
	}
	if (mkdir(o.outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bulwark ips: cannot create %s: %s\n", o.outdir, strerror(errno));
		goto out;
	}
	oc.skipped = open_out(o.outdir, "rules-skipped.log", path, sizeof(path));
	t0 = now_s();
	if (ips_vars_new(&vars) != 0 || (o.vars && ips_vars_load_yaml(vars, o.vars) != 0))
		goto out;
	if (load_rules(&o, vars, &rs, &ls) != 0)
		goto out;
	if (o.dump_rules)
		for (size_t i = 0; i < rs->n; i++)
			ips_rule_dump(rs->rules[i], stdout);
	if (!o.classification && o.nrules)
		o.classification = cpath = class_beside(o.rules[0]);
	if (o.classification && ips_classconf_load(o.classification, &cc) != 0)
		goto out;
	dc.classes = cc;
	dc.has_action_order = o.has_action_order;
	memcpy(dc.action_rank, o.action_rank, sizeof(dc.action_rank));
	if (rs->n && (r = ips_detect_build(rs, &dc, &eng, &ds)) != 0) {
		log_err_r("ips", r, "cannot build the detection engine");
		goto out;
	}
	t1 = now_s();
	if (!o.pcap) {
		rc = 0;
		goto out;
	}
	if (ips_eve_open(&oc.eve, (snprintf(path, sizeof(path), "%s/eve.json", o.outdir), path),
	                 o.pcap) != 0 ||
	    ips_fast_open(&oc.fast,
	                  (snprintf(path, sizeof(path), "%s/fast.log", o.outdir), path)) != 0)
		goto out;
	struct ips_pipeline_cfg pc = {.engine = eng,
	                              .classes = cc,
	                              .on_alert = on_alert,
	                              .on_flow = on_flow,
	                              .arg = &oc,
	                              .midstream = o.midstream,
	                              .async_oneside = o.async_oneside,
	                              .http_decompress_layers = o.http_decompress_layers,
	                              .alert_max = o.alert_max,
	                              .mqtt_max_msg = o.mqtt_max_msg};
	for (int d = 0; d < 2; d++) {
		pc.has_http_body_limit[d] = o.has_http_body_limit[d];
		pc.http_body_limit[d] = o.http_body_limit[d];
	}
	if (keys != NULL)
		ips_esp_keys_hook(keys, &pc.esp_hook);
	if (ips_pipeline_new(&pl, &pc) != 0)
		goto out;
	r = run_capture(&o, pl, &last_ts, &bytes);
	ips_pipeline_finish(pl);
	t2 = now_s();
	ips_eve_stats(oc.eve, pl, &ls, last_ts, t2 - t0);
	summary(pl, &ls, &ds, t1 - t0, t2 - t1, bytes);
	rc = r == 0 ? 0 : 1;
out:
	ips_pipeline_free(pl);
	ips_esp_keys_free(keys);
	ips_detect_free(eng);
	ips_ruleset_free(rs);
	ips_classconf_free(cc);
	ips_vars_free(vars);
	ips_eve_close(oc.eve);
	ips_fast_close(oc.fast);
	bw_log_set_sink(NULL, NULL);
	if (oc.skipped)
		fclose(oc.skipped);
	free(cpath);
	return rc;
}
