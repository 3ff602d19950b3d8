/* SPDX-License-Identifier: ISC */
/*
 * The ike: section of the configuration (docs/configuration.md): IKEv2
 * (RFC 7296) connections in the spirit of strongSwan's swanctl.conf. It
 * turns swanctl proposal strings ("aes256gcm16-prfsha256-x25519") into IANA
 * transform IDs (RFC 7296 3.3.2 and 3.3.3: an IKE proposal needs ENCR, PRF
 * and DH, plus INTEG unless the cipher is a combined mode one; ESP needs
 * ENCR, INTEG unless combined mode, optional DH for PFS, and ESN), refusing
 * algorithms RFC 8247 and RFC 8221 deprecate; identities into their wire
 * form (RFC 7296 3.5); and checks addresses, traffic selectors, virtual IP
 * pools (RFC 7296 3.15), lifetimes and names. Errors are reported at their
 * file:line:column and loading goes on. The PSK is never logged and is
 * wiped on free.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/crypto_dn.h"
#include "gw/gw_conf_int.h"
#include "ike/ikev2_wire.h"
#include "lib/err.h"

enum {
	GWC_PROP_TEXT_MAX = 256,
	GWC_PSK_ADVISED = 16,          /* shorter secrets get a warning (RFC 7296 2.15) */
	GWC_LIFE_MAX = 30 * 24 * 3600, /* a month, for any lifetime */
	GWC_DPD_MAX = 3600,
	GWC_KEYINGTRIES_MAX = 1000,
	GWC_POOL_MAX_BITS = 16, /* a pool holds at most 65 536 addresses */
	GWC_REKEY_DEFAULT = 4 * 3600,
	GWC_CHILD_REKEY_DEFAULT = 3600,
	GWC_DPD_DEFAULT = 30,
};

/* What one proposal keyword adds. */
enum tok_kind {
	TOK_ENCR,
	TOK_PRF,
	TOK_INTEG,
	TOK_DH,
	TOK_ESN,
};

struct prop_tok {
	const char *name;
	enum tok_kind kind;
	uint16_t id;
	uint16_t bits; /* ENCR key length attribute (RFC 7296 3.3.5) */
	bool aead;
};

static const struct prop_tok prop_toks[] = {
        {"aes128", TOK_ENCR, IKEV2_ENCR_AES_CBC, 128, false},
        {"aes192", TOK_ENCR, IKEV2_ENCR_AES_CBC, 192, false},
        {"aes256", TOK_ENCR, IKEV2_ENCR_AES_CBC, 256, false},
        {"aes128gcm16", TOK_ENCR, IKEV2_ENCR_AES_GCM_16, 128, true},
        {"aes192gcm16", TOK_ENCR, IKEV2_ENCR_AES_GCM_16, 192, true},
        {"aes256gcm16", TOK_ENCR, IKEV2_ENCR_AES_GCM_16, 256, true},
        {"aes128gcm", TOK_ENCR, IKEV2_ENCR_AES_GCM_16, 128, true},
        {"aes192gcm", TOK_ENCR, IKEV2_ENCR_AES_GCM_16, 192, true},
        {"aes256gcm", TOK_ENCR, IKEV2_ENCR_AES_GCM_16, 256, true},
        {"chacha20poly1305", TOK_ENCR, IKEV2_ENCR_CHACHA20_POLY1305, 0, true},
        {"sha256", TOK_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0, false},
        {"sha384", TOK_INTEG, IKEV2_INTEG_HMAC_SHA2_384_192, 0, false},
        {"sha512", TOK_INTEG, IKEV2_INTEG_HMAC_SHA2_512_256, 0, false},
        {"prfsha256", TOK_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false},
        {"prfsha384", TOK_PRF, IKEV2_PRF_HMAC_SHA2_384, 0, false},
        {"prfsha512", TOK_PRF, IKEV2_PRF_HMAC_SHA2_512, 0, false},
        {"modp2048", TOK_DH, IKEV2_DH_MODP2048, 0, false},
        {"ecp256", TOK_DH, IKEV2_DH_ECP256, 0, false},
        {"ecp384", TOK_DH, IKEV2_DH_ECP384, 0, false},
        {"ecp521", TOK_DH, IKEV2_DH_ECP521, 0, false},
        {"x25519", TOK_DH, IKEV2_DH_CURVE25519, 0, false},
        {"curve25519", TOK_DH, IKEV2_DH_CURVE25519, 0, false},
        {"esn", TOK_ESN, IKEV2_ESN_YES, 0, false},
        {"noesn", TOK_ESN, IKEV2_ESN_NO, 0, false},
};

/* Names strongSwan knows that bulwark refuses on purpose, and why. */
struct weak_tok {
	const char *name;
	const char *why;
};

static const struct weak_tok weak_toks[] = {
        {"des", "DES has a 56-bit key (RFC 8247 2.1)"},
        {"3des", "3DES has a 64-bit block (Sweet32; RFC 8247 2.1)"},
        {"blowfish", "Blowfish has a 64-bit block (Sweet32)"},
        {"cast128", "CAST-128 has a 64-bit block (Sweet32)"},
        {"null", "ENCR_NULL gives no confidentiality"},
        {"md5", "MD5 is broken (RFC 8247 2.3)"},
        {"prfmd5", "MD5 is broken (RFC 8247 2.2)"},
        {"sha1", "SHA-1 is deprecated (RFC 8247 2.3, RFC 8221 2.2)"},
        {"sha", "SHA-1 is deprecated (RFC 8247 2.3, RFC 8221 2.2)"},
        {"prfsha1", "SHA-1 is deprecated (RFC 8247 2.2)"},
        {"modp768", "a 768-bit MODP group is too small (RFC 8247 2.4)"},
        {"modp1024", "a 1024-bit MODP group is too small (RFC 8247 2.4)"},
        {"modp1536", "a 1536-bit MODP group is too small (RFC 8247 2.4)"},
        {"modp1024s160", "a 1024-bit MODP group is too small (RFC 8247 2.4)"},
        {"modp2048s224", "RFC 5114 groups are deprecated (RFC 8247 2.4)"},
        {"modp2048s256", "RFC 5114 groups are deprecated (RFC 8247 2.4)"},
        {"ecp192", "a 192-bit curve is too small (RFC 8247 2.4)"},
        {"ecp224", "a 224-bit curve is too small (RFC 8247 2.4)"},
        {"aes128gcm8", "an 8-byte ICV is too short (RFC 8221 5)"},
        {"aes256gcm8", "an 8-byte ICV is too short (RFC 8221 5)"},
};

static const char *const ike_default_props[] = {
        "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-x25519-ecp256-ecp384-"
        "modp2048",
        "aes256-aes128-sha256-sha384-modp2048-ecp256",
};

/* ESN only when a proposal lists it (the default is noesn, as strongSwan's). */
static const char *const esp_default_props[] = {
        "aes256gcm16-aes128gcm16-chacha20poly1305",
        "aes256-aes128-sha256-sha384",
};

static const char *const ike_keys[] = {
        "port", "connections", "log_keys", "retransmit_tries", "retransmit_timeout", NULL};
static const char *const conn_keys[] = {
        "name",   "local_addrs", "remote_addrs", "proposals",   "encap",     "local",
        "remote", "psk",         "rekey_time",   "reauth_time", "dpd_delay", "keyingtries",
        "pools",  "dns",         "vip",          "children",    NULL};
static const char *const local_keys[] = {"id", "auth", "cert", "key", "rsa_pss", NULL};
static const char *const remote_keys[] = {"id", "auth", "cacert", NULL};
static const char *const child_keys[] = {
        "name",       "mode",      "local_ts",      "remote_ts",    "esp_proposals",
        "rekey_time", "life_time", "replay_window", "start_action", NULL};

/* A scalar's text, or NULL after reporting that it is not a scalar. */
static const char *scalar(struct loader *l, const struct conf_node *n, const char *key)
{
	if (conf_type(n) != CONF_SCALAR) {
		conf_error(l->doc, n, "'%s' must be a scalar, not a %s", key,
		           conf_type_name(conf_type(n)));
		return NULL;
	}
	return conf_str(n);
}

static const struct prop_tok *find_tok(const char *t)
{
	for (size_t i = 0; i < sizeof(prop_toks) / sizeof(prop_toks[0]); i++)
		if (strcmp(prop_toks[i].name, t) == 0)
			return &prop_toks[i];
	return NULL;
}

static const char *weak_reason(const char *t)
{
	for (size_t i = 0; i < sizeof(weak_toks) / sizeof(weak_toks[0]); i++)
		if (strcmp(weak_toks[i].name, t) == 0)
			return weak_toks[i].why;
	return NULL;
}

/* Appends v (and key bits b) to list; BW_ERR_EXISTS if listed, BW_ERR_LIMIT if full. */
static int add_alg(uint16_t *list, uint16_t *bits, size_t *n, uint16_t v, uint16_t b)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i] == v && (bits == NULL || bits[i] == b))
			return BW_ERR_EXISTS;
	if (*n == IKE_PROP_MAX_ALGS)
		return BW_ERR_LIMIT;
	list[*n] = v;
	if (bits != NULL)
		bits[*n] = b;
	(*n)++;
	return 0;
}

/* Adds one keyword to p; reports at n. Returns false on error. */
static bool add_tok(struct loader *l, const struct conf_node *n, const char *t, bool esp,
                    struct ike_proposal *p, bool *aead, bool *cbc)
{
	const struct prop_tok *k = find_tok(t);
	const char *why;
	int r = 0;

	if (k == NULL) {
		if ((why = weak_reason(t)) != NULL)
			conf_error(l->doc, n, "'%s' is refused: %s", t, why);
		else
			conf_error(l->doc, n,
			           "unknown algorithm '%s' (see docs/configuration.md, "
			           "section ike, for the supported names)",
			           t);
		return false;
	}
	switch (k->kind) {
	case TOK_ENCR:
		r = add_alg(p->encr, p->encr_bits, &p->n_encr, k->id, k->bits);
		*aead |= k->aead;
		*cbc |= !k->aead;
		break;
	case TOK_PRF:
		if (esp) {
			conf_error(l->doc, n, "'%s': a PRF belongs in IKE proposals, not ESP", t);
			return false;
		}
		r = add_alg(p->prf, NULL, &p->n_prf, k->id, 0);
		break;
	case TOK_INTEG:
		r = add_alg(p->integ, NULL, &p->n_integ, k->id, 0);
		break;
	case TOK_DH:
		r = add_alg(p->dh, NULL, &p->n_dh, k->id, 0);
		break;
	case TOK_ESN:
		if (!esp) {
			conf_error(l->doc, n, "'%s': ESN belongs in ESP proposals, not IKE", t);
			return false;
		}
		for (size_t i = 0; i < p->n_esn; i++)
			if (p->esn[i] == k->id)
				r = BW_ERR_EXISTS;
		if (r == 0)
			p->esn[p->n_esn++] = (uint8_t)k->id;
		break;
	}
	if (r == BW_ERR_EXISTS)
		conf_error(l->doc, n, "'%s' is listed twice in one proposal", t);
	else if (r != 0)
		conf_error(l->doc, n, "more than %d algorithms of one type in a proposal",
		           IKE_PROP_MAX_ALGS);
	return r == 0;
}

/* PRF_HMAC_SHA2_x for AUTH_HMAC_SHA2_x, as strongSwan derives a missing PRF. */
static uint16_t prf_of_integ(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_HMAC_SHA2_256_128:
		return IKEV2_PRF_HMAC_SHA2_256;
	case IKEV2_INTEG_HMAC_SHA2_384_192:
		return IKEV2_PRF_HMAC_SHA2_384;
	default:
		return IKEV2_PRF_HMAC_SHA2_512;
	}
}

/*
 * Parses one swanctl proposal string into p; text is the string, n where
 * to report. Returns 0 or BW_ERR_CONFIG (already reported).
 */
static int parse_proposal(struct loader *l, const struct conf_node *n, const char *text, bool esp,
                          struct ike_proposal *p)
{
	char buf[GWC_PROP_TEXT_MAX], *t, *next;
	bool aead = false, cbc = false, ok = true;
	unsigned before = conf_errors(l->doc);

	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(buf))
		return conf_error(l->doc, n, "proposal longer than %d characters",
		                  GWC_PROP_TEXT_MAX - 1);
	for (size_t i = 0; text[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)text[i]);
	buf[strlen(text)] = '\0';
	if (buf[0] == '\0' || buf[0] == '-' || buf[strlen(buf) - 1] == '-' || strstr(buf, "--"))
		return conf_error(l->doc, n, "'%s' is not a proposal: empty algorithm name", text);
	for (t = buf; t != NULL; t = next) {
		if ((next = strchr(t, '-')) != NULL)
			*next++ = '\0';
		ok &= add_tok(l, n, t, esp, p, &aead, &cbc);
	}
	if (!ok)
		return BW_ERR_CONFIG;
	if (p->n_encr == 0)
		conf_error(l->doc, n, "proposal '%s' has no encryption algorithm", text);
	/* RFC 7296 3.3: combined-mode ciphers take no integrity transform. */
	if (aead && p->n_integ > 0)
		conf_error(l->doc, n,
		           "proposal '%s' mixes a combined-mode cipher (GCM, ChaCha20-Poly1305) "
		           "with integrity algorithms; put them in separate proposals",
		           text);
	else if (cbc && p->n_integ == 0)
		conf_error(l->doc, n,
		           "proposal '%s': AES-CBC needs an integrity algorithm "
		           "(sha256, sha384, sha512)",
		           text);
	if (!esp) {
		/* RFC 7296 3.3.3: IKE needs a DH group; without a PRF, derive it from INTEG. */
		if (p->n_dh == 0)
			conf_error(l->doc, n, "IKE proposal '%s' has no DH group", text);
		if (p->n_prf == 0)
			for (size_t i = 0; i < p->n_integ; i++)
				add_alg(p->prf, NULL, &p->n_prf, prf_of_integ(p->integ[i]), 0);
		if (p->n_prf == 0)
			conf_error(l->doc, n, "IKE proposal '%s' has no PRF (add prfsha256)", text);
	} else if (p->n_esn == 0) {
		p->esn[p->n_esn++] = IKEV2_ESN_NO;
	}
	return conf_errors(l->doc) > before ? BW_ERR_CONFIG : 0;
}

/* Reads a list of proposal strings (or the defaults) into prop/n_prop. */
static void load_proposals(struct loader *l, const struct conf_node *map, const char *key, bool esp,
                           struct ike_proposal *prop, size_t *n_prop)
{
	const struct conf_node *n = conf_get(map, key);
	const char *const *defs = esp ? esp_default_props : ike_default_props;
	char what[32];

	*n_prop = 0;
	if (n == NULL) {
		/* The defaults are known to parse; any error here would be reported at map. */
		for (size_t i = 0; i < 2; i++)
			if (parse_proposal(l, map, defs[i], esp, &prop[*n_prop]) == 0)
				(*n_prop)++;
		return;
	}
	snprintf(what, sizeof(what), "'%s'", key);
	if (conf_expect_seq(l->doc, n, what) != 0)
		return;
	if (conf_len(n) == 0 || conf_len(n) > IKE_PROP_MAX) {
		conf_error(l->doc, n, "'%s' must list 1 to %d proposals", key, IKE_PROP_MAX);
		return;
	}
	for (size_t i = 0; i < conf_len(n); i++) {
		const struct conf_node *e = conf_at(n, i);
		const char *s = scalar(l, e, key);

		if (s != NULL && parse_proposal(l, e, s, esp, &prop[*n_prop]) == 0)
			(*n_prop)++;
	}
}

static bool name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* Reads 'name' into out (IKE_NAME_MAX); what is "connection" or "child". */
static const struct conf_node *load_name(struct loader *l, const struct conf_node *map,
                                         const char *what, size_t idx, char *out)
{
	const struct conf_node *n = conf_get(map, "name");

	snprintf(out, IKE_NAME_MAX, "#%zu", idx + 1);
	if (n == NULL) {
		conf_error(l->doc, map, "missing 'name' of the %s", what);
		return NULL;
	}
	if (conf_get_str(l->doc, n, "name", out, IKE_NAME_MAX) != 0)
		return NULL;
	if (!name_ok(out)) {
		conf_error(l->doc, n,
		           "'name' must be non-empty and hold only letters, digits, '-', '_', '.'");
		return NULL;
	}
	return n;
}

/* Reads a list of outer addresses (no prefix, no port); returns the count. */
static size_t load_addrs(struct loader *l, const struct conf_node *map, const char *key,
                         struct bw_addr *out, size_t cap)
{
	const struct conf_node *n = conf_get(map, key);
	char what[32];
	size_t count = 0;

	if (n == NULL)
		return 0;
	snprintf(what, sizeof(what), "'%s'", key);
	if (conf_expect_seq(l->doc, n, what) != 0)
		return 0;
	if (conf_len(n) > cap) {
		conf_error(l->doc, n, "at most %zu addresses in '%s'", cap, key);
		return 0;
	}
	for (size_t i = 0; i < conf_len(n); i++) {
		const struct conf_node *e = conf_at(n, i);

		if (gwc_outer_addr(l, e, key, &out[count]) != 0)
			continue;
		for (size_t j = 0; j < count; j++)
			if (bw_addr_eq(&out[j], &out[count])) {
				conf_error(l->doc, e, "address listed twice in '%s'", key);
				count--;
				break;
			}
		count++;
	}
	return count;
}

static bool host_bits_clear(const struct bw_addr *a, uint8_t plen)
{
	size_t len = bw_addr_len(a);

	for (size_t i = 0; i < len; i++) {
		unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;
		uint8_t mask = (uint8_t)(0xff00u >> keep);

		if ((a->a[i] & ~mask & 0xff) != 0)
			return false;
	}
	return true;
}

/* Reads an optional prefix list; prefixes must have no host bits set. */
static size_t load_prefixes(struct loader *l, const struct conf_node *map, const char *key,
                            struct bw_addr *p, uint8_t *plen, const struct conf_node **where,
                            size_t cap)
{
	const struct conf_node *n = conf_get(map, key);
	size_t count;
	char s[64];

	if (n == NULL)
		return 0;
	count = gwc_prefixes(l, n, key, p, plen, where, cap);
	for (size_t i = 0; i < count; i++)
		if (!host_bits_clear(&p[i], plen[i]))
			conf_error(l->doc, where[i],
			           "'%s/%u' has host bits set beyond the prefix length",
			           bw_addr_str(&p[i], s, sizeof(s)), plen[i]);
	return count;
}

/* RFC 7296 3.5 identities, written as swanctl writes them. */
static void parse_id(struct loader *l, const struct conf_node *n, bool local, struct ike_id *id)
{
	const char *s = scalar(l, n, "id");
	size_t len;
	int r;

	if (s == NULL)
		return;
	memset(id, 0, sizeof(*id));
	len = strlen(s);
	if (strcmp(s, "%any") == 0) {
		if (local)
			conf_error(l->doc, n, "'%%any' is only for the remote 'id'");
		else
			id->any = true;
		return;
	}
	if (len == 0) {
		conf_error(l->doc, n, "'id' must not be empty (use %%any to match every peer)");
		return;
	}
	if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = IKEV2_ID_IPV4_ADDR;
		id->len = 4;
		return;
	}
	if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = IKEV2_ID_IPV6_ADDR;
		id->len = 16;
		return;
	}
	if (strchr(s, '=') != NULL) {
		id->type = IKEV2_ID_DER_ASN1_DN;
		r = crypto_dn_encode(s, id->data, sizeof(id->data), &id->len);
		if (r == BW_ERR_NOSPACE)
			conf_error(l->doc, n, "'id' DN is longer than %d bytes in DER", IKE_ID_MAX);
		else if (r != 0)
			conf_error(l->doc, n,
			           "'id' '%s' is not a distinguished name such as "
			           "\"C=CH, O=Example, CN=gw.example.org\"",
			           s);
		return;
	}
	/* "@name" forces FQDN, as in swanctl; "user@domain" is an RFC 822 address. */
	id->type = IKEV2_ID_FQDN;
	if (s[0] == '@') {
		s++;
		len--;
	} else if (strchr(s, '@') != NULL) {
		id->type = IKEV2_ID_RFC822_ADDR;
	}
	if (len == 0 || len > IKE_ID_MAX) {
		conf_error(l->doc, n, "'id' must be 1 to %d characters", IKE_ID_MAX);
		id->type = 0;
		return;
	}
	memcpy(id->data, s, len);
	id->len = len;
}

/* A PEM path: non-empty, and a warning if it cannot be read now. */
static void load_path(struct loader *l, const struct conf_node *end, const char *key, char *out,
                      size_t cap)
{
	const struct conf_node *n = conf_get(end, key);

	if (n == NULL || conf_get_str(l->doc, n, key, out, cap) != 0)
		return;
	if (out[0] == '\0')
		conf_error(l->doc, n, "'%s' must not be empty", key);
	else if (access(out, R_OK) != 0)
		conf_warn(l->doc, n, "'%s' file '%s' cannot be read now", key, out);
}

/* local: or remote: */
static void load_end(struct loader *l, const struct conf_node *conn, bool local, struct ike_end *e)
{
	const char *key = local ? "local" : "remote";
	const struct conf_node *m = conf_get(conn, key), *n;
	char auth[16];

	if (m == NULL) {
		conf_error(l->doc, conn, "missing '%s' (identity and authentication)", key);
		return;
	}
	if (conf_expect_map(l->doc, m, local ? "'local'" : "'remote'") != 0)
		return;
	conf_check_keys(l->doc, m, local ? local_keys : remote_keys);
	if ((n = conf_get(m, "id")) != NULL)
		parse_id(l, n, local, &e->id);
	else if (!local)
		e->id.any = true; /* swanctl's default remote id is %any */
	if ((n = conf_get(m, "auth")) == NULL) {
		conf_error(l->doc, m, "missing 'auth' (psk or pubkey) in '%s'", key);
	} else if (conf_get_str(l->doc, n, "auth", auth, sizeof(auth)) == 0) {
		if (strcmp(auth, "psk") == 0)
			e->auth = IKE_AUTH_PSK;
		else if (strcmp(auth, "pubkey") == 0)
			e->auth = IKE_AUTH_PUBKEY;
		else
			conf_error(l->doc, n, "'auth' must be psk or pubkey, not '%s'", auth);
	}
	if (local) {
		load_path(l, m, "cert", e->cert, sizeof(e->cert));
		load_path(l, m, "key", e->key, sizeof(e->key));
		/* RSA keys sign with RSASSA-PSS instead of PKCS#1 v1.5 (RFC 7427, RFC 4055). */
		gwc_opt_bool(l, m, "rsa_pss", &e->rsa_pss);
	} else {
		load_path(l, m, "cacert", e->cacert, sizeof(e->cacert));
	}
	if (e->auth == IKE_AUTH_PUBKEY) {
		if (local && (e->cert[0] == '\0' || e->key[0] == '\0'))
			conf_error(l->doc, m, "'auth: pubkey' needs 'cert' and 'key' in 'local'");
		if (!local && e->cacert[0] == '\0')
			conf_error(l->doc, m, "'auth: pubkey' needs 'cacert' in 'remote'");
	} else {
		static const char *const pub_only[] = {"cert", "key", "cacert"};

		for (size_t i = 0; i < 3; i++)
			if ((n = conf_get(m, pub_only[i])) != NULL)
				conf_error(l->doc, n, "'%s' is only for 'auth: pubkey'",
				           pub_only[i]);
	}
}

/* The local identity defaults to the one local address, or the certificate's subject. */
static void default_local_id(struct loader *l, const struct conf_node *conn,
                             struct ike_conn_conf *c)
{
	const struct conf_node *m = conf_get(conn, "local");
	struct ike_id *id = &c->local.id;

	if (m == NULL || conf_type(m) != CONF_MAP || conf_get(m, "id") != NULL)
		return;
	/* With certificates the identity is the certificate's subject, as swanctl
	 * defaults it; type 0 and !any says so to the IKE module. */
	if (c->local.auth == IKE_AUTH_PUBKEY)
		return;
	if (c->n_local_addrs == 1) {
		id->type = c->local_addrs[0].family == AF_INET ? IKEV2_ID_IPV4_ADDR
		                                               : IKEV2_ID_IPV6_ADDR;
		id->len = bw_addr_len(&c->local_addrs[0]);
		memcpy(id->data, c->local_addrs[0].a, id->len);
	} else if (c->local.auth == IKE_AUTH_PSK) {
		/* With pubkey, type 0 and !any means "the subject of local.cert". */
		conf_error(l->doc, m,
		           "'local' needs an 'id': there is not exactly one local address to "
		           "default to");
	}
}

/* psk: a string or 0x hex; copied straight into the conn, never onto the stack. */
static void load_psk(struct loader *l, const struct conf_node *conn, struct ike_conn_conf *c)
{
	const struct conf_node *n = conf_get(conn, "psk");
	bool need = c->local.auth == IKE_AUTH_PSK || c->remote.auth == IKE_AUTH_PSK;
	const char *s;
	size_t len;

	if (n == NULL) {
		if (need && conf_get(conn, "local") != NULL && conf_get(conn, "remote") != NULL)
			conf_error(l->doc, conn, "missing 'psk' (an end uses 'auth: psk')");
		return;
	}
	if (!need)
		conf_error(l->doc, n, "'psk' given but neither end uses 'auth: psk'");
	if ((s = scalar(l, n, "psk")) == NULL)
		return;
	len = strlen(s);
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (conf_get_hex(l->doc, n, "psk", c->psk, sizeof(c->psk), &c->psk_len) != 0)
			return;
	} else if (len == 0 || len > sizeof(c->psk)) {
		conf_error(l->doc, n, "'psk' must be 1 to %zu bytes", sizeof(c->psk));
		return;
	} else {
		memcpy(c->psk, s, len);
		c->psk_len = len;
	}
	if (c->psk_len < GWC_PSK_ADVISED)
		conf_warn(l->doc, n,
		          "'psk' is only %zu bytes; at least %d random bytes are advised",
		          c->psk_len, GWC_PSK_ADVISED);
}

/* pools: and dns: (RFC 7296 3.15 configuration payload). */
static void load_cp(struct loader *l, const struct conf_node *conn, struct ike_conn_conf *c)
{
	const struct conf_node *where[IKE_MAX_POOLS], *n;
	char s[64];

	c->n_pools = load_prefixes(l, conn, "pools", c->pools, c->pool_plen, where, IKE_MAX_POOLS);
	for (size_t i = 0; i < c->n_pools; i++) {
		unsigned bits = (unsigned)bw_addr_len(&c->pools[i]) * 8, plen = c->pool_plen[i];

		/* At least two addresses beyond the network's own; at most 2^16. */
		if (plen + GWC_POOL_MAX_BITS < bits || plen + 2 > bits)
			conf_error(l->doc, where[i], "pool '%s/%u' must be a /%u to /%u prefix",
			           bw_addr_str(&c->pools[i], s, sizeof(s)), c->pool_plen[i],
			           bits - GWC_POOL_MAX_BITS, bits - 2);
		for (size_t j = 0; j < i; j++)
			if (c->pools[j].family == c->pools[i].family)
				conf_error(
				        l->doc, where[i],
				        "one pool per address family (RFC 7296 3.15.1 hands out "
				        "one INTERNAL_IP4_ADDRESS and one INTERNAL_IP6_ADDRESS)");
	}
	c->n_dns = load_addrs(l, conn, "dns", c->dns, IKE_MAX_DNS);
	if (c->n_dns > 0 && c->n_pools == 0 && (n = conf_get(conn, "dns")) != NULL)
		conf_warn(l->doc, n, "'dns' is only sent with a virtual IP from 'pools'");
}

static void load_child(struct loader *l, const struct conf_node *m, struct ike_conn_conf *c,
                       size_t idx)
{
	struct ike_child_conf *ch = &c->child[idx];
	const struct conf_node *where[IKE_MAX_TS], *nm, *n;
	char s[16];

	if (conf_expect_map(l->doc, m, "a child") != 0)
		return;
	conf_check_keys(l->doc, m, child_keys);
	if ((nm = load_name(l, m, "child", idx, ch->name)) != NULL)
		for (size_t i = 0; i < idx; i++)
			if (strcmp(c->child[i].name, ch->name) == 0)
				conf_error(l->doc, nm, "child name '%s' is used twice in '%s'",
				           ch->name, c->name);
	ch->mode = ESP_MODE_TUNNEL;
	if ((n = conf_get(m, "mode")) != NULL &&
	    conf_get_str(l->doc, n, "mode", s, sizeof(s)) == 0) {
		if (strcmp(s, "transport") == 0)
			ch->mode = ESP_MODE_TRANSPORT;
		else if (strcmp(s, "tunnel") != 0)
			conf_error(l->doc, n, "'mode' must be tunnel or transport, not '%s'", s);
	}
	ch->n_local_ts =
	        load_prefixes(l, m, "local_ts", ch->local_ts, ch->local_plen, where, IKE_MAX_TS);
	ch->n_remote_ts =
	        load_prefixes(l, m, "remote_ts", ch->remote_ts, ch->remote_plen, where, IKE_MAX_TS);
	load_proposals(l, m, "esp_proposals", true, ch->prop, &ch->n_prop);
	ch->rekey_time = GWC_CHILD_REKEY_DEFAULT;
	gwc_opt_u32(l, m, "rekey_time", 0, GWC_LIFE_MAX, &ch->rekey_time);
	/* swanctl's default hard lifetime is 10% past the rekey time. */
	ch->life_time = (uint32_t)((uint64_t)ch->rekey_time * 11 / 10);
	if ((n = conf_get(m, "life_time")) != NULL &&
	    conf_get_u32(l->doc, n, "life_time", 0, GWC_LIFE_MAX, &ch->life_time) == 0 &&
	    ch->life_time != 0 && ch->life_time <= ch->rekey_time)
		conf_error(l->doc, n, "'life_time' (%u) must be more than 'rekey_time' (%u)",
		           ch->life_time, ch->rekey_time);
	if (n == NULL && ch->rekey_time == 0)
		ch->life_time = 0;
	ch->replay_window = ESP_REPLAY_DEFAULT;
	gwc_opt_u32(l, m, "replay_window", 0, ESP_REPLAY_MAX, &ch->replay_window);
	if ((n = conf_get(m, "start_action")) != NULL &&
	    conf_get_str(l->doc, n, "start_action", s, sizeof(s)) == 0) {
		if (strcmp(s, "start") == 0)
			ch->start_action = IKE_START_START;
		else if (strcmp(s, "none") != 0)
			conf_error(l->doc, n, "'start_action' must be none or start, not '%s'", s);
		else
			ch->start_action = IKE_START_NONE;
	}
	if (ch->start_action == IKE_START_START && c->n_remote_addrs == 0)
		conf_error(l->doc, n,
		           "'start_action: start' needs 'remote_addrs' on the connection "
		           "(without them it can only respond)");
}

static void load_children(struct loader *l, const struct conf_node *conn, struct ike_conn_conf *c)
{
	const struct conf_node *n = conf_get(conn, "children");

	if (n == NULL) {
		conf_error(l->doc, conn, "missing 'children' (at least one CHILD_SA)");
		return;
	}
	if (conf_expect_seq(l->doc, n, "'children'") != 0)
		return;
	if (conf_len(n) == 0 || conf_len(n) > IKE_MAX_CHILD) {
		conf_error(l->doc, n, "'children' must list 1 to %d children", IKE_MAX_CHILD);
		return;
	}
	c->n_child = conf_len(n);
	for (size_t i = 0; i < c->n_child; i++)
		load_child(l, conf_at(n, i), c, i);
}

static void load_conn(struct loader *l, const struct conf_node *m, size_t idx)
{
	struct ike_conn_conf *c = &l->conf->conn[idx];
	const struct conf_node *nm;

	if (conf_expect_map(l->doc, m, "a connection") != 0)
		return;
	conf_check_keys(l->doc, m, conn_keys);
	if ((nm = load_name(l, m, "connection", idx, c->name)) != NULL)
		for (size_t i = 0; i < idx; i++)
			if (strcmp(l->conf->conn[i].name, c->name) == 0)
				conf_error(l->doc, nm, "connection name '%s' is used twice",
				           c->name);
	c->n_local_addrs = load_addrs(l, m, "local_addrs", c->local_addrs, IKE_MAX_ADDRS);
	c->n_remote_addrs = load_addrs(l, m, "remote_addrs", c->remote_addrs, IKE_MAX_ADDRS);
	load_proposals(l, m, "proposals", false, c->prop, &c->n_prop);
	gwc_opt_bool(l, m, "encap", &c->encap);
	load_end(l, m, true, &c->local);
	load_end(l, m, false, &c->remote);
	default_local_id(l, m, c);
	load_psk(l, m, c);
	c->rekey_time = GWC_REKEY_DEFAULT;
	c->dpd_delay = GWC_DPD_DEFAULT;
	c->keyingtries = 1;
	gwc_opt_u32(l, m, "rekey_time", 0, GWC_LIFE_MAX, &c->rekey_time);
	gwc_opt_u32(l, m, "reauth_time", 0, GWC_LIFE_MAX, &c->reauth_time);
	gwc_opt_u32(l, m, "dpd_delay", 0, GWC_DPD_MAX, &c->dpd_delay);
	gwc_opt_u32(l, m, "keyingtries", 0, GWC_KEYINGTRIES_MAX, &c->keyingtries);
	load_cp(l, m, c);
	gwc_opt_bool(l, m, "vip", &c->request_vip);
	load_children(l, m, c);
}

void gwc_load_ike(struct loader *l, const struct conf_node *root)
{
	const struct conf_node *sec = gwc_section(l, root, "ike"), *conns, *n;
	struct gw_conf *c = l->conf;

	if (sec == NULL)
		return;
	conf_check_keys(l->doc, sec, ike_keys);
	gwc_opt_u16(l, sec, "port", 0, &c->ike_port);
	gwc_opt_bool(l, sec, "log_keys", &c->ike_log_keys);
	gwc_opt_u32(l, sec, "retransmit_tries", 1, 10, &c->ike_retrans_tries);
	gwc_opt_u32(l, sec, "retransmit_timeout", 100, 30000, &c->ike_retrans_ms);
	if (c->ike_log_keys)
		conf_warn(l->doc, conf_get(sec, "log_keys"),
		          "'log_keys' writes IKE SA keys to the log: for decrypting captures in "
		          "tests "
		          "only, never in production");
	if ((n = conf_get(sec, "port")) != NULL && c->ike_port != 0 &&
	    c->ike_port == c->esp_udp_port)
		conf_error(l->doc, n,
		           "'port' %u is ipsec.udp_port, where IKE moves after NAT detection "
		           "(RFC 7296 2.23); pick another",
		           c->ike_port);
	if ((conns = conf_get(sec, "connections")) == NULL ||
	    conf_expect_seq(l->doc, conns, "'connections'") != 0 || conf_len(conns) == 0)
		return;
	if (conf_len(conns) > IKE_MAX_CONN) {
		conf_error(l->doc, conns, "more than %d connections", IKE_MAX_CONN);
		return;
	}
	if (c->ike_port == 0)
		conf_warn(l->doc, conns,
		          "'port' is 0: IKE is off and these connections are unused");
	if ((c->conn = calloc(conf_len(conns), sizeof(*c->conn))) == NULL) {
		/* Startup: report it like any other error so the load fails. */
		conf_error(l->doc, conns, "out of memory for %zu connections", conf_len(conns));
		return;
	}
	c->n_conn = conf_len(conns);
	for (size_t i = 0; i < c->n_conn; i++)
		load_conn(l, conf_at(conns, i), i);
}

/* Zeroes every connection, PSKs first; the array stays allocated. */
void gwc_wipe_ike(struct gw_conf *c)
{
	if (c->conn == NULL)
		return;
	for (size_t i = 0; i < c->n_conn; i++) {
		crypto_wipe(c->conn[i].psk, sizeof(c->conn[i].psk));
		c->conn[i].psk_len = 0;
	}
	crypto_wipe(c->conn, c->n_conn * sizeof(*c->conn));
}

void gwc_free_ike(struct gw_conf *c)
{
	if (c->conn == NULL)
		return;
	gwc_wipe_ike(c);
	free(c->conn);
	c->conn = NULL;
	c->n_conn = 0;
}
