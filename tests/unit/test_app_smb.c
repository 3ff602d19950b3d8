/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the SMB parser (src/ips/app_smb.c): SMB1 tree connects to
 * a named pipe and to a disk share (smb.named_pipe / smb.share appear to
 * the server once the response is seen), an NT create then WRITE_ANDX and
 * READ_ANDX (file.data per direction) fed whole, byte by byte and with two
 * messages in one segment; SMB2 tree connect, create and a write larger
 * than the kept message prefix (streamed to file.data); DCE/RPC bind,
 * bind_ack, request and response over an SMB2 pipe (write/read and
 * FSCTL_PIPE_TRANSCEIVE); garbage framing and truncated headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/app.h"
#include "lib/err.h"

static struct app_ctx *ctx;

struct msg {
	uint8_t *b;
	size_t n, cap;
};

static void put(struct msg *m, const void *d, size_t n)
{
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->b = realloc(m->b, m->cap);
		assert_non_null(m->b);
	}
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

static void le16(struct msg *m, uint16_t v)
{
	put(m, (const uint8_t[]){(uint8_t)v, (uint8_t)(v >> 8)}, 2);
}

static void le32(struct msg *m, uint32_t v)
{
	le16(m, (uint16_t)v);
	le16(m, (uint16_t)(v >> 16));
}

static void le64(struct msg *m, uint64_t v)
{
	le32(m, (uint32_t)v);
	le32(m, (uint32_t)(v >> 32));
}

static void zero(struct msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(m, "", 1);
}

/* Starts a session message (its length is set by end()). */
static void begin(struct msg *m)
{
	m->n = 0;
	put(m, (const uint8_t[]){0, 0, 0, 0}, 4);
}

static void end(struct msg *m)
{
	size_t len = m->n - 4;

	m->b[1] = (uint8_t)(len >> 16);
	m->b[2] = (uint8_t)(len >> 8);
	m->b[3] = (uint8_t)len;
}

/* ---- SMB1 ---- */

static void smb1_hdr(struct msg *m, uint8_t cmd, uint32_t status, bool reply, uint16_t tid,
                     uint16_t mid)
{
	begin(m);
	put(m, "\xffSMB", 4);
	put(m, &cmd, 1);
	le32(m, status);
	put(m, (const uint8_t[]){reply ? 0x98 : 0x18}, 1);
	le16(m, 0x0001); /* flags2: no unicode */
	zero(m, 12);
	le16(m, tid);
	le16(m, 0x1234); /* pid */
	le16(m, 100);    /* uid */
	le16(m, mid);
}

static void andx(struct msg *m)
{
	put(m, (const uint8_t[]){0xff, 0, 0, 0}, 4);
}

static void tree_req1(struct msg *m, uint16_t mid, const char *path)
{
	smb1_hdr(m, 0x75, 0, false, 0xffff, mid);
	put(m, (const uint8_t[]){4}, 1);
	andx(m);
	le16(m, 0);
	le16(m, 1); /* password length */
	le16(m, (uint16_t)(1 + strlen(path) + 1 + 6));
	put(m, "", 1);
	put(m, path, strlen(path) + 1);
	put(m, "?????", 6);
	end(m);
}

static void tree_rsp1(struct msg *m, uint16_t mid, uint16_t tid, const char *service)
{
	smb1_hdr(m, 0x75, 0, true, tid, mid);
	put(m, (const uint8_t[]){3}, 1);
	andx(m);
	le16(m, 1);
	le16(m, (uint16_t)(strlen(service) + 1));
	put(m, service, strlen(service) + 1);
	end(m);
}

static void create_req1(struct msg *m, uint16_t mid, uint16_t tid, const char *name)
{
	smb1_hdr(m, 0xa2, 0, false, tid, mid);
	put(m, (const uint8_t[]){24}, 1);
	andx(m);
	zero(m, 44);
	le16(m, (uint16_t)(strlen(name) + 1));
	put(m, name, strlen(name) + 1);
	end(m);
}

static void create_rsp1(struct msg *m, uint16_t mid, uint16_t tid, uint16_t fid)
{
	smb1_hdr(m, 0xa2, 0, true, tid, mid);
	put(m, (const uint8_t[]){34}, 1);
	andx(m);
	put(m, "", 1);
	le16(m, fid);
	zero(m, 61);
	le16(m, 0);
	end(m);
}

static void write_req1(struct msg *m, uint16_t mid, uint16_t tid, uint16_t fid, uint32_t off,
                       const char *data)
{
	size_t n = strlen(data);

	smb1_hdr(m, 0x2f, 0, false, tid, mid);
	put(m, (const uint8_t[]){12}, 1);
	andx(m);
	le16(m, fid);
	le32(m, off);
	zero(m, 8);
	le16(m, 0);               /* data length high */
	le16(m, (uint16_t)n);     /* data length */
	le16(m, 32 + 1 + 24 + 2); /* data offset */
	le16(m, (uint16_t)n);
	put(m, data, n);
	end(m);
}

static void read_req1(struct msg *m, uint16_t mid, uint16_t tid, uint16_t fid, uint32_t off)
{
	smb1_hdr(m, 0x2e, 0, false, tid, mid);
	put(m, (const uint8_t[]){10}, 1);
	andx(m);
	le16(m, fid);
	le32(m, off);
	zero(m, 10);
	le16(m, 0);
	end(m);
}

static void read_rsp1(struct msg *m, uint16_t mid, uint16_t tid, const char *data)
{
	size_t n = strlen(data);

	smb1_hdr(m, 0x2e, 0, true, tid, mid);
	put(m, (const uint8_t[]){12}, 1);
	andx(m);
	zero(m, 6);
	le16(m, (uint16_t)n);
	le16(m, 32 + 1 + 24 + 2);
	zero(m, 10);
	le16(m, (uint16_t)n);
	put(m, data, n);
	end(m);
}

static void close_req1(struct msg *m, uint16_t mid, uint16_t tid, uint16_t fid)
{
	smb1_hdr(m, 0x04, 0, false, tid, mid);
	put(m, (const uint8_t[]){3}, 1);
	le16(m, fid);
	le32(m, 0);
	le16(m, 0);
	end(m);
}

/* ---- SMB2 ---- */

static void smb2_hdr(struct msg *m, uint16_t cmd, bool reply, uint64_t mid, uint32_t tid)
{
	begin(m);
	put(m, "\xfeSMB", 4);
	le16(m, 64);
	le16(m, 0);
	le32(m, 0); /* status */
	le16(m, cmd);
	le16(m, 1);
	le32(m, reply ? 1 : 0);
	le32(m, 0); /* next command */
	le64(m, mid);
	le32(m, 0);
	le32(m, tid);
	le64(m, 0x11);
	zero(m, 16);
}

static void put_utf16(struct msg *m, const char *s)
{
	for (; *s; s++)
		put(m, (const uint8_t[]){(uint8_t)*s, 0}, 2);
}

static void tree_req2(struct msg *m, uint64_t mid, const char *path)
{
	smb2_hdr(m, 3, false, mid, 0);
	le16(m, 9);
	le16(m, 0);
	le16(m, 64 + 8);
	le16(m, (uint16_t)(2 * strlen(path)));
	put_utf16(m, path);
	end(m);
}

static void tree_rsp2(struct msg *m, uint64_t mid, uint32_t tid, uint8_t share_type)
{
	smb2_hdr(m, 3, true, mid, tid);
	le16(m, 16);
	put(m, &share_type, 1);
	zero(m, 13);
	end(m);
}

static void create_req2(struct msg *m, uint64_t mid, uint32_t tid, const char *name)
{
	smb2_hdr(m, 5, false, mid, tid);
	le16(m, 57);
	zero(m, 42);
	le16(m, 64 + 56);
	le16(m, (uint16_t)(2 * strlen(name)));
	zero(m, 8);
	put_utf16(m, name);
	end(m);
}

static void create_rsp2(struct msg *m, uint64_t mid, uint32_t tid, uint8_t fid)
{
	smb2_hdr(m, 5, true, mid, tid);
	le16(m, 89);
	zero(m, 62);
	for (int i = 0; i < 16; i++)
		put(m, &fid, 1);
	zero(m, 8);
	end(m);
}

static void write_req2(struct msg *m, uint64_t mid, uint32_t tid, uint8_t fid, uint64_t off,
                       const void *data, size_t n)
{
	smb2_hdr(m, 9, false, mid, tid);
	le16(m, 49);
	le16(m, 64 + 48);
	le32(m, (uint32_t)n);
	le64(m, off);
	for (int i = 0; i < 16; i++)
		put(m, &fid, 1);
	zero(m, 16);
	put(m, data, n);
	end(m);
}

static void read_req2(struct msg *m, uint64_t mid, uint32_t tid, uint8_t fid, uint64_t off)
{
	smb2_hdr(m, 8, false, mid, tid);
	le16(m, 49);
	zero(m, 2);
	le32(m, 4096);
	le64(m, off);
	for (int i = 0; i < 16; i++)
		put(m, &fid, 1);
	zero(m, 17);
	end(m);
}

static void read_rsp2(struct msg *m, uint64_t mid, uint32_t tid, const void *data, size_t n)
{
	smb2_hdr(m, 8, true, mid, tid);
	le16(m, 17);
	put(m, (const uint8_t[]){64 + 16, 0}, 2);
	le32(m, (uint32_t)n);
	zero(m, 8);
	put(m, data, n);
	end(m);
}

static void ioctl2(struct msg *m, bool reply, uint64_t mid, uint32_t tid, uint8_t fid,
                   const void *data, size_t n)
{
	smb2_hdr(m, 0x0b, reply, mid, tid);
	le16(m, reply ? 49 : 57);
	le16(m, 0);
	le32(m, 0x0011c017);
	for (int i = 0; i < 16; i++)
		put(m, &fid, 1);
	if (!reply) {
		le32(m, 64 + 56);
		le32(m, (uint32_t)n);
		zero(m, 24);
	} else {
		zero(m, 8);
		le32(m, 64 + 48);
		le32(m, (uint32_t)n);
		zero(m, 8);
	}
	put(m, data, n);
	end(m);
}

/* ---- helpers ---- */

static int setup(void **state)
{
	struct app_cfg cfg;

	(void)state;
	app_cfg_default(&cfg);
	cfg.body_limit = 200000;
	return app_ctx_new(&ctx, &cfg);
}

static int teardown(void **state)
{
	(void)state;
	app_ctx_free(ctx);
	return 0;
}

static void feed(struct app_flow *f, enum app_dir d, const struct msg *m, bool bytewise)
{
	if (!bytewise) {
		assert_int_equal(app_flow_feed(f, d, m->b, m->n), 0);
		return;
	}
	for (size_t i = 0; i < m->n; i++)
		assert_int_equal(app_flow_feed(f, d, m->b + i, 1), 0);
}

/* The last transaction holding buffer b in direction d. */
static const struct app_tx *with_buf(const struct app_flow *f, enum app_dir d, enum ips_buf b,
                                     const uint8_t **p, size_t *n)
{
	const struct app_tx *hit = NULL;

	for (const struct app_tx *tx = app_flow_tx_first(f); tx; tx = app_tx_next(tx))
		if (app_tx_buf(tx, d, b, 0, p, n) == 0)
			hit = tx;
	if (hit)
		assert_int_equal(app_tx_buf(hit, d, b, 0, p, n), 0);
	return hit;
}

static void expect(const struct app_flow *f, enum app_dir d, enum ips_buf b, const char *want)
{
	const uint8_t *p;
	size_t n;

	if (!with_buf(f, d, b, &p, &n))
		fail_msg("no %s", ips_buf_name(b));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

static void absent(const struct app_flow *f, enum app_dir d, enum ips_buf b)
{
	const uint8_t *p;
	size_t n;

	assert_null(with_buf(f, d, b, &p, &n));
}

/* ---- tests ---- */

static void smb1_run(bool bytewise)
{
	struct app_flow *f;
	struct msg m = {0};

	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	tree_req1(&m, 1, "\\\\SRV\\IPC$");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	assert_int_equal(app_flow_proto(f), APP_PROTO_SMB);
	/* Pipe or share: unknown until the response. */
	absent(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NAMED_PIPE);
	absent(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_SHARE);
	tree_rsp1(&m, 1, 7, "IPC");
	feed(f, APP_DIR_TO_CLIENT, &m, bytewise);
	/* Suricata keeps the path without its first character. */
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NAMED_PIPE, "\\SRV\\IPC$");
	assert_true(app_tx_updated(app_flow_tx_first(f), APP_DIR_TO_SERVER));
	/* The to-server update waits for the to-server inspection. */
	app_flow_tx_ack_dir(f, APP_DIR_TO_CLIENT);
	assert_non_null(app_flow_tx_first(f));
	app_flow_tx_ack_dir(f, APP_DIR_TO_SERVER);
	assert_null(app_flow_tx_first(f));

	tree_req1(&m, 2, "\\\\SRV\\PUBLIC");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	tree_rsp1(&m, 2, 8, "A:");
	feed(f, APP_DIR_TO_CLIENT, &m, bytewise);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_SHARE, "\\SRV\\PUBLIC");
	absent(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NAMED_PIPE);
	app_flow_tx_ack(f);

	create_req1(&m, 3, 8, "\\eicar");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	create_rsp1(&m, 3, 8, 0x4000);
	feed(f, APP_DIR_TO_CLIENT, &m, bytewise);
	write_req1(&m, 4, 8, 0x4000, 0, "X5O!P%@AP");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	write_req1(&m, 5, 8, 0x4000, 9, "[4\\PZX54");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, "X5O!P%@AP[4\\PZX54");
	/* A rewrite of bytes already seen adds nothing; a hole is not filled in. */
	write_req1(&m, 6, 8, 0x4000, 3, "!P%");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	write_req1(&m, 7, 8, 0x4000, 100, "far");
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, "X5O!P%@AP[4\\PZX54");
	read_req1(&m, 8, 8, 0x4000, 0);
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	read_rsp1(&m, 8, 8, "read back");
	feed(f, APP_DIR_TO_CLIENT, &m, bytewise);
	expect(f, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, "read back");
	close_req1(&m, 9, 8, 0x4000);
	feed(f, APP_DIR_TO_SERVER, &m, bytewise);
	for (const struct app_tx *tx = app_flow_tx_first(f); tx; tx = app_tx_next(tx))
		assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	app_flow_tx_ack(f);
	assert_null(app_flow_tx_first(f));
	assert_int_equal(app_flow_events(f), 0);
	app_flow_free(f);
	free(m.b);
}

static void test_smb1(void **state)
{
	(void)state;
	smb1_run(false);
	smb1_run(true);
}

/* Two session messages (and a keep-alive) in one segment. */
static void test_smb1_coalesced(void **state)
{
	struct app_flow *f;
	struct msg a = {0}, b = {0}, all = {0};

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	create_req1(&a, 3, 8, "\\f");
	feed(f, APP_DIR_TO_SERVER, &a, false);
	create_rsp1(&a, 3, 8, 0x11);
	feed(f, APP_DIR_TO_CLIENT, &a, false);
	write_req1(&a, 4, 8, 0x11, 0, "one,");
	write_req1(&b, 5, 8, 0x11, 4, "two");
	put(&all, a.b, a.n);
	put(&all, (const uint8_t[]){0x85, 0, 0, 0}, 4);
	put(&all, b.b, b.n);
	feed(f, APP_DIR_TO_SERVER, &all, false);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, "one,two");
	app_flow_free(f);
	free(a.b);
	free(b.b);
	free(all.b);
}

/* SMB2: a write bigger than the kept prefix streams into file.data. */
static void test_smb2_file(void **state)
{
	struct app_flow *f;
	struct msg m = {0};
	size_t big = 100000;
	uint8_t *data = malloc(big);
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	tree_req2(&m, 1, "\\\\srv\\data");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	tree_rsp2(&m, 1, 5, 1);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_SHARE, "\\srv\\data");
	app_flow_tx_ack(f);
	create_req2(&m, 2, 5, "dir\\file.bin");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	create_rsp2(&m, 2, 5, 0xab);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	write_req2(&m, 3, 5, 0xab, 0, data, big);
	/* In uneven pieces, as TCP may deliver them. */
	for (size_t off = 0; off < m.n;) {
		size_t k = off % 3 == 0 ? 1400 : 999;

		if (k > m.n - off)
			k = m.n - off;
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, m.b + off, k), 0);
		off += k;
	}
	assert_non_null(with_buf(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, &p, &n));
	assert_int_equal(n, big);
	assert_memory_equal(p, data, big);
	read_req2(&m, 4, 5, 0xab, 0);
	feed(f, APP_DIR_TO_SERVER, &m, false);
	read_rsp2(&m, 4, 5, "abc", 3);
	feed(f, APP_DIR_TO_CLIENT, &m, true);
	expect(f, APP_DIR_TO_CLIENT, IPS_BUF_FILE_DATA, "abc");
	assert_true(app_flow_mem(f) < (4u << 20));
	app_flow_free(f);
	free(m.b);
	free(data);
}

/* DCE/RPC over an SMB2 named pipe: bind, ack, then a call by write/read and by ioctl. */
static void test_smb2_pipe(void **state)
{
	static const uint8_t bind[] = {
	        5,    0,    11,   3,    0x10, 0,    0,    0,    72,   0,    0,    0,
	        1,    0,    0,    0,    0xb8, 0x10, 0xb8, 0x10, 0,    0,    0,    0,
	        1,    0,    0,    0,    0,    0,    1,    0,    0x81, 0xbb, 0x7a, 0x36,
	        0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03,
	        2,    0,    0,    0,    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
	        0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2,    0,    0,    0};
	static const uint8_t ack[] = {5,    0,    12,   3,    0x10, 0,    0,    0,    60,   0,
	                              0,    0,    1,    0,    0,    0,    0xb8, 0x10, 0xb8, 0x10,
	                              1,    2,    0,    0,    4,    0,    '1',  '3',  '5',  0,
	                              0,    0,    1,    0,    0,    0,    0,    0,    0,    0,
	                              0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
	                              0x08, 0,    0x2b, 0x10, 0x48, 0x60, 2,    0,    0,    0};
	static const uint8_t req[] = {5, 0, 0, 3, 0x10, 0, 0, 0, 28, 0, 0,   0,   2,   0,
	                              0, 0, 4, 0, 0,    0, 0, 0, 15, 0, 'S', 'T', 'U', 'B'};
	static const uint8_t rsp[] = {5, 0, 2, 3, 0x10, 0, 0, 0, 26, 0, 0, 0,   2,
	                              0, 0, 0, 2, 0,    0, 0, 0, 0,  0, 0, 'o', 'k'};
	static const uint8_t svcctl[16] = {0x36, 0x7a, 0xbb, 0x81, 0x98, 0x44, 0x35, 0xf1,
	                                   0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03};
	struct app_flow *f;
	struct msg m = {0};
	const struct app_tx *tx;
	struct ips_dce_call c;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(sizeof(bind), 72);
	assert_int_equal(sizeof(ack), 60);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	tree_req2(&m, 1, "\\\\srv\\IPC$");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	tree_rsp2(&m, 1, 9, 2);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NAMED_PIPE, "\\srv\\IPC$");
	app_flow_tx_ack(f);
	create_req2(&m, 2, 9, "svcctl");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	create_rsp2(&m, 2, 9, 0x42);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	write_req2(&m, 3, 9, 0x42, 0, bind, sizeof(bind));
	feed(f, APP_DIR_TO_SERVER, &m, false);
	read_req2(&m, 4, 9, 0x42, 0);
	feed(f, APP_DIR_TO_SERVER, &m, false);
	read_rsp2(&m, 4, 9, ack, sizeof(ack));
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	assert_null(app_flow_tx_first(f)); /* the binding made no call */
	/* Not a file: pipe bytes never become file.data. */
	absent(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA);

	write_req2(&m, 5, 9, 0x42, 0, req, sizeof(req));
	feed(f, APP_DIR_TO_SERVER, &m, true);
	tx = with_buf(f, APP_DIR_TO_SERVER, IPS_BUF_DCERPC_STUB_DATA, &p, &n);
	assert_non_null(tx);
	assert_int_equal(app_tx_proto(tx), APP_PROTO_SMB);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "STUB", 4);
	assert_true(app_tx_dce(tx, &c));
	assert_int_equal(c.opnum, 15);
	assert_int_equal(c.nifaces, 1);
	assert_memory_equal(c.ifaces[0].uuid, svcctl, 16);
	assert_int_equal(c.ifaces[0].version, 2);
	read_req2(&m, 6, 9, 0x42, 0);
	feed(f, APP_DIR_TO_SERVER, &m, false);
	/* An interim STATUS_PENDING answer first: the data comes with the final one. */
	smb2_hdr(&m, 8, true, 6, 9);
	m.b[4 + 8] = 0x03;
	m.b[4 + 9] = 0x01;
	le16(&m, 9);
	zero(&m, 7);
	end(&m);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	read_rsp2(&m, 6, 9, rsp, sizeof(rsp));
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	assert_true(app_tx_flags(tx) & APP_TX_COMPLETE);
	app_flow_tx_ack(f);

	/* The same call by FSCTL_PIPE_TRANSCEIVE (call id 2 again: a new call). */
	ioctl2(&m, false, 7, 9, 0x42, req, sizeof(req));
	feed(f, APP_DIR_TO_SERVER, &m, false);
	ioctl2(&m, true, 7, 9, 0x42, rsp, sizeof(rsp));
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	tx = with_buf(f, APP_DIR_TO_CLIENT, IPS_BUF_DCERPC_STUB_DATA, &p, &n);
	assert_non_null(tx);
	assert_int_equal(n, 10);
	assert_memory_equal(p + 8, "ok", 2);
	assert_int_equal(app_flow_events(f), 0);
	app_flow_free(f);
	free(m.b);
}

/* An MS-NLMP security buffer field: length, maximum length, offset. */
static void nlmp_field(struct msg *m, uint16_t len, uint32_t off)
{
	le16(m, len);
	le16(m, len);
	le32(m, off);
}

/* An NTLMSSP AUTHENTICATE message: domain "DOM", user "bob", host "PC". */
static void ntlm_auth(struct msg *m)
{
	put(m, "NTLMSSP", 8);
	le32(m, 3);
	nlmp_field(m, 0, 64); /* LM response */
	nlmp_field(m, 0, 64); /* NT response */
	nlmp_field(m, 6, 64); /* domain */
	nlmp_field(m, 6, 70); /* user */
	nlmp_field(m, 4, 76); /* host */
	nlmp_field(m, 0, 80); /* session key */
	le32(m, 0xe2888215);  /* flags */
	put_utf16(m, "DOMbobPC");
}

/* smb.ntlmssp_user/domain from SMB2 (raw NTLMSSP) and SMB1 (inside SPNEGO) session setups. */
static void test_ntlmssp(void **state)
{
	struct app_flow *f;
	struct msg m = {0}, blob = {0};

	(void)state;
	ntlm_auth(&blob);
	assert_int_equal(blob.n, 80);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	smb2_hdr(&m, 1, false, 2, 0);
	le16(&m, 25);
	zero(&m, 10);
	le16(&m, 64 + 24);
	le16(&m, (uint16_t)blob.n);
	zero(&m, 8);
	put(&m, blob.b, blob.n);
	end(&m);
	feed(f, APP_DIR_TO_SERVER, &m, false);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NTLMSSP_USER, "bob");
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NTLMSSP_DOMAIN, "DOM");
	assert_true(app_tx_updated(app_flow_tx_first(f), APP_DIR_TO_SERVER));
	app_flow_tx_ack(f);
	assert_null(app_flow_tx_first(f));
	app_flow_free(f);

	/* SMB1, the message after an SPNEGO prefix; then one whose user runs past its end. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	for (int k = 0; k < 2; k++) {
		smb1_hdr(&m, 0x73, 0, false, 0, (uint16_t)(10 + k));
		put(&m, (const uint8_t[]){12}, 1);
		andx(&m);
		zero(&m, 10);
		le16(&m, (uint16_t)(blob.n + 4));
		zero(&m, 8);
		le16(&m, (uint16_t)(blob.n + 4));
		put(&m, (const uint8_t[]){0xa1, 0x81, 0x80, 0x04}, 4);
		put(&m, blob.b, blob.n);
		end(&m);
		feed(f, APP_DIR_TO_SERVER, &m, k == 0);
		if (k == 0) {
			expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NTLMSSP_USER, "bob");
			app_flow_tx_ack(f);
			blob.b[40] = 80; /* user at 80 + 6 > 80 bytes */
		}
	}
	assert_null(app_flow_tx_first(f));
	assert_true(app_flow_events(f) & APP_EV_SMB_MALFORMED);
	app_flow_free(f);
	free(m.b);
	free(blob.b);
}

/* After a gap the parser skips to the next SMB message; the file is not continued past the hole. */
static void test_gap(void **state)
{
	struct app_flow *f;
	struct msg m = {0};

	(void)state;
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	create_req1(&m, 3, 8, "\\f");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	create_rsp1(&m, 3, 8, 0x11);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	write_req1(&m, 4, 8, 0x11, 0, "before");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	/* The first half of the next write, a hole, the end of that write. */
	write_req1(&m, 5, 8, 0x11, 6, "lost!!");
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, m.b, m.n / 2), 0);
	app_flow_gap(f, APP_DIR_TO_SERVER);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, m.b + m.n - 5, 5), 0);
	write_req1(&m, 6, 8, 0x11, 12, "after");
	feed(f, APP_DIR_TO_SERVER, &m, true);
	tree_req1(&m, 7, "\\\\S\\IPC$");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	tree_rsp1(&m, 7, 9, "IPC");
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_SMB_NAMED_PIPE, "\\S\\IPC$");
	expect(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, "before");
	assert_true(app_flow_events(f) & APP_EV_GAP);
	app_flow_free(f);
	free(m.b);
}

/* Port 139: NetBIOS session request and keep-alive before the first SMB message. */
static void test_detect(void **state)
{
	struct msg m = {0};
	enum app_proto out;

	(void)state;
	put(&m, (const uint8_t[]){0x81, 0, 0, 4, 'n', 'a', 'm', 'e'}, 8);
	put(&m, (const uint8_t[]){0x85, 0, 0, 0}, 4);
	assert_int_equal(app_detect(m.b, m.n, APP_DIR_TO_SERVER, APP_L4_TCP, &out), BW_ERR_AGAIN);
	put(&m, (const uint8_t[]){0, 0, 0, 40, 0xff, 'S', 'M', 'B'}, 8);
	assert_int_equal(app_detect(m.b, m.n, APP_DIR_TO_SERVER, APP_L4_TCP, &out), 0);
	assert_int_equal(out, APP_PROTO_SMB);
	m.b[m.n - 3] = 'X';
	assert_int_not_equal(app_detect(m.b, m.n, APP_DIR_TO_SERVER, APP_L4_TCP, &out), 0);
	free(m.b);
}

static void test_malformed(void **state)
{
	struct app_flow *f;
	struct msg m = {0};

	(void)state;
	/* A NetBIOS type that does not exist stops the direction. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	tree_req1(&m, 1, "\\\\S\\IPC$");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)"\x42\0\0\0", 4), 0);
	assert_true(app_flow_events(f) & APP_EV_SMB_MALFORMED);
	app_flow_free(f);

	/* Truncated headers and absurd offsets are events, never reads out of bounds. */
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	create_req1(&m, 3, 8, "\\f");
	feed(f, APP_DIR_TO_SERVER, &m, false);
	create_rsp1(&m, 3, 8, 0x11);
	feed(f, APP_DIR_TO_CLIENT, &m, false);
	write_req1(&m, 4, 8, 0x11, 0, "data");
	m.b[4 + 32 + 1 + 4 + 2 + 4 + 8 + 2 + 2] = 0xff; /* data offset 0xffff: past the end */
	m.b[4 + 32 + 1 + 4 + 2 + 4 + 8 + 2 + 2 + 1] = 0xff;
	feed(f, APP_DIR_TO_SERVER, &m, false);
	absent(f, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA);
	begin(&m);
	put(&m, "\xfeSMB", 4);
	zero(&m, 20);
	end(&m);
	feed(f, APP_DIR_TO_SERVER, &m, false);
	begin(&m);
	put(&m, "\xffSMB\x75", 5);
	end(&m);
	feed(f, APP_DIR_TO_SERVER, &m, false);
	assert_true(app_flow_events(f) & APP_EV_SMB_MALFORMED);
	app_flow_free(f);
	free(m.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_smb1),      cmocka_unit_test(test_smb1_coalesced),
	        cmocka_unit_test(test_smb2_file), cmocka_unit_test(test_smb2_pipe),
	        cmocka_unit_test(test_detect),    cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_gap),       cmocka_unit_test(test_ntlmssp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
