/* SPDX-License-Identifier: ISC */
/*
 * The IPS pipeline: one captured frame at a time through decoding (decode.h),
 * IP fragment reassembly (defrag.h), the flow table (flow.h), TCP stream
 * reassembly (stream.h), the application layer (app.h) and detection
 * (detect.h), with alerts and flow ends handed to output callbacks (EVE JSON
 * and fast.log writers below). Detection runs, per packet, on (a) the packet
 * payload with the packet-level keywords, (b) the reassembled stream of each
 * direction for payload rules of TCP flows, and (c) every app-layer
 * transaction updated by the packet, with its sticky buffers; a rule alerts
 * at most once per packet, once per transaction, and once per flow
 * direction from the stream (Suricata's deduplication, simplified).
 *
 * A pipeline and every flow in it are owned by one thread (issue 4); time is
 * the capture's clock, passed in with each frame. Actions are recorded, not
 * enforced (offline mode): drop and reject mark the flow, whose later packets
 * count as dropped; a matching pass rule stops inspection of the packet and
 * of the rest of its flow, as Suricata does.
 */
#ifndef BW_IPS_IPS_H
#define BW_IPS_IPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ips/app.h"
#include "ips/decode.h"
#include "ips/defrag.h"
#include "ips/detect.h"
#include "ips/flow.h"
#include "ips/rule.h"
#include "ips/stream.h"

/* One alert, borrowed by the output callback for the duration of the call. */
struct ips_alert {
	const struct ips_rule *rule;
	enum ips_action action;
	int priority;
	const char *category; /* classtype description, or "" */
	uint64_t ts_ns;
	uint64_t flow_id; /* 0: no flow */
	uint8_t ip_version;
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sp, dp;
	uint8_t proto;
	const char *app_proto;   /* EVE app_proto, NULL when none */
	const struct app_tx *tx; /* transaction that matched, or NULL */
	const char *origin;      /* "packet", "stream", "tx" */
};

/* Why packets were counted as dropped (offline: recorded only). */
enum ips_drop_reason {
	IPS_DROP_RULE,   /* a drop/reject rule matched this packet */
	IPS_DROP_FLOW,   /* the flow was dropped by an earlier packet */
	IPS_DROP_DEFRAG, /* fragment refused by reassembly */
	IPS_DROP__COUNT,
};
const char *ips_drop_reason_name(enum ips_drop_reason r);

struct ips_sid_count {
	uint32_t gid, sid;
	uint64_t alerts;
	const struct ips_rule *rule;
};

struct ips_pipeline_stats {
	uint64_t pkts, bytes;
	uint64_t alerts, alerts_dropped; /* dropped: beyond the per-packet (or inspection) cap */
	uint64_t passed;                 /* packets stopped by a pass rule */
	uint64_t bypassed;               /* flows a bypass rule took out of inspection */
	uint64_t non_ip;                 /* frames without an IP layer (ARP, ...): not inspected */
	uint64_t drops[IPS_DROP__COUNT];
	uint64_t flows_ended;
	uint64_t inspections[3];    /* packet, stream, tx runs */
	struct ips_sid_count *sids; /* sorted by gid, sid */
	size_t nsids, capsids;
};

struct ips_pipeline_cfg {
	const struct ips_detect_engine *engine; /* NULL: no detection */
	const struct ips_classconf *classes;    /* NULL: no categories */
	void (*on_alert)(void *arg, const struct ips_alert *a);
	/* Flow end: f is borrowed; app_proto NULL when none was detected. */
	void (*on_flow)(void *arg, const struct ips_flow_rec *f, enum ips_flow_end why,
	                const char *app_proto);
	void *arg;
	bool midstream;                  /* stream.midstream (default false, as Suricata) */
	bool async_oneside;              /* stream.async-oneside (default false) */
	unsigned http_decompress_layers; /* 0: app_cfg_default()'s */
	/*
	 * packet-alert-max: alerts kept per packet (0: Suricata's 15); matches
	 * past it are counted in alerts_dropped, their drop still applies.
	 * Inspections of a packet (packet, stream, transactions) fill it in
	 * that order, each in its evaluation order; a flow's final inspections
	 * count as one packet.
	 */
	unsigned alert_max;
	size_t mqtt_max_msg; /* app-layer.protocols.mqtt.max-msg-length; 0: app_cfg_default()'s */
	/* HTTP request/response-body-limit where has_http_body_limit (0: none). */
	bool has_http_body_limit[2];
	uint64_t http_body_limit[2];
	struct ips_esp_hook esp_hook; /* ESP decryption (ips/esp_keys.h); decrypt NULL: none */
};

struct ips_pipeline;

/* A new pipeline; cfg is copied. BW_ERR_NOMEM on allocation failure. */
int ips_pipeline_new(struct ips_pipeline **out, const struct ips_pipeline_cfg *cfg);
/* Ends every flow (flow events, final inspections) and frees. NULL is a no-op. */
void ips_pipeline_free(struct ips_pipeline *pl);
/* Processes one frame captured at ts_ns. data is borrowed. Returns 0. */
int ips_pipeline_packet(struct ips_pipeline *pl, const uint8_t *data, size_t len, int linktype,
                        uint64_t ts_ns);
/* End of input: ends every flow (as timeouts at the end of the capture). */
void ips_pipeline_finish(struct ips_pipeline *pl);

const struct ips_pipeline_stats *ips_pipeline_stats(const struct ips_pipeline *pl);
const struct ips_decode_stats *ips_pipeline_decode_stats(const struct ips_pipeline *pl);
const struct ips_flow_stats *ips_pipeline_flow_stats(const struct ips_pipeline *pl);
const struct ips_stream_stats *ips_pipeline_stream_stats(const struct ips_pipeline *pl);
const struct ips_defrag_stats *ips_pipeline_defrag_stats(const struct ips_pipeline *pl);

/* ---- EVE JSON (output_eve.c) ---- */

struct ips_eve;
/* Opens path for writing (truncates). BW_ERR_IO with a log line on failure. */
int ips_eve_open(struct ips_eve **out, const char *path, const char *in_iface);
void ips_eve_close(struct ips_eve *e);
void ips_eve_alert(struct ips_eve *e, const struct ips_alert *a);
void ips_eve_flow(struct ips_eve *e, const struct ips_flow_rec *f, enum ips_flow_end why,
                  const char *app_proto);
/* The final stats event. load may be NULL. ts_ns: the last packet's time. */
void ips_eve_stats(struct ips_eve *e, const struct ips_pipeline *pl,
                   const struct ips_load_stats *load, uint64_t ts_ns, double uptime_s);
/* JSON string with quotes and escapes (control bytes, '"', '\\', non-UTF-8 as \u00XX). */
void ips_json_str(FILE *f, const char *s, size_t len);
/* Suricata's "2009-11-24T21:27:09.534255+0000" (UTC). buf at least 40 bytes. */
void ips_eve_time(char *buf, size_t len, uint64_t ts_ns);

/* ---- fast.log (output_fast.c) ---- */

struct ips_fast;
int ips_fast_open(struct ips_fast **out, const char *path);
void ips_fast_close(struct ips_fast *fl);
void ips_fast_alert(struct ips_fast *fl, const struct ips_alert *a);

#endif
