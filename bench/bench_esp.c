/* SPDX-License-Identifier: ISC */
/*
 * Per-core benchmark of the ESP per-packet crypto path (RFC 4303 3.3 and
 * 3.4 as done by esp_encap and esp_decap): for every transform and payload
 * size it times, on one thread, (1) esp_encap of one reused struct pkt in
 * tunnel mode with ESN and (2) esp_decap of a ring of pre-encrypted packets,
 * each copied into a work buffer first because decapsulation works in
 * place. The inbound SA has its replay window disabled (0) so the same
 * ciphertexts can be decrypted again and again. The copy alone is timed too,
 * and decap is reported both raw and with that copy time subtracted.
 *
 * Rates are computed from the thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
 * as `openssl speed` divides by CPU user time by default, so that other jobs
 * on the machine disturb the comparison less; the wall-clock rate is in the
 * CSV output as well. MB is 10^6 bytes of payload (the inner packet), as
 * openssl's figures are in 1000s of bytes. The program prints figures only:
 * it exits non-zero on a set-up or crypto error, never because of timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "ipsec/esp.h"
#include "lib/err.h"

enum {
	BENCH_RING = 256,     /* pre-encrypted packets for the decap loop */
	BENCH_BATCH = 64,     /* iterations between clock reads */
	BENCH_SIZES_MAX = 16, /* -s list length */
};

struct xform {
	const char *name;
	enum esp_encr encr;
	size_t encr_key_len; /* AEAD: key + 4-byte salt */
	enum esp_integ integ;
	size_t integ_key_len;
};

static const struct xform xforms[] = {
        {"aes-gcm-128", ESP_ENCR_AES_GCM_16, 20, ESP_INTEG_NONE, 0},
        {"aes-gcm-256", ESP_ENCR_AES_GCM_16, 36, ESP_INTEG_NONE, 0},
        {"chacha20-poly1305", ESP_ENCR_CHACHA20_POLY1305, 36, ESP_INTEG_NONE, 0},
        {"aes-cbc-128+hmac-sha256-128", ESP_ENCR_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32},
        {"aes-cbc-256+hmac-sha256-128", ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA256_128, 32},
        {"aes-cbc-256+hmac-sha384-192", ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA384_192, 48},
        {"aes-cbc-256+hmac-sha512-256", ESP_ENCR_AES_CBC, 32, ESP_INTEG_HMAC_SHA512_256, 64},
};
enum { NXFORMS = sizeof(xforms) / sizeof(xforms[0]) };

static const size_t default_sizes[] = {64, 512, 1400, 8000};

struct opts {
	double seconds;
	size_t sizes[BENCH_SIZES_MAX];
	size_t nsizes;
	bool want[NXFORMS];
	bool csv;
};

/* One timed loop: iterations done, thread CPU seconds and wall seconds. */
struct run {
	uint64_t iters;
	double cpu;
	double wall;
};

struct result {
	struct run enc, dec, copy;
};

/* Keeps the copy-only loop from being optimised away. */
static volatile uint8_t sink;

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_esp [-t SECONDS] [-s SIZES] [-x TRANSFORMS] [--csv]\n"
	           "  -t SECONDS     time per measurement (default 0.5)\n"
	           "  -s SIZES       comma-separated payload sizes in bytes (default "
	           "64,512,1400,8000)\n"
	           "  -x TRANSFORMS  comma-separated transforms (default all):\n");
	for (size_t i = 0; i < NXFORMS; i++)
		fprintf(f, "                   %s\n", xforms[i].name);
	fprintf(f, "  --csv          machine-readable output\n"
	           "Rates use the thread's CPU time (as openssl speed does); MB = 10^6 bytes of\n"
	           "payload. Decap copies each ciphertext into a work buffer first; the\n"
	           "'decap-copy' column subtracts the time of that copy, measured alone.\n");
}

static int parse_sizes(struct opts *o, const char *arg)
{
	char *end;
	const char *s = arg;

	o->nsizes = 0;
	while (*s != '\0') {
		unsigned long v;

		if (o->nsizes == BENCH_SIZES_MAX)
			return -1;
		errno = 0;
		v = strtoul(s, &end, 10);
		/* A 20-byte IPv4 header must fit; the pkt holds a jumbo at most. */
		if (errno != 0 || end == s || v < 20 ||
		    v > PKT_BUFSIZE - PKT_HEADROOM - 2 * ESP_KEY_MAX - 300)
			return -1;
		o->sizes[o->nsizes++] = v;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		s = end;
	}
	return o->nsizes > 0 ? 0 : -1;
}

static int parse_xforms(struct opts *o, const char *arg)
{
	const char *s = arg;
	bool any = false;

	memset(o->want, 0, sizeof(o->want));
	while (*s != '\0') {
		size_t n = strcspn(s, ","), i;

		for (i = 0; i < NXFORMS; i++)
			if (strlen(xforms[i].name) == n && strncmp(xforms[i].name, s, n) == 0)
				break;
		if (i == NXFORMS) {
			fprintf(stderr, "bench_esp: unknown transform '%.*s'\n", (int)n, s);
			return -1;
		}
		o->want[i] = any = true;
		s += n;
		if (*s == ',')
			s++;
	}
	return any ? 0 : -1;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	o->seconds = 0.5;
	o->nsizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
	memcpy(o->sizes, default_sizes, sizeof(default_sizes));
	for (size_t i = 0; i < NXFORMS; i++)
		o->want[i] = true;
	o->csv = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (strcmp(a, "--csv") == 0) {
			o->csv = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "-t") == 0 && v != NULL) {
			o->seconds = strtod(v, &end);
			if (*end != '\0' || !(o->seconds > 0.0 && o->seconds <= 3600.0))
				return -1;
			i++;
		} else if (strcmp(a, "-s") == 0 && v != NULL) {
			if (parse_sizes(o, v) != 0)
				return -1;
			i++;
		} else if (strcmp(a, "-x") == 0 && v != NULL) {
			if (parse_xforms(o, v) != 0)
				return -1;
			i++;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Fills a key with a fixed, recognisable pattern: its value does not matter. */
static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static int make_sa(struct esp_sa **out, const struct xform *x, uint32_t spi, uint32_t window)
{
	struct esp_sa_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.spi = spi;
	cfg.encr = x->encr;
	cfg.encr_key_len = x->encr_key_len;
	fill(cfg.encr_key, x->encr_key_len, 0x11);
	cfg.integ = x->integ;
	cfg.integ_key_len = x->integ_key_len;
	fill(cfg.integ_key, x->integ_key_len, 0x5a);
	cfg.mode = ESP_MODE_TUNNEL;
	cfg.esn = true;
	cfg.replay_window = window;
	return esp_sa_new(out, &cfg);
}

/* A plausible inner IPv4 packet: tunnel-mode decap checks the version nibble. */
static void fake_inner(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)i;
	b[0] = 0x45;
}

/* Encap: reset and re-extend one pkt; the bytes left behind are as good as any. */
static int time_encap(struct esp_sa *sa, struct pkt *p, size_t size, double secs, struct run *r)
{
	double w0, c0;
	int err;

	r->iters = 0;
	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < BENCH_BATCH; i++) {
			pkt_reset(p);
			pkt_put(p, size);
			if ((err = esp_encap(sa, p, ESP_NH_IPV4)) != 0)
				return err;
		}
		r->iters += BENCH_BATCH;
	} while (now(CLOCK_MONOTONIC) - w0 < secs);
	r->cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
	r->wall = now(CLOCK_MONOTONIC) - w0;
	return 0;
}

struct ring {
	uint8_t *data; /* BENCH_RING slots of `stride` bytes */
	size_t stride;
	size_t len[BENCH_RING];
};

/* Decap (with_decap) or the copy alone: copy slot i into p, then open it. */
static int time_decap(struct esp_sa *sa, struct pkt *p, const struct ring *ring, bool with_decap,
                      double secs, struct run *r)
{
	double w0, c0;
	size_t slot = 0;
	enum esp_drop drop;
	uint8_t nh;
	int err;

	r->iters = 0;
	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < BENCH_BATCH; i++) {
			size_t len = ring->len[slot];

			pkt_reset(p);
			memcpy(pkt_put(p, len), ring->data + slot * ring->stride, len);
			if (with_decap) {
				if ((err = esp_decap(sa, p, &nh, &drop)) != 0) {
					fprintf(stderr, "bench_esp: decap dropped: %s\n",
					        esp_drop_name(drop));
					return err;
				}
			} else {
				sink ^= pkt_data(p)[len - 1];
			}
			slot = (slot + 1) % BENCH_RING;
		}
		r->iters += BENCH_BATCH;
	} while (now(CLOCK_MONOTONIC) - w0 < secs);
	r->cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
	r->wall = now(CLOCK_MONOTONIC) - w0;
	return 0;
}

/* Encrypts BENCH_RING packets of `size` bytes with out into ring. */
static int fill_ring(struct esp_sa *out, struct pkt *p, size_t size, struct ring *ring)
{
	int err;

	ring->stride = size + esp_overhead(out, size);
	if ((ring->data = malloc(BENCH_RING * ring->stride)) == NULL)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < BENCH_RING; i++) {
		pkt_reset(p);
		fake_inner(pkt_put(p, size), size);
		pkt_data(p)[size - 1] = (uint8_t)i;
		if ((err = esp_encap(out, p, ESP_NH_IPV4)) != 0)
			return err;
		if (p->len > ring->stride)
			return BW_ERR_NOSPACE;
		ring->len[i] = p->len;
		memcpy(ring->data + i * ring->stride, pkt_data(p), p->len);
	}
	return 0;
}

static int bench_one(const struct xform *x, size_t size, double secs, struct pkt *p,
                     struct result *res)
{
	struct esp_sa *out = NULL, *in = NULL, *warm = NULL;
	struct ring ring = {.data = NULL};
	struct run scratch;
	int err;

	if ((err = make_sa(&out, x, 0x1001, 0)) != 0 || (err = make_sa(&in, x, 0x1001, 0)) != 0 ||
	    (err = make_sa(&warm, x, 0x1001, 0)) != 0)
		goto out;
	pkt_reset(p);
	fake_inner(pkt_put(p, size), size);

	/* A short warm-up lets the CPU clock up and the caches fill. */
	if ((err = time_encap(warm, p, size, secs / 10, &scratch)) != 0 ||
	    (err = time_encap(out, p, size, secs, &res->enc)) != 0)
		goto out;
	if ((err = fill_ring(out, p, size, &ring)) != 0 ||
	    (err = time_decap(in, p, &ring, true, secs, &res->dec)) != 0 ||
	    (err = time_decap(in, p, &ring, false, secs, &res->copy)) != 0)
		goto out;
out:
	free(ring.data);
	esp_sa_free(out);
	esp_sa_free(in);
	esp_sa_free(warm);
	return err;
}

static double pps(const struct run *r)
{
	return r->cpu > 0 ? (double)r->iters / r->cpu : 0;
}

static double pps_wall(const struct run *r)
{
	return r->wall > 0 ? (double)r->iters / r->wall : 0;
}

/* Decap rate with the per-packet copy time taken out; 0 if it cannot be told apart. */
static double pps_net(const struct result *res)
{
	double d, c;

	if (res->dec.iters == 0 || res->copy.iters == 0)
		return 0;
	d = res->dec.cpu / (double)res->dec.iters;
	c = res->copy.cpu / (double)res->copy.iters;
	return d > c ? 1.0 / (d - c) : 0;
}

static void print_header(bool csv, double secs)
{
	if (csv) {
		printf("transform,size,encap_pps,encap_MBps,decap_pps,decap_MBps,"
		       "decap_net_pps,decap_net_MBps,copy_ns,encap_wall_MBps,decap_wall_MBps\n");
		return;
	}
	printf("ESP per-packet crypto path, one thread, tunnel mode, ESN, %.2f s per figure\n",
	       secs);
	printf("rates per thread CPU second; MB = 10^6 payload bytes; decap-copy = decap with\n"
	       "the time of copying the ciphertext into the work buffer subtracted\n\n");
	printf("%-28s %6s %10s %10s %10s %10s %10s %8s\n", "transform", "bytes", "encap kpps",
	       "encap MB/s", "decap kpps", "decap MB/s", "decap-copy", "copy ns");
}

static void print_row(bool csv, const struct xform *x, size_t size, const struct result *r)
{
	double s = (double)size / 1e6, net = pps_net(r);
	double copy_ns = r->copy.iters ? r->copy.cpu / (double)r->copy.iters * 1e9 : 0;

	if (csv) {
		printf("%s,%zu,%.0f,%.1f,%.0f,%.1f,%.0f,%.1f,%.1f,%.1f,%.1f\n", x->name, size,
		       pps(&r->enc), pps(&r->enc) * s, pps(&r->dec), pps(&r->dec) * s, net, net * s,
		       copy_ns, pps_wall(&r->enc) * s, pps_wall(&r->dec) * s);
		return;
	}
	printf("%-28s %6zu %10.1f %10.1f %10.1f %10.1f %10.1f %8.1f\n", x->name, size,
	       pps(&r->enc) / 1e3, pps(&r->enc) * s, pps(&r->dec) / 1e3, pps(&r->dec) * s, net * s,
	       copy_ns);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct pkt *p;
	int err = 0;

	if (parse_opts(&o, argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	if ((err = crypto_init()) != 0) {
		fprintf(stderr, "bench_esp: crypto_init: %s\n", bw_strerror(err));
		return 1;
	}
	/* The pkt is used outside any pool: pkt_reset sets all a loop needs. */
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return 1;
	print_header(o.csv, o.seconds);
	for (size_t i = 0; i < NXFORMS && err == 0; i++) {
		if (!o.want[i])
			continue;
		for (size_t j = 0; j < o.nsizes && err == 0; j++) {
			struct result res;

			memset(&res, 0, sizeof(res));
			if ((err = bench_one(&xforms[i], o.sizes[j], o.seconds, p, &res)) != 0)
				fprintf(stderr, "bench_esp: %s %zu: %s\n", xforms[i].name,
				        o.sizes[j], bw_strerror(err));
			else
				print_row(o.csv, &xforms[i], o.sizes[j], &res);
		}
	}
	free(p);
	return err == 0 ? 0 : 1;
}
