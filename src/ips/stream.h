/* SPDX-License-Identifier: ISC */
/*
 * IPS TCP stream tracking and reassembly (RFC 9293). Per flow, one session
 * with one half per direction (the sender's bytes): ISN, next expected
 * sequence number, window, SYN/FIN/RST handling; the three-way handshake
 * (RFC 9293 3.5) moves the flow to established, both FINs or a valid RST
 * (RFC 9293 3.5.2, RFC 5961 3) to closed.
 *
 * Reassembly hands each direction's bytes, in order and exactly once, to a
 * consumer callback (app layer, stream detection). In-order data goes
 * straight from the packet; out-of-order segments are copied into a sorted
 * queue, capped per direction (queue_cap) and for all sessions (memcap).
 * Policies, chosen to match Suricata 7 in IDS mode with its default
 * configuration:
 *  - overlaps: first wins. Bytes already held (queued) are kept; the new
 *    segment contributes only bytes not held yet. This is what Suricata does
 *    under its default host-os-policy (windows for 0.0.0.0/0), where the
 *    original segment's data is retained; an overlap whose bytes differ
 *    raises stream.reassembly_overlap_different_data.
 *  - retransmissions (data wholly before the next expected byte) are
 *    counted, raise stream.pkt_retransmission, and are ignored; the part of
 *    a segment before the next expected byte is trimmed. Delivered bytes are
 *    not kept, so a retransmission of already delivered data is not compared.
 *  - gaps: when the peer acknowledges bytes never seen (capture loss), when
 *    the queue cap is hit, or when the flow ends with a hole, the missing
 *    range is skipped: the next chunk carries IPS_STREAM_GAP and the gap
 *    size, and stream.reassembly_seq_gap is raised. The consumer decides to
 *    resync or stop (the app layer stops the direction's parser).
 *  - depth: after `depth` bytes of stream offset (default 1 MiB, Suricata's
 *    stream.reassembly.depth; 0 = unlimited) the direction is no longer
 *    reassembled: the chunk reaching it carries IPS_STREAM_DEPTH.
 *  - midstream pickup: off by default, as Suricata's stream.midstream:
 *    false. A TCP flow whose SYN was not seen then gets no session (its
 *    packets are still inspected as packets; the flow stays not
 *    established). With midstream on, the first packet of each direction
 *    sets its next sequence number and the flow is established at once.
 *  - before an acceptable SYN/ACK (SYN_SENT) only handshake packets count:
 *    a bare ACK, data or a FIN is ignored, as Suricata does without its
 *    async-oneside option (a challenge ACK must not skip the stream ahead).
 *  - injection checks, as Suricata: in SYN_SENT a server reply whose
 *    timestamp option (RFC 7323) echoes something other than the SYN's TSval
 *    is ignored (stream.pkt_invalid_timestamp), and a client RST there only
 *    counts with the SYN's sequence number, window 0 and ACK of ISN + 1; a
 *    RST signed with TCP-MD5 (RFC 2385) or TCP-AO (RFC 5925) cannot be
 *    verified, so it does not close the session, and its sender going on
 *    raises stream.suspected_rst_inject.
 *  - TCP Fast Open (RFC 7413): the data of a SYN with a Fast Open option
 *    is the start of the client's stream, and the SYN/ACK may acknowledge
 *    it; data on other SYNs is ignored, as a server would.
 *  - data is delivered as soon as it is in order, without waiting for the
 *    peer's ACK (captures often miss ACKs; in-order delivery keeps the
 *    consumer's view deterministic).
 *
 * Pure: time is an input, no I/O, no clock reads. A session is owned by its
 * flow (struct ips_flow_rec.tcp) and thus by one thread; the context (limits
 * and memory accounting) is per thread too and must outlive its sessions.
 */
#ifndef BW_IPS_STREAM_H
#define BW_IPS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ips/decode.h"
#include "ips/flow.h"

/* Stream anomalies (one bit each); names in Suricata's stream-event style. */
#define IPS_STREAM_EVENTS(X)                                                                       \
	X(3WHS_SYNACK_WRONG_ACK, "stream.3whs_synack_with_wrong_ack")                              \
	X(3WHS_SYNACK_TOSERVER, "stream.3whs_synack_in_wrong_direction")                           \
	X(3WHS_SYN_RESEND_DIFF_SEQ, "stream.3whs_syn_resend_diff_seq_on_syn_recv")                 \
	X(3WHS_ACK_WRONG, "stream.3whs_wrong_seq_wrong_ack")                                       \
	X(PKT_INVALID_ACK, "stream.pkt_invalid_ack")                                               \
	X(PKT_RETRANSMISSION, "stream.pkt_retransmission")                                         \
	X(PKT_OUTSIDE_WINDOW, "stream.pkt_outside_window")                                         \
	X(OVERLAP_DIFF, "stream.reassembly_overlap_different_data")                                \
	X(GAP, "stream.reassembly_seq_gap")                                                        \
	X(DEPTH, "stream.reassembly_depth_reached")                                                \
	X(MEMCAP, "stream.reassembly_memcap")                                                      \
	X(RST_INVALID, "stream.rst_invalid")                                                       \
	X(DATA_AFTER_FIN, "stream.data_after_fin")                                                 \
	X(SYN_ON_ESTABLISHED, "stream.est_syn_resend_diff_seq")                                    \
	X(PKT_INVALID_TIMESTAMP, "stream.pkt_invalid_timestamp")                                   \
	X(SUSPECTED_RST_INJECT, "stream.suspected_rst_inject")

enum ips_stream_event {
#define IPS_SEV_ENUM(n, s) IPS_SEV_##n,
	IPS_STREAM_EVENTS(IPS_SEV_ENUM)
#undef IPS_SEV_ENUM
	        IPS_SEV__COUNT
};

/* Per-direction TCP states of the tracker. */
enum ips_tcp_state {
	IPS_TCP_NONE,        /* no session */
	IPS_TCP_SYN_SENT,    /* client SYN seen */
	IPS_TCP_SYN_RECV,    /* server SYN/ACK seen */
	IPS_TCP_ESTABLISHED, /* handshake completed (or midstream pickup) */
	IPS_TCP_CLOSING,     /* a FIN was seen */
	IPS_TCP_CLOSED,      /* both FINs delivered or RST */
};

/* Chunk flags. */
enum ips_stream_flag {
	IPS_STREAM_START = 1u << 0, /* the first chunk of this direction */
	IPS_STREAM_GAP = 1u << 1,   /* `gap` bytes are missing before data */
	IPS_STREAM_EOF = 1u << 2,   /* the direction ended (FIN, RST, flow end): nothing follows */
	IPS_STREAM_DEPTH = 1u << 3, /* reassembly depth reached: nothing follows but EOF */
};

/* One delivery. data is borrowed for the duration of the callback. */
struct ips_stream_chunk {
	const uint8_t *data; /* may be NULL when len is 0 (pure GAP or EOF) */
	size_t len;
	uint64_t offset; /* stream offset of data[0]: 0 = the byte after the SYN */
	uint64_t gap;    /* with IPS_STREAM_GAP: bytes skipped just before offset */
	uint32_t flags;  /* enum ips_stream_flag */
};

/* The consumer. The callback must not end the flow nor feed this flow
 * again (no re-entrancy); it may read the flow and its session. */
struct ips_stream_cb {
	void (*data)(void *arg, struct ips_flow_rec *f, bool to_server,
	             const struct ips_stream_chunk *c);
};

struct ips_stream_cfg {
	size_t memcap;    /* sessions and queued segments of all flows */
	size_t queue_cap; /* queued bytes (with per-segment overhead) per direction */
	uint64_t depth;   /* reassembly depth per direction in bytes; 0 = unlimited */
	bool midstream;   /* pick up sessions without a SYN */
	/*
	 * stream.async-oneside: a session may show one direction only (the
	 * other takes another path): picked up at the SYN/ACK and established
	 * by the server's first packet after it, without the client's ACK.
	 */
	bool async_oneside;
};

struct ips_stream_stats {
	uint64_t sessions;     /* created */
	uint64_t no_session;   /* TCP packets of flows without a session (midstream off) */
	uint64_t segments;     /* segments with payload */
	uint64_t queued;       /* segments queued out of order */
	uint64_t retransmits;  /* wholly retransmitted segments */
	uint64_t overlaps;     /* segments overlapping queued data */
	uint64_t overlap_diff; /* ... with different bytes */
	uint64_t gaps;         /* gaps skipped */
	uint64_t delivered;    /* bytes handed to the consumer */
	uint64_t memcap_drops; /* segments or sessions refused by a cap */
	uint64_t events[IPS_SEV__COUNT];
	size_t mem, mem_peak;
};

struct ips_stream_ctx;

/* Suricata's defaults: memcap 256 MiB (its stream.reassembly.memcap),
 * queue_cap 1 MiB, depth 1 MiB, midstream off. */
void ips_stream_cfg_default(struct ips_stream_cfg *cfg);
/* cfg NULL: defaults; copied. NULL on allocation failure. */
struct ips_stream_ctx *ips_stream_ctx_new(const struct ips_stream_cfg *cfg);
/* Every session made with ctx must be freed first. NULL is a no-op. */
void ips_stream_ctx_free(struct ips_stream_ctx *ctx);
const struct ips_stream_stats *ips_stream_ctx_stats(const struct ips_stream_ctx *ctx);

/*
 * Tracks one decoded TCP packet of flow f (from ips_flow_lookup, with its
 * direction). Creates f->tcp on a SYN (or any packet when midstream is
 * on), updates the state (and f's state: established, closed), and calls
 * cb->data for every chunk that became contiguous, including GAP and EOF
 * notifications. *events (may be NULL) gets the bits (1u << enum
 * ips_stream_event) raised by this packet. Packets that are not TCP are
 * ignored. Returns 0, or BW_ERR_LIMIT when the session could not be
 * created within memcap (the packet is then inspected as a packet only).
 */
int ips_stream_packet(struct ips_stream_ctx *ctx, struct ips_flow_rec *f,
                      const struct ips_packet *p, bool to_server, uint64_t now_ns,
                      const struct ips_stream_cb *cb, void *arg, uint32_t *events);

/*
 * Flow end: delivers what is still queued in each direction (skipping the
 * holes, with GAP) and then EOF for each direction that did not end yet.
 * Call it from the flow table's on_end callback. No-op without a session.
 */
void ips_stream_flush(struct ips_flow_rec *f, const struct ips_stream_cb *cb, void *arg);

/* Frees a session (and its queues). NULL is a no-op. Called by flow.c. */
void ips_stream_ssn_free(struct ips_tcp_ssn *s);

/* A read-only view of a session, for detection and outputs. */
struct ips_stream_info {
	bool tracked;          /* a session exists */
	bool established;      /* handshake completed (or midstream) */
	bool midstream;        /* picked up without a SYN */
	uint8_t state;         /* enum ips_tcp_state of the session */
	uint32_t events;       /* every event raised on this session */
	uint64_t delivered[2]; /* bytes delivered, by enum ips_flow_dir */
	uint64_t gap_bytes[2]; /* bytes skipped in gaps */
	uint64_t rx_bytes[2];  /* payload bytes received (with retransmissions) */
	size_t queued[2];      /* bytes queued out of order now */
	bool eof[2];           /* direction ended */
	bool depth[2];         /* depth reached */
};

/* Fills *info (tracked false when f has no session). */
void ips_stream_info(const struct ips_flow_rec *f, struct ips_stream_info *info);

/* The event's name, or "unknown". */
const char *ips_stream_event_name(int ev);
/* "none", "syn_sent", "syn_recv", "established", "closing", "closed". */
const char *ips_tcp_state_name(int st);

#endif
