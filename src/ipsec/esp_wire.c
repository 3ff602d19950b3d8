/* SPDX-License-Identifier: ISC */
/*
 * ESP encapsulation and decapsulation in place on a struct pkt (RFC 4303 2,
 * 3.3, 3.4). The payload stays where it is: the header and IV go into the
 * headroom, padding, trailer and ICV into the tailroom, and the cipher runs
 * over the buffer in place, so the packet path neither allocates nor copies.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---
 *  |               Security Parameters Index (SPI)                 |  ^ AAD (AEAD)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  | or HMAC
 *  |             Sequence Number (low 32 bits with ESN)            |  v input
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---
 *  |  IV: 8 bytes (GCM, ChaCha20-Poly1305: the 64-bit sequence     |
 *  |      number, RFC 4106 3.1) or 16 random bytes (AES-CBC)       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---
 *  |  Payload (inner IP packet in tunnel mode, transport header    |  ^
 *  ~  and data in transport mode)                                  ~  | encrypted
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |               |   Padding 1, 2, 3, ... (0-255 bytes)          |  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |                               |  Pad Length   | Next Header   |  v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---
 *  |  ICV: 16 bytes (AEAD tag) or the HMAC truncated to 16/24/32   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * With ESN the high 32 bits of the sequence number are never sent, but they
 * are authenticated: AEAD transforms put them in the AAD as SPI | seq-hi |
 * seq-lo (RFC 4106 5, RFC 7634 2.1), and the HMAC input has them appended
 * after the ciphertext (RFC 4303 2.2.1). The AEAD nonce is the 4-byte salt
 * from the keying material followed by the 8-byte IV (RFC 4106 4).
 *
 * Inbound order (RFC 4303 3.4.2-3.4.4): lengths, replay pre-check, ICV
 * (before any decryption for AES-CBC), decrypt, padding, next header, and
 * only then the replay window advances.
 */
#include <string.h>

#include "ipsec/esp_int.h"
#include "lib/err.h"
#include "lib/rd.h"

/* Counts a drop in the SA and reports it; returns err for chaining. */
static int drop_as(struct esp_sa *sa, enum esp_drop *drop, enum esp_drop why, int err)
{
	sa->stats.drops[why]++;
	if (drop != NULL)
		*drop = why;
	return err;
}

/* AEAD nonce: salt | IV (RFC 4106 4, RFC 7634 2). */
static void make_nonce(const struct esp_sa *sa, const uint8_t *iv, uint8_t nonce[ESP_NONCE_LEN])
{
	memcpy(nonce, sa->salt, ESP_SALT_LEN);
	memcpy(nonce + ESP_SALT_LEN, iv, ESP_AEAD_IV_LEN);
}

/*
 * AEAD AAD: the 8 header bytes as they are on the wire, or with ESN a
 * 12-byte SPI | seq-hi | seq-lo built in esn_aad (RFC 4106 5).
 */
static const uint8_t *make_aad(const struct esp_sa *sa, const uint8_t *hdr, uint64_t seq,
                               uint8_t esn_aad[12], size_t *aadlen)
{
	if (!sa->cfg.esn) {
		*aadlen = ESP_HDR_LEN;
		return hdr;
	}
	memcpy(esn_aad, hdr, 4);
	bw_put_be64(esn_aad + 4, seq);
	*aadlen = 12;
	return esn_aad;
}

/* HMAC over SPI | seq | IV | ciphertext, then seq-hi with ESN (RFC 4303 2.2.1). */
static int cbc_icv(struct esp_sa *sa, const uint8_t *hdr, size_t len, uint64_t seq,
                   uint8_t icv[ESP_ICV_MAX])
{
	uint8_t hi[4];

	bw_put_be32(hi, (uint32_t)(seq >> 32));
	return crypto_hmac_mac(sa->hmac, hdr, len, sa->cfg.esn ? hi : NULL, sa->cfg.esn ? 4 : 0,
	                       icv, sa->icv_len);
}

int esp_encap(struct esp_sa *sa, struct pkt *p, uint8_t next_header)
{
	size_t len = p->len, pad = esp_pad_len(sa, len);
	size_t hdr_len = ESP_HDR_LEN + sa->iv_len, ct_len = len + pad + ESP_TRAILER_LEN;
	uint32_t off = p->off;
	uint64_t seq = sa->seq;
	uint8_t *hdr, *ct, *tr, *icv, nonce[ESP_NONCE_LEN], esn_aad[12];
	const uint8_t *aad;
	size_t aadlen;
	int r;

	/* RFC 4303 3.3.3: never let the counter cycle; a new SA must take over. */
	if (seq == 0 || (!sa->cfg.esn && seq > UINT32_MAX))
		return drop_as(sa, NULL, ESP_DROP_SEQ_CYCLE, BW_ERR_LIMIT);
	if (pkt_headroom(p) < hdr_len || pkt_tailroom(p) < pad + ESP_TRAILER_LEN + sa->icv_len)
		return drop_as(sa, NULL, ESP_DROP_NOSPACE, BW_ERR_NOSPACE);

	/* Trailer: monotonic pad bytes 1, 2, 3, ... (RFC 4303 2.4), length, next header. */
	tr = pkt_put(p, pad + ESP_TRAILER_LEN);
	for (size_t i = 0; i < pad; i++)
		tr[i] = (uint8_t)(i + 1);
	tr[pad] = (uint8_t)pad;
	tr[pad + 1] = next_header;
	icv = pkt_put(p, sa->icv_len);
	hdr = pkt_push(p, hdr_len);
	ct = hdr + hdr_len;
	bw_put_be32(hdr, sa->cfg.spi);
	bw_put_be32(hdr + 4, (uint32_t)seq);

	if (sa->aead != NULL) {
		/* The IV is the 64-bit counter: unique per key, as RFC 4106 3.1 requires. */
		bw_put_be64(hdr + ESP_HDR_LEN, seq);
		make_nonce(sa, hdr + ESP_HDR_LEN, nonce);
		aad = make_aad(sa, hdr, seq, esn_aad, &aadlen);
		r = crypto_aead_seal(sa->aead, nonce, aad, aadlen, ct, ct_len, icv);
	} else {
		/* RFC 3602 2.3: unpredictable IV = E(ivkey, seq | 0), see esp_sa.c. */
		static const uint8_t zero_iv[ESP_CBC_IV_LEN];
		uint8_t *iv = hdr + ESP_HDR_LEN;

		bw_put_be64(iv, seq);
		memset(iv + 8, 0, ESP_CBC_IV_LEN - 8);
		if ((r = crypto_cbc_encrypt(sa->ivgen, zero_iv, iv, ESP_CBC_IV_LEN)) == 0 &&
		    (r = crypto_cbc_encrypt(sa->cbc, iv, ct, ct_len)) == 0)
			r = cbc_icv(sa, hdr, hdr_len + ct_len, seq, icv);
	}
	if (r != 0) {
		/* The payload bytes may be half-encrypted; restore the bounds at least. */
		p->off = off;
		p->len = (uint32_t)len;
		return drop_as(sa, NULL, ESP_DROP_CRYPTO, r);
	}
	sa->seq = seq + 1; /* with ESN, 2^64 - 1 wraps to 0 = exhausted */
	sa->stats.packets++;
	sa->stats.bytes += len;
	return 0;
}

/* Inner IP version must agree with the next header (tunnel mode, RFC 4303 2.6). */
static bool inner_ok(const uint8_t *payload, size_t len, uint8_t nh)
{
	if (nh != ESP_NH_IPV4 && nh != ESP_NH_IPV6)
		return false;
	if (len < 1)
		return false;
	return (payload[0] >> 4) == (nh == ESP_NH_IPV4 ? 4 : 6);
}

/* Authenticates and decrypts ct in place; the caller has checked the lengths. */
static int open_payload(struct esp_sa *sa, const uint8_t *hdr, const uint8_t *iv, uint8_t *ct,
                        size_t ct_len, const uint8_t *icv, uint64_t seq, enum esp_drop *drop)
{
	uint8_t nonce[ESP_NONCE_LEN], esn_aad[12], want[ESP_ICV_MAX];
	const uint8_t *aad;
	size_t aadlen;
	int r;

	if (sa->aead != NULL) {
		make_nonce(sa, iv, nonce);
		aad = make_aad(sa, hdr, seq, esn_aad, &aadlen);
		r = crypto_aead_open(sa->aead, nonce, aad, aadlen, ct, ct_len, icv);
		if (r == BW_ERR_AUTH)
			return drop_as(sa, drop, ESP_DROP_AUTH, r);
		if (r != 0)
			return drop_as(sa, drop, ESP_DROP_CRYPTO, r);
		return 0;
	}
	/* Encrypt-then-MAC: verify before touching the ciphertext (RFC 4303 3.4.4.1). */
	if ((r = cbc_icv(sa, hdr, (size_t)(ct - hdr) + ct_len, seq, want)) != 0)
		return drop_as(sa, drop, ESP_DROP_CRYPTO, r);
	if (!crypto_memeq(want, icv, sa->icv_len))
		return drop_as(sa, drop, ESP_DROP_AUTH, BW_ERR_AUTH);
	if ((r = crypto_cbc_decrypt(sa->cbc, iv, ct, ct_len)) != 0)
		return drop_as(sa, drop, ESP_DROP_CRYPTO, r);
	return 0;
}

int esp_decap(struct esp_sa *sa, struct pkt *p, uint8_t *next_header, enum esp_drop *drop)
{
	struct bw_rd rd, pt;
	const uint8_t *iv, *icv, *tr, *pad, *payload;
	uint8_t *hdr = pkt_data(p), pad_len, nh;
	uint32_t spi, seq_lo;
	size_t hdr_len = ESP_HDR_LEN + sa->iv_len, ct_len;
	uint64_t seq;
	int r;

	*next_header = 0;
	*drop = ESP_DROP__MAX;

	/* Header, IV and ICV must all be there (RFC 4303 3.4.4 step 1). */
	bw_rd_init(&rd, hdr, p->len);
	if (bw_rd_u32(&rd, &spi) != 0 || bw_rd_u32(&rd, &seq_lo) != 0 ||
	    bw_rd_ptr(&rd, &iv, sa->iv_len) != 0 || bw_rd_tail(&rd, &icv, sa->icv_len) != 0)
		return drop_as(sa, drop, ESP_DROP_SHORT, BW_ERR_SHORT);
	/* The caller looked sa up by this SPI; a mismatch is its bug or a stale SA. */
	if (spi != sa->cfg.spi)
		return drop_as(sa, drop, ESP_DROP_NO_SA, BW_ERR_NOTFOUND);
	/* The encrypted part holds at least the trailer and is block aligned
	 * (RFC 4303 2.4; RFC 3602 3 for CBC). */
	ct_len = bw_rd_left(&rd);
	if (ct_len == 0 || ct_len % sa->block != 0)
		return drop_as(sa, drop, ESP_DROP_BAD_LEN, BW_ERR_INVAL);

	/* Replay pre-check; infers seq-hi with ESN (RFC 4303 3.4.3, A2.2). */
	if ((r = esp_replay_check(sa->replay, seq_lo, &seq, drop)) != 0)
		return drop_as(sa, drop, *drop, r);
	if ((r = open_payload(sa, hdr, iv, hdr + hdr_len, ct_len, icv, seq, drop)) != 0)
		return r;

	/* Plaintext: payload | padding | pad length | next header (RFC 4303 2.4-2.6). */
	bw_rd_init(&pt, hdr + hdr_len, ct_len);
	if (bw_rd_tail(&pt, &tr, ESP_TRAILER_LEN) != 0)
		return drop_as(sa, drop, ESP_DROP_BAD_LEN, BW_ERR_INVAL);
	pad_len = tr[0];
	nh = tr[1];
	if (bw_rd_tail(&pt, &pad, pad_len) != 0)
		return drop_as(sa, drop, ESP_DROP_BAD_PAD, BW_ERR_INVAL);
	/* We only ever send the default 1, 2, 3, ... and RFC 4303 2.4 says to check it. */
	for (size_t i = 0; i < pad_len; i++)
		if (pad[i] != (uint8_t)(i + 1))
			return drop_as(sa, drop, ESP_DROP_BAD_PAD, BW_ERR_INVAL);
	payload = bw_rd_cur(&pt);

	if (nh == ESP_NH_NONE) {
		/* A TFC dummy (RFC 4303 2.6) is authentic: it consumes its number. */
		esp_replay_update(sa->replay, seq);
		return drop_as(sa, drop, ESP_DROP_TFC, BW_ERR_AGAIN);
	}
	if (sa->cfg.mode == ESP_MODE_TUNNEL && !inner_ok(payload, bw_rd_left(&pt), nh))
		return drop_as(sa, drop, ESP_DROP_NEXT_HDR, BW_ERR_PROTO);

	esp_replay_update(sa->replay, seq);
	pkt_pull(p, hdr_len);
	pkt_trim(p, bw_rd_left(&pt));
	sa->stats.packets++;
	sa->stats.bytes += bw_rd_left(&pt);
	*next_header = nh;
	return 0;
}

int esp_peek_spi(const uint8_t *p, size_t len, uint32_t *spi)
{
	struct bw_rd rd;

	bw_rd_init(&rd, p, len);
	return bw_rd_u32(&rd, spi);
}
