/* SPDX-License-Identifier: ISC */
/*
 * ESP security associations: validation of a manual-keying configuration
 * and construction of the crypto contexts. Transforms: AES-GCM with a 16-byte
 * ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634), whose keying material ends
 * with the 4-byte nonce salt (RFC 4106 8.1, RFC 7634 2); AES-CBC (RFC 3602)
 * with HMAC-SHA-256-128, HMAC-SHA-384-192 or HMAC-SHA-512-256 (RFC 4868),
 * whose HMAC keys are as long as the digest (RFC 4868 2.1.1). Combined-mode
 * transforms carry no separate integrity algorithm (RFC 4303 3.2.3).
 */
#include <stdlib.h>
#include <string.h>

#include "ipsec/esp_int.h"
#include "lib/err.h"
#include "lib/log.h"

static const char *const drop_names[ESP_DROP__MAX] = {
        [ESP_DROP_SHORT] = "short",         [ESP_DROP_NO_SA] = "no-sa",
        [ESP_DROP_REPLAY] = "replay",       [ESP_DROP_TOO_OLD] = "too-old",
        [ESP_DROP_AUTH] = "auth",           [ESP_DROP_BAD_LEN] = "bad-len",
        [ESP_DROP_BAD_PAD] = "bad-pad",     [ESP_DROP_NEXT_HDR] = "next-header",
        [ESP_DROP_POLICY] = "policy",       [ESP_DROP_TFC] = "tfc",
        [ESP_DROP_SEQ_CYCLE] = "seq-cycle", [ESP_DROP_NOSPACE] = "nospace",
        [ESP_DROP_CRYPTO] = "crypto",
};

const char *esp_drop_name(enum esp_drop d)
{
	if ((unsigned)d >= ESP_DROP__MAX || drop_names[d] == NULL)
		return "unknown";
	return drop_names[d];
}

/* Key and ICV sizes of an integrity algorithm (RFC 4868 2.1.1, 2.3). */
static int integ_params(enum esp_integ integ, enum crypto_hmac_alg *alg, size_t *keylen,
                        size_t *icvlen)
{
	switch (integ) {
	case ESP_INTEG_HMAC_SHA256_128:
		*alg = CRYPTO_HMAC_SHA256;
		*keylen = 32;
		*icvlen = 16;
		return 0;
	case ESP_INTEG_HMAC_SHA384_192:
		*alg = CRYPTO_HMAC_SHA384;
		*keylen = 48;
		*icvlen = 24;
		return 0;
	case ESP_INTEG_HMAC_SHA512_256:
		*alg = CRYPTO_HMAC_SHA512;
		*keylen = 64;
		*icvlen = 32;
		return 0;
	case ESP_INTEG_NONE:
		break;
	}
	return BW_ERR_INVAL;
}

/* Validates cfg without touching any state (validate, then act). */
static int cfg_check(const struct esp_sa_cfg *cfg)
{
	enum crypto_hmac_alg alg;
	size_t keylen, icvlen;

	switch (cfg->encr) {
	case ESP_ENCR_AES_GCM_16:
		if (cfg->encr_key_len != 16 + ESP_SALT_LEN &&
		    cfg->encr_key_len != 32 + ESP_SALT_LEN)
			return BW_ERR_INVAL;
		break;
	case ESP_ENCR_CHACHA20_POLY1305:
		if (cfg->encr_key_len != 32 + ESP_SALT_LEN)
			return BW_ERR_INVAL;
		break;
	case ESP_ENCR_AES_CBC:
		if (cfg->encr_key_len != 16 && cfg->encr_key_len != 32)
			return BW_ERR_INVAL;
		break;
	default:
		return BW_ERR_INVAL;
	}
	if (cfg->encr == ESP_ENCR_AES_CBC) {
		/* RFC 4303 3.2.2 allows confidentiality-only SAs; we do not. */
		if (integ_params(cfg->integ, &alg, &keylen, &icvlen) != 0 ||
		    cfg->integ_key_len != keylen)
			return BW_ERR_INVAL;
	} else if (cfg->integ != ESP_INTEG_NONE || cfg->integ_key_len != 0) {
		return BW_ERR_INVAL;
	}
	if (cfg->mode != ESP_MODE_TUNNEL && cfg->mode != ESP_MODE_TRANSPORT)
		return BW_ERR_INVAL;
	if (cfg->replay_window > ESP_REPLAY_MAX)
		return BW_ERR_INVAL;
	return 0;
}

static int build_crypto(struct esp_sa *sa)
{
	const struct esp_sa_cfg *cfg = &sa->cfg;
	enum crypto_hmac_alg alg;
	size_t keylen, icvlen, klen;
	int r;

	if (cfg->encr == ESP_ENCR_AES_CBC) {
		if ((r = integ_params(cfg->integ, &alg, &keylen, &icvlen)) != 0)
			return r;
		if ((r = crypto_cbc_new(&sa->cbc, cfg->encr_key, cfg->encr_key_len)) != 0)
			return r;
		if ((r = crypto_hmac_new(&sa->hmac, alg, cfg->integ_key, cfg->integ_key_len)) != 0)
			return r;
		/*
		 * RFC 3602 2.3 wants unpredictable IVs. Drawing 16 random bytes per
		 * packet costs about 1 us; encrypting the sequence number under a
		 * random per-SA key gives distinct IVs nobody without that key can
		 * predict, for the price of one AES block.
		 */
		{
			uint8_t ivkey[16];

			if ((r = crypto_random(ivkey, sizeof(ivkey))) == 0)
				r = crypto_cbc_new(&sa->ivgen, ivkey, sizeof(ivkey));
			crypto_wipe(ivkey, sizeof(ivkey));
			if (r != 0)
				return r;
		}
		sa->iv_len = ESP_CBC_IV_LEN;
		sa->icv_len = (uint8_t)icvlen;
		sa->block = ESP_CBC_BLOCK;
		return 0;
	}
	klen = cfg->encr_key_len - ESP_SALT_LEN;
	memcpy(sa->salt, cfg->encr_key + klen, ESP_SALT_LEN);
	r = crypto_aead_new(&sa->aead,
	                    cfg->encr == ESP_ENCR_AES_GCM_16 ? CRYPTO_AEAD_AES_GCM
	                                                     : CRYPTO_AEAD_CHACHA20_POLY1305,
	                    cfg->encr_key, klen, ESP_AEAD_ICV_LEN);
	if (r != 0)
		return r;
	sa->iv_len = ESP_AEAD_IV_LEN;
	sa->icv_len = ESP_AEAD_ICV_LEN;
	sa->block = ESP_AEAD_BLOCK;
	return 0;
}

int esp_sa_new(struct esp_sa **out, const struct esp_sa_cfg *cfg)
{
	struct esp_sa *sa;
	int r;

	*out = NULL;
	if ((r = cfg_check(cfg)) != 0)
		return r;
	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		return BW_ERR_NOMEM;
	sa->cfg = *cfg;
	sa->seq = 1; /* RFC 4303 3.3.3: the first packet sent carries 1 */
	if ((r = build_crypto(sa)) != 0)
		goto out;
	if ((r = esp_replay_new(&sa->replay, cfg->replay_window, cfg->esn)) != 0)
		goto out;
	/* The contexts hold the key schedules; the SA keeps no raw key. */
	crypto_wipe(sa->cfg.encr_key, sizeof(sa->cfg.encr_key));
	crypto_wipe(sa->cfg.integ_key, sizeof(sa->cfg.integ_key));
	log_debug("esp", "sa spi=0x%08x encr=%d integ=%d mode=%s esn=%d window=%u", cfg->spi,
	          (int)cfg->encr, (int)cfg->integ,
	          cfg->mode == ESP_MODE_TUNNEL ? "tunnel" : "transport", cfg->esn,
	          cfg->replay_window);
	*out = sa;
	sa = NULL;
out:
	esp_sa_free(sa);
	return r;
}

void esp_sa_free(struct esp_sa *sa)
{
	if (sa == NULL)
		return;
	crypto_aead_free(sa->aead);
	crypto_cbc_free(sa->cbc);
	crypto_cbc_free(sa->ivgen);
	crypto_hmac_free(sa->hmac);
	esp_replay_free(sa->replay);
	crypto_wipe(sa, sizeof(*sa));
	free(sa);
}

uint32_t esp_sa_spi(const struct esp_sa *sa)
{
	return sa->cfg.spi;
}

const struct esp_sa_cfg *esp_sa_cfg(const struct esp_sa *sa)
{
	return &sa->cfg;
}

const struct esp_sa_stats *esp_sa_stats(const struct esp_sa *sa)
{
	return &sa->stats;
}

uint64_t esp_sa_seq(const struct esp_sa *sa)
{
	return sa->seq;
}

void esp_sa_set_seq(struct esp_sa *sa, uint64_t seq)
{
	sa->seq = seq;
}

size_t esp_overhead(const struct esp_sa *sa, size_t len)
{
	return ESP_HDR_LEN + sa->iv_len + esp_pad_len(sa, len) + ESP_TRAILER_LEN + sa->icv_len;
}
