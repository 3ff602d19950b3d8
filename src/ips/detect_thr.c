/* SPDX-License-Identifier: ISC */
/*
 * threshold and detection_filter: whether a rule that matched may alert,
 * given how often it matched before for the same tracked address (by_src,
 * by_dst), address pair (by_both), 5-tuple (by_flow) or at all (by_rule),
 * within `seconds` of the first match of the current window. As in
 * Suricata's threshold handling:
 *   limit      alerts on the first `count` matches of each window;
 *   threshold  alerts on every `count`-th match within a window;
 *   both       alerts once per window, on the `count`-th match;
 *   detection_filter  alerts on every match after the first `count` of a
 *              window.
 * A window starts at the first match and ends `seconds` later; the next
 * match after it starts a new one. Time comes from the input (the packet
 * timestamp), never the clock. The tracking table belongs to the thread,
 * has a fixed number of entries (the memory cap) and evicts, when the
 * probe sequence is full, the entry whose window started first.
 */
#include <string.h>

#include "ips/detect_int.h"

enum { PROBES = 16 };

static uint64_t hash(const uint8_t *k, size_t n, uint32_t rule)
{
	uint64_t h = 1469598103934665603ull ^ rule; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void make_key(const struct ips_threshold *th, const struct ips_detect_input *in,
                     uint8_t key[33])
{
	size_t alen = in->ip_version == 6 ? 16 : 4;
	memset(key, 0, 33);
	key[0] = in->ip_version;
	switch (th->track) {
	case IPS_TRACK_BY_SRC:
		memcpy(key + 1, in->src, alen);
		break;
	case IPS_TRACK_BY_DST:
		memcpy(key + 1, in->dst, alen);
		break;
	case IPS_TRACK_BY_BOTH:
	case IPS_TRACK_BY_FLOW:
		memcpy(key + 1, in->src, alen);
		memcpy(key + 1 + alen, in->dst, alen);
		if (th->track == IPS_TRACK_BY_FLOW) {
			/* Both directions of a flow share the entry: order the ports too. */
			uint16_t a = in->sp < in->dp ? in->sp : in->dp;
			uint16_t b = in->sp < in->dp ? in->dp : in->sp;
			key[0] ^= (uint8_t)(a ^ (a >> 8) ^ b ^ (b >> 8) ^ in->proto);
		}
		break;
	case IPS_TRACK_BY_RULE:
		key[0] = 0;
		break;
	}
}

/* The entry for (rule, key), new or found; NULL never (eviction makes room). */
static struct det_thr_entry *lookup(struct ips_detect_thread *t, uint32_t rule,
                                    const uint8_t key[33], bool *fresh)
{
	size_t n = t->nthr, at = (size_t)(hash(key, 33, rule) % n);
	struct det_thr_entry *victim = NULL;
	for (size_t i = 0; i < PROBES && i < n; i++) {
		struct det_thr_entry *e = &t->thr[(at + i) % n];
		if (e->rule == rule && memcmp(e->key, key, 33) == 0) {
			*fresh = false;
			return e;
		}
		if (!e->rule) {
			victim = e;
			break;
		}
		if (!victim || e->start_usec < victim->start_usec)
			victim = e;
	}
	if (victim->rule)
		t->st.thr_evicted++;
	victim->rule = rule;
	memcpy(victim->key, key, 33);
	victim->count = 0;
	victim->start_usec = 0;
	*fresh = true;
	return victim;
}

bool det_thr_allow(struct ips_detect_thread *t, const struct det_rule *dr,
                   const struct ips_detect_input *in)
{
	const struct ips_threshold *th = dr->thr;
	uint8_t key[33];
	bool fresh;
	if (!th || !t->nthr)
		return true;
	make_key(th, in, key);
	struct det_thr_entry *e = lookup(t, dr->order + 1, key, &fresh);
	uint64_t win = (uint64_t)th->seconds * 1000000u;
	if (fresh || in->ts_usec < e->start_usec || in->ts_usec - e->start_usec >= win) {
		/* A new window starts with this match. */
		e->start_usec = in->ts_usec;
		e->count = 1;
		switch (th->type) {
		case IPS_THR_LIMIT:
			return th->count >= 1;
		case IPS_THR_THRESHOLD:
			if (th->count <= 1) {
				e->count = 0;
				return true;
			}
			return false;
		case IPS_THR_BOTH:
			return th->count <= 1;
		case IPS_THR_NONE:
			return th->count == 0;
		}
		return true;
	}
	if (e->count < UINT32_MAX)
		e->count++;
	switch (th->type) {
	case IPS_THR_LIMIT:
		return e->count <= th->count;
	case IPS_THR_THRESHOLD:
		if (e->count >= th->count) {
			e->count = 0;
			return true;
		}
		return false;
	case IPS_THR_BOTH:
		return e->count == th->count;
	case IPS_THR_NONE:
		return e->count > th->count;
	}
	return true;
}
