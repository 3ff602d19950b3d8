/* SPDX-License-Identifier: ISC */
/*
 * IPv4 and IPv6 fragment reassembly (RFC 791 3.2, RFC 8200 4.5, RFC 5722,
 * RFC 6946 for atomic fragments, which the decoder never flags as
 * fragments). See defrag.h for keys, overlap policy and caps.
 *
 * Each tracker keeps its fragments in a list sorted by offset whose ranges
 * never overlap: an overlap is settled when the fragment arrives, by
 * trimming or splitting the new bytes or removing a held fragment, so
 * reassembly is a plain copy. The unfragmentable part (IPv4 header; IPv6
 * header and extension headers before the fragment header) is taken from
 * the offset-zero fragment. Trackers sit in a hash table and in a list by
 * age, oldest first, which serves both timeouts and eviction.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/decode_int.h"
#include "ips/defrag.h"
#include "lib/err.h"
#include "lib/rd.h"

enum {
	DEFRAG_MAX_DGRAM = 65535,
	DEFRAG_HASH_MIN = 1024,
};

struct frag {
	struct frag *next;
	uint32_t off, end; /* byte range [off, end) of the fragmentable part */
	uint8_t data[];
};

struct frag_key {
	uint8_t version, proto, layer, pad;
	uint16_t vlan[IPS_MAX_VLAN];
	uint32_t id;
	uint8_t src[16], dst[16];
};

struct tracker {
	struct tracker *hnext;         /* hash chain */
	struct tracker *aprev, *anext; /* age list */
	struct frag_key key;
	uint64_t first_ns;
	struct frag *frags;
	uint32_t nfrags;
	uint32_t total; /* end of the last fragment, when have_last */
	bool have_last;
	bool dead;          /* refused by the DROP policy: absorb the rest */
	uint8_t next_proto; /* upper protocol from the offset-zero fragment */
	uint16_t nh_off;    /* IPv6: where that protocol goes in the header */
	uint8_t *hdr;       /* unfragmentable part, from the offset-zero fragment */
	size_t hdr_len;
	size_t mem;
};

struct ips_dgram {
	struct ips_dgram *next, *prev; /* outstanding list */
	size_t len, mem;
	uint8_t data[];
};

struct ips_defrag {
	struct ips_defrag_cfg cfg;
	struct ips_defrag_stats st;
	struct tracker **hash;
	size_t nbuckets; /* a power of two */
	struct tracker *oldest, *newest;
	struct ips_dgram *out; /* unreleased datagrams */
};

static void mem_add(struct ips_defrag *df, size_t n)
{
	df->st.mem += n;
	if (df->st.mem > df->st.mem_peak)
		df->st.mem_peak = df->st.mem;
}

struct ips_defrag *ips_defrag_new(const struct ips_defrag_cfg *cfg)
{
	struct ips_defrag *df = calloc(1, sizeof(*df));

	if (df == NULL)
		return NULL;
	if (cfg != NULL)
		df->cfg = *cfg;
	if (df->cfg.memcap == 0)
		df->cfg.memcap = 32u << 20;
	if (df->cfg.max_trackers == 0)
		df->cfg.max_trackers = 65535;
	if (df->cfg.max_frags == 0)
		df->cfg.max_frags = 1024;
	if (df->cfg.timeout_ns == 0)
		df->cfg.timeout_ns = 60ULL * 1000000000ULL;
	df->nbuckets = DEFRAG_HASH_MIN;
	while (df->nbuckets < df->cfg.max_trackers && df->nbuckets < (1u << 20))
		df->nbuckets <<= 1;
	df->hash = calloc(df->nbuckets, sizeof(*df->hash));
	if (df->hash == NULL) {
		free(df);
		return NULL;
	}
	return df;
}

/* FNV-1a over the key. Collisions only cost time; chains are bounded by max_trackers. */
static size_t key_hash(const struct ips_defrag *df, const struct frag_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h & (df->nbuckets - 1);
}

static void tracker_free(struct ips_defrag *df, struct tracker *t)
{
	struct tracker **pp = &df->hash[key_hash(df, &t->key)];
	struct frag *f, *n;

	while (*pp != NULL && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp == t)
		*pp = t->hnext;
	if (t->aprev != NULL)
		t->aprev->anext = t->anext;
	else
		df->oldest = t->anext;
	if (t->anext != NULL)
		t->anext->aprev = t->aprev;
	else
		df->newest = t->aprev;
	for (f = t->frags; f != NULL; f = n) {
		n = f->next;
		free(f);
	}
	free(t->hdr);
	df->st.mem -= t->mem;
	df->st.trackers--;
	free(t);
}

void ips_defrag_free(struct ips_defrag *df)
{
	struct ips_dgram *g, *n;

	if (df == NULL)
		return;
	while (df->oldest != NULL)
		tracker_free(df, df->oldest);
	for (g = df->out; g != NULL; g = n) {
		n = g->next;
		free(g);
	}
	free(df->hash);
	free(df);
}

size_t ips_defrag_expire(struct ips_defrag *df, uint64_t now_ns)
{
	size_t n = 0;

	/* The age list is in order of first fragment, so expiry stops at the first young one. */
	while (df->oldest != NULL && now_ns - df->oldest->first_ns >= df->cfg.timeout_ns &&
	       now_ns >= df->oldest->first_ns) {
		tracker_free(df, df->oldest);
		df->st.timeouts++;
		n++;
	}
	return n;
}

/* Makes room for `need` more bytes by evicting the oldest trackers other than `keep`. */
static bool make_room(struct ips_defrag *df, size_t need, const struct tracker *keep)
{
	struct tracker *t = df->oldest;

	while (df->st.mem + need > df->cfg.memcap && t != NULL) {
		struct tracker *n = t->anext;

		if (t != keep) {
			tracker_free(df, t);
			df->st.evicted++;
		}
		t = n;
	}
	return df->st.mem + need <= df->cfg.memcap;
}

static void key_make(struct frag_key *k, const struct ips_packet *p, const struct ips_ip *ip,
                     unsigned layer)
{
	memset(k, 0, sizeof(*k));
	k->version = ip->version;
	/* IPv4 keys on the protocol (RFC 791 3.2); IPv6 does not (RFC 8200 4.5). */
	k->proto = ip->version == 4 ? ip->proto : 0;
	k->layer = (uint8_t)layer;
	memcpy(k->vlan, p->vlan, sizeof(k->vlan));
	k->id = ip->frag_id;
	memcpy(k->src, ip->src.a, sizeof(k->src));
	memcpy(k->dst, ip->dst.a, sizeof(k->dst));
}

static struct tracker *tracker_get(struct ips_defrag *df, const struct frag_key *k, uint64_t now_ns,
                                   int *err)
{
	size_t h = key_hash(df, k);
	struct tracker *t;

	for (t = df->hash[h]; t != NULL; t = t->hnext)
		if (memcmp(&t->key, k, sizeof(*k)) == 0)
			return t;
	/* A new tracker: respect the tracker count and memory caps by evicting the oldest. */
	if (df->st.trackers >= df->cfg.max_trackers && df->oldest != NULL) {
		tracker_free(df, df->oldest);
		df->st.evicted++;
	}
	if (!make_room(df, sizeof(*t), NULL)) {
		*err = BW_ERR_LIMIT;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		*err = BW_ERR_NOMEM;
		return NULL;
	}
	t->key = *k;
	t->first_ns = now_ns;
	t->mem = sizeof(*t);
	mem_add(df, t->mem);
	t->hnext = df->hash[h];
	df->hash[h] = t;
	t->aprev = df->newest;
	if (df->newest != NULL)
		df->newest->anext = t;
	else
		df->oldest = t;
	df->newest = t;
	df->st.trackers++;
	return t;
}

/* Inserts bytes [s, e) of data (which starts at offset base) before *pp. */
static int piece_insert(struct ips_defrag *df, struct tracker *t, struct frag **pp,
                        const uint8_t *data, uint32_t base, uint32_t s, uint32_t e)
{
	size_t sz = sizeof(struct frag) + (e - s);
	struct frag *f;

	if (t->nfrags >= df->cfg.max_frags)
		return BW_ERR_LIMIT;
	if (!make_room(df, sz, t))
		return BW_ERR_NOMEM;
	if ((f = malloc(sz)) == NULL)
		return BW_ERR_NOMEM;
	f->off = s;
	f->end = e;
	memcpy(f->data, data + (s - base), e - s);
	f->next = *pp;
	*pp = f;
	t->nfrags++;
	t->mem += sz;
	mem_add(df, sz);
	return 0;
}

static void frag_remove(struct ips_defrag *df, struct tracker *t, struct frag **pp)
{
	struct frag *f = *pp;
	size_t sz = sizeof(*f) + (f->end - f->off);

	*pp = f->next;
	t->nfrags--;
	t->mem -= sz;
	df->st.mem -= sz;
	free(f);
}

/*
 * Settles overlaps per policy and inserts what remains of [s, e). Sets
 * *overlap when any held byte was touched. The list stays sorted and
 * disjoint whatever happens, even when an insert fails half-way.
 */
static int frag_insert(struct ips_defrag *df, struct tracker *t, enum ips_defrag_policy pol,
                       const uint8_t *data, uint32_t s, uint32_t e, bool *overlap)
{
	struct frag **pp = &t->frags;
	const uint32_t base = s;
	int r;

	while (*pp != NULL && s < e) {
		struct frag *f = *pp;

		if (f->end <= s) {
			pp = &f->next;
			continue;
		}
		if (f->off >= e)
			break;
		*overlap = true;
		if (pol == IPS_DEFRAG_DROP)
			return BW_ERR_INVAL;
		if (f->off <= s) {
			/* Held bytes start at or before the new ones: they win. */
			s = f->end;
			pp = &f->next;
			continue;
		}
		if (pol == IPS_DEFRAG_BSD && e > f->end) {
			/* BSD: a fragment that starts earlier and covers a held one replaces it. */
			frag_remove(df, t, pp);
			continue;
		}
		/* The held fragment wins its bytes; the new bytes before it go in. */
		if ((r = piece_insert(df, t, pp, data, base, s, f->off)) != 0)
			return r;
		pp = &(*pp)->next; /* now at f */
		s = f->end;
		pp = &f->next;
	}
	if (s < e)
		return piece_insert(df, t, pp, data, base, s, e);
	return 0;
}

static bool complete(const struct tracker *t)
{
	uint32_t expect = 0;

	if (!t->have_last || t->hdr == NULL)
		return false;
	for (const struct frag *f = t->frags; f != NULL; f = f->next) {
		if (f->off != expect)
			return false;
		expect = f->end;
	}
	return expect == t->total;
}

/* Builds the datagram: header of the offset-zero fragment, then the bytes in order. */
static int assemble(struct ips_defrag *df, struct tracker *t, struct ips_dgram **out)
{
	size_t len = t->hdr_len + t->total, sz = sizeof(struct ips_dgram) + len;
	struct ips_dgram *g;
	uint8_t *b;

	if (!make_room(df, sz, t))
		return BW_ERR_NOMEM;
	if ((g = malloc(sz)) == NULL)
		return BW_ERR_NOMEM;
	g->len = len;
	g->mem = sz;
	b = g->data;
	memcpy(b, t->hdr, t->hdr_len);
	for (const struct frag *f = t->frags; f != NULL; f = f->next)
		memcpy(b + t->hdr_len + f->off, f->data, f->end - f->off);
	if (t->key.version == 4) {
		/* Total length, no MF, offset zero (DF kept), then a fresh checksum. */
		bw_put_be16(b + 2, (uint16_t)len);
		b[6] &= 0x40;
		b[7] = 0;
		b[10] = b[11] = 0;
		bw_put_be16(b + 10, ips_csum_fold(ips_csum_add(0, b, t->hdr_len)));
	} else {
		/* Payload length, and the fragment header's next header where it pointed. */
		bw_put_be16(b + 4, (uint16_t)(len - IPS_IPV6_HLEN));
		b[t->nh_off] = t->next_proto;
	}
	mem_add(df, sz);
	g->prev = NULL;
	g->next = df->out;
	if (df->out != NULL)
		df->out->prev = g;
	df->out = g;
	*out = g;
	return 0;
}

/* Copies the unfragmentable part from the offset-zero fragment. */
static int take_header(struct ips_defrag *df, struct tracker *t, const struct ips_ip *ip)
{
	size_t n = ip->version == 4 ? ip->hdr_len : ip->frag_hdr_off;

	if (!make_room(df, n, t))
		return BW_ERR_NOMEM;
	if ((t->hdr = malloc(n)) == NULL)
		return BW_ERR_NOMEM;
	memcpy(t->hdr, ip->hdr, n);
	t->hdr_len = n;
	t->next_proto = ip->proto;
	t->nh_off = ip->frag_nh_off;
	t->mem += n;
	mem_add(df, n);
	return 0;
}

static uint32_t last_end(const struct tracker *t)
{
	uint32_t e = 0;

	for (const struct frag *f = t->frags; f != NULL; f = f->next)
		e = f->end;
	return e;
}

/*
 * Records a defrag event, and with it the IP-version-specific name Suricata
 * gives the same anomaly (decoder.ipv6.frag_overlap, ...) so that its
 * decode-event rules match.
 */
static void defrag_event(struct ips_packet *p, const struct ips_ip *ip, enum ips_event ev)
{
	bool v6 = ip->version == 6;
	ips_packet_event(p, NULL, ev);
	if (ev == IPS_EV_FRAG_OVERLAP)
		ips_packet_event(p, NULL, v6 ? IPS_EV_IPV6_FRAG_OVERLAP : IPS_EV_IPV4_FRAG_OVERLAP);
	else if (ev == IPS_EV_FRAG_TOO_LARGE)
		ips_packet_event(p, NULL,
		                 v6 ? IPS_EV_IPV6_FRAG_TOO_LARGE : IPS_EV_IPV4_FRAG_TOO_LARGE);
}

static int frag_ev(struct ips_defrag *df, struct ips_packet *p, const struct ips_ip *ip,
                   enum ips_event ev, int r)
{
	defrag_event(p, ip, ev);
	df->st.dropped++;
	return r;
}

int ips_defrag_add(struct ips_defrag *df, struct ips_packet *p, unsigned layer, uint64_t now_ns,
                   struct ips_dgram **out)
{
	const struct ips_ip *ip;
	struct frag_key k;
	struct tracker *t;
	enum ips_defrag_policy pol;
	size_t unfrag;
	uint32_t s, e;
	bool overlap = false;
	int r = 0;

	*out = NULL;
	if (layer >= p->n_ip || !p->ip[layer].is_frag)
		return BW_ERR_INVAL;
	ip = &p->ip[layer];
	df->st.frags++;
	ips_defrag_expire(df, now_ns);
	s = ip->frag_off;
	e = s + (uint32_t)ip->payload_len;
	/* The whole datagram must fit 65535 bytes (IPv6: its payload length field). */
	unfrag = ip->version == 4 ? ip->hdr_len : (size_t)ip->frag_hdr_off - IPS_IPV6_HLEN;
	if (unfrag + e > DEFRAG_MAX_DGRAM)
		return frag_ev(df, p, ip, IPS_EV_FRAG_TOO_LARGE, BW_ERR_LIMIT);
	key_make(&k, p, ip, layer);
	if ((t = tracker_get(df, &k, now_ns, &r)) == NULL)
		return frag_ev(df, p, ip, IPS_EV_FRAG_NOMEM, r);
	if (t->dead)
		return frag_ev(df, p, ip, IPS_EV_FRAG_OVERLAP, BW_ERR_INVAL);
	/* The last fragment fixes the size; nothing may end past it or disagree with it. */
	if (!ip->mf) {
		if ((t->have_last && e != t->total) ||
		    (t->frags != NULL && !t->have_last && e < last_end(t)))
			return frag_ev(df, p, ip, IPS_EV_FRAG_MISMATCH, BW_ERR_INVAL);
		t->have_last = true;
		t->total = e;
	} else if (t->have_last && e > t->total) {
		return frag_ev(df, p, ip, IPS_EV_FRAG_MISMATCH, BW_ERR_INVAL);
	}
	if (s == 0 && t->hdr == NULL && (r = take_header(df, t, ip)) != 0)
		return frag_ev(df, p, ip, IPS_EV_FRAG_NOMEM, r);
	pol = ip->version == 4 ? df->cfg.policy4 : df->cfg.policy6;
	r = frag_insert(df, t, pol, ip->payload, s, e, &overlap);
	if (overlap) {
		df->st.overlaps++;
		defrag_event(p, ip, IPS_EV_FRAG_OVERLAP);
	}
	if (r == BW_ERR_INVAL) {
		/* DROP policy: forget the datagram but keep absorbing its fragments. */
		struct frag *f, *n;

		for (f = t->frags; f != NULL; f = n) {
			n = f->next;
			df->st.mem -= sizeof(*f) + (f->end - f->off);
			t->mem -= sizeof(*f) + (f->end - f->off);
			free(f);
		}
		t->frags = NULL;
		t->nfrags = 0;
		t->dead = true;
		df->st.dropped++;
		return r;
	}
	if (r != 0) {
		ips_packet_event(p, NULL,
		                 r == BW_ERR_LIMIT ? IPS_EV_FRAG_TOO_MANY : IPS_EV_FRAG_NOMEM);
		tracker_free(df, t);
		df->st.dropped++;
		return r;
	}
	if (!complete(t))
		return 0;
	r = assemble(df, t, out);
	tracker_free(df, t);
	if (r != 0) {
		ips_packet_event(p, NULL, IPS_EV_FRAG_NOMEM);
		df->st.dropped++;
		return r;
	}
	df->st.reassembled++;
	return 0;
}

const uint8_t *ips_dgram_data(const struct ips_dgram *g, size_t *len)
{
	*len = g->len;
	return g->data;
}

void ips_defrag_release(struct ips_defrag *df, struct ips_dgram *g)
{
	if (g == NULL)
		return;
	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		df->out = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
	df->st.mem -= g->mem;
	free(g);
}

const struct ips_defrag_stats *ips_defrag_stats(const struct ips_defrag *df)
{
	return &df->st;
}
