/* SPDX-License-Identifier: ISC */
/*
 * asn1 keyword checks over BER (ITU-T X.690). The decoding follows what
 * Suricata's asn1 keyword does with der-parser: objects are read one after
 * another from the start offset until one fails to decode (at most
 * max_frames of them: more and nothing matches); a constructed object's
 * content must decode completely as objects, nested at most max_frames
 * deep; an object whose declared length runs past the buffer does not
 * decode. Each decoded object, then its children, is checked:
 *
 *   oversize_length N    a definite length over N
 *   bitstring_overflow   a universal primitive BIT STRING (tag 3) whose
 *                        unused-bits octet exceeds 8 * length (X.690 8.6.2.2)
 *   double_overflow      a universal primitive REAL (tag 9) over 256 octets
 *                        in decimal form (first octet bits 8-7 = 00, 8.5.8)
 *
 *   identifier: | class 2 | constructed 1 | tag 5 (31: high-tag octets follow) |
 *   length:     | 0xxxxxxx | or | 1nnnnnnn | n octets | or 0x80 (indefinite) |
 *
 * Decoding is done once per object while checking: no tree is built.
 */
#include "ips/asn1.h"
#include "lib/rd.h"

enum {
	BER_CONSTRUCTED = 0x20,
	BER_CLASS_MASK = 0xc0,
	BER_TAG_BITSTRING = 3,
	BER_TAG_REAL = 9,
	BER_MAX_LEN_OCTETS = 8, /* a length that does not fit 64 bits cannot fit the buffer */
};

struct ber_hdr {
	uint8_t cls;
	bool constructed;
	uint32_t tag;
	bool indefinite;
	uint64_t len;
};

/* Identifier and length octets (X.690 8.1.2, 8.1.3). */
static int ber_hdr(struct bw_rd *rd, struct ber_hdr *h)
{
	uint8_t b, n;

	if (bw_rd_u8(rd, &b) != 0)
		return -1;
	h->cls = b & BER_CLASS_MASK;
	h->constructed = (b & BER_CONSTRUCTED) != 0;
	h->tag = b & 0x1f;
	if (h->tag == 0x1f) {
		/* High tag number: base-128 octets, bit 8 set on all but the last. */
		h->tag = 0;
		do {
			if (bw_rd_u8(rd, &b) != 0 || h->tag > (UINT32_MAX >> 7))
				return -1;
			h->tag = (h->tag << 7) | (b & 0x7f);
		} while (b & 0x80);
	}
	if (bw_rd_u8(rd, &b) != 0)
		return -1;
	h->indefinite = false;
	if (b < 0x80) {
		h->len = b;
		return 0;
	}
	if (b == 0x80) {
		/* 8.1.3.6: only constructed encodings may use the indefinite form. */
		h->indefinite = true;
		h->len = 0;
		return h->constructed ? 0 : -1;
	}
	n = b & 0x7f;
	if (n == 0x7f || n > BER_MAX_LEN_OCTETS) /* 8.1.3.5 c): 0xff is reserved */
		return -1;
	h->len = 0;
	while (n--) {
		if (bw_rd_u8(rd, &b) != 0)
			return -1;
		h->len = (h->len << 8) | b;
	}
	return 0;
}

/* The checks on one object whose content (primitive) is c[0..clen). */
static bool check_one(const struct ips_asn1 *a, const struct ber_hdr *h, const uint8_t *c,
                      size_t clen)
{
	if (h->indefinite)
		return false; /* Suricata checks definite lengths only */
	if ((a->flags & IPS_ASN1_OVERSIZE) && h->len > a->oversize)
		return true;
	if (h->cls != 0 || h->constructed)
		return false;
	if ((a->flags & IPS_ASN1_BITSTRING_OVERFLOW) && h->tag == BER_TAG_BITSTRING && h->len > 0 &&
	    (uint64_t)c[0] > h->len * 8)
		return true;
	if ((a->flags & IPS_ASN1_DOUBLE_OVERFLOW) && h->tag == BER_TAG_REAL && clen > 0 &&
	    (c[0] & 0xc0) == 0 && h->len > 256)
		return true;
	return false;
}

/*
 * Decodes one object at rd. Returns -1 when it does not decode, else 0 with
 * *hit set when it or a child trips a check. Checks run in decode order,
 * which visits the object before its children as Suricata's walk does; a
 * hit is kept only if the whole object decodes.
 */
static int ber_obj(const struct ips_asn1 *a, struct bw_rd *rd, unsigned depth, bool *hit)
{
	struct ber_hdr h;
	struct bw_rd body;
	const uint8_t *c = NULL;
	bool any = false;

	if (depth >= a->max_frames || ber_hdr(rd, &h) != 0)
		return -1;
	if (h.indefinite) {
		/* Children up to the end-of-contents octets 00 00 (8.1.5). */
		for (;;) {
			uint16_t eoc;
			if (bw_rd_peek_u16(rd, &eoc) != 0)
				return -1;
			if (eoc == 0) {
				(void)bw_rd_skip(rd, 2);
				break;
			}
			if (ber_obj(a, rd, depth + 1, &any) != 0)
				return -1;
		}
		*hit = *hit || any;
		return 0;
	}
	if (h.len > bw_rd_left(rd) || bw_rd_sub(rd, &body, (size_t)h.len) != 0)
		return -1;
	if (!h.constructed) {
		if (h.len > 0)
			c = bw_rd_cur(&body);
		/* X.690 8.6.2.2: a BIT STRING has at least its unused-bits octet. */
		if (h.cls == 0 && h.tag == BER_TAG_BITSTRING && h.len == 0)
			return -1;
		*hit = *hit || check_one(a, &h, c, (size_t)h.len);
		return 0;
	}
	any = check_one(a, &h, NULL, (size_t)h.len);
	while (bw_rd_left(&body) > 0)
		if (ber_obj(a, &body, depth + 1, &any) != 0)
			return -1;
	*hit = *hit || any;
	return 0;
}

bool ips_asn1_match(const struct ips_asn1 *a, const uint8_t *buf, size_t len, size_t cur)
{
	struct bw_rd rd;
	size_t off = 0, nobj = 0;
	bool hit = false;

	if (buf == NULL || len == 0)
		return false;
	if (a->flags & IPS_ASN1_ABSOLUTE) {
		off = a->abs_offset;
	} else if (a->flags & IPS_ASN1_RELATIVE) {
		int64_t o = (int64_t)cur + a->rel_offset;
		/* Suricata: the offset must stay within 0..65535. */
		if (o < 0 || o > UINT16_MAX)
			return false;
		off = (size_t)o;
	}
	if (off >= len)
		return false;
	bw_rd_init(&rd, buf + off, len - off);
	while (bw_rd_left(&rd) > 0) {
		struct bw_rd save = rd;
		bool h = false;
		if (nobj >= a->max_frames)
			return false; /* Suricata: too many objects, no result at all */
		if (ber_obj(a, &rd, 0, &h) != 0) {
			rd = save;
			break;
		}
		nobj++;
		hit = hit || h;
	}
	return hit;
}
