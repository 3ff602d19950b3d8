/* SPDX-License-Identifier: ISC */
/* Bounded reader and writer; see rd.h for the rules they keep. */
#include <string.h>

#include "lib/err.h"
#include "lib/rd.h"

int bw_rd_peek_u8(const struct bw_rd *rd, uint8_t *v)
{
	if (rd->left < 1)
		return BW_ERR_SHORT;
	*v = rd->p[0];
	return 0;
}

int bw_rd_peek_u16(const struct bw_rd *rd, uint16_t *v)
{
	if (rd->left < 2)
		return BW_ERR_SHORT;
	*v = bw_be16(rd->p);
	return 0;
}

int bw_rd_peek_u32(const struct bw_rd *rd, uint32_t *v)
{
	if (rd->left < 4)
		return BW_ERR_SHORT;
	*v = bw_be32(rd->p);
	return 0;
}

int bw_rd_u8(struct bw_rd *rd, uint8_t *v)
{
	if (rd->left < 1)
		return BW_ERR_SHORT;
	*v = rd->p[0];
	rd->p++;
	rd->left--;
	return 0;
}

int bw_rd_u16(struct bw_rd *rd, uint16_t *v)
{
	if (rd->left < 2)
		return BW_ERR_SHORT;
	*v = bw_be16(rd->p);
	rd->p += 2;
	rd->left -= 2;
	return 0;
}

int bw_rd_u32(struct bw_rd *rd, uint32_t *v)
{
	if (rd->left < 4)
		return BW_ERR_SHORT;
	*v = bw_be32(rd->p);
	rd->p += 4;
	rd->left -= 4;
	return 0;
}

int bw_rd_u64(struct bw_rd *rd, uint64_t *v)
{
	if (rd->left < 8)
		return BW_ERR_SHORT;
	*v = (uint64_t)bw_be32(rd->p) << 32 | bw_be32(rd->p + 4);
	rd->p += 8;
	rd->left -= 8;
	return 0;
}

int bw_rd_le16(struct bw_rd *rd, uint16_t *v)
{
	if (rd->left < 2)
		return BW_ERR_SHORT;
	*v = bw_le16(rd->p);
	rd->p += 2;
	rd->left -= 2;
	return 0;
}

int bw_rd_le32(struct bw_rd *rd, uint32_t *v)
{
	if (rd->left < 4)
		return BW_ERR_SHORT;
	*v = bw_le32(rd->p);
	rd->p += 4;
	rd->left -= 4;
	return 0;
}

int bw_rd_le64(struct bw_rd *rd, uint64_t *v)
{
	if (rd->left < 8)
		return BW_ERR_SHORT;
	*v = (uint64_t)bw_le32(rd->p + 4) << 32 | bw_le32(rd->p);
	rd->p += 8;
	rd->left -= 8;
	return 0;
}

int bw_rd_copy(struct bw_rd *rd, void *out, size_t n)
{
	if (rd->left < n)
		return BW_ERR_SHORT;
	if (n > 0)
		memcpy(out, rd->p, n);
	rd->p += n;
	rd->left -= n;
	return 0;
}

int bw_rd_ptr(struct bw_rd *rd, const uint8_t **out, size_t n)
{
	if (rd->left < n)
		return BW_ERR_SHORT;
	*out = rd->p;
	rd->p += n;
	rd->left -= n;
	return 0;
}

int bw_rd_skip(struct bw_rd *rd, size_t n)
{
	if (rd->left < n)
		return BW_ERR_SHORT;
	rd->p += n;
	rd->left -= n;
	return 0;
}

int bw_rd_sub(struct bw_rd *rd, struct bw_rd *sub, size_t n)
{
	if (rd->left < n)
		return BW_ERR_SHORT;
	sub->p = rd->p;
	sub->left = n;
	rd->p += n;
	rd->left -= n;
	return 0;
}

int bw_rd_tail(struct bw_rd *rd, const uint8_t **out, size_t n)
{
	if (rd->left < n)
		return BW_ERR_SHORT;
	rd->left -= n;
	*out = rd->p + rd->left;
	return 0;
}

static int wr_room(const struct bw_wr *wr, size_t n)
{
	return wr->cap - wr->len < n ? BW_ERR_NOSPACE : 0;
}

int bw_wr_u8(struct bw_wr *wr, uint8_t v)
{
	if (wr_room(wr, 1) != 0)
		return BW_ERR_NOSPACE;
	wr->p[wr->len++] = v;
	return 0;
}

int bw_wr_u16(struct bw_wr *wr, uint16_t v)
{
	if (wr_room(wr, 2) != 0)
		return BW_ERR_NOSPACE;
	bw_put_be16(wr->p + wr->len, v);
	wr->len += 2;
	return 0;
}

int bw_wr_u32(struct bw_wr *wr, uint32_t v)
{
	if (wr_room(wr, 4) != 0)
		return BW_ERR_NOSPACE;
	bw_put_be32(wr->p + wr->len, v);
	wr->len += 4;
	return 0;
}

int bw_wr_u64(struct bw_wr *wr, uint64_t v)
{
	if (wr_room(wr, 8) != 0)
		return BW_ERR_NOSPACE;
	bw_put_be64(wr->p + wr->len, v);
	wr->len += 8;
	return 0;
}

int bw_wr_bytes(struct bw_wr *wr, const void *p, size_t n)
{
	if (wr_room(wr, n) != 0)
		return BW_ERR_NOSPACE;
	if (n > 0)
		memcpy(wr->p + wr->len, p, n);
	wr->len += n;
	return 0;
}

int bw_wr_zero(struct bw_wr *wr, size_t n)
{
	if (wr_room(wr, n) != 0)
		return BW_ERR_NOSPACE;
	memset(wr->p + wr->len, 0, n);
	wr->len += n;
	return 0;
}

int bw_wr_reserve(struct bw_wr *wr, uint8_t **out, size_t n)
{
	if (wr_room(wr, n) != 0)
		return BW_ERR_NOSPACE;
	*out = wr->p + wr->len;
	memset(*out, 0, n);
	wr->len += n;
	return 0;
}
