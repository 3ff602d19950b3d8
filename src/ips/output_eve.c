/* SPDX-License-Identifier: ISC */
/*
 * EVE JSON output (RFC 8259 JSON, one object per line) with Suricata's
 * field names, so that pipelines built for Suricata's eve.json ingest it:
 * event_type "alert" (addresses, flow id, app_proto, the alert object and
 * the http/dns/tls/ssh/ftp/ftp_data/smtp/email objects of the matching
 * transaction), "flow" when a flow ends, and "stats" once at the end.
 * Strings from the network are hostile: every control byte, quote and
 * backslash is escaped, and bytes that are not valid UTF-8 (RFC 3629)
 * become \u00XX, so each line stays valid JSON.
 */
#define _DEFAULT_SOURCE /* open_memstream */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ips/ips.h"
#include "lib/err.h"
#include "lib/log.h"

struct ips_eve {
	FILE *f;
	char *iface_json; /* in_iface as a JSON string, quoted and escaped once */
};

int ips_eve_open(struct ips_eve **out, const char *path, const char *in_iface)
{
	struct ips_eve *e = calloc(1, sizeof(*e));
	*out = NULL;
	if (!e)
		return BW_ERR_NOMEM;
	e->f = fopen(path, "w");
	if (!e->f) {
		log_err("ips", "%s: cannot open: %m", path);
		free(e);
		return BW_ERR_IO;
	}
	/* One write per 64 KiB of events rather than per 4 KiB. */
	(void)setvbuf(e->f, NULL, _IOFBF, 1 << 16);
	size_t n = 0;
	FILE *m = open_memstream(&e->iface_json, &n);
	if (m) {
		const char *s = in_iface ? in_iface : "";
		ips_json_str(m, s, strlen(s));
		if (fclose(m) != 0) {
			free(e->iface_json);
			e->iface_json = NULL;
		}
	}
	if (!e->iface_json) {
		fclose(e->f);
		free(e);
		return BW_ERR_NOMEM;
	}
	*out = e;
	return 0;
}

void ips_eve_close(struct ips_eve *e)
{
	if (!e)
		return;
	fclose(e->f);
	free(e->iface_json);
	free(e);
}

/* Length of a valid UTF-8 sequence at s (RFC 3629 table), or 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t need;
	uint32_t cp;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n < need)
		return 0;
	cp = c & (need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* Whether c is written as itself (printable ASCII but the quote and the backslash). */
static bool json_plain(uint8_t c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void ips_json_str(FILE *f, const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	fputc('"', f);
	for (size_t i = 0; i < len;) {
		uint8_t c = s[i];
		if (json_plain(c)) { /* a run of plain bytes in one write */
			size_t k = i + 1;
			while (k < len && json_plain(s[k]))
				k++;
			fwrite(s + i, 1, k - i, f);
			i = k;
			continue;
		}
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c >= 0x80) {
			size_t k = utf8_len(s + i, len - i);
			if (!k) {
				fprintf(f, "\\u%04x", c);
			} else {
				fwrite(s + i, 1, k, f);
				i += k;
				continue;
			}
		}
		i++;
	}
	fputc('"', f);
}

static void jstr(FILE *f, const char *s)
{
	ips_json_str(f, s, strlen(s));
}

/* ,"key":"value" when value is not NULL. */
static void kv_str(FILE *f, const char *key, const char *val, bool *first)
{
	if (!val)
		return;
	fprintf(f, "%s\"%s\":", *first ? "" : ",", key);
	jstr(f, val);
	*first = false;
}

/* n as w decimal digits at p (the low ones when n is longer). */
static void digits(char *p, unsigned w, uint64_t n)
{
	while (w-- > 0) {
		p[w] = (char)('0' + n % 10);
		n /= 10;
	}
}

/*
 * Formatted by hand: gmtime_r() and strftime() cost about a microsecond
 * per call (the timezone lock, the locale), and a flow event has three
 * timestamps. The civil date of a day count is Howard Hinnant's
 * civil_from_days (eras of 400 years, years starting in March); 64-bit
 * nanoseconds end in 2554, so the year has four digits.
 */
void ips_eve_time(char *buf, size_t len, uint64_t ts_ns)
{
	char s[32];
	uint64_t secs = ts_ns / 1000000000u, z = secs / 86400 + 719468;
	unsigned sod = (unsigned)(secs % 86400), doe = (unsigned)(z % 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned day = doy - (153 * mp + 2) / 5 + 1, mon = mp < 10 ? mp + 3 : mp - 9;
	uint64_t year = z / 146097 * 400 + yoe + (mon <= 2);
	digits(s, 4, year);
	s[4] = '-';
	digits(s + 5, 2, mon);
	s[7] = '-';
	digits(s + 8, 2, day);
	s[10] = 'T';
	digits(s + 11, 2, sod / 3600);
	s[13] = ':';
	digits(s + 14, 2, sod / 60 % 60);
	s[16] = ':';
	digits(s + 17, 2, sod % 60);
	s[19] = '.';
	digits(s + 20, 6, ts_ns % 1000000000u / 1000u);
	memcpy(s + 26, "+0000", 6);
	if (len == 0)
		return;
	size_t n = len - 1 < 31 ? len - 1 : 31;
	memcpy(buf, s, n);
	buf[n] = 0;
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 58:
		return "IPv6-ICMP";
	case 132:
		return "SCTP";
	default:
		snprintf(buf, len, "%03u", p);
		return buf;
	}
}

/*
 * The fixed head of every event, assembled in a line buffer and written
 * with one fwrite(): a flow event per flow made fprintf() (and
 * inet_ntop()'s sprintf()) a few per cent of a run without rules.
 */
struct ob {
	FILE *f;
	size_t n;
	char b[512];
};

static void ob_flush(struct ob *o)
{
	if (o->n)
		(void)fwrite(o->b, 1, o->n, o->f);
	o->n = 0;
}

static void ob_put(struct ob *o, const char *s, size_t len)
{
	if (o->n + len > sizeof(o->b)) {
		ob_flush(o);
		if (len > sizeof(o->b)) {
			(void)fwrite(s, 1, len, o->f);
			return;
		}
	}
	memcpy(o->b + o->n, s, len);
	o->n += len;
}

static void ob_str(struct ob *o, const char *s)
{
	ob_put(o, s, strlen(s));
}

static void ob_u64(struct ob *o, uint64_t v)
{
	char t[20];
	size_t k = sizeof(t);
	do {
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ob_put(o, t + k, sizeof(t) - k);
}

static void ob_addr(struct ob *o, uint8_t ver, const uint8_t *a)
{
	char buf[64];
	if (ver == 4) {
		for (int i = 0; i < 4; i++) {
			if (i)
				ob_put(o, ".", 1);
			ob_u64(o, a[i]);
		}
		return;
	}
	ob_str(o, inet_ntop(AF_INET6, a, buf, sizeof(buf)) ? buf : "?");
}

static void head(struct ips_eve *e, struct ob *o, uint64_t ts_ns, uint64_t flow_id,
                 const char *type)
{
	char ts[48];
	ips_eve_time(ts, sizeof(ts), ts_ns);
	o->f = e->f;
	o->n = 0;
	ob_str(o, "{\"timestamp\":\"");
	ob_str(o, ts);
	ob_put(o, "\"", 1);
	if (flow_id) {
		ob_str(o, ",\"flow_id\":");
		ob_u64(o, flow_id);
	}
	ob_str(o, ",\"in_iface\":");
	ob_str(o, e->iface_json);
	ob_str(o, ",\"event_type\":\"");
	ob_str(o, type);
	ob_put(o, "\"", 1);
}

/* ,"<side>_ip":"<addr>" and, for a transport with ports, ,"<side>_port":<port>. */
static void endpoint(struct ob *o, const char *side, uint8_t ver, const uint8_t *a, uint16_t port,
                     bool ports)
{
	ob_str(o, ",\"");
	ob_str(o, side);
	ob_str(o, "_ip\":\"");
	ob_addr(o, ver, a);
	ob_put(o, "\"", 1);
	if (ports) {
		ob_str(o, ",\"");
		ob_str(o, side);
		ob_str(o, "_port\":");
		ob_u64(o, port);
	}
}

static void tuple(struct ob *o, uint8_t ver, const uint8_t *src, uint16_t sp, const uint8_t *dst,
                  uint16_t dp, uint8_t proto)
{
	char pb[8];
	bool ports = proto == 6 || proto == 17 || proto == 132;
	endpoint(o, "src", ver, src, sp, ports);
	endpoint(o, "dest", ver, dst, dp, ports);
	ob_str(o, ",\"proto\":\"");
	ob_str(o, proto_name(proto, pb, sizeof(pb)));
	ob_put(o, "\"", 1);
}

/* Suricata groups metadata values by key: {"key":["v1","v2"]}. */
static void metadata(FILE *f, const struct ips_rule *r)
{
	if (!r->nmeta)
		return;
	fputs(",\"metadata\":{", f);
	bool firstk = true;
	for (size_t i = 0; i < r->nmeta; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(r->meta[j].key, r->meta[i].key) == 0;
		if (seen)
			continue;
		fprintf(f, "%s", firstk ? "" : ",");
		firstk = false;
		jstr(f, r->meta[i].key);
		fputs(":[", f);
		bool firstv = true;
		for (size_t j = i; j < r->nmeta; j++) {
			if (strcmp(r->meta[j].key, r->meta[i].key) != 0)
				continue;
			fprintf(f, "%s", firstv ? "" : ",");
			firstv = false;
			jstr(f, r->meta[j].value);
		}
		fputc(']', f);
	}
	fputc('}', f);
}

/* One side of Suricata's "ssh" object: proto_version, software_version, hassh. */
static void ssh_side(FILE *f, const char *name, const struct app_ssh_side *s, bool *first)
{
	bool fs = true;
	fprintf(f, "%s\"%s\":{", *first ? "" : ",", name);
	*first = false;
	kv_str(f, "proto_version", s->proto_version, &fs);
	kv_str(f, "software_version", s->software_version, &fs);
	if (s->hassh) {
		fprintf(f, "%s\"hassh\":{", fs ? "" : ",");
		bool fh = true;
		kv_str(f, "hash", s->hassh, &fh);
		kv_str(f, "string", s->hassh_string, &fh);
		fputc('}', f);
	}
	fputc('}', f);
}

static void str_array(FILE *f, const char *name, const char *const *v, size_t n, bool *first)
{
	if (!n)
		return;
	fprintf(f, "%s", *first ? "" : ",");
	*first = false;
	jstr(f, name);
	fputs(":[", f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		jstr(f, v[i] ? v[i] : "");
	}
	fputc(']', f);
}

/* The "ssh", "ftp", "ftp_data" and "smtp"/"email" objects of an alert. */
static void other_tx_fields(FILE *f, const struct app_tx *tx)
{
	const struct app_ssh_info *s = app_tx_ssh(tx);
	const struct app_ftp_info *ftp = app_tx_ftp(tx);
	const struct app_ftp_data_info *fd = app_tx_ftp_data(tx);
	const struct app_smtp_info *m = app_tx_smtp(tx);
	bool first = true;
	if (s) {
		fputs(",\"ssh\":{", f);
		if (s->client.proto_version)
			ssh_side(f, "client", &s->client, &first);
		if (s->server.proto_version)
			ssh_side(f, "server", &s->server, &first);
		fputc('}', f);
	}
	if (ftp) {
		fputs(",\"ftp\":{", f);
		kv_str(f, "command", ftp->command, &first);
		kv_str(f, "command_data", ftp->command_data, &first);
		if (ftp->reply) {
			str_array(f, "reply", &ftp->reply, 1, &first);
			str_array(f, "completion_code", &ftp->completion_code, 1, &first);
		}
		if (ftp->dynamic_port) {
			fprintf(f, "%s\"dynamic_port\":%u", first ? "" : ",", ftp->dynamic_port);
			first = false;
			kv_str(f, "mode", ftp->mode, &first);
		}
		fputc('}', f);
	}
	if (fd) {
		fputs(",\"ftp_data\":{", f);
		kv_str(f, "filename", fd->filename, &first);
		kv_str(f, "command", fd->command, &first);
		fputc('}', f);
	}
	if (m) {
		fputs(",\"smtp\":{", f);
		kv_str(f, "helo", m->helo, &first);
		kv_str(f, "mail_from", m->mail_from, &first);
		str_array(f, "rcpt_to", m->rcpt_to, m->nrcpt, &first);
		fputc('}', f);
		first = true;
		fputs(",\"email\":{", f);
		kv_str(f, "from", m->from, &first);
		kv_str(f, "subject", m->subject, &first);
		str_array(f, "attachment", m->attachments, m->nattach, &first);
		fputc('}', f);
	}
}

static void tx_fields(FILE *f, const struct app_tx *tx)
{
	const struct app_http_info *h = app_tx_http(tx);
	const struct app_dns_info *d = app_tx_dns(tx);
	const struct app_tls_info *t = app_tx_tls(tx);
	bool first = true;
	if (h) {
		fputs(",\"http\":{", f);
		kv_str(f, "hostname", h->hostname, &first);
		kv_str(f, "url", h->url, &first);
		kv_str(f, "http_user_agent", h->http_user_agent, &first);
		kv_str(f, "http_content_type", h->http_content_type, &first);
		kv_str(f, "http_refer", h->http_refer, &first);
		kv_str(f, "http_method", h->http_method, &first);
		kv_str(f, "protocol", h->protocol, &first);
		kv_str(f, "redirect", h->redirect, &first);
		if (h->status) {
			fprintf(f, "%s\"status\":%d", first ? "" : ",", h->status);
			first = false;
		}
		fprintf(f, "%s\"length\":%" PRIu64 "}", first ? "" : ",", h->length);
	}
	if (d) {
		fprintf(f, ",\"dns\":{\"type\":\"%s\",\"id\":%u", d->answer ? "answer" : "query",
		        d->id);
		first = false;
		kv_str(f, "rrname", d->rrname, &first);
		kv_str(f, "rrtype", d->rrtype, &first);
		kv_str(f, "rcode", d->rcode, &first);
		if (d->answer)
			fprintf(f, ",\"flags\":\"%x\"", d->flags);
		if (d->nanswers) {
			fputs(",\"answers\":[", f);
			for (size_t i = 0; i < d->nanswers; i++) {
				const struct app_dns_answer *a = &d->answers[i];
				bool fa = true;
				fputs(i ? ",{" : "{", f);
				kv_str(f, "rrname", a->rrname, &fa);
				kv_str(f, "rrtype", a->rrtype, &fa);
				fprintf(f, "%s\"ttl\":%u", fa ? "" : ",", a->ttl);
				fa = false;
				kv_str(f, "rdata", a->rdata, &fa);
				fputc('}', f);
			}
			fputc(']', f);
		}
		fputc('}', f);
	}
	if (t) {
		first = true;
		fputs(",\"tls\":{", f);
		kv_str(f, "subject", t->subject, &first);
		kv_str(f, "issuerdn", t->issuerdn, &first);
		kv_str(f, "serial", t->serial, &first);
		kv_str(f, "sni", t->sni, &first);
		kv_str(f, "version", t->version, &first);
		if (t->ja3_hash) {
			fprintf(f, "%s\"ja3\":{", first ? "" : ",");
			bool fj = true;
			kv_str(f, "hash", t->ja3_hash, &fj);
			kv_str(f, "string", t->ja3_string, &fj);
			fputc('}', f);
			first = false;
		}
		if (t->ja3s_hash) {
			fprintf(f, "%s\"ja3s\":{", first ? "" : ",");
			bool fj = true;
			kv_str(f, "hash", t->ja3s_hash, &fj);
			kv_str(f, "string", t->ja3s_string, &fj);
			fputc('}', f);
		}
		fputc('}', f);
	}
	other_tx_fields(f, tx);
}

void ips_eve_alert(struct ips_eve *e, const struct ips_alert *a)
{
	const struct ips_rule *r = a->rule;
	FILE *f = e->f;
	struct ob o;
	head(e, &o, a->ts_ns, a->flow_id, "alert");
	tuple(&o, a->ip_version, a->src, a->sp, a->dst, a->dp, a->proto);
	ob_flush(&o);
	if (a->app_proto)
		fprintf(f, ",\"app_proto\":\"%s\"", a->app_proto);
	fprintf(f, ",\"alert\":{\"action\":\"%s\",\"gid\":%u,\"signature_id\":%u,\"rev\":%u",
	        a->action == IPS_ACT_ALERT ? "allowed" : "blocked", r->gid, r->sid, r->rev);
	fputs(",\"signature\":", f);
	jstr(f, r->msg ? r->msg : "");
	fputs(",\"category\":", f);
	jstr(f, a->category ? a->category : "");
	fprintf(f, ",\"severity\":%d", a->priority);
	metadata(f, r);
	fputc('}', f);
	if (a->tx)
		tx_fields(f, a->tx);
	fputs("}\n", f);
}

void ips_eve_flow(struct ips_eve *e, const struct ips_flow_rec *fl, enum ips_flow_end why,
                  const char *app_proto)
{
	char t[48];
	struct ob o;
	head(e, &o, fl->last_ns, fl->id, "flow");
	tuple(&o, fl->ip_version, fl->cli, fl->cli_port, fl->srv, fl->srv_port, fl->proto);
	if (app_proto) {
		ob_str(&o, ",\"app_proto\":\"");
		ob_str(&o, app_proto);
		ob_put(&o, "\"", 1);
	}
	ob_str(&o, ",\"flow\":{\"pkts_toserver\":");
	ob_u64(&o, fl->pkts[0]);
	ob_str(&o, ",\"pkts_toclient\":");
	ob_u64(&o, fl->pkts[1]);
	ob_str(&o, ",\"bytes_toserver\":");
	ob_u64(&o, fl->bytes[0]);
	ob_str(&o, ",\"bytes_toclient\":");
	ob_u64(&o, fl->bytes[1]);
	ips_eve_time(t, sizeof(t), fl->start_ns);
	ob_str(&o, ",\"start\":\"");
	ob_str(&o, t);
	ips_eve_time(t, sizeof(t), fl->last_ns);
	ob_str(&o, "\",\"end\":\"");
	ob_str(&o, t);
	ob_str(&o, "\",\"age\":");
	ob_u64(&o, (fl->last_ns - fl->start_ns) / 1000000000u);
	ob_str(&o, ",\"state\":\"");
	ob_str(&o, ips_flow_state_name((enum ips_flow_state)fl->state));
	ob_str(&o, "\",\"reason\":\"");
	ob_str(&o, ips_flow_end_name(why));
	ob_str(&o, "\"}}\n");
	ob_flush(&o);
}

void ips_eve_stats(struct ips_eve *e, const struct ips_pipeline *pl,
                   const struct ips_load_stats *load, uint64_t ts_ns, double uptime_s)
{
	FILE *f = e->f;
	const struct ips_pipeline_stats *st = ips_pipeline_stats(pl);
	const struct ips_decode_stats *d = ips_pipeline_decode_stats(pl);
	const struct ips_flow_stats *fs = ips_pipeline_flow_stats(pl);
	const struct ips_stream_stats *ss = ips_pipeline_stream_stats(pl);
	const struct ips_defrag_stats *ds = ips_pipeline_defrag_stats(pl);

	struct ob o;
	head(e, &o, ts_ns, 0, "stats");
	ob_flush(&o);
	fprintf(f, ",\"stats\":{\"uptime\":%.0f", uptime_s);
	fprintf(f,
	        ",\"decoder\":{\"pkts\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"ipv4\":%" PRIu64
	        ",\"ipv6\":%" PRIu64 ",\"ethernet\":%" PRIu64 ",\"vlan\":%" PRIu64
	        ",\"tcp\":%" PRIu64 ",\"udp\":%" PRIu64 ",\"icmpv4\":%" PRIu64
	        ",\"icmpv6\":%" PRIu64 ",\"gre\":%" PRIu64 ",\"esp\":%" PRIu64
	        ",\"esp_decrypted\":%" PRIu64 ",\"esp_no_key\":%" PRIu64
	        ",\"esp_auth_failed\":%" PRIu64 ",\"esp_invalid\":%" PRIu64
	        ",\"anomalies\":%" PRIu64 ",\"event\":{",
	        d->pkts, d->bytes, d->ipv4, d->ipv6, d->eth, d->vlan, d->tcp, d->udp, d->icmpv4,
	        d->icmpv6, d->gre, d->esp, d->esp_decrypted, d->esp_no_key, d->esp_auth_failed,
	        d->esp_invalid, d->anomalies);
	bool first = true;
	for (int i = 1; i < IPS_EV__COUNT; i++) {
		if (!d->events[i])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", ips_event_name(i), d->events[i]);
		first = false;
	}
	fprintf(f,
	        "}},\"flow\":{\"total\":%" PRIu64 ",\"memuse\":%zu,\"emerg_mode_entered\":%" PRIu64
	        "},\"tcp\":{\"sessions\":%" PRIu64 ",\"segments\":%" PRIu64 ",\"gaps\":%" PRIu64
	        ",\"reassembly_gap\":%" PRIu64 ",\"memuse_peak\":%zu}",
	        fs->created, fs->mem, fs->emergencies, ss->sessions, ss->segments, ss->gaps,
	        ss->gaps, ss->mem_peak);
	fprintf(f, ",\"defrag\":{\"fragments\":%" PRIu64 ",\"reassembled\":%" PRIu64 "}", ds->frags,
	        ds->reassembled);
	fprintf(f, ",\"detect\":{\"alert\":%" PRIu64, st->alerts);
	if (load) {
		fprintf(f,
		        ",\"engines\":[{\"rules_loaded\":%u,\"rules_failed\":%u,\"rules_skipped\":"
		        "{",
		        load->loaded, load->skipped);
		for (size_t i = 0; i < load->nreasons; i++) {
			if (i)
				fputc(',', f);
			jstr(f, load->reasons[i].what);
			fprintf(f, ":%u", load->reasons[i].count);
		}
		fputs("}}]", f);
	}
	fputs(",\"alerts_by_sid\":{", f);
	for (size_t i = 0; i < st->nsids; i++)
		fprintf(f, "%s\"%u:%u\":%" PRIu64, i ? "," : "", st->sids[i].gid, st->sids[i].sid,
		        st->sids[i].alerts);
	fputs("}},\"drop\":{", f);
	for (int i = 0; i < IPS_DROP__COUNT; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "",
		        ips_drop_reason_name((enum ips_drop_reason)i), st->drops[i]);
	fputs("}}}\n", f);
}
