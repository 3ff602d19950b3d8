/* SPDX-License-Identifier: ISC */
/*
 * Certificate names as the IPS shows them (crypto_x509_info): the direct
 * rendering of common names must give exactly what OpenSSL's decoder and
 * render_name give. Random DER names (known and unknown attributes, string
 * types, ASCII, controls and high bytes, multi-valued RDNs, empty sets,
 * broken lengths, truncations) go through both: whenever the direct path
 * renders one, OpenSSL must accept it and render the same text; names of
 * known attributes and printable ASCII strings must take the direct path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xorshift.h"

#include "crypto/crypto_x509_info.h"
#include "lib/err.h"

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	return xorshift32(&rnd_state);
}

struct der {
	uint8_t b[4096];
	size_t n;
	bool full;
};

static void put(struct der *d, const void *p, size_t len)
{
	if (d->n + len > sizeof(d->b)) {
		d->full = true;
		return;
	}
	memcpy(d->b + d->n, p, len);
	d->n += len;
}

/* Tag, DER length, contents. */
static void tlv(struct der *d, uint8_t tag, const uint8_t *c, size_t len)
{
	uint8_t h[4] = {tag};
	size_t hn = 2;
	if (len < 128) {
		h[1] = (uint8_t)len;
	} else if (len < 256) {
		h[1] = 0x81;
		h[2] = (uint8_t)len;
		hn = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		hn = 4;
	}
	put(d, h, hn);
	put(d, c, len);
}

static const struct {
	uint8_t len;
	uint8_t oid[10];
	bool known;
} oids[] = {
        {3, {0x55, 0x04, 0x03}, true},                                            /* CN */
        {3, {0x55, 0x04, 0x06}, true},                                            /* C */
        {3, {0x55, 0x04, 0x07}, true},                                            /* L */
        {3, {0x55, 0x04, 0x08}, true},                                            /* ST */
        {3, {0x55, 0x04, 0x0a}, true},                                            /* O */
        {3, {0x55, 0x04, 0x0b}, true},                                            /* OU */
        {3, {0x55, 0x04, 0x05}, true},                                            /* serialNumber */
        {3, {0x55, 0x04, 0x09}, true},                                            /* street */
        {3, {0x55, 0x04, 0x11}, true},                                            /* postalCode */
        {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, true},        /* email */
        {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, true}, /* DC */
        {3, {0x55, 0x04, 0x0c}, false},                                           /* title */
        {3, {0x55, 0x04, 0x2a}, false},                                           /* givenName */
        {4, {0x2b, 0x06, 0x01, 0x04}, false},                                     /* 1.3.6.1.4 */
        {3, {0x55, 0x04, 0x83}, false},                                           /* broken */
};

/* String types: UTF8, Printable, IA5 (direct), T61, BMP, Numeric, Visible, INTEGER. */
static const uint8_t stypes[] = {0x0c, 0x13, 0x16, 0x14, 0x1e, 0x12, 0x1a, 0x02};

/* A random name into d; *simple: every attribute known, every value printable ASCII. */
static void random_name(struct der *d, bool *simple)
{
	struct der rdns = {.n = 0};
	size_t nr = rnd() % 6;
	*simple = true;
	for (size_t i = 0; i < nr; i++) {
		struct der set = {.n = 0};
		size_t na = rnd() % 8 == 0 ? 0 : 1 + rnd() % (rnd() % 4 == 0 ? 3 : 1);
		if (na == 0)
			*simple = false;
		for (size_t k = 0; k < na; k++) {
			struct der atv = {.n = 0};
			size_t o = rnd() % 5 == 0 ? rnd() % (sizeof(oids) / sizeof(oids[0]))
			                          : rnd() % 11;
			tlv(&atv, 0x06, oids[o].oid, oids[o].len);
			uint8_t t =
			        rnd() % 4 == 0 ? stypes[rnd() % sizeof(stypes)] : stypes[rnd() % 3];
			uint8_t v[300];
			size_t vl = rnd() % 6 == 0 ? rnd() % 300 : rnd() % 24;
			bool ascii = rnd() % 4 != 0;
			for (size_t j = 0; j < vl; j++)
				v[j] = ascii ? (uint8_t)(0x20 + rnd() % 95) : (uint8_t)rnd();
			for (size_t j = 0; j < vl; j++)
				if (v[j] < 0x20 || v[j] > 0x7e)
					*simple = false;
			if (!oids[o].known || (t != 0x0c && t != 0x13 && t != 0x16))
				*simple = false;
			tlv(&atv, t, v, vl);
			tlv(&set, 0x30, atv.b, atv.n);
		}
		tlv(&rdns, 0x31, set.b, set.n);
	}
	d->n = 0;
	d->full = false;
	tlv(d, 0x30, rdns.b, rdns.n);
	if (rdns.full || d->full)
		*simple = false;
}

static void compare(const uint8_t *der, size_t len, bool simple, size_t cap, size_t *direct)
{
	char a[1100], b[1100];
	int rd = crypto_x509_name_text(der, len, a, cap, true);
	int ro = crypto_x509_name_text(der, len, b, cap, false);
	if (simple && rd != 0)
		fail_msg("a simple name of %zu bytes left to OpenSSL", len);
	if (rd == 0) {
		(*direct)++;
		if (ro != 0)
			fail_msg("direct rendered \"%s\", OpenSSL refused the name", a);
		if (strcmp(a, b) != 0)
			fail_msg("direct \"%s\", OpenSSL \"%s\"", a, b);
	} else {
		assert_int_equal(rd, BW_ERR_UNSUPP);
	}
}

static void test_names(void **state)
{
	(void)state;
	size_t direct = 0, simple = 0, n = 20000;
	struct der d;
	for (size_t i = 0; i < n; i++) {
		bool s;
		random_name(&d, &s);
		simple += s;
		size_t cap = rnd() % 8 == 0 ? 1 + rnd() % 40 : 1024;
		compare(d.b, d.n, s, cap, &direct);
		/* Broken copies: cut short, a byte changed. */
		compare(d.b, 1 + rnd() % d.n, false, 1024, &direct);
		size_t at = rnd() % d.n;
		d.b[at] ^= (uint8_t)(1u << (rnd() % 8));
		compare(d.b, d.n, false, 1024, &direct);
	}
	print_message("x509 names: %zu random, %zu simple, %zu rendered directly, all as OpenSSL\n",
	              n, simple, direct);
	assert_true(simple > n / 4);
}

static void test_fixed(void **state)
{
	(void)state;
	/* C=US, O=Example Inc, CN=www.example.com in the order given. */
	static const struct {
		uint8_t oid, type;
		const char *v;
	} atvs[] = {
	        {0x06, 0x13, "US"}, {0x0a, 0x0c, "Example Inc"}, {0x03, 0x0c, "www.example.com"}};
	struct der rdns = {.n = 0}, nm = {.n = 0};
	for (size_t i = 0; i < 3; i++) {
		struct der atv = {.n = 0}, set = {.n = 0};
		const uint8_t oid[3] = {0x55, 0x04, atvs[i].oid};
		tlv(&atv, 0x06, oid, 3);
		tlv(&atv, atvs[i].type, (const uint8_t *)atvs[i].v, strlen(atvs[i].v));
		tlv(&set, 0x30, atv.b, atv.n);
		tlv(&rdns, 0x31, set.b, set.n);
	}
	tlv(&nm, 0x30, rdns.b, rdns.n);
	const uint8_t *name = nm.b;
	char out[128];
	assert_int_equal(crypto_x509_name_text(name, nm.n, out, sizeof(out), true), 0);
	assert_string_equal(out, "C=US, O=Example Inc, CN=www.example.com");
	assert_int_equal(crypto_x509_name_text(name, nm.n, out, sizeof(out), false), 0);
	assert_string_equal(out, "C=US, O=Example Inc, CN=www.example.com");
	assert_int_equal(crypto_x509_name_text(name, nm.n, out, 8, true), 0);
	assert_string_equal(out, "C=US, O");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fixed),
	        cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
