/* SPDX-License-Identifier: ISC */
/*
 * The detection engine: compiles a loaded ruleset (src/ips/rule.h) into rule
 * groups keyed by transport class, direction, inspection buffer and
 * transform; each group's fast patterns go into one multi-pattern database
 * (vectorscan, or Aho-Corasick as fallback, see mpm.h) that prefilters
 * candidate rules, which are then evaluated fully in Suricata's signature
 * order (action pass, drop, reject, alert or as configured; flowbits
 * setters before readers; priority; file order). Rules without a usable
 * content are evaluated on every packet of their group, filtered by the
 * header.
 *
 * The caller (flow, stream and app-layer code) describes what is inspected
 * in a struct ips_detect_input: packet header fields, flow state, the
 * payload or reassembled stream chunk, and app-layer buffers by enum
 * ips_buf. The compiled engine is read-only after ips_detect_build() and
 * may be shared by threads; everything that changes while inspecting
 * (vectorscan scratch, PCRE2 match data, candidate sets, threshold
 * tracking) lives in a struct ips_detect_thread that one thread owns.
 * Per-flow flowbits live in a struct ips_flowbits the caller keeps with its
 * flow and passes in.
 */
#ifndef BW_IPS_DETECT_H
#define BW_IPS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ips/rule.h"

struct app_tx;

/* A borrowed byte view. */
struct ips_bufv {
	const uint8_t *p;
	size_t len;
	/*
	 * Offset of p in the whole buffer when the view is a window of it (a
	 * body inspected from where the last inspection left off): absolute
	 * content depths and bsize count from the buffer's start, as Suricata's
	 * stream_start_offset. 0 for whole buffers.
	 */
	uint64_t origin;
};

/* An app-layer buffer: n views (n > 1 for multi-buffers like tls.certs), n = 0 when absent. */
struct ips_detect_buf {
	const struct ips_bufv *v;
	size_t n;
};

/* Flowbits of one flow: sorted ids interned by the engine (ips_detect_flowbit_id). */
enum { IPS_FLOWBITS_MAX = 32 };
struct ips_flowbits_state {
	uint16_t n;
	uint16_t id[IPS_FLOWBITS_MAX];
	uint32_t dropped; /* sets refused because the flow had IPS_FLOWBITS_MAX bits */
};

/* Flowints of one flow: ids interned with the flowbit names, sorted by id. */
enum { IPS_FLOWINTS_MAX = 16 };
struct ips_flowint_state {
	uint16_t n;
	uint16_t id[IPS_FLOWINTS_MAX];
	uint32_t val[IPS_FLOWINTS_MAX];
	uint32_t dropped; /* variables refused because the flow had IPS_FLOWINTS_MAX */
};

/*
 * Prefilter progress over a buffer that grows at its end and may lose bytes
 * at its front: an HTTP body growing across inspections of one transaction,
 * or a stream window (kept tail + new bytes). base is the position of the
 * buffer's first byte in the whole stream of bytes the caller appended (0
 * for a body); the caller sets it before each run. With one in
 * ips_detect_input.carry[b], the run scans only the bytes not yet scanned
 * (from the longest pattern's length - 1 before them) and takes again the
 * carried candidates whose fast pattern may still lie in the buffer, so it
 * evaluates a superset of the candidates of a full scan: the same alerts
 * (candidates are evaluated fully). Zero-initialise; keep one per
 * (transaction or flow, direction, buffer) with the same engine; release
 * with ips_detect_carry_free(). Bytes removed other than at the front, or
 * an input of another class or direction, restart it.
 */
struct ips_detect_carry {
	uint64_t base;    /* set by the caller */
	uint64_t scanned; /* stream position up to which the buffer was scanned */
	uint8_t slot;
	const void *group; /* the prefilter group that scanned */
	uint32_t *rule;    /* candidates so far, by evaluation order */
	uint64_t *bound;   /* per candidate: its last occurrence ends at or before this */
	size_t n, cap;
};

void ips_detect_carry_free(struct ips_detect_carry *c);

/*
 * The payload prefilter hits of one run, handed to the next so the same
 * bytes are not scanned twice: a packet run given hits_out records the
 * patterns its payload scan found (each once), and a stream run given
 * hits_in, whose window's new bytes are exactly those payload bytes (the
 * caller checks), takes those patterns instead of scanning the bytes again
 * and scans only the seam: the longest pattern's length - 1 bytes on either
 * side of where the new bytes start, unless the packet run's scan began
 * that far before them (pre). Same candidates as a full scan of the new
 * bytes. Zero-initialise; release with ips_detect_hits_free().
 */
struct ips_detect_hits {
	const void *group; /* the prefilter group the ids belong to */
	uint8_t slot;
	bool valid;   /* set by a run that recorded */
	size_t len;   /* bytes the ids were found in */
	size_t pre;   /* bytes before those that the scan covered too (payload_pre) */
	uint32_t *id; /* pattern ids, each once */
	size_t n, cap;
};

void ips_detect_hits_free(struct ips_detect_hits *h);

/* Everything one inspection sees. Zero-initialise, then fill what is known. */
struct ips_detect_input {
	/* Network layer (innermost). */
	uint8_t ip_version;       /* 4 or 6; 0 = no IP (nothing but `ip any` rules can match) */
	uint8_t src[16], dst[16]; /* network order; IPv4 uses the first 4 bytes */
	uint8_t proto;            /* IP protocol number */
	uint8_t ttl;
	bool is_frag;
	/* Transport. */
	uint16_t sp, dp;
	bool has_tcp;
	uint8_t tcp_flags;
	bool has_icmp;
	uint8_t icmp_type, icmp_code;
	bool icmp_has_id; /* echo request/reply: id and seq meaningful */
	uint16_t icmp_id, icmp_seq;
	/* The payload buffer: packet payload, or a reassembled stream chunk. */
	const uint8_t *payload;
	size_t payload_len;
	/*
	 * Bytes readable before payload that precede it in its stream (a TCP
	 * packet's payload inside the stream window; 0: none). A packet run
	 * recording hits_out starts its payload scan up to the longest
	 * pattern's length - 1 of them earlier, so that the stream run given
	 * those hits has no seam left to scan; the patterns found there are
	 * candidates of the packet run too (a superset: it evaluates the
	 * payload alone).
	 */
	size_t payload_pre;
	/*
	 * The caller set no buffer but the packet header ones (ips_buf_is_pkt:
	 * tcp.hdr, ...): the run looks at those buffers' groups only, not at
	 * every buffer the rules name (packet and stream runs). Debug builds
	 * assert it.
	 */
	bool pkt_bufs_only;
	size_t dsize;   /* the packet's own payload size (dsize keyword) */
	bool is_stream; /* payload is reassembled stream data */
	/* Flow. */
	bool has_flow;
	bool established;
	/*
	 * The IP-only rules (ips_rule_ip_only) were evaluated on an earlier
	 * packet of this flow direction and are not evaluated again, as
	 * Suricata's IP-only engine runs once per flow direction.
	 */
	bool iponly_done;
	bool to_server;     /* direction of this packet in its flow */
	enum ips_proto app; /* detected app protocol, IPS_PROTO_IP when unknown */
	uint64_t stream_bytes_ts, stream_bytes_tc; /* for stream_size */
	struct ips_flowbits_state *flowbits;       /* NULL: no flow state */
	struct ips_flowint_state *flowints;        /* NULL: no flow state */
	const struct ips_dce_call *dce;            /* DCE/RPC call of the transaction, or NULL */
	/*
	 * The app-layer transaction inspected (struct app_tx *), for IPS_KW_APP
	 * options. When set, only rules of kind IPS_RK_APP (ips_rule_kind) are
	 * evaluated: a transaction's inspection alerts from those only.
	 */
	const struct app_tx *app_tx;
	/* Optional: payload prefilter hits to record (packet run) or to reuse (stream run). */
	struct ips_detect_hits *hits_out;
	const struct ips_detect_hits *hits_in;
	/* The file of the transaction in this direction (filesize). */
	bool file_present, file_complete;
	uint64_t file_size;
	/* Time, for threshold and detection_filter. */
	uint64_t ts_usec;
	/* Events (decode-event, stream-event, app-layer-event). */
	const uint8_t *events; /* enum ips_event of the packet */
	size_t n_events;
	uint32_t stream_events; /* 1u << enum ips_stream_event, raised by this packet */
	uint32_t app_events;    /* 1u << enum app_tx_event of the transaction inspected */
	/* Header details (packet runs). */
	uint16_t ipopts;         /* enum ips_ipopt bits of the IPv4 header */
	uint8_t ipv4_csum;       /* enum ips_csum_state of the IPv4 header */
	uint8_t l4_csum;         /* enum ips_csum_state of the TCP/UDP/ICMP checksum */
	bool has_mtu;            /* ICMPv6 packet too big (type 2, code 0) */
	uint32_t mtu;            /* its MTU field */
	bool has_flow_age;       /* flow_age is known */
	uint32_t flow_age;       /* seconds since the flow's first packet */
	bool has_dns_opcode;     /* a DNS transaction is inspected: */
	uint8_t dns_opcode;      /* its header opcode */
	struct ips_bufv hdrv[3]; /* views for the packet header buffers (tcp.hdr, ...) */
	/*
	 * The two arrays come last: a caller that reuses an input may clear the
	 * fields before them only (offsetof bufs) if it keeps them zero but for
	 * the entries it sets and clears again (the pipeline's packet and stream
	 * runs, which set the header buffers and the payload carry only).
	 */
	/* App-layer buffers (IPS_BUF_PAYLOAD is ignored here: use payload). */
	struct ips_detect_buf bufs[IPS_BUF__COUNT];
	/* Optional: prefilter progress of growing single-view buffers (see above). */
	struct ips_detect_carry *carry[IPS_BUF__COUNT];
};

/* Checksum states for ips_detect_input.ipv4_csum / l4_csum. */
enum ips_csum_state {
	IPS_CSUM_NA,      /* no such checksum in this input */
	IPS_CSUM_OK,      /* verified correct */
	IPS_CSUM_BAD,     /* verified wrong */
	IPS_CSUM_SKIPPED, /* not verified (fragment, truncated, disabled): any keyword matches */
};

/* Sets buffer b of in to the single view v (which must outlive the inspection). */
static inline void ips_detect_set_buf(struct ips_detect_input *in, enum ips_buf b,
                                      const struct ips_bufv *v)
{
	in->bufs[b].v = v;
	in->bufs[b].n = v && v->p ? 1 : 0;
}

struct ips_match {
	const struct ips_rule *rule; /* borrowed from the ruleset */
	enum ips_action action;
};

/* Classes of rule actions, for the evaluation order (Suricata's action-order). */
enum ips_action_class {
	IPS_ACLASS_PASS,
	IPS_ACLASS_DROP,
	IPS_ACLASS_REJECT, /* reject, rejectsrc, rejectdst, rejectboth */
	IPS_ACLASS_ALERT,
	IPS_ACLASS__COUNT,
};

/*
 * Parses an action order, a comma-separated permutation of pass, drop,
 * reject and alert ("drop,pass,reject,alert"; spaces allowed), into
 * rank[class] (0 is evaluated first). Returns 0, or BW_ERR_INVAL when a
 * class is unknown, repeated or missing.
 */
int ips_detect_parse_action_order(const char *s, uint8_t rank[IPS_ACLASS__COUNT]);

struct ips_detect_conf {
	const struct ips_classconf *classes; /* for priorities; NULL: rule's own or 3 */
	/* Evaluation order of the action classes (ips_detect_parse_action_order). */
	bool has_action_order; /* false: pass, drop, reject, alert (Suricata's default) */
	uint8_t action_rank[IPS_ACLASS__COUNT];
	bool no_prefilter;         /* evaluate every rule (testing) */
	bool force_ac;             /* Aho-Corasick instead of vectorscan (testing, fallback) */
	size_t thr_entries;        /* threshold tracking entries per thread; 0: 16384 */
	unsigned backtrack_limit;  /* content/pcre retries per buffer; 0: 3000 as Suricata */
	uint32_t pcre_match_limit; /* 0: 3500 as Suricata */
};

struct ips_detect_stats {
	double build_ms;
	size_t memory; /* bytes: databases, groups, compiled rules */
	size_t rules;
	size_t groups;
	size_t patterns;             /* unique patterns over all groups */
	size_t always_rules;         /* rules without a fast pattern (sum over header groups) */
	size_t hs_groups, ac_groups; /* groups by matcher */
	size_t flowbit_names;
	size_t zones; /* address zones (1, or 4 split by the home set) */
};

struct ips_detect_thread_stats {
	uint64_t runs, candidates, evaluated, matches;
	uint64_t backtrack_limited, pcre_errors, thr_evicted, alerts_suppressed;
};

struct ips_detect_engine;
struct ips_detect_thread;

/*
 * Compiles rs (borrowed: it must outlive the engine; PCRE2 JIT code is added
 * to its compiled patterns) into a new *engine. conf may be NULL. stats, if
 * not NULL, is filled. Returns 0, BW_ERR_NOMEM or BW_ERR_INVAL.
 */
int ips_detect_build(const struct ips_ruleset *rs, const struct ips_detect_conf *conf,
                     struct ips_detect_engine **engine, struct ips_detect_stats *stats);
void ips_detect_free(struct ips_detect_engine *e);
void ips_detect_stats_print(const struct ips_detect_stats *st, FILE *f);

/* Per-thread state for engine e (which must outlive it). */
int ips_detect_thread_new(const struct ips_detect_engine *e, struct ips_detect_thread **out);
void ips_detect_thread_free(struct ips_detect_thread *t);
/*
 * The xbits table (xbits.h) the thread's inspections read and update
 * (borrowed: the caller owns it and keeps it while the thread runs; NULL:
 * xbits checks never match and changes are dropped).
 */
struct ips_xbits;
void ips_detect_thread_set_xbits(struct ips_detect_thread *t, struct ips_xbits *x);
const struct ips_detect_thread_stats *ips_detect_thread_stats(const struct ips_detect_thread *t);

/*
 * Inspects one input. Matching rules that alert are written to m[0..max) in
 * evaluation order and counted in *n (which may exceed max: the rest are
 * dropped but their side effects apply). A matching pass rule is reported
 * with IPS_ACT_PASS and ends the inspection, as in Suricata. Flowbits of
 * in->flowbits are read and updated. Returns 0 or BW_ERR_NOMEM.
 */
int ips_detect_run(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                   const struct ips_detect_input *in, struct ips_match *m, size_t max, size_t *n);

/* What the rules need the app layer to compute about files. */
enum ips_detect_file_need {
	IPS_DETECT_FILE_MD5 = 1u << 0,
	IPS_DETECT_FILE_SHA1 = 1u << 1,
	IPS_DETECT_FILE_SHA256 = 1u << 2,
	IPS_DETECT_FILE_MAGIC = 1u << 3,
	IPS_DETECT_FRAMES = 1u << 4, /* not about files: rules inspect frames (frame keyword) */
};
unsigned ips_detect_file_needs(const struct ips_detect_engine *e);

/* The interned id of a flowbit or flowint name, or -1 when no rule names it. */
int ips_detect_flowbit_id(const struct ips_detect_engine *e, const char *name);
bool ips_flowbits_isset(const struct ips_flowbits_state *fb, int id);

#endif
