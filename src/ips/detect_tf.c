/* SPDX-License-Identifier: ISC */
/*
 * Views of inspection buffers through transforms, with Suricata 7's
 * semantics for each (see enum ips_tf_type in rule.h), and the base64
 * decoder of base64_decode. A view through one of the engine's chains is
 * computed once per run and buffer instance (struct det_tfbuf caches it);
 * each step writes into a buffer of the thread, never into the input.
 * Outputs are bounded by the input: no transform grows a buffer by more
 * than one byte (dotprefix) or past a digest's size.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_md5.h"
#include "crypto/crypto_prf.h"
#include "ips/detect_int.h"
#include "lib/b64.h"
#include "lib/hex.h"

static bool room(struct det_tfbuf *b, size_t n)
{
	if (n <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 64;
	while (nc < n)
		nc *= 2;
	uint8_t *np = realloc(b->p, nc);
	if (!np)
		return false;
	b->p = np;
	b->cap = nc;
	return true;
}

/* url_decode: %HH (both digits hex, before the last byte) and '+' as space. */
static size_t url_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '%' && i + 2 < n && bw_hex_digit(in[i + 1]) >= 0 &&
		    bw_hex_digit(in[i + 2]) >= 0) {
			out[o++] =
			        (uint8_t)(bw_hex_digit(in[i + 1]) << 4 | bw_hex_digit(in[i + 2]));
			i += 2;
		} else {
			out[o++] = in[i] == '+' ? ' ' : in[i];
		}
	}
	return o;
}

/* Each line "name: value" (CRLF or LF ended) with its name lowercased. */
static void header_lower(const uint8_t *in, size_t n, uint8_t *out)
{
	bool name = true;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		if (c == '\n')
			name = true;
		else if (c == ':' && name && i > 0 && in[i - 1] != '\n')
			name = false;
		out[i] = name ? (uint8_t)tolower(c) : c;
	}
}

/* Lines whose first byte is ':' (HTTP/2 pseudo-headers) removed. */
static size_t strip_pseudo(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0, i = 0;
	while (i < n) {
		const uint8_t *nl = memchr(in + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - in) + 1 : n;
		if (in[i] != ':') {
			memcpy(out + o, in + i, end - i);
			o += end - i;
		}
		i = end;
	}
	return o;
}

static bool digest(enum ips_tf_type type, const uint8_t *in, size_t n, uint8_t *out, size_t *olen)
{
	struct crypto_iov v = {in, n};
	if (type == IPS_TF_MD5) {
		*olen = CRYPTO_MD5_LEN;
		return crypto_md5(in, n, out) == 0;
	}
	enum crypto_hash_alg a = type == IPS_TF_SHA1 ? CRYPTO_HASH_SHA1 : CRYPTO_HASH_SHA256;
	*olen = crypto_hash_size(a);
	return crypto_hash(a, &v, 1, out, *olen) == 0;
}

/* One transform of in[0..n) into out (which is not in). */
static bool tf_one(struct ips_detect_thread *t, const struct ips_transform *x, const uint8_t *in,
                   size_t n, struct det_tfbuf *out)
{
	if (!room(out, n + 64))
		return false;
	uint8_t *o = out->p;
	size_t k = 0;
	switch (x->type) {
	case IPS_TF_DOTPREFIX:
		if (n)
			o[k++] = '.';
		memcpy(o + k, in, n);
		k += n;
		break;
	case IPS_TF_STRIP_WS:
		for (size_t i = 0; i < n; i++)
			if (!isspace(in[i]))
				o[k++] = in[i];
		break;
	case IPS_TF_COMPRESS_WS:
		for (size_t i = 0; i < n; i++)
			if (!isspace(in[i]) || i == 0 || !isspace(in[i - 1]))
				o[k++] = in[i];
		break;
	case IPS_TF_TO_LOWER:
	case IPS_TF_TO_UPPER:
		for (size_t i = 0; i < n; i++)
			o[k++] = (uint8_t)(x->type == IPS_TF_TO_LOWER ? tolower(in[i])
			                                              : toupper(in[i]));
		break;
	case IPS_TF_MD5:
	case IPS_TF_SHA1:
	case IPS_TF_SHA256:
		if (!digest(x->type, in, n, o, &k))
			return false;
		break;
	case IPS_TF_HEADER_LOWER:
		header_lower(in, n, o);
		k = n;
		break;
	case IPS_TF_STRIP_PSEUDO:
		k = strip_pseudo(in, n, o);
		break;
	case IPS_TF_URL_DECODE:
		k = url_decode(in, n, o);
		break;
	case IPS_TF_XOR:
		for (size_t i = 0; i < n; i++)
			o[k++] = in[i] ^ x->key[i % x->keylen];
		break;
	case IPS_TF_PCREXFORM: {
		/* The first capture group of the first match; no match leaves the buffer. */
		int rc = t->md_tf ? pcre2_match(x->code, in, n, 0, 0, t->md_tf, t->mctx) : -1;
		PCRE2_SIZE *ov = rc >= 2 ? pcre2_get_ovector_pointer(t->md_tf) : NULL;
		if (ov && ov[2] != PCRE2_UNSET && ov[3] >= ov[2]) {
			k = ov[3] - ov[2];
			memcpy(o, in + ov[2], k);
		} else {
			memcpy(o, in, n);
			k = n;
		}
		break;
	}
	}
	out->len = k;
	return true;
}

bool det_transform(struct ips_detect_thread *t, const struct ips_opt *o, size_t n,
                   const uint8_t *in, size_t len, struct det_tfbuf *out)
{
	if (n == 0) {
		if (!room(out, len ? len : 1))
			return false;
		memcpy(out->p, in, len);
		out->len = len;
		return true;
	}
	/* Steps alternate between out and the scratch so that the last lands in out. */
	const uint8_t *src = in;
	size_t slen = len;
	for (size_t i = 0; i < n; i++) {
		struct det_tfbuf *dst = (n - 1 - i) % 2 == 0 ? out : &t->tfscratch;
		if (!tf_one(t, o[i].data, src, slen, dst))
			return false;
		src = dst->p;
		slen = dst->len;
	}
	return true;
}

static bool tf_eq(const struct ips_transform *a, const struct ips_transform *b)
{
	if (a->type != b->type || a->keylen != b->keylen)
		return false;
	if (a->keylen && memcmp(a->key, b->key, a->keylen) != 0)
		return false;
	if ((a->re == NULL) != (b->re == NULL))
		return false;
	return a->re == NULL || strcmp(a->re, b->re) == 0;
}

bool det_chain_eq(const struct ips_opt *a, size_t na, const struct ips_opt *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!tf_eq(a[i].data, b[i].data))
			return false;
	return true;
}

bool det_view(struct ips_detect_thread *t, const struct ips_detect_input *in, enum ips_buf b,
              size_t k, unsigned tf, const uint8_t **p, size_t *len)
{
	const uint8_t *s;
	size_t n;
	if (b == IPS_BUF_PAYLOAD) {
		if (!in->payload || k > 0)
			return false;
		s = in->payload;
		n = in->payload_len;
	} else {
		if (b >= IPS_BUF__COUNT || !in->bufs[b].v || k >= in->bufs[b].n ||
		    !in->bufs[b].v[k].p)
			return false;
		s = in->bufs[b].v[k].p;
		n = in->bufs[b].v[k].len;
	}
	if (tf == 0) {
		*p = s;
		*len = n;
		return true;
	}
	if (tf >= DET_NTF || tf >= t->e->nchains)
		return false;
	struct det_tfbuf *c = &t->tf[b][tf];
	if (c->gen != t->gen || c->src != s || c->srclen != n) {
		const struct det_chain *ch = &t->e->chains[tf];
		c->gen = 0;
		if (!det_transform(t, ch->o, ch->n, s, n, c))
			return false; /* treated as absent: drop, not abort */
		c->src = s;
		c->srclen = n;
		c->gen = t->gen;
	}
	*p = c->p;
	*len = c->len;
	return true;
}

/* ---- base64 ---- */

/*
 * Suricata 7.0's RFC 4648 mode: groups of four (a '=' counts as a zero
 * sextet and one byte less of output); the first byte outside the alphabet
 * stops decoding, and a partial group before it still yields its bytes
 * (one for one or two sextets, two for three); a partial group at the end
 * of valid input yields one byte less than its sextets.
 */
size_t det_base64(const uint8_t *src, size_t len, uint8_t *out, size_t cap)
{
	uint8_t q[4] = {0, 0, 0, 0};
	size_t o = 0, nq = 0, pad = 0;
	bool valid = true;
	for (size_t i = 0; i < len; i++) {
		int v = bw_b64_val(src[i]);
		if (v < 0) {
			if (src[i] != '=') {
				valid = false;
				break;
			}
			pad++;
			v = 0;
		}
		q[nq++] = (uint8_t)v;
		if (nq == 4) {
			size_t m = 3 - (pad < 4 ? pad : 3);
			if (o + m > cap)
				return o;
			uint8_t blk[3] = {(uint8_t)(q[0] << 2 | q[1] >> 4),
			                  (uint8_t)(q[1] << 4 | q[2] >> 2),
			                  (uint8_t)(q[2] << 6 | q[3])};
			memcpy(out + o, blk, m);
			o += m;
			nq = 0;
			pad = 0;
			memset(q, 0, sizeof(q));
		}
	}
	if (nq == 0)
		return o;
	size_t m = !valid ? (nq > 1 ? 3 - (4 - nq) : 1) : nq - 1;
	if (m > 3)
		m = 3;
	if (o + m > cap || (!valid && cap - o < 3))
		return o;
	uint8_t blk[3] = {(uint8_t)(q[0] << 2 | q[1] >> 4), (uint8_t)(q[1] << 4 | q[2] >> 2),
	                  (uint8_t)(q[2] << 6 | q[3])};
	memcpy(out + o, blk, m);
	return o + m;
}
