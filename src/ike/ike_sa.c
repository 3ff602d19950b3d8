/* SPDX-License-Identifier: ISC */
/*
 * IKE SAs: the table, the state variable, message IDs and retransmission
 * (RFC 7296 2.1-2.3), SK payload protection (3.14), input dispatch and
 * timers. Exchanges live in ike_init.c, ike_auth.c and ike_info.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

#define IKE_X_NAME(n) #n,
static const char *const state_names[] = {IKE_STATE_LIST(IKE_X_NAME)};
#undef IKE_X_NAME

const char *ike_state_name(enum ike_state s)
{
	return (unsigned)s < IKE_ST__MAX ? state_names[s] : "?";
}

void ike_set_state(struct ike_sa *sa, enum ike_state s)
{
	if (sa->state == s)
		return;
	/* Half-open responder SAs decide when COOKIEs are demanded (2.6). */
	if (sa->state == IKE_ST_INIT_DONE && sa->ike->half_open > 0)
		sa->ike->half_open--;
	if (s == IKE_ST_INIT_DONE)
		sa->ike->half_open++;
	log_info("ike", "ike=%016llx_i %016llx_r conn=%s: %s -> %s", (unsigned long long)sa->spi_i,
	         (unsigned long long)sa->spi_r, sa->conf ? sa->conf->name : "-",
	         ike_state_name(sa->state), ike_state_name(s));
	sa->state = s;
}

int ike_random(struct ike *ike, void *buf, size_t len)
{
	if (ike->ops.random != NULL)
		return ike->ops.random(ike->arg, buf, len);
	return crypto_random(buf, len);
}

int ike_new(struct ike **out, const struct ike_conn_conf *conns, size_t n_conns,
            const struct ike_ops *ops, void *arg)
{
	struct ike *ike = calloc(1, sizeof(*ike));

	*out = NULL;
	if (ike == NULL)
		return BW_ERR_NOMEM;
	ike->conns = conns;
	ike->n_conns = n_conns;
	ike->ops = *ops;
	ike->arg = arg;
	ike->cookie_threshold = IKE_COOKIE_THRESHOLD;
	{
		uint64_t seed = 0;

		ike_random(ike, &seed, sizeof(seed));
		ike->by_spi = htab_new(64, seed);
		ike->by_peer = htab_new(64, seed ^ 0x9e3779b97f4a7c15ULL);
	}
	if (ike->by_spi == NULL || ike->by_peer == NULL) {
		ike_free(ike);
		return BW_ERR_NOMEM;
	}
	ike->frag_size = IKE_FRAG_SIZE;
	ike->retrans_tries = IKE_RETRANS_TRIES;
	ike->retrans_base_ms = IKE_RETRANS_BASE_MS;
	if (ike_random(ike, ike->cookie_secret, sizeof(ike->cookie_secret)) != 0 ||
	    ike_creds_load(ike) != 0) {
		ike_free(ike);
		return BW_ERR_CONFIG;
	}
	*out = ike;
	return 0;
}

static void frags_reset(struct ike_sa *sa);

static uint64_t our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static void sa_unindex(struct ike_sa *sa)
{
	struct ike *ike = sa->ike;

	if (htab_get(ike->by_spi, our_spi(sa)) == sa)
		htab_del(ike->by_spi, our_spi(sa));
	if (!sa->initiator && htab_get(ike->by_peer, sa->spi_i) == sa)
		htab_del(ike->by_peer, sa->spi_i);
}

static void sa_free(struct ike_sa *sa)
{
	sa_unindex(sa);
	ike_children_remove(sa);
	if (sa->has_vip && !sa->vip_ours)
		ike_pool_release(sa->ike, sa->conf, &sa->vip);
	ike_sa_wipe_keys(sa);
	crypto_dh_free(sa->dh);
	crypto_dh_free(sa->task_dh);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->last_req);
	free(sa->last_resp);
	frags_reset(sa);
	free(sa->frag_whole);
	crypto_wipe(sa, sizeof(*sa));
	free(sa);
}

void ike_free(struct ike *ike)
{
	struct ike_sa *sa, *next;

	if (ike == NULL)
		return;
	for (sa = ike->sas; sa != NULL; sa = next) {
		next = sa->next;
		sa_free(sa);
	}
	ike_pools_free(ike);
	ike_creds_free(ike);
	htab_free(ike->by_spi);
	htab_free(ike->by_peer);
	free(ike);
}

void ike_set_log_keys(struct ike *ike, bool on)
{
	ike->log_keys = on;
}

void ike_set_retransmit(struct ike *ike, unsigned tries, unsigned base_ms)
{
	ike->retrans_tries = tries;
	ike->retrans_base_ms = base_ms ? base_ms : IKE_RETRANS_BASE_MS;
}

struct ike_sa *ike_sa_new(struct ike *ike, bool initiator)
{
	struct ike_sa *sa;
	uint64_t spi = 0;

	if (ike->n_sas >= IKE_MAX_SA)
		return NULL;
	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		return NULL;
	/* Our SPI: random, nonzero and unique among ours (2.6). */
	do {
		if (ike_random(ike, &spi, sizeof(spi)) != 0) {
			free(sa);
			return NULL;
		}
	} while (spi == 0 || htab_get(ike->by_spi, spi) != NULL);
	if (htab_put(ike->by_spi, spi, sa) != 0) {
		free(sa);
		return NULL;
	}
	sa->ike = ike;
	sa->initiator = initiator;
	if (initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	sa->next = ike->sas;
	ike->sas = sa;
	ike->n_sas++;
	return sa;
}

struct ike_sa *ike_sa_find(struct ike *ike, uint64_t spi_i, uint64_t spi_r, bool by_i_only)
{
	struct ike_sa *sa;

	if (by_i_only) {
		sa = htab_get(ike->by_peer, spi_i);
		return sa != NULL && sa->state != IKE_ST_DEAD && !sa->initiator ? sa : NULL;
	}
	/* Our own SPI identifies the SA (2.6): SPIi if we initiated, else SPIr. */
	if (spi_i != 0 && (sa = htab_get(ike->by_spi, spi_i)) != NULL && sa->initiator &&
	    sa->state != IKE_ST_DEAD)
		return sa;
	if (spi_r != 0 && (sa = htab_get(ike->by_spi, spi_r)) != NULL && !sa->initiator &&
	    sa->state != IKE_ST_DEAD)
		return sa;
	return NULL;
}

void ike_sa_index_peer(struct ike_sa *sa)
{
	/* A second peer that picked the same SPIi stays unindexed: it only loses
	 * the fast answer to a retransmitted IKE_SA_INIT. */
	htab_put(sa->ike->by_peer, sa->spi_i, sa);
}

int ike_sa_reindex(struct ike_sa *sa, uint64_t old_spi)
{
	if (htab_get(sa->ike->by_spi, old_spi) == sa)
		htab_del(sa->ike->by_spi, old_spi);
	return htab_put(sa->ike->by_spi, our_spi(sa), sa);
}

void ike_sa_kill(struct ike_sa *sa, const char *why)
{
	log_info("ike", "ike=%016llx_i %016llx_r conn=%s: removed (%s)",
	         (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
	         sa->conf ? sa->conf->name : "-", why);
	ike_children_remove(sa);
	ike_set_state(sa, IKE_ST_DEAD);
}

/* Keeps a copy of buf in *slot (the previous one is freed). */
/*
 * Outstanding requests and cached responses are kept as a list of
 * datagrams, [u16 length][message] after each other, because a fragmented
 * message (RFC 7383) is several datagrams that are all resent together.
 */
static int keep(uint8_t **slot, size_t *slot_len, const uint8_t *buf, size_t len)
{
	uint8_t *c = malloc(len);

	if (c == NULL)
		return BW_ERR_NOMEM;
	memcpy(c, buf, len);
	free(*slot);
	*slot = c;
	*slot_len = len;
	return 0;
}

static int transmit(struct ike_sa *sa, const uint8_t *frames, size_t len)
{
	struct ike *ike = sa->ike;
	struct bw_rd rd;
	uint16_t n;
	const uint8_t *p;
	int r = 0;

	bw_rd_init(&rd, frames, len);
	while (bw_rd_u16(&rd, &n) == 0 && bw_rd_ptr(&rd, &p, n) == 0)
		if (ike->ops.send(ike->arg, &sa->local, &sa->remote, sa->natt, p, n) != 0)
			r = BW_ERR_IO;
	return r;
}

static int send_frames(struct ike_sa *sa, const uint8_t *frames, size_t len, bool response,
                       uint32_t msgid, uint64_t now)
{
	int r;

	if (response) {
		if ((r = keep(&sa->last_resp, &sa->last_resp_len, frames, len)) != 0)
			return r;
		sa->last_resp_id = msgid;
		sa->has_last_resp = true;
	} else {
		if ((r = keep(&sa->last_req, &sa->last_req_len, frames, len)) != 0)
			return r;
		sa->retrans_n = 0;
		sa->retrans_at = now + sa->ike->retrans_base_ms;
	}
	return transmit(sa, frames, len);
}

int ike_send_plain(struct ike_sa *sa, const uint8_t *msg, size_t len, bool response, uint64_t now)
{
	uint8_t frame[IKE_MSG_MAX + 2];

	if (len > IKE_MSG_MAX)
		return BW_ERR_NOSPACE;
	bw_put_be16(frame, (uint16_t)len);
	memcpy(frame + 2, msg, len);
	return send_frames(sa, frame, len + 2, response, bw_be32(msg + 20), now);
}

/* Builds and protects one message: SK, or SKF fragment num/total when total > 0. */
static int seal(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msgid,
                const uint8_t *inner, size_t inner_len, uint8_t first, uint16_t num, uint16_t total,
                uint8_t *buf, size_t cap, size_t *out_len)
{
	uint8_t nonce[12];
	struct ike_sk_keys *k = sa->initiator ? &sa->sk_i : &sa->sk_r;
	struct ikev2_hdr h = {
	        .spi_i = sa->spi_i,
	        .spi_r = sa->spi_r,
	        .version = IKEV2_VERSION,
	        .exchange = exchange,
	        .flags = (uint8_t)((sa->initiator ? IKEV2_FLAG_INITIATOR : 0) |
	                           (response ? IKEV2_FLAG_RESPONSE : 0)),
	        .msg_id = msgid,
	};
	size_t pad = 0, ct_len;
	struct ikev2_sk_out so;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	if (!sa->keys)
		return BW_ERR_INVAL;
	/* Plaintext = payloads | padding | pad length (3.14). */
	if (sa->sk_block > 1)
		pad = (sa->sk_block - (inner_len + 1) % sa->sk_block) % sa->sk_block;
	ct_len = inner_len + pad + 1;
	bw_wr_init(&wr, buf, cap);
	if ((r = ikev2_build_hdr(&b, &wr, &h)) != 0 ||
	    (r = total == 0 ? ikev2_build_sk(&b, first, sa->sk_iv_len, ct_len, sa->sk_icv_len, &so)
	                    : ikev2_build_skf(&b, num == 1 ? first : 0, num, total, sa->sk_iv_len,
	                                      ct_len, sa->sk_icv_len, &so)) != 0 ||
	    (r = ikev2_build_finish(&b)) != 0)
		return r;
	if (inner_len > 0) /* an empty INFORMATIONAL has no inner payloads */
		memcpy(so.ct, inner, inner_len);
	memset(so.ct + inner_len, 0, pad);
	so.ct[inner_len + pad] = (uint8_t)pad;
	if (k->aead != NULL) {
		/* RFC 5282 / 7634: IV = a value unique per key; nonce = salt | IV. */
		size_t salt_off =
		        (sa->xf.encr == IKEV2_ENCR_CHACHA20_POLY1305 ? 32 : sa->xf.encr_bits / 8);
		uint64_t ivc;

		if ((r = ike_random(sa->ike, &ivc, sizeof(ivc))) != 0)
			return r;
		memcpy(so.iv, &ivc, 8);
		memcpy(nonce, k->ek + salt_off, 4);
		memcpy(nonce + 4, so.iv, 8);
		r = crypto_aead_seal(k->aead, nonce, so.aad, so.aad_len, so.ct, ct_len, so.icv);
	} else {
		if ((r = ike_random(sa->ike, so.iv, sa->sk_iv_len)) != 0 ||
		    (r = crypto_cbc_encrypt(k->cbc, so.iv, so.ct, ct_len)) != 0)
			return r;
		/* The ICV covers the message from the IKE header to the end of the ciphertext. */
		r = crypto_hmac_mac(k->hmac, buf, (size_t)(so.icv - buf), NULL, 0, so.icv,
		                    sa->sk_icv_len);
	}
	*out_len = wr.len;
	return r;
}

int ike_send_sk(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msgid,
                const uint8_t *inner, size_t inner_len, uint8_t first, uint64_t now)
{
	/* Overhead of one SKF datagram: header, SKF header, IV, ICV, padding, pad length. */
	size_t over = IKEV2_HDR_LEN + 8 + sa->sk_iv_len + sa->sk_icv_len + sa->sk_block + 1;
	size_t chunk, n, off = 0, flen = 0;
	uint8_t *frames;
	int r;

	/* RFC 7383: fragment when the peer supports it and one message would not fit. */
	if (!sa->frag_ok || exchange == IKEV2_EXCH_IKE_SA_INIT ||
	    inner_len + over <= sa->ike->frag_size) {
		uint8_t buf[IKE_MSG_MAX];
		size_t len;

		if ((r = seal(sa, exchange, response, msgid, inner, inner_len, first, 0, 0, buf,
		              sizeof(buf), &len)) != 0)
			return r;
		return ike_send_plain(sa, buf, len, response, now);
	}
	if (sa->ike->frag_size <= over + 16)
		return BW_ERR_INVAL;
	chunk = sa->ike->frag_size - over;
	n = (inner_len + chunk - 1) / chunk;
	if (n > IKE_FRAG_MAX)
		return BW_ERR_LIMIT;
	if ((frames = malloc(n * (sa->ike->frag_size + 2))) == NULL)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++, off += chunk) {
		size_t c = inner_len - off < chunk ? inner_len - off : chunk, len;

		if ((r = seal(sa, exchange, response, msgid, inner + off, c, first,
		              (uint16_t)(i + 1), (uint16_t)n, frames + flen + 2, IKE_FRAG_SIZE,
		              &len)) != 0) {
			free(frames);
			return r;
		}
		bw_put_be16(frames + flen, (uint16_t)len);
		flen += len + 2;
	}
	r = send_frames(sa, frames, flen, response, msgid, now);
	free(frames);
	return r;
}

/* Verifies and decrypts the SK or SKF payload of m in place; *pt is the plaintext. */
static int sk_decrypt(struct ike_sa *sa, uint8_t *buf, struct ikev2_msg *m, const uint8_t **pt,
                      size_t *pt_len)
{
	struct ike_sk_keys *k = sa->initiator ? &sa->sk_r : &sa->sk_i;
	const uint8_t *body = m->sk.body.p;
	size_t blen = m->sk.body.len, ct_len;
	uint8_t *iv, *ct, *icv, nonce[12], pad;
	int r;

	if (!sa->keys)
		return BW_ERR_PROTO;
	if (blen < sa->sk_iv_len + sa->sk_icv_len + 1)
		return BW_ERR_SHORT;
	/* body points into buf; decrypt in place. */
	iv = buf + (body - buf);
	ct = iv + sa->sk_iv_len;
	ct_len = blen - sa->sk_iv_len - sa->sk_icv_len;
	icv = ct + ct_len;
	if (k->aead != NULL) {
		size_t salt_off =
		        (sa->xf.encr == IKEV2_ENCR_CHACHA20_POLY1305 ? 32 : sa->xf.encr_bits / 8);

		memcpy(nonce, k->ek + salt_off, 4);
		memcpy(nonce + 4, iv, 8);
		if ((r = crypto_aead_open(k->aead, nonce, m->sk.aad.p, m->sk.aad.len, ct, ct_len,
		                          icv)) != 0)
			return BW_ERR_AUTH;
	} else {
		uint8_t mac[32];

		if (ct_len % 16 != 0)
			return BW_ERR_INVAL;
		if ((r = crypto_hmac_mac(k->hmac, buf, (size_t)(icv - buf), NULL, 0, mac,
		                         sa->sk_icv_len)) != 0)
			return r;
		if (!crypto_memeq(mac, icv, sa->sk_icv_len))
			return BW_ERR_AUTH;
		if ((r = crypto_cbc_decrypt(k->cbc, iv, ct, ct_len)) != 0)
			return r;
	}
	pad = ct[ct_len - 1];
	if ((size_t)pad + 1 > ct_len)
		return BW_ERR_INVAL;
	*pt = ct;
	*pt_len = ct_len - 1 - pad;
	return 0;
}

static void frags_reset(struct ike_sa *sa)
{
	for (unsigned i = 0; i < IKE_FRAG_MAX; i++) {
		free(sa->frag[i]);
		sa->frag[i] = NULL;
		sa->frag_len[i] = 0;
	}
	sa->frag_total = 0;
}

/*
 * RFC 7383 2.6: each fragment is authenticated on its own; once all of one
 * message have arrived, the plaintexts are joined and parsed as one chain.
 * Returns 0 when m now holds the whole message, BW_ERR_AGAIN while waiting.
 */
static int skf_add(struct ike_sa *sa, uint8_t *buf, struct ikev2_msg *m, bool response)
{
	const uint8_t *pt;
	size_t pt_len, total = 0;
	unsigned num = m->sk.frag_num, cnt = m->sk.frag_total;
	int r;

	if (num == 0 || cnt == 0 || num > cnt || cnt > IKE_FRAG_MAX)
		return BW_ERR_INVAL;
	if ((r = sk_decrypt(sa, buf, m, &pt, &pt_len)) != 0)
		return r;
	/* A new message (another ID or direction) restarts the collection. */
	if (sa->frag_total != 0 && (sa->frag_msgid != m->hdr.msg_id ||
	                            sa->frag_response != response || sa->frag_total != cnt))
		frags_reset(sa);
	sa->frag_total = (uint16_t)cnt;
	sa->frag_msgid = m->hdr.msg_id;
	sa->frag_response = response;
	if (num == 1)
		sa->frag_first = m->sk.first;
	if (sa->frag[num - 1] == NULL) {
		if ((sa->frag[num - 1] = malloc(pt_len ? pt_len : 1)) == NULL)
			return BW_ERR_NOMEM;
		memcpy(sa->frag[num - 1], pt, pt_len);
		sa->frag_len[num - 1] = pt_len;
	}
	for (unsigned i = 0; i < cnt; i++) {
		if (sa->frag[i] == NULL)
			return BW_ERR_AGAIN;
		total += sa->frag_len[i];
	}
	if (total > IKE_MSG_MAX * IKE_FRAG_MAX)
		return BW_ERR_LIMIT;
	free(sa->frag_whole);
	if ((sa->frag_whole = malloc(total ? total : 1)) == NULL)
		return BW_ERR_NOMEM;
	for (unsigned i = 0, off = 0; i < cnt; off += (unsigned)sa->frag_len[i], i++)
		memcpy(sa->frag_whole + off, sa->frag[i], sa->frag_len[i]);
	r = ikev2_payloads_parse(sa->frag_first, sa->frag_whole, total, m);
	frags_reset(sa);
	return r;
}

int ike_sk_open(struct ike_sa *sa, uint8_t *buf, size_t len, struct ikev2_msg *m)
{
	const uint8_t *pt;
	size_t pt_len;
	int r;

	(void)len;
	if ((m->present & ikev2_pl_bit(IKEV2_PL_SK)) == 0)
		return BW_ERR_PROTO;
	if ((r = sk_decrypt(sa, buf, m, &pt, &pt_len)) != 0)
		return r;
	return ikev2_payloads_parse(m->sk.first, pt, pt_len, m);
}

/* Answers a request that failed to parse with the notify RFC 7296 2.21 calls for. */
static void notify_error(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst,
                         bool natt, const struct ikev2_msg *m)
{
	uint8_t buf[256];
	struct ikev2_bld b;
	struct bw_wr wr;
	struct ikev2_hdr h = m->hdr;
	uint8_t data = m->err.payload;

	/* Only IKE_SA_INIT requests can be answered in clear; the rest need keys. */
	if (m->err.verdict != IKEV2_V_NOTIFY || (h.flags & IKEV2_FLAG_RESPONSE) ||
	    h.exchange != IKEV2_EXCH_IKE_SA_INIT)
		return;
	h.flags = IKEV2_FLAG_RESPONSE;
	h.version = IKEV2_VERSION;
	bw_wr_init(&wr, buf, sizeof(buf));
	if (ikev2_build_hdr(&b, &wr, &h) != 0 ||
	    ikev2_build_notify(&b, 0, NULL, 0, m->err.notify,
	                       m->err.notify == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD ? &data : NULL,
	                       m->err.notify == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD ? 1 : 0) !=
	            0 ||
	    ikev2_build_finish(&b) != 0)
		return;
	ike->ops.send(ike->arg, dst, src, natt, buf, wr.len);
}

static void dispatch(struct ike_sa *sa, const struct bw_addr *src, const struct bw_addr *dst,
                     bool natt, uint8_t *buf, size_t len, struct ikev2_msg *m, uint64_t now)
{
	bool response = (m->hdr.flags & IKEV2_FLAG_RESPONSE) != 0;
	int r;

	if (response) {
		/* Only the answer to our outstanding request counts (2.3). */
		if (sa->last_req == NULL || m->hdr.msg_id != sa->msgid_out - 1)
			return;
	} else {
		if (sa->has_last_resp && m->hdr.msg_id == sa->last_resp_id) {
			/* A retransmitted request: answer from the cache (2.1). */
			transmit(sa, sa->last_resp, sa->last_resp_len);
			return;
		}
		if (m->hdr.msg_id != sa->msgid_in)
			return;
	}
	if (m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT &&
	    (m->present & ikev2_pl_bit(IKEV2_PL_SKF)) != 0) {
		if ((r = skf_add(sa, buf, m, response)) == BW_ERR_AGAIN)
			return;
		if (r != 0) {
			sa->ike->stats_dropped++;
			return;
		}
	} else if (m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT) {
		if ((r = ike_sk_open(sa, buf, len, m)) != 0) {
			log_info_r("ike", r, "ike=%016llx_i: %s %s dropped",
			           (unsigned long long)sa->spi_i,
			           ikev2_exchange_name(m->hdr.exchange),
			           response ? "response" : "request");
			sa->ike->stats_dropped++;
			return;
		}
	}
	sa->last_heard_ms = now;
	/* 2.23: once a message authenticates, follow the peer to the NAT-T port
	 * and to whatever address and port its NAT now shows. */
	if (natt && m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT) {
		sa->natt = true;
		sa->remote = *src;
		sa->local.port = dst->port;
	}
	if (response) {
		free(sa->last_req);
		sa->last_req = NULL;
		sa->last_req_len = 0;
	}
	switch (m->hdr.exchange) {
	case IKEV2_EXCH_IKE_SA_INIT:
		if (response && sa->state == IKE_ST_INIT_SENT)
			ike_init_response(sa, m, now);
		break;
	case IKEV2_EXCH_IKE_AUTH:
		if (!response && sa->state == IKE_ST_INIT_DONE)
			ike_auth_request(sa, m, now);
		else if (response && sa->state == IKE_ST_AUTH_SENT)
			ike_auth_response(sa, m, now);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (sa->state != IKE_ST_ESTABLISHED && sa->state != IKE_ST_DELETING)
			break;
		if (response)
			ike_info_response(sa, m, now);
		else
			ike_info_request(sa, m, now);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		if (sa->state != IKE_ST_ESTABLISHED)
			break;
		if (response)
			ike_create_child_response(sa, m, now);
		else
			ike_create_child_request(sa, m, now);
		break;
	default:
		break;
	}
}

void ike_input(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
               const uint8_t *msg, size_t len, uint64_t now)
{
	static struct ikev2_msg m; /* large; the control thread is the only caller */
	uint8_t buf[IKE_MSG_MAX];
	struct ike_sa *sa;
	int r;

	if (len > sizeof(buf)) {
		ike->stats_dropped++;
		return;
	}
	memcpy(buf, msg, len);
	if ((r = ikev2_msg_parse(buf, len, &m)) != 0) {
		log_debug_r("ike", r, "message from port %u dropped: %s", src->port,
		            m.err.why ? m.err.why : "");
		ike->stats_dropped++;
		notify_error(ike, src, dst, natt, &m);
		return;
	}
	if (m.hdr.exchange == IKEV2_EXCH_IKE_SA_INIT && !(m.hdr.flags & IKEV2_FLAG_RESPONSE) &&
	    m.hdr.spi_r == 0) {
		/* A retransmitted IKE_SA_INIT goes to the SA it created (2.1). */
		sa = ike_sa_find(ike, m.hdr.spi_i, 0, true);
		if (sa != NULL && sa->state == IKE_ST_INIT_DONE && sa->has_last_resp &&
		    m.hdr.msg_id == 0) {
			transmit(sa, sa->last_resp, sa->last_resp_len);
			return;
		}
		if (sa == NULL)
			ike_init_request(ike, src, dst, natt, buf, len, &m, now);
		return;
	}
	sa = ike_sa_find(ike, m.hdr.spi_i, m.hdr.spi_r, false);
	if (sa == NULL) {
		ike->stats_dropped++;
		return;
	}
	dispatch(sa, src, dst, natt, buf, len, &m, now);
}

static void reap(struct ike *ike)
{
	struct ike_sa **pp = &ike->sas, *sa;

	while ((sa = *pp) != NULL) {
		if (sa->state == IKE_ST_DEAD) {
			*pp = sa->next;
			ike->n_sas--;
			sa_free(sa);
		} else {
			pp = &sa->next;
		}
	}
}

void ike_timers(struct ike *ike, uint64_t now)
{
	for (struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
		if (sa->state == IKE_ST_DEAD)
			continue;
		ike_sa_due(sa, now);
		if (sa->last_req != NULL && now >= sa->retrans_at) {
			if (sa->retrans_n >= ike->retrans_tries) {
				ike_sa_kill(sa, "peer not responding");
				continue;
			}
			sa->retrans_n++;
			/* Exponential backoff: 1, 2, 4, 8, 16 s (2.1). */
			sa->retrans_at = now + ((uint64_t)ike->retrans_base_ms << sa->retrans_n);
			log_debug("ike", "ike=%016llx_i: retransmit %u",
			          (unsigned long long)sa->spi_i, sa->retrans_n);
			transmit(sa, sa->last_req, sa->last_req_len);
		}
		/* A half-open responder SA is forgotten if IKE_AUTH never comes. */
		if (sa->state == IKE_ST_INIT_DONE && now >= sa->created_ms + IKE_HALF_OPEN_MS)
			ike_sa_kill(sa, "IKE_AUTH never came");
	}
	reap(ike);
}

int64_t ike_next_timer(const struct ike *ike, uint64_t now)
{
	int64_t best = -1;

	for (const struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
		uint64_t at = UINT64_MAX;

		if (sa->last_req != NULL)
			at = sa->retrans_at;
		if (sa->state == IKE_ST_INIT_DONE && sa->created_ms + IKE_HALF_OPEN_MS < at)
			at = sa->created_ms + IKE_HALF_OPEN_MS;
		if (ike_sa_next_due(sa) < at)
			at = ike_sa_next_due(sa);
		if (sa->state == IKE_ST_DEAD)
			at = now;
		if (at == UINT64_MAX)
			continue;
		int64_t d = at <= now ? 0 : (int64_t)(at - now);

		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

int ike_initiate(struct ike *ike, const char *conn, uint64_t now)
{
	int r = BW_ERR_NOTFOUND;

	for (size_t i = 0; i < ike->n_conns; i++) {
		const struct ike_conn_conf *c = &ike->conns[i];
		bool start = false;

		if (conn != NULL) {
			if (strcmp(c->name, conn) != 0)
				continue;
			start = true;
		} else {
			for (size_t k = 0; k < c->n_child; k++)
				start |= c->child[k].start_action == IKE_START_START;
		}
		if (!start)
			continue;
		if ((r = ike_init_start(ike, c, now)) != 0)
			log_err_r("ike", r, "conn=%s: cannot initiate", c->name);
	}
	return r;
}

int ike_terminate(struct ike *ike, const char *conn, uint64_t now)
{
	int r = BW_ERR_NOTFOUND;

	for (struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
		if (sa->state == IKE_ST_DEAD || sa->conf == NULL ||
		    (conn != NULL && strcmp(sa->conf->name, conn) != 0))
			continue;
		if (sa->state == IKE_ST_ESTABLISHED)
			r = ike_delete_send(sa, now);
		else
			ike_sa_kill(sa, "terminated");
		r = 0;
	}
	return r;
}

size_t ike_count(const struct ike *ike)
{
	size_t n = 0;

	for (const struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next)
		n += sa->state == IKE_ST_ESTABLISHED;
	return n;
}

/* "/256" for a key length, "" for ciphers without one. */
static const char *bits(unsigned b, char *buf)
{
	if (b == 0)
		buf[0] = '\0';
	else
		snprintf(buf, 8, "/%u", b);
	return buf;
}

/* "123s" until `at`, or "" when there is no such time. */
static const char *secs_to(uint64_t at, uint64_t now, char *buf)
{
	if (at == 0)
		buf[0] = '\0';
	else
		snprintf(buf, 24, "%llus",
		         at > now ? (unsigned long long)((at - now) / 1000) : 0ULL);
	return buf;
}

void ike_status(const struct ike *ike, FILE *f, uint64_t now)
{
	char eb[8], rk[24], ex[24];

	for (const struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
		char l[64], r[64];

		if (sa->state == IKE_ST_DEAD)
			continue;
		fprintf(f, "ike %s: %s %s %s[%u] <-> %s[%u] spi %016llx_i %016llx_r%s\n",
		        sa->conf ? sa->conf->name : "-", ike_state_name(sa->state),
		        sa->initiator ? "initiator" : "responder",
		        bw_addr_str(&sa->local, l, sizeof(l)), sa->local.port,
		        bw_addr_str(&sa->remote, r, sizeof(r)), sa->remote.port,
		        (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		        sa->natt ? " nat-t" : "");
		if (sa->has_vip)
			fprintf(f, "  virtual ip %s\n", bw_addr_str(&sa->vip, l, sizeof(l)));
		if (sa->keys)
			fprintf(f, "  %s%s%s%s prf %s dh %s, established %llus ago%s%s\n",
			        ikev2_encr_name(sa->xf.encr), bits(sa->xf.encr_bits, eb),
			        sa->xf.integ ? " " : "",
			        sa->xf.integ ? ikev2_integ_name(sa->xf.integ) : "",
			        ikev2_prf_name(sa->xf.prf), ikev2_dh_name(sa->xf.dh),
			        sa->established_ms
			                ? (unsigned long long)((now - sa->established_ms) / 1000)
			                : 0ULL,
			        sa->rekey_at ? ", rekey in " : "", secs_to(sa->rekey_at, now, rk));
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			fprintf(f, "  child %s: spi in 0x%08x out 0x%08x %s%s%s%s%s%s%s%s%s%s\n",
			        c->conf ? c->conf->name : "-", c->spi_in, c->spi_out,
			        ikev2_encr_name(c->xf.encr), bits(c->xf.encr_bits, eb),
			        c->xf.integ ? " " : "",
			        c->xf.integ ? ikev2_integ_name(c->xf.integ) : "",
			        c->xf.esn ? " esn" : "", c->installed ? "" : " (not installed)",
			        c->rekey_at && !c->rekeyed ? ", rekey in " : "",
			        c->rekey_at && !c->rekeyed ? secs_to(c->rekey_at, now, rk) : "",
			        c->expire_at ? ", expires in " : "",
			        secs_to(c->expire_at, now, ex));
	}
}
