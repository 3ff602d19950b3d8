/* SPDX-License-Identifier: ISC */
/*
 * Flow table tests: both directions map to one flow and the direction is
 * right (first sender is the client; a SYN/ACK first reverses it); keys
 * (protocol, VLAN, tunnel depth, IPv6, ICMP echo pairing, fragments have
 * none); UDP established once both sides spoke; per-state timeouts with a
 * fake clock (TCP new/established/closed, UDP); the memory cap with
 * emergency mode and eviction of the least recently seen flow; TCP port
 * reuse after close; unique flow ids; free callbacks of the app/detect
 * slots; and every flow leaving through on_end exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ips/decode.h"
#include "ips/flow.h"

#define SEC UINT64_C(1000000000)

struct ends {
	unsigned n[4];
	uint64_t last_id;
};

static void on_end(void *arg, struct ips_flow_rec *f, enum ips_flow_end why)
{
	struct ends *e = arg;

	assert_true((unsigned)why < 4);
	e->n[why]++;
	e->last_id = f->id;
}

static unsigned frees;
static void slot_free(void *p)
{
	frees++;
	free(p);
}

/* An IPv4 packet a:ap -> b:bp of protocol proto. */
static void pkt4(struct ips_packet *p, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp,
                 uint8_t proto, uint8_t tcpflags)
{
	struct ips_ip *ip = &p->ip[0];

	memset(p, 0, sizeof(*p));
	p->n_ip = 1;
	ip->version = 4;
	ip->proto = proto;
	ip->src.family = ip->dst.family = AF_INET;
	ip->src.a[0] = ip->dst.a[0] = 10;
	ip->src.a[3] = a;
	ip->dst.a[3] = b;
	p->l4proto = proto;
	p->sp = ap;
	p->dp = bp;
	p->tcp.flags = tcpflags;
	p->len = 60;
}

static struct ips_flow_table *table(struct ends *e, size_t memcap)
{
	struct ips_flow_cfg cfg;
	struct ips_flow_table *t;

	ips_flow_cfg_default(&cfg);
	cfg.on_end = on_end;
	cfg.arg = e;
	cfg.hash_size = 64;
	if (memcap)
		cfg.memcap = memcap;
	t = ips_flow_table_new(&cfg);
	assert_non_null(t);
	return t;
}

static void test_directions(void **state)
{
	struct ends e = {0};
	struct ips_flow_table *t = table(&e, 0);
	struct ips_packet p;
	struct ips_flow_rec *f, *g;
	bool ts, created;

	(void)state;
	/* Client 10.0.0.9:50000 (the higher address) -> server 10.0.0.1:80. */
	pkt4(&p, 9, 50000, 1, 80, 6, 0x02);
	f = ips_flow_lookup(t, &p, 1 * SEC, &ts, &created);
	assert_non_null(f);
	assert_true(ts && created);
	assert_int_equal(f->cli[3], 9);
	assert_int_equal(f->srv_port, 80);
	assert_int_not_equal(f->id, 0);
	assert_true(f->id < (UINT64_C(1) << 51));
	pkt4(&p, 1, 80, 9, 50000, 6, 0x12);
	g = ips_flow_lookup(t, &p, 2 * SEC, &ts, &created);
	assert_ptr_equal(f, g);
	assert_true(!ts && !created);
	assert_int_equal(f->pkts[IPS_DIR_TO_SERVER], 1);
	assert_int_equal(f->pkts[IPS_DIR_TO_CLIENT], 1);
	assert_int_equal(f->bytes[IPS_DIR_TO_CLIENT], 60);
	assert_int_equal(f->start_ns, 1 * SEC);
	assert_int_equal(f->last_ns, 2 * SEC);
	assert_int_equal(f->state, IPS_FST_NEW); /* TCP: the stream tracker decides */

	/* SYN/ACK first: its sender is the server. */
	pkt4(&p, 1, 443, 9, 50001, 6, 0x12);
	f = ips_flow_lookup(t, &p, 3 * SEC, &ts, &created);
	assert_true(created && !ts);
	assert_true(f->flags & IPS_FLOWF_REVERSED);
	assert_int_equal(f->srv_port, 443);
	assert_int_equal(f->cli[3], 9);

	/* Another protocol on the same addresses and ports is another flow. */
	pkt4(&p, 9, 50000, 1, 80, 17, 0);
	g = ips_flow_lookup(t, &p, 3 * SEC, &ts, &created);
	assert_true(created && ts);
	assert_int_equal(g->cls, IPS_FLOW_CL_UDP);
	pkt4(&p, 1, 80, 9, 50000, 17, 0);
	g = ips_flow_lookup(t, &p, 3 * SEC, &ts, &created);
	assert_true(!created && !ts);
	assert_int_equal(g->state, IPS_FST_ESTABLISHED);

	/* VLAN and tunnel depth are part of the key. */
	pkt4(&p, 9, 50000, 1, 80, 17, 0);
	p.n_vlan = 1;
	p.vlan[0] = 100;
	g = ips_flow_lookup(t, &p, 3 * SEC, NULL, &created);
	assert_true(created);
	pkt4(&p, 9, 50000, 1, 80, 17, 0);
	p.ip[1] = p.ip[0];
	p.n_ip = 2;
	g = ips_flow_lookup(t, &p, 3 * SEC, NULL, &created);
	assert_true(created);
	assert_int_equal(g->tun_depth, 1);

	/* Fragments and non-IP packets have no key. */
	pkt4(&p, 9, 0, 1, 0, 17, 0);
	p.flags = IPS_PKT_FRAG;
	assert_null(ips_flow_lookup(t, &p, 3 * SEC, NULL, NULL));
	memset(&p, 0, sizeof(p));
	assert_null(ips_flow_lookup(t, &p, 3 * SEC, NULL, NULL));
	assert_int_equal(ips_flow_stats(t)->no_key, 2);
	assert_int_equal(ips_flow_stats(t)->flows, 5);
	ips_flow_table_free(t);
	assert_int_equal(e.n[IPS_FLOW_END_SHUTDOWN], 5);
}

static void test_icmp_ipv6(void **state)
{
	struct ends e = {0};
	struct ips_flow_table *t = table(&e, 0);
	struct ips_packet p;
	struct ips_flow_rec *f, *g;
	bool ts, created;

	(void)state;
	/* Echo request and reply pair on the identifier. */
	pkt4(&p, 2, 0, 3, 0, 1, 0);
	p.icmp.type = 8;
	p.icmp.has_id = true;
	p.icmp.id = 77;
	f = ips_flow_lookup(t, &p, 0, &ts, &created);
	pkt4(&p, 3, 0, 2, 0, 1, 0);
	p.icmp.type = 0;
	p.icmp.has_id = true;
	p.icmp.id = 77;
	g = ips_flow_lookup(t, &p, 0, &ts, &created);
	assert_ptr_equal(f, g);
	assert_false(ts);
	assert_int_equal(f->state, IPS_FST_ESTABLISHED);
	/* IPv6 UDP both ways. */
	memset(&p, 0, sizeof(p));
	p.n_ip = 1;
	p.ip[0].version = 6;
	p.ip[0].proto = 17;
	p.ip[0].src.a[0] = 0x20;
	p.ip[0].src.a[15] = 1;
	p.ip[0].dst.a[0] = 0x20;
	p.ip[0].dst.a[15] = 2;
	p.l4proto = 17;
	p.sp = 5353;
	p.dp = 53;
	f = ips_flow_lookup(t, &p, 0, &ts, &created);
	assert_true(ts && created);
	assert_int_equal(f->ip_version, 6);
	memcpy(p.ip[0].src.a, f->srv, 16);
	memcpy(p.ip[0].dst.a, f->cli, 16);
	p.sp = 53;
	p.dp = 5353;
	g = ips_flow_lookup(t, &p, 0, &ts, &created);
	assert_ptr_equal(f, g);
	assert_false(ts);
	ips_flow_table_free(t);
}

/* Timeouts per class and state, on the caller's clock. */
static void test_timeouts(void **state)
{
	struct ends e = {0};
	struct ips_flow_table *t = table(&e, 0);
	struct ips_packet p;
	struct ips_flow_rec *tn, *te, *tcl, *u;

	(void)state;
	pkt4(&p, 1, 1000, 2, 80, 6, 0x02);
	tn = ips_flow_lookup(t, &p, 0, NULL, NULL); /* TCP new: 60 s */
	pkt4(&p, 1, 1001, 2, 80, 6, 0x02);
	te = ips_flow_lookup(t, &p, 0, NULL, NULL);
	ips_flow_set_state(te, IPS_FST_ESTABLISHED); /* 600 s */
	pkt4(&p, 1, 1002, 2, 80, 6, 0x02);
	tcl = ips_flow_lookup(t, &p, 0, NULL, NULL);
	ips_flow_set_state(tcl, IPS_FST_CLOSED); /* 60 s */
	pkt4(&p, 1, 1003, 2, 53, 17, 0);
	u = ips_flow_lookup(t, &p, 0, NULL, NULL); /* UDP new: 30 s */
	assert_true(tn && te && tcl && u);
	/* Activity refreshes the idle time. */
	pkt4(&p, 1, 1000, 2, 80, 6, 0x10);
	assert_ptr_equal(ips_flow_lookup(t, &p, 20 * SEC, NULL, NULL), tn);

	assert_int_equal(ips_flow_expire(t, 29 * SEC), 0);
	assert_int_equal(ips_flow_expire(t, 30 * SEC), 1); /* UDP */
	assert_int_equal(ips_flow_expire(t, 60 * SEC), 1); /* closed */
	assert_int_equal(ips_flow_expire(t, 79 * SEC), 0);
	assert_int_equal(ips_flow_expire(t, 80 * SEC), 1); /* new, seen at 20 s */
	assert_int_equal(ips_flow_expire(t, 599 * SEC), 0);
	assert_int_equal(ips_flow_expire(t, 600 * SEC), 1); /* established */
	assert_int_equal(e.n[IPS_FLOW_END_TIMEOUT], 4);
	assert_int_equal(ips_flow_stats(t)->flows, 0);
	ips_flow_table_free(t);
	assert_int_equal(e.n[IPS_FLOW_END_SHUTDOWN], 0);
}

/* A tiny cap: emergency mode, then eviction of the least recently seen. */
static void test_memcap(void **state)
{
	struct ends e = {0};
	/* Buckets (64 pointers) plus room for exactly 4 records. */
	size_t cap = 64 * sizeof(void *) + 4 * sizeof(struct ips_flow_rec);
	struct ips_flow_table *t = table(&e, cap);
	struct ips_packet p;
	struct ips_flow_rec *f;
	uint64_t ids[8];

	(void)state;
	frees = 0;
	for (unsigned i = 0; i < 8; i++) {
		pkt4(&p, 1, (uint16_t)(2000 + i), 2, 80, 6, 0x02);
		f = ips_flow_lookup(t, &p, (uint64_t)i * SEC, NULL, NULL);
		assert_non_null(f);
		ids[i] = f->id;
		for (unsigned j = 0; j < i; j++)
			assert_true(ids[j] != ids[i]);
		f->app = malloc(8);
		f->app_free = slot_free;
		f->det = malloc(8);
		f->det_free = slot_free;
		/* Keep flow 0 active: it must survive. */
		pkt4(&p, 1, 2000, 2, 80, 6, 0x10);
		assert_non_null(ips_flow_lookup(t, &p, (uint64_t)i * SEC, NULL, NULL));
		assert_true(ips_flow_stats(t)->mem <= cap);
	}
	assert_int_equal(ips_flow_stats(t)->flows, 4);
	assert_int_equal(e.n[IPS_FLOW_END_EVICTED], 4);
	assert_int_equal(frees, 8);
	assert_true(ips_flow_stats(t)->emergencies >= 1);
	assert_true(ips_flow_stats(t)->mem_peak <= cap);
	/* Flow 0 is still there. */
	pkt4(&p, 1, 2000, 2, 80, 6, 0x10);
	f = ips_flow_lookup(t, &p, 9 * SEC, NULL, NULL);
	assert_int_equal(f->id, ids[0]);
	/* Emergency timeouts (TCP new 5 s) apply, then recovery. */
	assert_int_equal(ips_flow_expire(t, 13 * SEC), 3);
	assert_false(ips_flow_stats(t)->emergency);
	ips_flow_table_free(t);
	assert_int_equal(frees, 16);
	assert_int_equal(e.n[IPS_FLOW_END_SHUTDOWN], 1);
}

/* A SYN on a closed TCP flow starts a new conversation. */
static void test_reuse(void **state)
{
	struct ends e = {0};
	struct ips_flow_table *t = table(&e, 0);
	struct ips_packet p;
	struct ips_flow_rec *f;
	uint64_t id;
	bool created;

	(void)state;
	pkt4(&p, 1, 3000, 2, 80, 6, 0x02);
	f = ips_flow_lookup(t, &p, 0, NULL, NULL);
	id = f->id;
	ips_flow_set_state(f, IPS_FST_CLOSED);
	pkt4(&p, 1, 3000, 2, 80, 6, 0x10); /* a late ACK: same flow */
	f = ips_flow_lookup(t, &p, SEC, NULL, &created);
	assert_false(created);
	pkt4(&p, 1, 3000, 2, 80, 6, 0x02);
	f = ips_flow_lookup(t, &p, 2 * SEC, NULL, &created);
	assert_true(created);
	assert_int_not_equal(f->id, id);
	assert_int_equal(e.n[IPS_FLOW_END_REUSED], 1);
	assert_int_equal(e.last_id, id);
	ips_flow_table_free(t);
	assert_string_equal(ips_flow_state_name(IPS_FST_CLOSED), "closed");
	assert_string_equal(ips_flow_end_name(IPS_FLOW_END_EVICTED), "evicted");
	assert_string_equal(ips_flow_end_name((enum ips_flow_end)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_directions), cmocka_unit_test(test_icmp_ipv6),
	        cmocka_unit_test(test_timeouts),   cmocka_unit_test(test_memcap),
	        cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
