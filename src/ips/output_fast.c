/* SPDX-License-Identifier: ISC */
/*
 * fast.log output: one line per alert in Suricata's (and Snort's) fast
 * alert format,
 *   11/24/2009-21:27:09.534255  [**] [1:2001:1] msg [**] [Classification: c] [Priority: 2]
 * {TCP} 1.2.3.4:80 -> 5.6.7.8:1234 in UTC. Alerts whose rule action would block carry Suricata's
 * "[Drop]" prefix (recorded only in offline mode). The message comes from the rule file, not the
 * network, but control bytes are still replaced so that one alert stays one line.
 */
#define _DEFAULT_SOURCE /* gmtime_r */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ips/ips.h"
#include "lib/err.h"
#include "lib/log.h"

struct ips_fast {
	FILE *f;
};

int ips_fast_open(struct ips_fast **out, const char *path)
{
	struct ips_fast *fl = calloc(1, sizeof(*fl));
	*out = NULL;
	if (!fl)
		return BW_ERR_NOMEM;
	fl->f = fopen(path, "w");
	if (!fl->f) {
		log_err("ips", "%s: cannot open: %m", path);
		free(fl);
		return BW_ERR_IO;
	}
	*out = fl;
	return 0;
}

void ips_fast_close(struct ips_fast *fl)
{
	if (!fl)
		return;
	fclose(fl->f);
	free(fl);
}

static void safe_str(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
}

static void endpoint(FILE *f, uint8_t ver, const uint8_t *a, uint16_t port, uint8_t proto)
{
	char buf[64];
	if (!inet_ntop(ver == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	fputs(buf, f);
	if (proto == 6 || proto == 17 || proto == 132)
		fprintf(f, ":%u", port);
}

void ips_fast_alert(struct ips_fast *fl, const struct ips_alert *a)
{
	const struct ips_rule *r = a->rule;
	FILE *f = fl->f;
	time_t t = (time_t)(a->ts_ns / 1000000000u);
	struct tm tm;
	char ts[32], pb[8];
	const char *proto;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%m/%d/%Y-%H:%M:%S", &tm);
	fprintf(f, "%s.%06u  %s[**] [%u:%u:%u] ", ts, (unsigned)(a->ts_ns % 1000000000u / 1000u),
	        a->action == IPS_ACT_ALERT ? "" : "[Drop] ", r->gid, r->sid, r->rev);
	safe_str(f, r->msg ? r->msg : "");
	fputs(" [**] ", f);
	if (a->category && *a->category) {
		fputs("[Classification: ", f);
		safe_str(f, a->category);
		fputs("] ", f);
	}
	switch (a->proto) {
	case 1:
		proto = "ICMP";
		break;
	case 6:
		proto = "TCP";
		break;
	case 17:
		proto = "UDP";
		break;
	case 58:
		proto = "IPv6-ICMP";
		break;
	default:
		snprintf(pb, sizeof(pb), "%03u", a->proto);
		proto = pb;
		break;
	}
	fprintf(f, "[Priority: %d] {%s} ", a->priority, proto);
	endpoint(f, a->ip_version, a->src, a->sp, a->proto);
	fputs(" -> ", f);
	endpoint(f, a->ip_version, a->dst, a->dp, a->proto);
	fputc('\n', f);
}
