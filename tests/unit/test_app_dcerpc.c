/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the DCE/RPC parser over TCP (src/ips/app_dcerpc.c):
 * detection of a v5 header (and "need more" / refusal), a bind whose first
 * context is rejected by the bind_ack, a request and its response fed one
 * byte at a time and all at once (stub data as Suricata keeps it, opnum,
 * context id, accepted interfaces), a request in two fragments, a
 * big-endian sender, and malformed fragment lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ips/app.h"
#include "lib/err.h"

static struct app_ctx *ctx;

/* MGMT afa8bd80-7d8a-11c9-bef4-08002b102989, as a little-endian sender puts it. */
static const uint8_t mgmt_le[16] = {0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9, 0x11,
                                    0xbe, 0xf4, 0x08, 0x00, 0x2b, 0x10, 0x29, 0x89};
static const uint8_t mgmt_text[16] = {0xaf, 0xa8, 0xbd, 0x80, 0x7d, 0x8a, 0x11, 0xc9,
                                      0xbe, 0xf4, 0x08, 0x00, 0x2b, 0x10, 0x29, 0x89};

struct pdu {
	uint8_t b[512];
	size_t n;
	bool big;
};

static void put16(struct pdu *p, uint16_t v)
{
	if (p->big) {
		p->b[p->n++] = (uint8_t)(v >> 8);
		p->b[p->n++] = (uint8_t)v;
	} else {
		p->b[p->n++] = (uint8_t)v;
		p->b[p->n++] = (uint8_t)(v >> 8);
	}
}

static void put32(struct pdu *p, uint32_t v)
{
	if (p->big) {
		put16(p, (uint16_t)(v >> 16));
		put16(p, (uint16_t)v);
	} else {
		put16(p, (uint16_t)v);
		put16(p, (uint16_t)(v >> 16));
	}
}

static void put(struct pdu *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void hdr(struct pdu *p, uint8_t type, uint8_t flags, uint32_t call_id, bool big)
{
	memset(p, 0, sizeof(*p));
	p->big = big;
	put(p, (const uint8_t[]){5, 0, type, flags, big ? 0x00 : 0x10, 0, 0, 0}, 8);
	put16(p, 0); /* frag_length, set by fin() */
	put16(p, 0);
	put32(p, call_id);
}

static void fin(struct pdu *p)
{
	size_t n = p->n;

	p->n = 8;
	put16(p, (uint16_t)n);
	p->n = n;
}

/* bind with two contexts of MGMT v1.0: ids 0 and 1. */
static void bind_pdu(struct pdu *p, uint32_t call_id)
{
	hdr(p, 11, 3, call_id, false);
	put(p, (const uint8_t[]){0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 2, 0, 0, 0}, 12);
	for (uint16_t id = 0; id < 2; id++) {
		put16(p, id);
		put(p, (const uint8_t[]){1, 0}, 2);
		put(p, mgmt_le, 16);
		put16(p, 1); /* version */
		put16(p, 0);
		put(p, (const uint8_t[20]){0x04, 0x5d, 0x88, 0x8a}, 20);
	}
	fin(p);
}

/* bind_ack: the first context rejected (provider rejection), the second accepted. */
static void bind_ack_pdu(struct pdu *p, uint32_t call_id)
{
	hdr(p, 12, 3, call_id, false);
	put(p, (const uint8_t[]){0xb8, 0x10, 0xb8, 0x10, 0x12, 0x34, 0, 0}, 8);
	put(p, (const uint8_t[]){4, 0, '1', '3', '5', 0, 0, 0}, 8); /* sec_addr, pad 2 */
	put(p, (const uint8_t[]){2, 0, 0, 0}, 4);
	put(p, (const uint8_t[24]){2, 0, 2, 0}, 24);
	put(p, (const uint8_t[24]){0, 0, 0, 0}, 24);
	fin(p);
}

static void request_pdu(struct pdu *p, uint8_t flags, uint32_t call_id, uint16_t ctxid,
                        uint16_t opnum, const char *stub, bool big)
{
	hdr(p, 0, flags, call_id, big);
	put32(p, (uint32_t)strlen(stub));
	put16(p, ctxid);
	put16(p, opnum);
	put(p, stub, strlen(stub));
	fin(p);
}

static void response_pdu(struct pdu *p, uint32_t call_id, const char *stub)
{
	hdr(p, 2, 3, call_id, false);
	put32(p, (uint32_t)strlen(stub));
	put(p, (const uint8_t[]){1, 0, 0, 0}, 4);
	put(p, stub, strlen(stub));
	fin(p);
}

static int setup(void **state)
{
	(void)state;
	return app_ctx_new(&ctx, NULL);
}

static int teardown(void **state)
{
	(void)state;
	app_ctx_free(ctx);
	return 0;
}

static void feed(struct app_flow *f, enum app_dir d, const struct pdu *p, bool bytewise)
{
	if (!bytewise) {
		assert_int_equal(app_flow_feed(f, d, p->b, p->n), 0);
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		assert_int_equal(app_flow_feed(f, d, p->b + i, 1), 0);
}

static void expect_buf(const struct app_tx *tx, enum app_dir d, const void *want, size_t n)
{
	const uint8_t *p;
	size_t len;

	assert_int_equal(app_tx_buf(tx, d, IPS_BUF_DCERPC_STUB_DATA, 0, &p, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(p, want, n);
}

static void test_detect(void **state)
{
	struct pdu p;
	enum app_proto out;

	(void)state;
	bind_pdu(&p, 1);
	assert_int_equal(app_detect(p.b, p.n, APP_DIR_TO_SERVER, APP_L4_TCP, &out), 0);
	assert_int_equal(out, APP_PROTO_DCERPC);
	assert_int_equal(app_detect(p.b, 8, APP_DIR_TO_SERVER, APP_L4_TCP, &out), BW_ERR_AGAIN);
	bind_ack_pdu(&p, 1);
	assert_int_equal(app_detect(p.b, p.n, APP_DIR_TO_CLIENT, APP_L4_TCP, &out), 0);
	assert_int_equal(out, APP_PROTO_DCERPC);
	p.b[4] = 0x12; /* bits the drep does not define */
	assert_int_not_equal(app_detect(p.b, p.n, APP_DIR_TO_CLIENT, APP_L4_TCP, &out), 0);
	p.b[4] = 0x10;
	p.b[1] = 1; /* minor version 1: the probe wants 0, as Suricata's */
	assert_int_not_equal(app_detect(p.b, p.n, APP_DIR_TO_CLIENT, APP_L4_TCP, &out), 0);
}

static void call_run(bool bytewise)
{
	struct app_flow *f;
	struct app_tx *tx;
	struct ips_dce_call c;
	struct pdu p;
	static const uint8_t rsp_stub[] = {8,   0,   0,   0,   1,   0,   0,   0,
	                                   'o', 'u', 't', 'p', 'u', 't', '!', '!'};

	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	bind_pdu(&p, 27);
	feed(f, APP_DIR_TO_SERVER, &p, bytewise);
	assert_int_equal(app_flow_proto(f), APP_PROTO_DCERPC);
	bind_ack_pdu(&p, 27);
	feed(f, APP_DIR_TO_CLIENT, &p, bytewise);
	assert_null(app_flow_tx_first(f)); /* binds are no calls */
	request_pdu(&p, 3, 27, 1, 2, "stub-in!", false);
	feed(f, APP_DIR_TO_SERVER, &p, bytewise);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_int_equal(app_tx_proto(tx), APP_PROTO_DCERPC);
	assert_true(app_tx_updated(tx, APP_DIR_TO_SERVER));
	expect_buf(tx, APP_DIR_TO_SERVER, "stub-in!", 8);
	assert_true(app_tx_dce(tx, &c));
	assert_true(c.request_seen && c.last_is_call && c.little);
	assert_int_equal(c.ctxid, 1);
	assert_int_equal(c.opnum, 2);
	/* Only the second context was accepted. */
	assert_int_equal(c.nifaces, 1);
	assert_int_equal(c.ifaces[0].ctxid, 1);
	assert_int_equal(c.ifaces[0].version, 1);
	assert_true(c.ifaces[0].first_frag);
	assert_memory_equal(c.ifaces[0].uuid, mgmt_text, 16);
	assert_false(app_tx_flags(tx) & APP_TX_COMPLETE);
	app_flow_tx_ack(f);
	response_pdu(&p, 27, "output!!");
	feed(f, APP_DIR_TO_CLIENT, &p, bytewise);
	assert_ptr_equal(app_flow_tx_first(f), tx);
	/* As Suricata: the response's stub starts after the common header. */
	expect_buf(tx, APP_DIR_TO_CLIENT, rsp_stub, sizeof(rsp_stub));
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	app_flow_tx_ack(f);
	assert_null(app_flow_tx_first(f));
	assert_int_equal(app_flow_events(f), 0);
	app_flow_free(f);
}

static void test_call(void **state)
{
	(void)state;
	call_run(false);
	call_run(true);
}

/* Two PDUs in one segment, and a request in two fragments. */
static void test_fragments(void **state)
{
	struct app_flow *f;
	struct app_tx *tx;
	struct pdu a, b;
	uint8_t both[1024];

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	request_pdu(&a, 1, 7, 0, 9, "first-", false);
	request_pdu(&b, 2, 7, 0, 9, "second", false);
	memcpy(both, a.b, a.n);
	memcpy(both + a.n, b.b, b.n);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, both, a.n + b.n), 0);
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_null(app_tx_next(tx));
	expect_buf(tx, APP_DIR_TO_SERVER, "first-second", 12);
	assert_true(app_tx_flags(tx) & APP_TX_REQ_DONE);
	app_flow_free(f);

	/* The first fragment alone leaves the request open. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, a.b, a.n), 0);
	tx = app_flow_tx_first(f);
	assert_false(app_tx_flags(tx) & APP_TX_REQ_DONE);
	app_flow_free(f);
}

static void test_big_endian(void **state)
{
	struct app_flow *f;
	struct ips_dce_call c;
	struct pdu p;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	request_pdu(&p, 3, 0x01020304, 0x0102, 0x0a0b, "\x5c\x00\x5c\x00", true);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b, p.n), 0);
	assert_non_null(app_flow_tx_first(f));
	assert_true(app_tx_dce(app_flow_tx_first(f), &c));
	assert_false(c.little);
	assert_int_equal(c.ctxid, 0x0102);
	assert_int_equal(c.opnum, 0x0a0b);
	assert_int_equal(c.nifaces, 0);
	app_flow_free(f);
}

/* After a gap the parser drops bytes up to the next plausible PDU header. */
static void test_gap(void **state)
{
	struct app_flow *f;
	struct app_tx *tx;
	struct pdu p;

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	request_pdu(&p, 3, 1, 0, 4, "lost-in-the-gap", false);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b, 20), 0);
	app_flow_gap(f, APP_DIR_TO_SERVER);
	/* The end of that PDU, with a "05 00" that is no header, then a whole request. */
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)"gap\x05\x00xx", 7),
	                 0);
	request_pdu(&p, 3, 2, 0, 5, "found", false);
	for (size_t i = 0; i < p.n; i++)
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b + i, 1), 0);
	/* The PDU cut by the gap is gone; the next one is whole. */
	tx = app_flow_tx_first(f);
	assert_non_null(tx);
	assert_null(app_tx_next(tx));
	expect_buf(tx, APP_DIR_TO_SERVER, "found", 5);
	assert_false(app_flow_events(f) & APP_EV_DCE_MALFORMED);
	app_flow_free(f);
}

static void test_malformed(void **state)
{
	struct app_flow *f;
	struct pdu p;

	(void)state;
	/* frag_length below the header size: the direction stops. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	request_pdu(&p, 3, 1, 0, 1, "abcd", false);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b, p.n), 0);
	p.b[8] = 4;
	p.b[9] = 0;
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b, p.n), 0);
	assert_true(app_flow_events(f) & APP_EV_DCE_MALFORMED);
	app_flow_free(f);
	/* A request too short for its fixed part, then a bind cut inside a context. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	hdr(&p, 0, 3, 1, false);
	put(&p, "\1\2\3", 3);
	fin(&p);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b, p.n), 0);
	assert_true(app_flow_events(f) & APP_EV_DCE_MALFORMED);
	bind_pdu(&p, 2);
	p.n -= 30;
	fin(&p);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, p.b, p.n), 0);
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_detect),    cmocka_unit_test(test_call),
	        cmocka_unit_test(test_fragments), cmocka_unit_test(test_big_endian),
	        cmocka_unit_test(test_malformed), cmocka_unit_test(test_gap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
