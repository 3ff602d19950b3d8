/* SPDX-License-Identifier: ISC */
/*
 * Internals of the detection engine shared by detect.c (grouping,
 * prefilter, run loop), detect_match.c (keyword matching of one rule) and
 * detect_thr.c (threshold and detection_filter tracking): the compiled form
 * of a rule, the engine and the per-thread state.
 */
#ifndef BW_IPS_DETECT_INT_H
#define BW_IPS_DETECT_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ips/detect.h"
#include "ips/mpm.h"

/* One option as the matcher sees it. */
struct det_dataset;

struct det_op {
	const struct ips_opt *o;
	uint16_t *fb;           /* flowbits: interned ids of o's names */
	struct det_dataset *ds; /* dataset: its set (the engine's) */
	bool rel_after;         /* a later option of the same buffer list depends on the cursor */
};

/*
 * The options of one view of a buffer (the buffer through one chain of
 * transforms), in rule order. tf is the engine's id of the chain: 0 for
 * none, DET_TF_UNCACHED when the engine's table of chains was full (the
 * view is then computed on each use and never prefiltered).
 */
struct det_bufl {
	enum ips_buf buf;
	uint8_t tf;
	const struct ips_opt *tfo; /* the chain: tfo[0..ntf), IPS_KW_TRANSFORM options */
	size_t ntf;
	struct det_op *ops;
	size_t n;
};

/* Transport classes and directions that key the rule groups. */
enum det_pclass { DET_PC_TCP, DET_PC_UDP, DET_PC_ICMP, DET_PC_OTHER, DET_PC__COUNT };
enum det_dir { DET_TS, DET_TC, DET_DIR__COUNT };

struct det_rule {
	const struct ips_rule *r;
	uint32_t order;   /* index in engine->rules (evaluation order) */
	uint8_t pc_mask;  /* 1 << enum det_pclass */
	uint8_t dir_mask; /* 1 << enum det_dir */
	int action_rank;  /* for sorting */
	int fb_rank;
	int fi_rank;
	int xb_rank; /* xbits, ordered as flowbits (Suricata's host/ippair bit ordering) */
	int prio;
	size_t file_order;
	struct det_op *pkt; /* header/packet/flow options, then flowbits checks */
	size_t npkt;
	struct det_op *post; /* flowbits set/unset/toggle after a match */
	size_t npost;
	struct det_bufl *bl;
	size_t nbl;
	struct det_bufl *b64;            /* the options after base64_data, or NULL */
	const struct ips_threshold *thr; /* threshold or detection_filter */
	/* Fast pattern: the content the prefilter looks for, or NULL. */
	const struct ips_content *fp;
	enum ips_buf fp_buf;
	uint8_t fp_tf;
	uint8_t kind;  /* enum ips_rule_kind */
	uint8_t zmask; /* 1 << address zone (det_zone_of) the rule can match in */
	bool iponly;   /* ips_rule_ip_only: skipped when the input's iponly_done is set */
};

/*
 * A prefilter group: the fast patterns of every rule whose fast pattern is
 * in one buffer with one transform, whatever its transport class and
 * direction, compiled once; a pattern's rules are filtered by the slot
 * (class, direction) of the input when it is found.
 */
enum { DET_TINY_LEN = 3, DET_TINY_SPAN = 16 };

/*
 * A tiny anchored fast pattern of the payload (detect.c fp_tiny): at most
 * DET_TINY_LEN bytes that can only start at offsets lo..hi of the view
 * (a content with depth or startswith). It is compared at those offsets
 * rather than searched by the group's database, which one- to three-byte
 * patterns slow down over every byte scanned.
 */
struct det_tiny {
	uint32_t val; /* the bytes, little-endian, lowercase when nocase */
	uint8_t len;
	bool nocase;
	uint8_t slots;
	uint16_t lo, hi;
	uint32_t rule;
};

/*
 * The tiny patterns that start at one offset only (lo == hi), by offset: a
 * packet is compared with them only when its byte at lo can begin one of
 * them (bytes: 256 bits; both cases of a nocase letter). ET open's TCP
 * payload groups hold 34 tiny patterns (such as |18 03| with depth 2).
 */
struct det_tiny_at {
	uint64_t bytes[4];
	uint16_t lo;
	uint32_t first, n; /* tiny[first .. first + n) */
};

struct det_group {
	const struct ips_mpm_ops *ops;
	void *db; /* NULL when every pattern is tiny */
	uint32_t npat;
	uint32_t *pat_off; /* rules of pattern i: rules[pat_off[i] .. pat_off[i + 1]) */
	uint32_t *rules;
	uint8_t *slots;   /* slots[k]: the slots rules[k] applies to (det_slot bits) */
	uint8_t slot_any; /* union of slots */
	size_t nent;
	size_t maxlen;         /* longest pattern */
	struct det_tiny *tiny; /* the fixed-offset ones first, by offset, then the others */
	size_t ntiny;
	struct det_tiny_at *tiny_at;
	size_t ntiny_at;
	size_t tiny_span; /* tiny[tiny_span .. ntiny): those with more than one offset */
};

/* The slot bit of a (class, direction) pair. */
static inline uint8_t det_slot(int pc, int d)
{
	return (uint8_t)(1u << (pc * DET_DIR__COUNT + d));
}

/* Transform chains the engine tells apart (id 0: none); others are uncached. */
enum { DET_NTF = 16, DET_TF_UNCACHED = 0xff };

/* A chain of transforms, borrowed from the first rule that uses it. */
struct det_chain {
	const struct ips_opt *o;
	size_t n;
};

enum { DET_FP_MAX = 64 }; /* longest pattern the prefilter searches for (detect.c fp_window) */
/*
 * Group keys: one group per (buffer, transform chain), but the payload has
 * one per (slot, chain) and rule kind: packet and stream payloads are the
 * bulk of the bytes scanned, and the patterns of one slot (ET open: TCP to
 * server 2,089, TCP to client 731 of 2,957) make a smaller, faster database
 * than all of them. A transaction's inspection (ips_detect_input.app_tx)
 * evaluates only app rules (ips_rule_kind), so it scans its packet's
 * payload with the transaction payload group (det_tkey): the few app rules
 * whose fast pattern is in the payload, such as a content with urilen; the
 * others use the payload group (det_pkey), which has them too.
 */
enum {
	DET_NSLOT = DET_PC__COUNT * DET_DIR__COUNT,
	DET_NG = IPS_BUF__COUNT * DET_NTF + 2 * DET_NSLOT * DET_NTF,
};
static inline size_t det_gkey(int b, int tf)
{
	return (size_t)b * DET_NTF + (size_t)tf;
}
static inline size_t det_pkey(int slot_index, int tf)
{
	return (size_t)IPS_BUF__COUNT * DET_NTF + (size_t)slot_index * DET_NTF + (size_t)tf;
}
static inline size_t det_tkey(int slot_index, int tf)
{
	return det_pkey(DET_NSLOT + slot_index, tf);
}
enum { DET_HXC = 64 }; /* header index survivors cached per thread (a power of two) */
enum { DET_HXS = 16 }; /* survivors a cache entry lists (most inputs have none or a few) */

/*
 * Elementary intervals of one key space (ports: 2-byte keys, IPv4: 4,
 * IPv6: 16, big-endian): interval i covers [start[i], start[i + 1]) and
 * lists the ids of the sets that contain it.
 */
struct det_ivtab {
	size_t klen;
	size_t n;
	uint8_t *start; /* n keys of klen bytes, ascending; start[0] is zero */
	uint32_t *off;  /* sets of interval i: ids[off[i] .. off[i + 1]) */
	uint32_t *ids;
};

/* One side (source or destination) of the header index. */
struct det_hside {
	struct det_ivtab addr[2]; /* IPv4, IPv6 */
	struct det_ivtab port;
	uint64_t *abits;               /* per address set: its rules (words each) */
	uint64_t *pbits;               /* per port set */
	uint64_t *any_addr, *any_port; /* rules that do not restrict this side */
};

/*
 * The header index of the rules without a fast pattern (IP reputation
 * lists, flags or ttl rules, ...): bitsets over those rules by slot, app
 * protocol, and source and destination address and port, so that one
 * packet costs a few binary searches and word ANDs instead of a header
 * check per rule. It only narrows: every rule it yields is still fully
 * evaluated, and every rule whose header can match is yielded.
 */
struct det_hindex {
	size_t n, words;
	uint32_t *rule; /* bit -> rule order */
	struct det_hside side[2];
	uint64_t *slot[DET_PC__COUNT][DET_DIR__COUNT];
	uint64_t *app[IPS_PROTO__COUNT];
	uint64_t *not_iponly; /* the rules that are not IP-only (ips_rule_ip_only) */
};

/*
 * Address zones, as Suricata's signature group heads split rules by
 * address: the engine's home set is the address set the rules use most
 * (with ET open, $HOME_NET or its complement $EXTERNAL_NET); an input's
 * zone says whether its source (bit 0) and its destination (bit 1) are in
 * it. A rule is in the groups of the zones its addresses can match in, so
 * traffic between two outside hosts, or two inside ones, is scanned for
 * the few rules that can match it, not for all.
 */
enum { DET_NZONE = 4 };

/* The prefilter groups of one zone. */
struct det_zone {
	/* Groups by key (det_gkey, det_pkey); NULL where no rule has one. */
	struct det_group *groups[DET_NG];
	/* The keys of the groups that exist, ascending. */
	uint16_t gkeys[DET_NG];
	size_t ngkeys;
	/*
	 * The same keys as a run walks them: per buffer other than the payload
	 * that has groups, its keys gkeys[first .. first + n) (one test of the
	 * buffer skips them all when it is absent); per run kind (0: packet or
	 * stream, 1: transaction) and slot, the payload group keys.
	 */
	struct det_gbuf {
		uint16_t b, first, n;
	} gbufs[IPS_BUF__COUNT];
	size_t ngbufs;
	/* The indexes in gbufs of the packet header buffers (ips_buf_is_pkt). */
	uint8_t pkt_gbufs[IPS_BUF__COUNT];
	size_t npkt_gbufs;
	uint16_t pkeys[2][DET_NSLOT][DET_NTF];
	uint8_t npkeys[2][DET_NSLOT];
};

struct ips_detect_engine {
	struct det_rule *rules;
	size_t nrules;
	struct ips_detect_conf conf;
	/*
	 * Zones 0 .. nzones - 1 (1 when no rule names addresses); a group
	 * whose rules are the same in two zones is shared, owned by the first.
	 */
	struct det_zone zone[DET_NZONE];
	size_t nzones;
	const struct ips_addrset *home; /* a rule's; NULL when nzones is 1 */
	struct det_hindex hx;
	char **fb_names; /* sorted, unique */
	size_t nfb;
	struct det_chain chains[DET_NTF]; /* [0] unused (no transform) */
	size_t nchains;                   /* including [0] */
	struct det_dataset **ds;          /* datasets by name (detect_dataset.c) */
	size_t nds;
};

/* A threshold tracking entry. */
struct det_thr_entry {
	uint32_t rule; /* order + 1; 0 = free */
	uint32_t count;
	uint64_t start_usec;
	uint8_t key[33]; /* family byte + one or two addresses */
};

/* A cached transformed buffer. */
struct det_tfbuf {
	uint8_t *p;
	size_t cap, len;
	const uint8_t *src; /* the view it was made from */
	size_t srclen;
	uint64_t gen;
};

/*
 * The occurrences found so far of one content option in the buffer under
 * inspection (detect_match.c), in increasing order.
 */
struct det_occ {
	uint32_t *pos;
	size_t cap;
};

enum {
	DET_B64_MAX = 65535,    /* bytes base64_decode writes at most (Suricata's default) */
	DET_OCC_OPS = 64,       /* content options per buffer with an occurrence list */
	DET_OCC_MAX = 1u << 14, /* positions kept per list (64 KiB); past it, plain searches */
};

struct ips_detect_thread {
	const struct ips_detect_engine *e;
	void *hs_scratch;
	/* The zone of the latest addresses (det_zone_of): a flow's runs repeat them. */
	uint8_t zsrc[16], zdst[16];
	uint8_t zver; /* ip_version of zsrc/zdst; 0: none yet */
	uint8_t zone;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	uint64_t *cand_bits; /* candidates of the current run, by rule order */
	/*
	 * Header index work: (DET_HXC + 1) * hx.words; entry i's survivors are
	 * hx_bits[i * words ..), the last block is scratch. The entries cache the
	 * survivors of recent input headers, one entry per hash of the header
	 * (det_hx_cands): packets, stream chunks and transactions of the flows
	 * in progress interleave.
	 */
	uint64_t *hx_bits;
	struct det_hxkey {
		bool valid;
		uint8_t ip_version, proto, dir;
		enum ips_proto app;
		uint16_t sp, dp;
		uint8_t src[16], dst[16];
		/* The survivors as rule orders when at most DET_HXS (nsurv), else by the bits. */
		uint32_t nsurv;
		uint32_t surv[DET_HXS];
	} hxkey[DET_HXC];
	size_t ncand;
	uint64_t *cand_sum; /* bit w: cand_bits[w] may be non-zero */
	size_t sum_words;
	struct det_tfbuf tf[IPS_BUF__COUNT][DET_NTF]; /* views through chain [tf], per run */
	struct det_tfbuf tfscratch, tfuncached;
	pcre2_match_data *md_tf; /* pcrexform */
	uint8_t *b64;            /* base64_decode output */
	size_t b64len;
	uint64_t gen;
	uint64_t *pstamp; /* per pattern of the payload group: the run that recorded it */
	struct det_thr_entry *thr;
	size_t nthr;
	unsigned budget;
	struct det_occ occ[DET_OCC_OPS];
	struct ips_detect_thread_stats st;
	struct ips_xbits *xbits; /* borrowed from the owner (pipeline), may be NULL */
};

/* detect_match.c: true if dr matches in (header, packet, flow and buffers). */
bool det_rule_match(struct ips_detect_thread *t, const struct det_rule *dr,
                    const struct ips_detect_input *in);
/* Applies dr's flowbits set/unset/toggle to in->flowbits. */
void det_rule_post(struct ips_detect_thread *t, const struct det_rule *dr,
                   const struct ips_detect_input *in);
/*
 * The view of buffer b, instance k, through the engine's transform chain tf
 * (0: none; cached for the run); false when absent or out of memory.
 */
bool det_view(struct ips_detect_thread *t, const struct ips_detect_input *in, enum ips_buf b,
              size_t k, unsigned tf, const uint8_t **p, size_t *len);
/* Applies the transforms o[0..n) to in[0..len) into out; false when out of memory. */
bool det_transform(struct ips_detect_thread *t, const struct ips_opt *o, size_t n,
                   const uint8_t *in, size_t len, struct det_tfbuf *out);
/* Whether two transform chains are the same. */
bool det_chain_eq(const struct ips_opt *a, size_t na, const struct ips_opt *b, size_t nb);
/* RFC 4648 base64 as Suricata 7's base64_decode: bytes written to out (cap bytes). */
size_t det_base64(const uint8_t *src, size_t len, uint8_t *out, size_t cap);
/* The number of instances of buffer b in in. */
size_t det_nviews(const struct ips_detect_input *in, enum ips_buf b);

/* detect_dataset.c: the sets of the rules' dataset options; their match. */
int det_datasets_build(struct ips_detect_engine *e);
void det_datasets_free(struct ips_detect_engine *e);
bool det_dataset_match(struct det_dataset *ds, const struct ips_dataset *d, const uint8_t *p,
                       size_t n);

/* detect_thr.c: whether a matching rule with a threshold may alert now. */
bool det_thr_allow(struct ips_detect_thread *t, const struct det_rule *dr,
                   const struct ips_detect_input *in);

/* detect_hx.c: the header index (build, free, the candidates of an input). */
/* detect_group.c: the address zones (home set, each rule's zmask), then the groups. */
void det_build_zones(struct ips_detect_engine *e);
int det_build_groups(struct ips_detect_engine *e, struct ips_detect_stats *st);
void det_groups_free(struct ips_detect_engine *e);

/* A byte as a tiny pattern compares it: ASCII letters lowercase when nocase. */
static inline uint8_t tiny_fold(uint8_t c, bool nocase)
{
	return nocase && c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int det_hx_build(struct ips_detect_engine *e, struct ips_detect_stats *st);
void det_hx_free(struct det_hindex *h);
void det_hx_cands(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                  const struct ips_detect_input *in, enum det_pclass pc, enum det_dir d);

/* Index of the lowest set bit of b (b != 0), by de Bruijn multiplication. */
static inline unsigned det_ctz64(uint64_t b)
{
	static const uint8_t tab[64] = {0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34,
	                                55, 48, 28, 62, 5,  39, 46, 44, 42, 22, 9,  24, 35,
	                                59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33,
	                                47, 61, 45, 43, 21, 23, 58, 17, 10, 51, 25, 36, 32,
	                                60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
	return tab[((b & (0 - b)) * 0x022fdd63cc95386dull) >> 58];
}

/* Returns true when rule was not yet a candidate. */
static inline bool det_add_cand(struct ips_detect_thread *t, uint32_t rule)
{
	uint64_t bit = 1ull << (rule & 63);
	size_t w = rule >> 6;
	if (t->cand_bits[w] & bit)
		return false;
	t->cand_bits[w] |= bit;
	t->cand_sum[w >> 6] |= 1ull << (w & 63);
	t->ncand++;
	return true;
}

#endif
