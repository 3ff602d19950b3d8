/* SPDX-License-Identifier: ISC */
/*
 * ESP decryption for offline analysis (RFC 4303 3.4, RFC 3948): reads a
 * YAML file of manually keyed SAs and decrypts the ESP packets of a capture
 * with src/ipsec, so that the decoder goes on into the inner packet.
 *
 *   sas:
 *     - spi: 0x1001
 *       src: 192.0.2.2          # optional: outer source the SA is bound to
 *       dst: 192.0.2.1          # optional: outer destination
 *       enc: aes-gcm-256        # the gateway's names (docs/configuration.md)
 *       integ: none             # hmac-sha256-128 ... with aes-cbc-*
 *       enc_key: 0x...          # AEAD: key then 4-byte salt, as ip-xfrm writes it
 *       integ_key: 0x...
 *       esn: no
 *
 * The capture is evidence, not a live peer: anti-replay is off (window 0,
 * which still tracks the highest number to infer the ESN high bits, RFC
 * 4303 A.2), and the SA is opened in transport mode so that any next header
 * is accepted; the decoder follows IPv4/IPv6 next headers as tunnel mode.
 * A capture is read by one thread: the key set owns one scratch buffer, so
 * decryption allocates nothing per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ips/esp_keys.h"
#include "ipsec/esp.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/pkt.h"

static const char *const top_keys[] = {"sas", NULL};
static const char *const sa_keys[] = {"name",    "spi",   "src",       "dst", "enc",
                                      "enc_key", "integ", "integ_key", "esn", NULL};

struct key_sa {
	uint32_t spi;
	struct bw_addr src, dst; /* family 0: any */
	struct esp_sa *sa;
};

struct ips_esp_keys {
	struct key_sa *sas;
	size_t n;
	struct pkt *scratch; /* decrypted packets; valid until the next call */
};

static void load_addr(struct conf_doc *doc, const struct conf_node *e, const char *key,
                      struct bw_addr *out)
{
	const struct conf_node *n = conf_get(e, key);
	char s[64];

	if (n == NULL || conf_get_str(doc, n, key, s, sizeof(s)) != 0)
		return;
	if (bw_addr_parse(out, s) != 0 || out->port != 0) {
		conf_error(doc, n, "'%s' must be an IPv4 or IPv6 address without a port, not '%s'",
		           key, s);
		memset(out, 0, sizeof(*out));
	}
}

static const struct esp_enc_name *load_enc(struct conf_doc *doc, const struct conf_node *e)
{
	const struct conf_node *n = conf_get(e, "enc");
	char s[32];

	if (n == NULL) {
		conf_error(doc, e, "missing 'enc'");
		return NULL;
	}
	if (conf_get_str(doc, n, "enc", s, sizeof(s)) != 0)
		return NULL;
	const struct esp_enc_name *enc = esp_enc_by_name(s);
	if (enc == NULL)
		conf_error(doc, n, "'enc' must be " ESP_ENC_NAMES ", not '%s'", s);
	return enc;
}

static const struct esp_integ_name *load_integ(struct conf_doc *doc, const struct conf_node *e)
{
	const struct conf_node *n = conf_get(e, "integ");
	char s[32];

	if (n == NULL)
		return esp_integ_by_name("none");
	if (conf_get_str(doc, n, "integ", s, sizeof(s)) != 0)
		return NULL;
	const struct esp_integ_name *integ = esp_integ_by_name(s);
	if (integ == NULL)
		conf_error(doc, n, "'integ' must be " ESP_INTEG_NAMES ", not '%s'", s);
	return integ;
}

/* Reads the keys into cfg; returns false (after reporting) when one is wrong. */
static bool load_keys(struct conf_doc *doc, const struct conf_node *e,
                      const struct esp_enc_name *enc, const struct esp_integ_name *integ,
                      struct esp_sa_cfg *cfg)
{
	const struct conf_node *n;
	bool ok = true;

	if ((n = conf_get(e, "enc_key")) == NULL) {
		conf_error(doc, e, "missing 'enc_key'");
		ok = false;
	} else if (conf_get_hex(doc, n, "enc_key", cfg->encr_key, sizeof(cfg->encr_key),
	                        &cfg->encr_key_len) != 0) {
		ok = false;
	} else if (enc != NULL && cfg->encr_key_len != enc->key_len) {
		conf_error(doc, n, "'enc_key' for %s must be %zu bytes (%s), not %zu", enc->name,
		           enc->key_len, enc->key_desc, cfg->encr_key_len);
		ok = false;
	}
	n = conf_get(e, "integ_key");
	if (integ == NULL)
		return false;
	if (integ->integ == ESP_INTEG_NONE) {
		if (n != NULL) {
			conf_error(doc, n, "'integ_key' given but 'integ' is none");
			ok = false;
		}
		return ok;
	}
	if (n == NULL) {
		conf_error(doc, e, "missing 'integ_key' (integ is %s)", integ->name);
		ok = false;
	} else if (conf_get_hex(doc, n, "integ_key", cfg->integ_key, sizeof(cfg->integ_key),
	                        &cfg->integ_key_len) != 0) {
		ok = false;
	} else if (cfg->integ_key_len != integ->key_len) {
		conf_error(doc, n, "'integ_key' for %s must be %zu bytes, not %zu", integ->name,
		           integ->key_len, cfg->integ_key_len);
		ok = false;
	}
	return ok;
}

/* Reads one entry and creates its SA; reports and leaves ks->sas[i].sa NULL on error. */
static int load_entry(struct conf_doc *doc, const struct conf_node *e, struct key_sa *ks)
{
	const struct esp_enc_name *enc;
	const struct esp_integ_name *integ;
	const struct conf_node *n;
	struct esp_sa_cfg cfg = {0};
	bool ok = true;
	int r = 0;

	if (conf_expect_map(doc, e, "an SA") != 0)
		return 0;
	if (conf_check_keys(doc, e, sa_keys) != 0)
		ok = false;
	if ((n = conf_get(e, "spi")) == NULL) {
		conf_error(doc, e, "missing 'spi'");
		ok = false;
	} else if (conf_get_u32(doc, n, "spi", 1, UINT32_MAX, &ks->spi) != 0) {
		ok = false;
	}
	load_addr(doc, e, "src", &ks->src);
	load_addr(doc, e, "dst", &ks->dst);
	if (ks->src.family != 0 && ks->dst.family != 0 && ks->src.family != ks->dst.family) {
		conf_error(doc, conf_get(e, "dst"), "'src' and 'dst' must both be IPv4 or IPv6");
		ok = false;
	}
	if ((n = conf_get(e, "esn")) != NULL && conf_get_bool(doc, n, "esn", &cfg.esn) != 0)
		ok = false;
	enc = load_enc(doc, e);
	integ = load_integ(doc, e);
	if (!load_keys(doc, e, enc, integ, &cfg))
		ok = false;
	if (enc != NULL && integ != NULL) {
		/* RFC 4106 8.1 / RFC 7634 2: an AEAD is its own integrity check. */
		if (enc->aead && integ->integ != ESP_INTEG_NONE) {
			conf_error(doc, conf_get(e, "integ"),
			           "'integ' must be none with %s (an AEAD)", enc->name);
			ok = false;
		}
		/* RFC 3602 5 / RFC 4303 5: CBC alone gives no integrity. */
		if (!enc->aead && integ->integ == ESP_INTEG_NONE) {
			conf_error(doc, e,
			           "%s needs 'integ' (hmac-sha256-128, hmac-sha384-192 or "
			           "hmac-sha512-256)",
			           enc->name);
			ok = false;
		}
	}
	if (ok && enc != NULL && integ != NULL && conf_errors(doc) == 0) {
		cfg.spi = ks->spi;
		cfg.encr = enc->encr;
		cfg.integ = integ->integ;
		/* Transport mode accepts every next header; see the file comment. */
		cfg.mode = ESP_MODE_TRANSPORT;
		cfg.replay_window = 0;
		if ((r = esp_sa_new(&ks->sa, &cfg)) != 0 && r != BW_ERR_NOMEM) {
			conf_error(doc, e, "cannot create the SA: %s", bw_strerror(r));
			r = 0;
		}
	}
	crypto_wipe(&cfg, sizeof(cfg));
	return r;
}

static int load_doc(struct ips_esp_keys **out, struct conf_doc *doc)
{
	const struct conf_node *root = conf_root(doc), *seq;
	struct ips_esp_keys *k;
	int r = 0;

	if (root == NULL) {
		conf_error(doc, NULL, "empty key file (expected 'sas:', a list of SAs)");
		return BW_ERR_CONFIG;
	}
	if (conf_expect_map(doc, root, "the key file") != 0)
		return BW_ERR_CONFIG;
	conf_check_keys(doc, root, top_keys);
	if ((seq = conf_get(root, "sas")) == NULL) {
		conf_error(doc, root, "missing 'sas' (a list of SAs)");
		return BW_ERR_CONFIG;
	}
	if (conf_expect_seq(doc, seq, "'sas'") != 0)
		return BW_ERR_CONFIG;
	if (conf_len(seq) > IPS_ESP_KEYS_MAX) {
		conf_error(doc, seq, "more than %d SAs", IPS_ESP_KEYS_MAX);
		return BW_ERR_CONFIG;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return BW_ERR_NOMEM;
	k->sas = calloc(conf_len(seq) ? conf_len(seq) : 1, sizeof(*k->sas));
	k->scratch = calloc(1, sizeof(*k->scratch));
	if (k->sas == NULL || k->scratch == NULL) {
		r = BW_ERR_NOMEM;
		goto out;
	}
	k->n = conf_len(seq);
	for (size_t i = 0; i < k->n && r == 0; i++) {
		const struct conf_node *e = conf_at(seq, i);

		r = load_entry(doc, e, &k->sas[i]);
		/* Same SPI and the same (or no) addresses: the second could never match. */
		for (size_t j = 0; j < i && r == 0 && k->sas[i].spi != 0; j++)
			if (k->sas[j].spi == k->sas[i].spi &&
			    bw_addr_eq(&k->sas[j].src, &k->sas[i].src) &&
			    bw_addr_eq(&k->sas[j].dst, &k->sas[i].dst)) {
				conf_error(doc, e,
				           "SPI 0x%08x with these addresses is already given "
				           "(line %u)",
				           k->sas[i].spi, conf_line(conf_at(seq, j)));
				break;
			}
	}
	if (r == 0 && conf_errors(doc) > 0)
		r = BW_ERR_CONFIG;
out:
	if (r != 0) {
		if (r == BW_ERR_CONFIG)
			log_err("ips", "%s: %u error%s", conf_name(doc), conf_errors(doc),
			        conf_errors(doc) == 1 ? "" : "s");
		ips_esp_keys_free(k);
		return r;
	}
	*out = k;
	return 0;
}

int ips_esp_keys_load_buf(struct ips_esp_keys **out, const char *name, const char *buf, size_t len)
{
	struct conf_doc *doc;
	int r;

	*out = NULL;
	if ((r = conf_load_buf(&doc, name, buf, len)) != 0)
		return r;
	r = load_doc(out, doc);
	conf_free(doc);
	return r;
}

int ips_esp_keys_load_file(struct ips_esp_keys **out, const char *path)
{
	struct conf_doc *doc;
	int r;

	*out = NULL;
	if ((r = conf_load_file(&doc, path)) != 0)
		return r;
	r = load_doc(out, doc);
	conf_free(doc);
	return r;
}

void ips_esp_keys_free(struct ips_esp_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; k->sas != NULL && i < k->n; i++)
		esp_sa_free(k->sas[i].sa);
	free(k->sas);
	if (k->scratch != NULL) {
		/* It held plaintext. */
		crypto_wipe(k->scratch, sizeof(*k->scratch));
		free(k->scratch);
	}
	free(k);
}

size_t ips_esp_keys_count(const struct ips_esp_keys *k)
{
	return k != NULL ? k->n : 0;
}

static bool addr_ok(const struct bw_addr *want, const struct bw_addr *got)
{
	return want->family == 0 ||
	       (want->family == got->family && memcmp(want->a, got->a, bw_addr_len(want)) == 0);
}

static struct esp_sa *lookup(const struct ips_esp_keys *k, uint32_t spi, const struct ips_ip *outer)
{
	/* Linear: a capture's key file holds a handful of SAs. */
	for (size_t i = 0; i < k->n; i++) {
		const struct key_sa *s = &k->sas[i];

		if (s->spi == spi && s->sa != NULL &&
		    (outer == NULL ||
		     (addr_ok(&s->src, &outer->src) && addr_ok(&s->dst, &outer->dst))))
			return s->sa;
	}
	return NULL;
}

/*
 * struct ips_esp_hook: 0 with the payload in the scratch buffer,
 * BW_ERR_NOTFOUND without a key, BW_ERR_AUTH when the ICV fails, another
 * error when the packet is malformed after all (short, padding, TFC dummy).
 */
static int decrypt(void *ctx, const struct ips_esp *esp, const struct ips_ip *outer,
                   const uint8_t **inner, size_t *inner_len, uint8_t *next_proto)
{
	struct ips_esp_keys *k = ctx;
	struct pkt *p = k->scratch;
	struct esp_sa *sa;
	enum esp_drop drop;
	uint8_t nh;
	int r;

	*inner = NULL;
	*inner_len = 0;
	*next_proto = 0;
	if ((sa = lookup(k, esp->spi, outer)) == NULL)
		return BW_ERR_NOTFOUND;
	/* ESP in ESP would overwrite the outer plaintext it is read from. */
	if (esp->data >= p->buf && esp->data < p->buf + sizeof(p->buf))
		return BW_ERR_UNSUPP;
	pkt_reset(p);
	if (pkt_put(p, esp->len) == NULL)
		return BW_ERR_NOSPACE;
	memcpy(pkt_data(p), esp->data, esp->len);
	if ((r = esp_decap(sa, p, &nh, &drop)) != 0)
		return r;
	*inner = pkt_data(p);
	*inner_len = p->len;
	*next_proto = nh;
	return 0;
}

void ips_esp_keys_hook(struct ips_esp_keys *k, struct ips_esp_hook *h)
{
	h->decrypt = decrypt;
	h->ctx = k;
}
