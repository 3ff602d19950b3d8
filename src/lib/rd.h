/* SPDX-License-Identifier: ISC */
/*
 * Bounded reader and writer: the only way bytes from the network, a config
 * file or a rule are read, and the way wire messages are built.
 *
 * Reader rules (after OpenSSH's sshbuf): every read checks what remains
 * before it moves; a failed read returns BW_ERR_SHORT and consumes nothing.
 * Reads are big-endian unless named _le. bw_rd_sub() carves out a sub-reader bounded by a
 * declared length (for TLVs), bw_rd_tail() takes bytes from the end (for
 * trailers such as ICVs). Readers borrow the memory they read.
 *
 * Writer rules: every write checks capacity first; a failed write returns
 * BW_ERR_NOSPACE and writes nothing.
 */
#ifndef BW_RD_H
#define BW_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_rd {
	const uint8_t *p; /* first unread byte */
	size_t left;      /* bytes that remain */
};

static inline void bw_rd_init(struct bw_rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->left = len;
}

static inline size_t bw_rd_left(const struct bw_rd *rd)
{
	return rd->left;
}

static inline const uint8_t *bw_rd_cur(const struct bw_rd *rd)
{
	return rd->p;
}

int bw_rd_u8(struct bw_rd *rd, uint8_t *v);
int bw_rd_u16(struct bw_rd *rd, uint16_t *v);
int bw_rd_u32(struct bw_rd *rd, uint32_t *v);
int bw_rd_u64(struct bw_rd *rd, uint64_t *v);
/* Little-endian reads, for the wire formats that use them (SMB, DCE/RPC NDR). */
int bw_rd_le16(struct bw_rd *rd, uint16_t *v);
int bw_rd_le32(struct bw_rd *rd, uint32_t *v);
int bw_rd_le64(struct bw_rd *rd, uint64_t *v);
int bw_rd_peek_u8(const struct bw_rd *rd, uint8_t *v);
int bw_rd_peek_u16(const struct bw_rd *rd, uint16_t *v);
int bw_rd_peek_u32(const struct bw_rd *rd, uint32_t *v);
/* Copies n bytes out. */
int bw_rd_copy(struct bw_rd *rd, void *out, size_t n);
/* Borrows a view of the next n bytes. */
int bw_rd_ptr(struct bw_rd *rd, const uint8_t **out, size_t n);
int bw_rd_skip(struct bw_rd *rd, size_t n);
/* A sub-reader over the next n bytes; the parent moves past them. */
int bw_rd_sub(struct bw_rd *rd, struct bw_rd *sub, size_t n);
/* Takes the last n bytes (a trailer) off the end; *out borrows them. */
int bw_rd_tail(struct bw_rd *rd, const uint8_t **out, size_t n);

struct bw_wr {
	uint8_t *p; /* start of the output */
	size_t cap; /* capacity */
	size_t len; /* bytes written */
};

static inline void bw_wr_init(struct bw_wr *wr, void *p, size_t cap)
{
	wr->p = p;
	wr->cap = cap;
	wr->len = 0;
}

static inline size_t bw_wr_len(const struct bw_wr *wr)
{
	return wr->len;
}

int bw_wr_u8(struct bw_wr *wr, uint8_t v);
int bw_wr_u16(struct bw_wr *wr, uint16_t v);
int bw_wr_u32(struct bw_wr *wr, uint32_t v);
int bw_wr_u64(struct bw_wr *wr, uint64_t v);
int bw_wr_bytes(struct bw_wr *wr, const void *p, size_t n);
int bw_wr_zero(struct bw_wr *wr, size_t n);
/* Reserves n bytes to fill later (a length field); *out points at them. */
int bw_wr_reserve(struct bw_wr *wr, uint8_t **out, size_t n);

/* Big-endian loads and stores on memory the caller has bounds-checked. */
static inline uint16_t bw_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t bw_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t bw_be64(const uint8_t *p)
{
	return (uint64_t)bw_be32(p) << 32 | bw_be32(p + 4);
}
/*
 * memcmp() of two big-endian keys of len 2, 4 or 16 bytes (ports, IPv4,
 * IPv6 addresses) as integer compares: the binary searches of address and
 * port sets make one per step, and a libc call per step cost more than
 * the search.
 */
static inline int bw_key_cmp(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint64_t x, y;
	if (len == 2) {
		x = bw_be16(a);
		y = bw_be16(b);
	} else if (len == 4) {
		x = bw_be32(a);
		y = bw_be32(b);
	} else if (len == 16) {
		x = bw_be64(a);
		y = bw_be64(b);
		if (x == y) {
			x = bw_be64(a + 8);
			y = bw_be64(b + 8);
		}
	} else {
		for (size_t i = 0; i < len; i++)
			if (a[i] != b[i])
				return a[i] < b[i] ? -1 : 1;
		return 0;
	}
	return x < y ? -1 : x > y;
}
static inline uint16_t bw_le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}
static inline uint32_t bw_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline void bw_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void bw_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void bw_put_be64(uint8_t *p, uint64_t v)
{
	bw_put_be32(p, (uint32_t)(v >> 32));
	bw_put_be32(p + 4, (uint32_t)v);
}

#endif
