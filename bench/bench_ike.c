/* SPDX-License-Identifier: ISC */
/*
 * Per-core benchmark of full IKEv2 handshakes (RFC 7296 1.1.1: IKE_SA_INIT
 * then IKE_AUTH with PSK and one CHILD_SA) between two IKE module instances
 * in one process, an initiator and a responder, joined by an in-memory FIFO
 * of datagrams instead of sockets (the module has none: src/ike/ike.h). The
 * initiator starts handshakes on one connection again and again, keeping
 * -w of them in flight, the way a load generator does; child_add only counts.
 *
 * Every call into the module (ike_initiate, ike_input) is timed with
 * CLOCK_PROCESS_CPUTIME_ID and booked to the side it ran on, so the report
 * gives the combined cost of a handshake and, separately, the responder's
 * share, which is what a gateway facing many clients pays. The gateway's
 * event loop (src/gw/gw_ike.c) also calls ike_next_timer after every
 * datagram it feeds in; that "rearm" is timed apart on the responder.
 *
 * Two runs per DH group: (1) steady state: -r repetitions of -n handshakes on
 * fresh instances (small SA table), whole-process CPU as well, next to the
 * cost of the key exchange alone (crypto_dh) for one side; (2) growth:
 * -N IKE_SA + CHILD_SA pairs are established and kept, in blocks of -b, and
 * each block reports its rate, so a cost that grows with the number of SAs
 * shows; at block ends the process RSS (/proc/self/statm) and the heap the
 * responder holds (mallinfo2 deltas across its calls) give memory per pair.
 * It prints figures only and fails only on a set-up error or a handshake
 * that does not complete, never on time.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike.h"
#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"

enum {
	QCAP = 512,     /* datagrams in the mock network */
	GROUPS_MAX = 8, /* -g list length */
};

/* One datagram in flight. */
struct dgram {
	struct side *to;
	struct bw_addr src, dst;
	bool natt;
	size_t len;
	uint8_t buf[IKE_MSG_MAX];
};

/* The CPU and heap booked to one side. */
struct side {
	const char *name;
	struct ike *ike;
	struct ike_conn_conf conn;
	struct side *peer;
	uint64_t children, child_dels, sent;
	uint64_t cpu_ns;   /* inside ike_initiate / ike_input */
	uint64_t rearm_ns; /* inside ike_next_timer after each input */
	int64_t heap;      /* mallinfo2 uordblks delta across this side's calls */
	bool rearm;        /* call ike_next_timer after each input, like gw_ike.c */
	bool track_heap;
};

static struct dgram *queue;
static size_t q_head, q_len;
static uint64_t inflight, completed;

struct opts {
	unsigned groups[GROUPS_MAX];
	size_t n_groups;
	unsigned n_steady; /* handshakes per steady-state repetition */
	unsigned reps;
	unsigned n_grow; /* SAs kept in the growth run; 0 = skip */
	unsigned block;
	unsigned window;
	bool rearm;
	bool csv;
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static int64_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (int64_t)mi.uordblks + (int64_t)mi.hblkhd;
}

static int mock_send(void *arg, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
                     const uint8_t *msg, size_t len)
{
	struct side *s = arg;
	struct dgram *d;

	if (q_len >= QCAP || len > IKE_MSG_MAX) {
		fprintf(stderr, "bench_ike: mock network full\n");
		exit(1);
	}
	d = &queue[(q_head + q_len) % QCAP];
	d->to = s->peer;
	d->src = *src;
	d->dst = *dst;
	d->natt = natt;
	d->len = len;
	memcpy(d->buf, msg, len);
	q_len++;
	s->sent++;
	return 0;
}

static int mock_child_add(void *arg, const struct ike_child_sa *c, uint32_t *handle)
{
	struct side *s = arg;

	(void)c;
	*handle = (uint32_t)++s->children;
	/* The initiator installs its CHILD_SA last: the handshake is complete. */
	if (s->conn.child[0].start_action == IKE_START_START) {
		inflight--;
		completed++;
	}
	return 0;
}

static void mock_child_del(void *arg, uint32_t handle)
{
	struct side *s = arg;

	(void)handle;
	s->child_dels++;
}

static const struct ike_ops ops = {
        .send = mock_send,
        .child_add = mock_child_add,
        .child_del = mock_child_del,
};

static void set_id(struct ike_id *id, const char *s)
{
	id->type = 3; /* ID_RFC822_ADDR */
	id->len = strlen(s);
	memcpy(id->data, s, id->len);
}

/* aes256gcm16-prfsha256-<group>, PSK, one tunnel-mode child with aes256gcm16-esn. */
static void setup_conn(struct ike_conn_conf *c, bool initiator, uint16_t group)
{
	static const char psk[] = "bench pre-shared key, 32 bytes!!";
	struct ike_child_conf *cc = &c->child[0];
	struct ike_proposal *p = &c->prop[0];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "bench");
	bw_addr_parse(&c->local_addrs[0], initiator ? "192.0.2.1" : "192.0.2.2");
	bw_addr_parse(&c->remote_addrs[0], initiator ? "192.0.2.2" : "192.0.2.1");
	c->n_local_addrs = c->n_remote_addrs = 1;
	p->encr[0] = 20; /* ENCR_AES_GCM_16 */
	p->encr_bits[0] = 256;
	p->n_encr = 1;
	p->prf[0] = 5; /* PRF_HMAC_SHA2_256 */
	p->n_prf = 1;
	p->dh[0] = group;
	p->n_dh = 1;
	c->n_prop = 1;
	set_id(&c->local.id, initiator ? "init@bench.example" : "resp@bench.example");
	set_id(&c->remote.id, initiator ? "resp@bench.example" : "init@bench.example");
	c->local.auth = c->remote.auth = IKE_AUTH_PSK;
	c->psk_len = sizeof(psk) - 1;
	memcpy(c->psk, psk, c->psk_len);
	c->n_child = 1;
	snprintf(cc->name, sizeof(cc->name), "net");
	cc->mode = ESP_MODE_TUNNEL;
	cc->prop[0].encr[0] = 20;
	cc->prop[0].encr_bits[0] = 256;
	cc->prop[0].n_encr = 1;
	cc->prop[0].esn[0] = 1;
	cc->prop[0].n_esn = 1;
	cc->n_prop = 1;
	bw_prefix_parse(&cc->local_ts[0], &cc->local_plen[0],
	                initiator ? "10.1.0.0/24" : "10.2.0.0/24");
	bw_prefix_parse(&cc->remote_ts[0], &cc->remote_plen[0],
	                initiator ? "10.2.0.0/24" : "10.1.0.0/24");
	cc->n_local_ts = cc->n_remote_ts = 1;
	cc->replay_window = 1024;
	cc->start_action = initiator ? IKE_START_START : IKE_START_NONE;
}

static int sides_new(struct side *ini, struct side *resp, uint16_t group, bool rearm)
{
	int r;

	memset(ini, 0, sizeof(*ini));
	memset(resp, 0, sizeof(*resp));
	ini->name = "initiator";
	resp->name = "responder";
	ini->peer = resp;
	resp->peer = ini;
	resp->rearm = rearm;
	setup_conn(&ini->conn, true, group);
	setup_conn(&resp->conn, false, group);
	if ((r = ike_new(&ini->ike, &ini->conn, 1, &ops, ini)) != 0 ||
	    (r = ike_new(&resp->ike, &resp->conn, 1, &ops, resp)) != 0)
		return r;
	q_head = q_len = 0;
	inflight = completed = 0;
	return 0;
}

static void sides_free(struct side *ini, struct side *resp)
{
	ike_free(ini->ike);
	ike_free(resp->ike);
	ini->ike = resp->ike = NULL;
}

/* Runs ike_initiate or ike_input on side s, booking CPU and heap to it. */
static void deliver(struct dgram *d)
{
	struct side *s = d->to;
	int64_t h0 = s->track_heap ? heap_used() : 0;
	uint64_t t0 = cpu_ns(), t1;

	ike_input(s->ike, &d->src, &d->dst, d->natt, d->buf, d->len, 1000);
	t1 = cpu_ns();
	s->cpu_ns += t1 - t0;
	if (s->rearm) {
		(void)ike_next_timer(s->ike, 1000);
		s->rearm_ns += cpu_ns() - t1;
	}
	if (s->track_heap)
		s->heap += heap_used() - h0;
}

static int initiate(struct side *ini)
{
	int64_t h0 = ini->track_heap ? heap_used() : 0;
	uint64_t t0 = cpu_ns();
	int r = ike_initiate(ini->ike, "bench", 1000);

	ini->cpu_ns += cpu_ns() - t0;
	if (ini->track_heap)
		ini->heap += heap_used() - h0;
	return r;
}

/* Completes n more handshakes, window in flight at a time. */
static int run_handshakes(struct side *ini, uint64_t n, unsigned window)
{
	uint64_t target = completed + n, started = completed + inflight;
	int r;

	while (completed < target) {
		while (inflight < window && started < target) {
			if ((r = initiate(ini)) != 0) {
				fprintf(stderr, "bench_ike: ike_initiate: %s\n", bw_strerror(r));
				return r;
			}
			inflight++;
			started++;
		}
		if (q_len == 0) {
			fprintf(stderr,
			        "bench_ike: %llu handshakes stuck (responder children %llu, "
			        "initiator %llu)\n",
			        (unsigned long long)inflight,
			        (unsigned long long)ini->peer->children,
			        (unsigned long long)ini->children);
			return BW_ERR_PROTO;
		}
		struct dgram *d = &queue[q_head];

		q_head = (q_head + 1) % QCAP;
		q_len--;
		deliver(d);
	}
	return 0;
}

static const char *group_name(unsigned g)
{
	switch (g) {
	case 14:
		return "modp2048";
	case 19:
		return "ecp256";
	case 20:
		return "ecp384";
	case 21:
		return "ecp521";
	case 31:
		return "x25519";
	default:
		return "?";
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The key exchange alone, as one side does it in a handshake: a key pair,
 * our public value, the shared secret from the peer's (crypto_dh.c, which
 * also validates the peer's value). us per side.
 */
static double dh_cost(unsigned group)
{
	uint8_t pub[CRYPTO_DH_PUBLIC_MAX], shared[CRYPTO_DH_SHARED_MAX];
	size_t plen = crypto_dh_public_len((enum crypto_dh_group)group);
	size_t slen = crypto_dh_shared_len((enum crypto_dh_group)group);
	struct crypto_dh *peer, *dh;
	uint64_t t0, n = 200;

	if (crypto_dh_new(&peer, (enum crypto_dh_group)group) != 0 ||
	    crypto_dh_public(peer, pub, plen) != 0)
		return -1;
	t0 = cpu_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint8_t mine[CRYPTO_DH_PUBLIC_MAX];

		if (crypto_dh_new(&dh, (enum crypto_dh_group)group) != 0 ||
		    crypto_dh_public(dh, mine, plen) != 0 ||
		    crypto_dh_shared(dh, pub, plen, shared, slen) != 0)
			return -1;
		crypto_dh_free(dh);
	}
	t0 = cpu_ns() - t0;
	crypto_dh_free(peer);
	return (double)t0 / (double)n / 1e3;
}

/* Steady state: reps x n handshakes, fresh instances each time. */
static int run_steady(const struct opts *o, unsigned group)
{
	uint64_t tot[64], resp[64], ini_ns[64], wall[64];
	unsigned reps = o->reps > 64 ? 64 : o->reps;
	struct side ini, rsp;
	int r;

	/* Warm-up (OpenSSL method caches, page faults), not reported. */
	if ((r = sides_new(&ini, &rsp, (uint16_t)group, false)) != 0 ||
	    (r = run_handshakes(&ini, 50, o->window)) != 0)
		return r;
	sides_free(&ini, &rsp);
	for (unsigned i = 0; i < reps; i++) {
		uint64_t c0, w0;

		if ((r = sides_new(&ini, &rsp, (uint16_t)group, false)) != 0)
			return r;
		c0 = cpu_ns();
		w0 = wall_ns();
		if ((r = run_handshakes(&ini, o->n_steady, o->window)) != 0)
			return r;
		tot[i] = (cpu_ns() - c0) / o->n_steady;
		wall[i] = (wall_ns() - w0) / o->n_steady;
		resp[i] = rsp.cpu_ns / o->n_steady;
		ini_ns[i] = ini.cpu_ns / o->n_steady;
		if (ike_count(rsp.ike) != o->n_steady || ike_count(ini.ike) != o->n_steady ||
		    rsp.children != o->n_steady) {
			fprintf(stderr, "bench_ike: %zu/%zu IKE SAs established, %llu children\n",
			        ike_count(ini.ike), ike_count(rsp.ike),
			        (unsigned long long)rsp.children);
			return BW_ERR_PROTO;
		}
		sides_free(&ini, &rsp);
	}
	double dh = dh_cost(group);

	qsort(tot, reps, sizeof(tot[0]), cmp_u64);
	qsort(resp, reps, sizeof(resp[0]), cmp_u64);
	qsort(ini_ns, reps, sizeof(ini_ns[0]), cmp_u64);
	qsort(wall, reps, sizeof(wall[0]), cmp_u64);
	/* Medians; min..max of the combined figure in brackets. */
	if (o->csv) {
		printf("steady,%s,%u,%u,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,%.1f\n", group_name(group),
		       reps, o->n_steady, tot[reps / 2] / 1e3, resp[reps / 2] / 1e3,
		       ini_ns[reps / 2] / 1e3, wall[reps / 2] / 1e3, 1e9 / (double)tot[reps / 2],
		       1e9 / (double)resp[reps / 2], dh);
		return 0;
	}
	printf("%-8s %5u x %-6u %9.1f %9.0f   [%.0f..%.0f] %10.1f %9.0f %10.1f %10.1f\n",
	       group_name(group), reps, o->n_steady, tot[reps / 2] / 1e3,
	       1e9 / (double)tot[reps / 2], 1e9 / (double)tot[reps - 1], 1e9 / (double)tot[0],
	       resp[reps / 2] / 1e3, 1e9 / (double)resp[reps / 2], ini_ns[reps / 2] / 1e3, dh);
	return 0;
}

/* What the responder holds per SA, from its own table (buffers it keeps). */
static void resp_breakdown(const struct side *rsp, unsigned group, bool csv)
{
	size_t n = 0, nchild = 0, req = 0, resp = 0, lastr = 0, lastq = 0;

	for (const struct ike_sa *sa = rsp->ike->sas; sa != NULL; sa = sa->next) {
		n++;
		if (sa->init_req != NULL)
			req += malloc_usable_size(sa->init_req);
		if (sa->init_resp != NULL)
			resp += malloc_usable_size(sa->init_resp);
		if (sa->last_resp != NULL)
			lastr += malloc_usable_size(sa->last_resp);
		if (sa->last_req != NULL)
			lastq += malloc_usable_size(sa->last_req);
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			nchild++;
	}
	if (n == 0)
		return;
	if (csv) {
		printf("sizes,%s,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu\n", group_name(group), n, nchild,
		       sizeof(struct ike_sa), sizeof(struct ike_child), req / n, resp / n,
		       lastr / n, lastq / n);
		return;
	}
	printf("  responder per IKE SA (%s, %zu SAs, %zu children): struct ike_sa %zu B, "
	       "struct ike_child %zu B x %.2f, kept IKE_SA_INIT request %zu B, response %zu B, "
	       "last response %zu B, last request %zu B\n",
	       group_name(group), n, nchild, sizeof(struct ike_sa), sizeof(struct ike_child),
	       (double)nchild / (double)n, req / n, resp / n, lastr / n, lastq / n);
}

/* Growth: n pairs kept, in blocks; rate and memory per block. */
static int run_grow(const struct opts *o, unsigned group)
{
	struct side ini, rsp;
	size_t rss0;
	uint64_t t0, t1;
	int r;

	malloc_trim(0);
	if ((r = sides_new(&ini, &rsp, (uint16_t)group, o->rearm)) != 0)
		return r;
	ini.track_heap = rsp.track_heap = true;
	rss0 = rss_bytes();
	if (!o->csv)
		printf("\n%s: growth to %u IKE_SA + CHILD_SA pairs kept (blocks of %u, %u in "
		       "flight)\n"
		       "  SAs before..after  hs/s   comb us  resp us  resp hs/s  rearm us  "
		       "init us  resp heap/pair  init heap/pair  RSS/pair(both)\n",
		       group_name(group), o->n_grow, o->block, o->window);
	for (unsigned done = 0; done < o->n_grow; done += o->block) {
		unsigned n = o->block < o->n_grow - done ? o->block : o->n_grow - done;
		uint64_t r0 = rsp.cpu_ns, i0 = ini.cpu_ns, a0 = rsp.rearm_ns;
		double comb, resp, rearm, init;
		size_t rss;

		if ((r = run_handshakes(&ini, n, o->window)) != 0)
			return r;
		resp = (double)(rsp.cpu_ns - r0) / n / 1e3;
		init = (double)(ini.cpu_ns - i0) / n / 1e3;
		rearm = (double)(rsp.rearm_ns - a0) / n / 1e3;
		comb = resp + init;
		rss = rss_bytes();
		if (o->csv)
			printf("grow,%s,%u,%u,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f\n",
			       group_name(group), done, done + n, comb, resp, rearm, init,
			       (double)rsp.heap / (done + n), (double)ini.heap / (done + n),
			       (double)(rss - rss0) / (done + n));
		else
			printf("  %6u..%-6u %9.0f %8.1f %8.1f %10.0f %9.1f %8.1f %12.0f B %13.0f B "
			       "%12.0f B\n",
			       done, done + n, 1e6 / comb, comb, resp, 1e6 / resp, rearm, init,
			       (double)rsp.heap / (done + n), (double)ini.heap / (done + n),
			       (double)(rss - rss0) / (done + n));
	}
	if (ike_count(rsp.ike) != o->n_grow || ike_count(ini.ike) != o->n_grow ||
	    rsp.children != o->n_grow || rsp.child_dels != 0) {
		fprintf(stderr, "bench_ike: %zu/%zu IKE SAs kept, %llu children, %llu deleted\n",
		        ike_count(ini.ike), ike_count(rsp.ike), (unsigned long long)rsp.children,
		        (unsigned long long)rsp.child_dels);
		return BW_ERR_PROTO;
	}
	resp_breakdown(&rsp, group, o->csv);
	/* What the gateway's timer path costs with the table full. */
	t0 = cpu_ns();
	for (int i = 0; i < 10; i++)
		(void)ike_next_timer(rsp.ike, 1000);
	t1 = cpu_ns();
	for (int i = 0; i < 10; i++)
		ike_timers(rsp.ike, 1000);
	if (o->csv)
		printf("timers,%s,%u,%.1f,%.1f\n", group_name(group), o->n_grow,
		       (double)(t1 - t0) / 10 / 1e3, (double)(cpu_ns() - t1) / 10 / 1e3);
	else
		printf("  with %u SAs: ike_next_timer %.1f us per call, ike_timers %.1f us per "
		       "call (responder)\n",
		       o->n_grow, (double)(t1 - t0) / 10 / 1e3, (double)(cpu_ns() - t1) / 10 / 1e3);
	sides_free(&ini, &rsp);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_ike [-g 19,31] [-n handshakes] [-r reps] [-N kept_sas] [-b block]\n"
	        "                 [-w window] [--no-rearm] [--csv]\n"
	        "  -g  DH groups (14 19 20 21 31), default 19,31\n"
	        "  -n  handshakes per steady-state repetition (fresh tables), default 1000\n"
	        "  -r  steady-state repetitions (median reported), default 5\n"
	        "  -N  IKE_SA + CHILD_SA pairs established and kept in the growth run, default\n"
	        "      10000 (0 skips it); -b its block size, default 1000\n"
	        "  -w  handshakes in flight, default 32\n"
	        "  --no-rearm  do not call ike_next_timer after each responder input\n");
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->groups[0] = 19;
	o->groups[1] = 31;
	o->n_groups = 2;
	o->n_steady = 1000;
	o->reps = 5;
	o->n_grow = 10000;
	o->block = 1000;
	o->window = 32;
	o->rearm = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (strcmp(a, "--csv") == 0) {
			o->csv = true;
			continue;
		}
		if (strcmp(a, "--no-rearm") == 0) {
			o->rearm = false;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(a, "-g") == 0) {
			o->n_groups = 0;
			for (const char *p = v; *p != '\0';) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p || o->n_groups >= GROUPS_MAX ||
				    !crypto_dh_supported(g))
					return -1;
				o->groups[o->n_groups++] = (unsigned)g;
				p = *end == ',' ? end + 1 : end;
				if (*end != ',' && *end != '\0')
					return -1;
			}
			continue;
		}
		unsigned long x = strtoul(v, &end, 10);

		if (*end != '\0' || end == v || x > 1000000)
			return -1;
		if (strcmp(a, "-n") == 0 && x > 0)
			o->n_steady = (unsigned)x;
		else if (strcmp(a, "-r") == 0 && x > 0)
			o->reps = (unsigned)x;
		else if (strcmp(a, "-N") == 0)
			o->n_grow = (unsigned)x;
		else if (strcmp(a, "-b") == 0 && x > 0)
			o->block = (unsigned)x;
		else if (strcmp(a, "-w") == 0 && x > 0 && x <= QCAP / 4)
			o->window = (unsigned)x;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int r;

	if (parse_opts(&o, argc, argv) != 0) {
		usage();
		return 2;
	}
	bw_log_set_level(BW_LOG_WARN);
	if ((queue = calloc(QCAP, sizeof(*queue))) == NULL)
		return 1;
	memset(queue, 0, QCAP * sizeof(*queue)); /* touched now, not counted in the RSS growth */
	if (o.csv) {
		printf("# steady,group,reps,handshakes,comb_us,resp_us,init_us,wall_us,hs_per_s,"
		       "resp_hs_per_s,dh_us_per_side\n"
		       "# grow,group,sas_before,sas_after,comb_us,resp_us,rearm_us,init_us,"
		       "resp_heap_per_pair,init_heap_per_pair,rss_per_pair\n"
		       "# sizes,group,sas,children,sizeof_ike_sa,sizeof_ike_child,init_req,"
		       "init_resp,last_resp,last_req\n"
		       "# timers,group,sas,next_timer_us,timers_us\n");
	} else {
		printf("IKEv2 handshakes, in-process initiator + responder, PSK, "
		       "aes256gcm16-prfsha256-<group>, one CHILD_SA (aes256gcm16-esn), one thread\n"
		       "CPU per handshake from CLOCK_PROCESS_CPUTIME_ID; comb = both sides\n\n"
		       "group     reps x n    comb us      hs/s   [min..max hs/s]    resp us resp "
		       "hs/s    init us DH us/side\n");
	}
	for (size_t i = 0; i < o.n_groups; i++)
		if ((r = run_steady(&o, o.groups[i])) != 0)
			return 1;
	if (o.n_grow > 0)
		for (size_t i = 0; i < o.n_groups; i++)
			if ((r = run_grow(&o, o.groups[i])) != 0)
				return 1;
	free(queue);
	return 0;
}
