/* SPDX-License-Identifier: ISC */
/*
 * IPS flow table: one bidirectional record per conversation, keyed by the
 * innermost IP addresses, transport ports and IP protocol (RFC 9293 3.1's
 * connection 4-tuple plus the protocol), the VLAN ids and the tunnel depth
 * (number of IP layers outside the innermost one), normalised so that both
 * directions of a conversation find the same record. ICMP echo (RFC 792,
 * RFC 4443) keys on the identifier in both port slots so that request and
 * reply pair up; other ICMP messages key on (type, code). IP fragments that
 * were not reassembled have no transport header and get no flow.
 *
 * The client is the sender of the first packet, except that a TCP SYN/ACK
 * seen first names its sender as the server (the SYN was missed).
 *
 * Pure and single-threaded: time is an input (nanoseconds, the capture's
 * clock), nothing here reads a clock or does I/O, and every record is owned
 * by the one thread that owns its table (issue 4: per-flow state is owned by
 * one thread, so that worker threads each get their own table).
 *
 * Timeouts are per protocol class and state, defaulting to Suricata 7's
 * default suricata.yaml flow-timeouts (TCP new 60 s, established 600 s,
 * closed 60 s; UDP and ICMP 30/300 s; other protocols 30/300/0 s) with its
 * emergency values used while the table is in emergency mode. Each
 * (class, state) pair keeps its own least-recently-used list, so expiry
 * walks only flows that are due. Memory (records and the bucket array) is
 * capped: a new flow that does not fit switches the table into emergency
 * mode (shorter timeouts applied at once) and then evicts the least recently
 * seen flow; emergency mode ends when usage falls under
 * (100 - emergency_recovery) % of the cap, as in Suricata.
 *
 * Every record leaves the table through the configured on_end callback
 * (timeout, eviction, TCP port reuse, table free), which is the place to
 * flush the stream (ips_stream_flush) and emit the EVE flow event; the
 * record, its TCP session and its app/detect slots are freed right after
 * the callback returns.
 *
 * The struct is named ips_flow_rec because rule.h already owns struct
 * ips_flow (the flow keyword's parsed form).
 */
#ifndef BW_IPS_FLOW_H
#define BW_IPS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ips/decode.h"

/* Protocol classes with their own timeouts. */
enum ips_flow_class {
	IPS_FLOW_CL_TCP,
	IPS_FLOW_CL_UDP,
	IPS_FLOW_CL_ICMP, /* ICMP and ICMPv6 */
	IPS_FLOW_CL_OTHER,
	IPS_FLOW_CL__COUNT,
};

/* Flow states (Suricata's FLOW_STATE_*). TCP moves through them by the
 * stream tracker (ips_stream_packet); other protocols become established
 * once both directions were seen. */
enum ips_flow_state {
	IPS_FST_NEW,
	IPS_FST_ESTABLISHED,
	IPS_FST_CLOSED,
	IPS_FST__COUNT,
};

/* Why a flow left the table. */
enum ips_flow_end {
	IPS_FLOW_END_TIMEOUT,  /* idle past its state's timeout */
	IPS_FLOW_END_EVICTED,  /* memory cap: least recently seen flow evicted */
	IPS_FLOW_END_REUSED,   /* TCP SYN on a closed flow: a new conversation */
	IPS_FLOW_END_SHUTDOWN, /* table freed */
};

/* Direction indexes of the per-direction arrays. */
enum ips_flow_dir {
	IPS_DIR_TO_SERVER = 0,
	IPS_DIR_TO_CLIENT = 1,
};

/* Record flags. */
enum ips_flow_flag_bits {
	IPS_FLOWF_SEEN_TS = 1u << 0,  /* a packet to the server was seen */
	IPS_FLOWF_SEEN_TC = 1u << 1,  /* a packet to the client was seen */
	IPS_FLOWF_REVERSED = 1u << 2, /* the first packet came from the server (SYN/ACK first) */
};

struct ips_flow_table;
struct ips_tcp_ssn; /* stream.h */

/*
 * One flow. Fields above the "private" line are for readers (detection,
 * outputs); they are written only by the table and the stream tracker.
 * The app and det slots belong to the caller: set them freely; their free
 * callbacks (when not NULL) run when the flow is freed, after on_end.
 */
struct ips_flow_rec {
	uint64_t id; /* non-zero, unique per table, below 2^51 (fits a JSON number) */
	uint8_t ip_version;
	uint8_t proto;     /* IP protocol of the innermost layer */
	uint8_t cls;       /* enum ips_flow_class */
	uint8_t state;     /* enum ips_flow_state */
	uint8_t n_vlan;    /* VLAN ids in the key */
	uint8_t tun_depth; /* IP layers outside the innermost one */
	uint16_t flags;    /* enum ips_flow_flag_bits */
	uint8_t cli[16];   /* client address, network order (IPv4: first 4 bytes) */
	uint8_t srv[16];   /* server address */
	uint16_t cli_port; /* host order; ICMP: see the file comment */
	uint16_t srv_port;
	uint16_t vlan[IPS_MAX_VLAN];
	uint64_t pkts[2];        /* by enum ips_flow_dir */
	uint64_t bytes[2];       /* frame bytes by direction */
	uint64_t start_ns;       /* first packet */
	uint64_t last_ns;        /* latest packet */
	struct ips_tcp_ssn *tcp; /* TCP session (stream.h); NULL until the tracker creates it */
	void *app;               /* app-layer state (e.g. struct app_flow) */
	void (*app_free)(void *app);
	void *det; /* detection state (e.g. flowbits) */
	void (*det_free)(void *det);

	/* ---- private to flow.c ---- */
	struct ips_flow_table *tab;
	struct ips_flow_rec *hnext;         /* hash chain */
	struct ips_flow_rec *lprev, *lnext; /* LRU list of (cls, state), head = newest */
	uint32_t hash;
};

/* Timeouts in seconds for one protocol class. */
struct ips_flow_timeouts {
	uint32_t t[IPS_FST__COUNT];     /* normal */
	uint32_t emerg[IPS_FST__COUNT]; /* emergency mode */
};

typedef void ips_flow_end_fn(void *arg, struct ips_flow_rec *f, enum ips_flow_end why);

struct ips_flow_cfg {
	size_t memcap;               /* bytes of records and buckets */
	uint32_t hash_size;          /* buckets (rounded up to a power of two) */
	unsigned emergency_recovery; /* percent, 1..100 */
	bool no_vlan;                /* leave VLAN ids out of the key */
	uint64_t id_seed;            /* perturbs flow ids and the hash */
	struct ips_flow_timeouts timeouts[IPS_FLOW_CL__COUNT];
	ips_flow_end_fn *on_end; /* may be NULL */
	void *arg;               /* for on_end */
};

struct ips_flow_stats {
	uint64_t created, ended[4]; /* ended by enum ips_flow_end */
	uint64_t no_key;            /* packets without IP or transport (fragments) */
	uint64_t memcap_fail;       /* packets whose new flow could not be allocated */
	uint64_t emergencies;       /* times emergency mode was entered */
	size_t flows, flows_peak;   /* live now, at most */
	size_t mem, mem_peak;       /* bytes now, at most */
	bool emergency;             /* in emergency mode now */
};

/* Suricata 7's defaults: 128 MiB, 65536 buckets, recovery 30 %, the
 * flow-timeouts of its default suricata.yaml, no callback. */
void ips_flow_cfg_default(struct ips_flow_cfg *cfg);

/* A new table (cfg NULL: defaults; cfg is copied). NULL on allocation
 * failure or when the cap cannot hold the bucket array. */
struct ips_flow_table *ips_flow_table_new(const struct ips_flow_cfg *cfg);

/* Ends every flow (on_end with IPS_FLOW_END_SHUTDOWN, least recently seen
 * first) and frees the table. NULL is a no-op. */
void ips_flow_table_free(struct ips_flow_table *t);

/*
 * Finds or creates the flow of a decoded packet seen at now_ns, updates its
 * per-direction counters and timestamps, and marks a UDP/ICMP/other flow
 * established once both directions were seen. *to_server is the packet's
 * direction, *created whether the flow is new (either may be NULL). A TCP
 * SYN (without ACK) on a CLOSED TCP flow ends it (IPS_FLOW_END_REUSED) and
 * starts a new one. Returns NULL when the packet has no flow key (no IP,
 * unreassembled fragment) or a new flow cannot fit even after eviction.
 *
 * The returned record is borrowed: it stays valid until the next
 * ips_flow_lookup or ips_flow_expire on this table (either may end it).
 * Creating a flow may call on_end for evicted flows.
 */
struct ips_flow_rec *ips_flow_lookup(struct ips_flow_table *t, const struct ips_packet *p,
                                     uint64_t now_ns, bool *to_server, bool *created);

/* Ends every flow idle past its timeout at now_ns (on_end with
 * IPS_FLOW_END_TIMEOUT). Call it regularly, e.g. once per second of capture
 * time, and with UINT64_MAX at the end of input. Returns how many ended. */
size_t ips_flow_expire(struct ips_flow_table *t, uint64_t now_ns);

/* Changes the state of f, moving it to the matching timeout list. */
void ips_flow_set_state(struct ips_flow_rec *f, enum ips_flow_state st);

/* Calls fn for every live flow (no insertion or removal from fn). */
void ips_flow_foreach(struct ips_flow_table *t, void (*fn)(void *arg, struct ips_flow_rec *f),
                      void *arg);

const struct ips_flow_stats *ips_flow_stats(const struct ips_flow_table *t);

/* "new", "established", "closed". */
const char *ips_flow_state_name(enum ips_flow_state st);
/* "timeout", "evicted", "reused", "shutdown" (EVE flow.reason style). */
const char *ips_flow_end_name(enum ips_flow_end why);

#endif
